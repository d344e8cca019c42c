package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** PyTorch's {@code nn.LeakyReLU(negative_slope=0.01)}: x where x > 0, else slope·x. */
public final class LeakyReLU extends Module {
    private final double slope;

    public LeakyReLU() { this(0.01); }

    public LeakyReLU(double slope) { this.slope = slope; }

    @Override
    public Tensor forward(Tensor x) { return x.leakyRelu(slope); }

    @Override
    protected String extraRepr() { return "negative_slope=" + slope; }
}
