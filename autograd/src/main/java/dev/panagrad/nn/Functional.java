package dev.panagrad.nn;

import dev.panagrad.array.Shape;
import dev.panagrad.Tensor;
import dev.panagrad.ops.Losses;

/** Losses and activations as functions, PyTorch's {@code torch.nn.functional}. */
public final class Functional {
    private Functional() {}

    public static Tensor relu(Tensor x) { return x.relu(); }

    /** Mean (or summed) squared error; {@code NONE} gives the squared differences. */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        return reduction == Reduction.NONE ? Losses.squaredErrors(input, target) : Losses.mseLoss(input, target, reduction == Reduction.MEAN);
    }

    public static Tensor mseLoss(Tensor input, Tensor target) { return mseLoss(input, target, Reduction.MEAN); }

    /** Negative log-likelihood of class-index targets over rows of log-probabilities [N, C]. */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, Reduction reduction) {
        return reduction == Reduction.NONE ? Losses.nllTerms(logProbs, target) : Losses.nllLoss(logProbs, target, reduction == Reduction.MEAN);
    }

    public static Tensor nllLoss(Tensor logProbs, Tensor target) { return nllLoss(logProbs, target, Reduction.MEAN); }

    /**
     * Cross-entropy of logits [N, C] against class indices [N]: log-softmax, then NLL. With a mean or
     * sum it runs fused ({@code ops.Losses.crossEntropy}: one pass over the rows each way, under
     * PyTorch's node name NllLossBackward0); {@code NONE} gives the per-sample losses.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction) {
        if (reduction == Reduction.NONE) {
            if (logits.dim() != 2) throw new IllegalArgumentException("cross_entropy: expected logits of shape [N, C], got " + Shape.str(logits.shape()));
            return Losses.nllTerms(logits.logSoftmax(1), target);
        }
        return Losses.crossEntropy(logits, target, reduction == Reduction.MEAN);
    }

    public static Tensor crossEntropy(Tensor logits, Tensor target) { return crossEntropy(logits, target, Reduction.MEAN); }
}
