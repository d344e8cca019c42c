package dev.panagrad.nn;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panagrad.array.Shape;
import dev.panagrad.Tensor;
import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import java.lang.foreign.MemorySegment;

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
        checkTargets("nll_loss", logProbs, target);
        Tensor picked = logProbs.gather(1, target.unsqueeze(1)).squeeze(1).neg();
        return reduce(picked, reduction);
    }

    public static Tensor nllLoss(Tensor logProbs, Tensor target) { return nllLoss(logProbs, target, Reduction.MEAN); }

    /**
     * Cross-entropy of logits [N, C] against class indices [N]: log-softmax, then NLL. With a mean or
     * sum it runs fused: one pass over the rows forward (max, log-sum-exp, the picked logit), and one
     * backward ({@code (softmax − onehot)·g/N}, the softmax recomputed from the saved logits), under
     * PyTorch's node name for the loss, NllLossBackward0.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction) {
        if (logits.dim() != 2) throw new IllegalArgumentException("cross_entropy: expected logits of shape [N, C], got " + Shape.str(logits.shape()));
        if (reduction == Reduction.NONE || !logits.dtype().isFloatingPoint() || logits.size(0) == 0) {
            return nllLoss(logits.logSoftmax(1), target, reduction);
        }
        checkTargets("cross_entropy", logits, target);
        Tensor x = logits.isContiguous() ? logits : logits.contiguous();
        Tensor t = target.isContiguous() ? target : target.contiguous();
        int rows = x.size(0), cols = x.size(1);
        DType dt = x.dtype();
        MemorySegment xs = x.storage().kernelSegment(), ts = t.storage().kernelSegment();
        long xo = x.storageOffset(), to = t.storageOffset();
        double total = 0;
        for (int r = 0; r < rows; r++) {
            long row = xo + (long) r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) max = Math.max(max, Kernels.get(xs, dt, row + c));
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.exp(Kernels.get(xs, dt, row + c) - max);
            long label = ts.getAtIndex(JAVA_LONG, to + r);
            total += max + Math.log(sum) - Kernels.get(xs, dt, row + label);
        }
        double scale = reduction == Reduction.MEAN ? 1.0 / rows : 1.0;
        Tensor out = Tensor.scalar(dt, total * scale);
        out.record("NllLossBackward0", new Tensor[] {logits, target}, new Tensor[] {x, t}, (n, g) -> {
            Tensor sx = n.saved(0), st = n.saved(1);
            double gs = g.item() * scale;
            Tensor grad = Tensor.empty(dt, rows, cols);
            MemorySegment in = sx.storage().kernelSegment(), lab = st.storage().kernelSegment(), gout = grad.storage().kernelSegment();
            long io = sx.storageOffset(), lo = st.storageOffset();
            for (int r = 0; r < rows; r++) {
                long row = io + (long) r * cols, orow = (long) r * cols;
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) max = Math.max(max, Kernels.get(in, dt, row + c));
                double sum = 0;
                for (int c = 0; c < cols; c++) sum += Math.exp(Kernels.get(in, dt, row + c) - max);
                long label = lab.getAtIndex(JAVA_LONG, lo + r);
                for (int c = 0; c < cols; c++) {
                    double p = Math.exp(Kernels.get(in, dt, row + c) - max) / sum;
                    Kernels.set(gout, dt, orow + c, (p - (c == label ? 1 : 0)) * gs);
                }
            }
            return new Tensor[] {grad, null};
        });
        return out;
    }

    private static void checkTargets(String op, Tensor input, Tensor target) {
        if (target.dtype() != DType.I64) throw new IllegalArgumentException(op + ": expected target of dtype int64 (class indices), got " + target.dtype().pytorchName());
        if (target.dim() != 1 || target.size(0) != input.size(0)) {
            throw new IllegalArgumentException(op + ": expected target of shape [" + input.size(0) + "], got " + Shape.str(target.shape()));
        }
        int classes = input.size(1);
        MemorySegment ts = target.storage().kernelSegment();
        long offset = target.storageOffset(), stride = target.dim() == 1 ? target.strides()[0] : 1;
        for (int i = 0; i < target.size(0); i++) {   // read in place: no heap copy of the labels
            long t = ts.getAtIndex(JAVA_LONG, offset + i * stride);
            if (t < 0 || t >= classes) throw new IndexOutOfBoundsException(op + ": target " + t + " is out of bounds for " + classes + " classes");
        }
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
