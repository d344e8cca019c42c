package dev.panagrad.nn;

import dev.panagrad.Tensor;
import dev.panagrad.array.Shape;

/** PyTorch's {@code nn.Flatten(start_dim=1, end_dim=-1)}: dimensions start..end folded into one (a view when the layout allows). */
public final class Flatten extends Module {
    private final int start, end;

    public Flatten() { this(1, -1); }

    public Flatten(int start, int end) {
        this.start = start;
        this.end = end;
    }

    @Override
    public Tensor forward(Tensor x) {
        int[] s = x.shape();
        int a = Shape.dim(start, Math.max(1, s.length)), b = Shape.dim(end, Math.max(1, s.length));
        if (s.length == 0 || a >= b) return x.reshape(s.length == 0 ? new int[] {1} : s);
        int[] out = new int[s.length - (b - a)];
        System.arraycopy(s, 0, out, 0, a);
        long folded = 1;
        for (int d = a; d <= b; d++) folded *= s[d];
        out[a] = Shape.dimSize(folded, "flatten");
        System.arraycopy(s, b + 1, out, a + 1, s.length - b - 1);
        return x.reshape(out);
    }

    @Override
    protected String extraRepr() { return "start_dim=" + start + ", end_dim=" + end; }
}
