package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** {@code nn.MSELoss}: see {@link Functional#mseLoss}. */
public final class MSELoss {
    private final Reduction reduction;

    public MSELoss() { this(Reduction.MEAN); }

    public MSELoss(Reduction reduction) { this.reduction = reduction; }

    public Tensor forward(Tensor input, Tensor target) { return Functional.mseLoss(input, target, reduction); }
}
