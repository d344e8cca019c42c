package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** {@code nn.CrossEntropyLoss} with class-index targets: see {@link Functional#crossEntropy}. */
public final class CrossEntropyLoss {
    private final Reduction reduction;

    public CrossEntropyLoss() { this(Reduction.MEAN); }

    public CrossEntropyLoss(Reduction reduction) { this.reduction = reduction; }

    public Tensor forward(Tensor logits, Tensor target) { return Functional.crossEntropy(logits, target, reduction); }
}
