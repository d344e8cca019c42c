package dev.panagrad.nn;

import dev.panagrad.Shape;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;

/** Losses and activations as functions, PyTorch's {@code torch.nn.functional}. */
public final class Functional {
    private Functional() {}

    public static Tensor relu(Tensor x) { return x.relu(); }

    /** Mean (or summed) squared error. */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        if (!java.util.Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException("mse_loss: input " + Shape.str(input.shape()) + " and target " + Shape.str(target.shape())
                    + " must have the same shape (broadcasting them is almost always a bug)");
        }
        Tensor d = input.sub(target);
        Tensor sq = d.mul(d);
        return reduce(sq, reduction);
    }

    public static Tensor mseLoss(Tensor input, Tensor target) { return mseLoss(input, target, Reduction.MEAN); }

    /** Negative log-likelihood of class-index targets over rows of log-probabilities [N, C]. */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, Reduction reduction) {
        if (logProbs.dim() != 2) throw new IllegalArgumentException("nll_loss: expected input of shape [N, C], got " + Shape.str(logProbs.shape()));
        if (target.dtype() != DType.I64) throw new IllegalArgumentException("nll_loss: expected target of dtype int64 (class indices), got " + target.dtype().pytorchName());
        if (target.dim() != 1 || target.size(0) != logProbs.size(0)) {
            throw new IllegalArgumentException("nll_loss: expected target of shape [" + logProbs.size(0) + "], got " + Shape.str(target.shape()));
        }
        int classes = logProbs.size(1);
        for (long t : target.toLongArray()) {
            if (t < 0 || t >= classes) throw new IndexOutOfBoundsException("nll_loss: target " + t + " is out of bounds for " + classes + " classes");
        }
        Tensor picked = logProbs.gather(1, target.unsqueeze(1)).squeeze(1).neg();
        return reduce(picked, reduction);
    }

    public static Tensor nllLoss(Tensor logProbs, Tensor target) { return nllLoss(logProbs, target, Reduction.MEAN); }

    /** Cross-entropy of logits [N, C] against class indices [N]: log-softmax, then NLL. */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction) {
        if (logits.dim() != 2) throw new IllegalArgumentException("cross_entropy: expected logits of shape [N, C], got " + Shape.str(logits.shape()));
        return nllLoss(logits.logSoftmax(1), target, reduction);
    }

    public static Tensor crossEntropy(Tensor logits, Tensor target) { return crossEntropy(logits, target, Reduction.MEAN); }

    private static Tensor reduce(Tensor x, Reduction r) {
        return switch (r) {
            case MEAN -> x.mean();
            case SUM -> x.sum();
            case NONE -> x;
        };
    }
}
