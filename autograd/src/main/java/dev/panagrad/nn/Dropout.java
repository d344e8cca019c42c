package dev.panagrad.nn;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;

/**
 * PyTorch's {@code nn.Dropout(p=0.5)}: in training, each element zeroed with probability p and the
 * rest scaled by 1/(1 − p), the mask drawn from a seeded {@link Generator} (same seed, same masks);
 * in eval, the input itself.
 */
public final class Dropout extends Module {
    private final double p;
    private final Generator generator;

    public Dropout(double p) { this(p, Generator.global()); }

    public Dropout(double p, Generator generator) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        this.p = p;
        this.generator = generator;
    }

    @Override
    public Tensor forward(Tensor x) { return x.dropout(p, isTraining(), generator); }

    @Override
    protected String extraRepr() { return "p=" + p + ", inplace=False"; }
}
