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
 * No dropout yet (PyTorch's default dropout=0.0).
 */
public final class MultiheadAttention extends Module {
    private final int width, heads;
    private final boolean causal;
    private final Linear qkv, proj;

    public MultiheadAttention(int width, int heads, boolean causal) { this(width, heads, causal, DType.F32, Generator.global()); }

    public MultiheadAttention(int width, int heads, boolean causal, DType dtype, Generator generator) {
        if (heads <= 0 || width <= 0 || width % heads != 0) {
            throw new IllegalArgumentException("embed_dim must be divisible by num_heads (embed_dim " + width + ", num_heads " + heads + ")");
        }
        this.width = width;
        this.heads = heads;
        this.causal = causal;
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
        Tensor y = Tensor.scaledDotProductAttention(packed.select(0, 0), packed.select(0, 1), packed.select(0, 2), mask, causal && mask == null, 0);
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
    protected String extraRepr() { return "width=" + width + ", heads=" + heads + ", causal=" + (causal ? "True" : "False"); }
}
