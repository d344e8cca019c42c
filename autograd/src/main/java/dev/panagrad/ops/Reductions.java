package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.none;
import static dev.panagrad.ops.Ops.reshapeRaw;
import static dev.panagrad.ops.Ops.save;
import static dev.panagrad.ops.Ops.sumRaw;
import static dev.panagrad.ops.Ops.typeName;
import static dev.panagrad.ops.Pointwise.div;
import static dev.panagrad.ops.Pointwise.eq;
import static dev.panagrad.ops.Pointwise.maskedFill;
import static dev.panagrad.ops.Pointwise.mul;
import static dev.panagrad.ops.Pointwise.ne;
import static dev.panagrad.ops.Pointwise.sub;
import static dev.panagrad.ops.Views.expand;

import dev.panagrad.array.Reduce;
import dev.panagrad.array.Scatter;
import dev.panagrad.array.Shape;
import dev.panagrad.kernel.BinaryOp;
import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import dev.panagrad.ops.Ops.Op;

/** Reductions (sum, mean, max, amax), the arg-reductions, and softmax / log-softmax along a dimension. */
public final class Reductions {
    private Reductions() {}

    /** The values and (first) indices of a maximum along a dimension, as {@code x.max(dim)} returns them. */
    public record MaxAlong<T>(T values, T indices) {}

    /** Sum of every element, a 0-dim result; the gradient is g expanded back to the input's shape. */
    @Op("SumBackward0")
    public static <T extends Operand<T>> T sum(T x) {
        int[] shape = x.shapeView();
        return apply("SumBackward0", sumRaw(x, new int[0], false), in(x), none(), (n, g) -> grads(expand(g, shape)));
    }

    /** Sum over {@code dims}, kept as size 1 when {@code keepdim}. */
    @Op("SumBackward1")
    public static <T extends Operand<T>> T sum(T x, int[] dims, boolean keepdim) {
        int[] d = Reduce.normalizeDims(x, dims), shape = x.shapeView(), kept = Reduce.keptShape(x, d, true);
        return apply("SumBackward1", sumRaw(x, d, keepdim), in(x), none(), (n, g) -> grads(expand(Views.reshape(g, kept), shape)));
    }

    /** The mean of every element: the sum's gradient divided by the count. */
    @Op("MeanBackward0")
    public static <T extends Operand<T>> T mean(T x) {
        checkMeanDtype(x);
        long count = x.numel();
        int[] shape = x.shapeView();
        return apply("MeanBackward0", Ops.zip(BinaryOp.DIV, sumRaw(x, new int[0], false), count), in(x), none(),
                (n, g) -> grads(expand(div(g, count), shape)));
    }

    @Op("MeanBackward1")
    public static <T extends Operand<T>> T mean(T x, int[] dims, boolean keepdim) {
        checkMeanDtype(x);
        int[] d = Reduce.normalizeDims(x, dims), shape = x.shapeView(), kept = Reduce.keptShape(x, d, true);
        long count = 1;
        for (int k : d) count *= shape[k];
        long c = count;
        return apply("MeanBackward1", Ops.zip(BinaryOp.DIV, sumRaw(x, d, keepdim), c), in(x), none(),
                (n, g) -> grads(expand(Views.reshape(div(g, c), kept), shape)));
    }

    private static void checkMeanDtype(Operand<?> x) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: " + typeName(x.dtype()));
        }
    }

    /** {@code x.max(dim, keepdim)}: values and first indices; the gradient goes to the index the forward returned. */
    @Op("MaxBackward0")
    public static <T extends Operand<T>> MaxAlong<T> max(T x, int dim, boolean keepdim, String op) {
        int[] shape = x.shapeView();
        int d = Shape.dim(dim, shape.length);
        if (shape.length == 0) return max(Views.reshape(x, 1), 0, false, op);   // a 0-dim tensor: itself, at index 0 (PyTorch)
        if (shape[d] == 0) throw new IndexOutOfBoundsException(op + "(): Expected reduction dim " + d + " to have non-zero size.");
        T indices = Ops.empty(x, DType.I64, Reduce.keptShape(x, new int[] {d}, keepdim));
        T values = Reduce.reduce(Kernels.Reduce.MAX, x, new int[] {d}, keepdim, x.dtype(), indices.storage().kernelSegment(), x.factory());
        int[] kept = Reduce.keptShape(x, new int[] {d}, true);
        apply("MaxBackward0", values, in(x), save(indices),
                (n, g) -> grads(Indexing.scatterAddIntoZeros(shape, d, reshapeRaw(n.saved(0), kept), Views.reshape(g, kept))));
        return new MaxAlong<>(values, indices);
    }

    /** The largest element (NaN if any is NaN); ties share the gradient evenly, as do the NaNs when the result is NaN. */
    @Op("MaxBackward1")
    public static <T extends Operand<T>> T max(T x) { return amax(x, new int[0], false, "MaxBackward1"); }

    /** {@code amax(dims)}: ties share the gradient evenly. */
    @Op("AmaxBackward0")
    public static <T extends Operand<T>> T amax(T x, int[] dims, boolean keepdim) { return amax(x, dims, keepdim, "AmaxBackward0"); }

    private static <T extends Operand<T>> T amax(T x, int[] dims, boolean keepdim, String name) {
        int[] d = Reduce.normalizeDims(x, dims), shape = x.shapeView();
        String op = name.equals("MaxBackward1") ? "max" : "amax";
        if (dims.length == 0 && x.numel() == 0) {
            throw new IllegalArgumentException(op + "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
        }
        for (int k : d) if (shape[k] == 0) throw new IndexOutOfBoundsException(op + "(): Expected reduction dim " + k + " to have non-zero size.");
        T out = Reduce.reduce(Kernels.Reduce.MAX, x, d, keepdim, x.dtype(), null, x.factory());
        int[] kept = Reduce.keptShape(x, d, true);
        boolean evenly = name.equals("MaxBackward1"), nanResult = evenly && Double.isNaN(out.item());
        return apply(name, out, in(x), save(x, out), (n, g) -> {
            T s = n.saved(0);
            // max() shares the gradient among the NaNs when it returned NaN, and writes zeros elsewhere
            // (PyTorch's evenly_distribute_backward); amax scales by the count of x == result, which is
            // 0 when the result is NaN, so its gradient is NaN everywhere, as PyTorch's
            T mask = nanResult ? ne(s, s) : eq(s, reshapeRaw(n.saved(1), kept));
            T share = div(Views.reshape(g, kept), sumRaw(Views.to(mask, g.dtype()), d, true));
            return grads(evenly ? maskedFill(expand(share, s.shapeView()), eq(mask, 0), 0) : mul(Views.to(mask, g.dtype()), share));
        });
    }

    /** Index of the (first) maximum over all elements (flattened); no graph. */
    public static <T extends Operand<T>> T argmax(T x) {
        if (x.numel() == 0) throw new IndexOutOfBoundsException("argmax(): Expected reduction dim to be specified for input.numel() == 0.");
        if (x.numel() > Integer.MAX_VALUE) throw new IllegalArgumentException("argmax: " + x.numel() + " elements do not fit one dimension (at most " + Integer.MAX_VALUE + "); shape " + Shape.str(x.shapeView()));
        return max(reshapeRaw(x, new int[] {(int) x.numel()}), 0, false, "argmax").indices().detach();
    }

    /** softmax(x) along {@code dim}; d/dx = y·g − y·Σ(y·g). */
    @Op("SoftmaxBackward0")
    public static <T extends Operand<T>> T softmax(T x, int dim) {
        int d = checkSoftmax(x, dim, false);
        T y = Reduce.softmax(x, d, false, x.factory());
        return apply("SoftmaxBackward0", y, in(x), save(y), (n, g) -> {
            T s = n.saved(0), gy = mul(g, s);
            return grads(sub(gy, mul(s, sum(gy, new int[] {d}, true))));
        });
    }

    /** log-softmax(x) along {@code dim}; d/dx = g − exp(y)·Σg. */
    @Op("LogSoftmaxBackward0")
    public static <T extends Operand<T>> T logSoftmax(T x, int dim) {
        int d = checkSoftmax(x, dim, true);
        T y = Reduce.softmax(x, d, true, x.factory());
        return apply("LogSoftmaxBackward0", y, in(x), save(y), (n, g) -> grads(sub(g, mul(Pointwise.exp(n.saved(0)), sum(g, new int[] {d}, true)))));
    }

    /** The dimension, or PyTorch's refusal naming its kernel for a non-floating input. */
    private static int checkSoftmax(Operand<?> x, int dim, boolean log) {
        int rank = x.dim(), d = Shape.dim(dim, rank), last = Math.max(0, rank - 1);
        if (!x.dtype().isFloatingPoint()) {   // PyTorch names its kernel: the last-dim one, or the general one
            String kernel = d == last ? (log ? "log_softmax_lastdim_kernel_impl" : "softmax_lastdim_kernel_impl") : "softmax_kernel_impl";
            throw new IllegalArgumentException("\"" + kernel + "\" not implemented for '" + typeName(x.dtype()) + "'");
        }
        return d;
    }
}
