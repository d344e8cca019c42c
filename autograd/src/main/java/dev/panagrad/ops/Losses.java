package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.save;

import dev.panagrad.array.Elementwise;
import dev.panagrad.array.Reduce;
import dev.panagrad.array.Scatter;
import dev.panagrad.array.Shape;
import dev.panagrad.memory.DType;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;

/**
 * Losses over a batch: cross-entropy (fused), negative log-likelihood and mean squared error. Each
 * takes {@code mean}: true averages over the batch (PyTorch's {@code reduction='mean'}), false sums
 * it ({@code 'sum'}); {@code nn.Functional} adds {@code 'none'}, which returns the per-sample terms.
 */
public final class Losses {
    private Losses() {}

    /**
     * Cross-entropy of logits [N, C] against class indices [N], fused: one pass over the rows forward (max,
     * log-sum-exp, the picked logit) and one backward ({@code (softmax − onehot)·g/N}, the softmax
     * recomputed from the saved logits), under PyTorch's node name for the loss, NllLossBackward0. An
     * empty batch or a non-floating input goes the composed way (log-softmax, then NLL), for PyTorch's
     * result and message there.
     */
    @Op("NllLossBackward0")
    public static <T extends Operand<T>> T crossEntropy(T logits, T target, boolean mean) {
        logits = AutocastState.fp32(logits);   // PyTorch's autocast float32 list
        if (logits.dim() != 2) throw new IllegalArgumentException("cross_entropy: expected logits of shape [N, C], got " + Shape.str(logits.shapeView()));
        if (!logits.dtype().isFloatingPoint() || logits.shapeView()[0] == 0) return nllLoss(Reductions.logSoftmax(logits, 1), target, mean);
        Scatter.checkClassIndices("cross_entropy", logits, target);
        T x = Views.contiguous(logits), t = Views.contiguous(target);
        double scale = mean ? 1.0 / x.shapeView()[0] : 1.0;
        T out = logits.factory().full(x.dtype(), Reduce.crossEntropySum(x, t) * scale, new int[0]);
        return apply("NllLossBackward0", out, in(logits, target), save(x, t),
                (n, g) -> grads(crossEntropyGrad(n.saved(0), n.saved(1), g, scale), null));
    }

    /**
     * {@code (softmax(x) − onehot(t))·g·scale}: one raw pass, or under create_graph (grad mode on while
     * the formula runs) the same composed of ops, so that it is recorded and can be differentiated again.
     */
    private static <T extends Operand<T>> T crossEntropyGrad(T x, T t, T g, double scale) {
        if (!dev.panagrad.graph.GradMode.isEnabled()) return Reduce.crossEntropyGrad(x, t, g.item() * scale, g.factory());
        T onehot = Ops.zeros(x, x.dtype(), x.shapeView());
        Scatter.scatterAdd(onehot, 1, Views.unsqueeze(t, 1), x.factory().full(x.dtype(), 1, new int[0]), x.factory());
        return Pointwise.mul(Pointwise.sub(Reductions.softmax(x, 1), onehot), Pointwise.mul(g, scale));
    }

    /** The per-sample terms of the negative log-likelihood: {@code −logProbs[i, target[i]]}, [N]. */
    public static <T extends Operand<T>> T nllTerms(T logProbs, T target) {
        logProbs = AutocastState.fp32(logProbs);
        if (logProbs.dim() != 2) throw new IllegalArgumentException("nll_loss: expected input of shape [N, C], got " + Shape.str(logProbs.shapeView()));
        Scatter.checkClassIndices("nll_loss", logProbs, target);
        return Pointwise.neg(Views.squeeze(Indexing.gather(logProbs, 1, Views.unsqueeze(target, 1)), 1));
    }

    /** Negative log-likelihood of class indices [N] over rows of log-probabilities [N, C], composed of gather and a mean or sum. */
    public static <T extends Operand<T>> T nllLoss(T logProbs, T target, boolean mean) {
        T terms = nllTerms(logProbs, target);
        return mean ? Reductions.mean(terms) : Reductions.sum(terms);
    }

    /** The squared differences {@code (input − target)²} of two tensors of one shape (broadcasting them is almost always a bug). */
    public static <T extends Operand<T>> T squaredErrors(T input, T target) {
        input = AutocastState.fp32(input);
        target = AutocastState.fp32(target);
        if (!Arrays.equals(input.shapeView(), target.shapeView())) {
            throw new IllegalArgumentException("mse_loss: input " + Shape.str(input.shapeView()) + " and target " + Shape.str(target.shapeView())
                    + " must have the same shape (broadcasting them is almost always a bug)");
        }
        if (Elementwise.promote(input, target) == DType.BF16) {   // PyTorch 1.13 has no bfloat16 CPU kernel for it
            throw new IllegalArgumentException("\"mse_cpu\" not implemented for 'BFloat16'");
        }
        T d = Pointwise.sub(input, target);
        return Pointwise.mul(d, d);
    }

    /** Mean (or summed) squared error. */
    public static <T extends Operand<T>> T mseLoss(T input, T target, boolean mean) {
        T sq = squaredErrors(input, target);
        return mean ? Reductions.mean(sq) : Reductions.sum(sq);
    }
}
