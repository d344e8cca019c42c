package dev.panagrad.nn;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;

/**
 * A pre-norm transformer block (GPT-2's): x + attn(ln1(x)), then + mlp(ln2(x)) with mlp = Linear(width,
 * 4·width), GELU, Linear(4·width, width). With {@code dropout} > 0, in training, GPT-2's three: on the
 * attention weights, and on the attention's and the MLP's outputs before each residual add; none in eval.
 */
public final class TransformerBlock extends Module {
    private final LayerNorm ln1, ln2;
    private final MultiheadAttention attn;
    private final Linear fc, out;
    private final Dropout residualDropout;

    public TransformerBlock(int width, int heads, boolean causal) { this(width, heads, causal, DType.F32, Generator.global()); }

    public TransformerBlock(int width, int heads, boolean causal, DType dtype, Generator generator) {
        this(width, heads, causal, 0.0, dtype, generator);
    }

    /** With {@code dropout} (0 to 1) in training, the masks drawn from {@code generator}. */
    public TransformerBlock(int width, int heads, boolean causal, double dropout, DType dtype, Generator generator) {
        this.ln1 = registerModule("ln1", new LayerNorm(new int[] {width}, 1e-5, true, dtype));
        this.attn = registerModule("attn", new MultiheadAttention(width, heads, causal, dropout, dtype, generator));
        this.ln2 = registerModule("ln2", new LayerNorm(new int[] {width}, 1e-5, true, dtype));
        this.fc = registerModule("fc", new Linear(width, 4 * width, true, dtype, generator));
        this.out = registerModule("out", new Linear(4 * width, width, true, dtype, generator));
        this.residualDropout = registerModule("drop", new Dropout(dropout, generator));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = ln1.forward(x);
        Tensor attended = attn.forward(h), a = residualDropout.forward(attended);
        if (a != attended) attended.dropWhenUnused();
        h.dropWhenUnused();
        Tensor x1 = x.add(a);
        a.dropWhenUnused();
        Tensor n = ln2.forward(x1);
        Tensor up = fc.forward(n);
        n.dropWhenUnused();
        Tensor act = up.gelu();
        up.dropWhenUnused();
        Tensor projected = out.forward(act), down = residualDropout.forward(projected);
        if (down != projected) projected.dropWhenUnused();
        act.dropWhenUnused();
        Tensor y = x1.add(down);
        down.dropWhenUnused();
        x1.dropWhenUnused();
        return y;
    }
}
