package dev.panagrad.nn;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.array.Shape;
import dev.panagrad.memory.DType;

/**
 * Multi-head self-attention over x [batch, T, width]: one Linear makes q, k and v for every head
 * ({@code qkv}, width → 3·width, PyTorch's packed {@code in_proj}), {@link Tensor#scaledDotProductAttention}
 * runs every head at once (two strided-batched GEMMs and one fused softmax), and {@code proj} mixes the
 * heads back (PyTorch's {@code out_proj}). {@code causal}: position t attends to positions ≤ t only.
 * {@code dropout} (PyTorch's {@code dropout=}, default 0.0) zeroes attention weights in training, the
 * masks drawn from the module's generator; in eval, or at 0, the fused path runs.
 */
public final class MultiheadAttention extends Module {
    private final int width, heads;
    private final boolean causal;
    private final double dropout;
    private final Generator generator;
    private final Linear qkv, proj;

    public MultiheadAttention(int width, int heads, boolean causal) { this(width, heads, causal, DType.F32, Generator.global()); }

    public MultiheadAttention(int width, int heads, boolean causal, DType dtype, Generator generator) {
        this(width, heads, causal, 0.0, dtype, generator);
    }

    /** With {@code dropout} on the attention weights in training (PyTorch's {@code nn.MultiheadAttention(dropout=...)}). */
    public MultiheadAttention(int width, int heads, boolean causal, double dropout, DType dtype, Generator generator) {
        if (!(dropout >= 0 && dropout <= 1)) throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + dropout);
        if (heads <= 0 || width <= 0 || width % heads != 0) {
            throw new IllegalArgumentException("embed_dim must be divisible by num_heads (embed_dim " + width + ", num_heads " + heads + ")");
        }
        this.width = width;
        this.heads = heads;
        this.causal = causal;
        this.dropout = dropout;
        this.generator = generator;
        this.qkv = registerModule("qkv", new Linear(width, 3 * width, true, dtype, generator));
        this.proj = registerModule("proj", new Linear(width, width, true, dtype, generator));
    }

    /** Self-attention of x [batch, T, width]; {@code mask} (bool, broadcastable to [batch, heads, T, T], true = may attend) or null. */
    public Tensor forward(Tensor x, Tensor mask) {
        if (x.dim() != 3 || x.size(2) != width) {
            throw new IllegalArgumentException("MultiheadAttention: expected input [batch, T, " + width + "], got " + Shape.str(x.shape()));
        }
        int b = x.size(0), t = x.size(1), d = width / heads;
        Tensor packed = qkv.forward(x).view(b, t, 3, heads, d).permute(2, 0, 3, 1, 4);   // [3, batch, heads, T, d]
        Tensor q = packed.select(0, 0), k = packed.select(0, 1), v = packed.select(0, 2);
        Tensor y;
        if (dropout > 0 && isTraining()) {   // softmax(q·kᵀ/√d), dropped, times v: the fused path has no dropout
            Tensor weights = q.matmul(k.transpose(-2, -1)).attentionSoftmax(1 / Math.sqrt(d), causal && mask == null, mask);
            y = weights.dropout(dropout, true, generator).matmul(v);
        } else {
            y = Tensor.scaledDotProductAttention(q, k, v, mask, causal && mask == null, 0);
        }
        packed.dropWhenUnused();   // q, k and v are saved by the products of attention (without grad: back to the pool now)
        Tensor merged = y.transpose(1, 2).reshape(b, t, width);   // a copy, unless there is one head
        Tensor out = proj.forward(merged);
        if (y.storage() != merged.storage()) y.dropWhenUnused();
        merged.dropWhenUnused();
        return out;
    }

    @Override
    public Tensor forward(Tensor x) { return forward(x, null); }

    @Override
    protected String extraRepr() { return "width=" + width + ", heads=" + heads + ", causal=" + (causal ? "True" : "False") + (dropout > 0 ? ", dropout=" + dropout : ""); }
}
