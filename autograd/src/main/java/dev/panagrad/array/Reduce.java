package dev.panagrad.array;

import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reductions without a graph: over any set of dimensions (moved last and reduced as rows), sums of
 * leading dimensions without a transposed copy, and {@link #sumTo}, the one place broadcasting is
 * undone.
 */
public final class Reduce {
    private Reduce() {}

    /** {@code dims} wrapped and checked against {@code a}'s rank; none means all. */
    public static int[] normalizeDims(Strided a, int[] dims) {
        int[] shape = a.shape;
        if (dims.length == 0) {
            int[] all = new int[shape.length];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        int[] d = new int[dims.length];
        boolean[] seen = new boolean[Math.max(1, shape.length)];
        for (int i = 0; i < dims.length; i++) {
            d[i] = Shape.dim(dims[i], shape.length);
            if (shape.length == 0) continue;
            if (seen[d[i]]) throw new IllegalArgumentException("dim " + d[i] + " appears multiple times in the list of dims");
            seen[d[i]] = true;
        }
        return shape.length == 0 ? new int[0] : d;
    }

    /** {@code a}'s shape without {@code dims} (or with size 1 there, when {@code keepdim}). */
    public static int[] keptShape(Strided a, int[] dims, boolean keepdim) {
        int[] shape = a.shape;
        int[] out = new int[shape.length];
        int n = 0;
        for (int i = 0; i < shape.length; i++) {
            boolean reduced = false;
            for (int d : dims) reduced |= d == i;
            if (!reduced) out[n++] = shape[i];
            else if (keepdim) out[n++] = 1;
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** {@code a} with the reduced dims moved last, contiguous: rows × cols, cols reduced. */
    public static <T extends Strided> T reducedLast(Strided a, int[] dims, Strided.Factory<T> f) {
        int[] perm = new int[a.shape.length];
        int k = 0;
        for (int i = 0; i < a.shape.length; i++) {
            boolean reduced = false;
            for (int d : dims) reduced |= d == i;
            if (!reduced) perm[k++] = i;
        }
        for (int d : dims) perm[k++] = d;
        return Layout.contiguousCopy(Layout.permute(a, perm, f), f);
    }

    /** {@code op} over {@code dims} (already normalized); {@code idx}, if not null, receives the arg indices. */
    public static <T extends Strided> T reduce(Kernels.Reduce op, Strided a, int[] dims, boolean keepdim, DType outType, MemorySegment idx, Strided.Factory<T> f) {
        int[] outShape = keptShape(a, dims, keepdim);
        long cols = 1;
        for (int d : dims) cols *= a.shape[d];
        long rows = a.numel() / Math.max(1, cols);
        if (cols == 0) rows = Shape.numel(outShape);
        if (cols == 0 && op != Kernels.Reduce.SUM) throw new IllegalArgumentException(op.name().toLowerCase() + "(): cannot reduce over a zero-size dimension of shape " + Shape.str(a.shape));
        T src = reducedLast(a, dims, f);
        T out = f.empty(outType, outShape);
        if (cols == 0) Kernels.fill(out.segment(), outType, 0, rows, 0);
        else Kernels.reduceRows(op, src.dtype, src.segment(), src.offset, rows, cols, outType, out.segment(), 0, idx);
        return out;
    }

    /** The sum over {@code dims} (none: all); integers sum exactly in int64. */
    public static <T extends Strided> T sum(Strided a, int[] dims, boolean keepdim, Strided.Factory<T> f) {
        int[] d = normalizeDims(a, dims);
        if (a.dtype.isFloatingPoint() && a.isContiguous() && isLeadingDims(d) && d.length < a.shape.length && a.numel() > 0) {
            // over the leading dims of a contiguous array (a bias gradient): add whole rows, no transposed copy
            long rows = 1;
            for (int k : d) rows *= a.shape[k];
            int cols = (int) (a.numel() / rows);
            T out = f.empty(a.dtype, keptShape(a, d, keepdim));
            Kernels.sumRows(a.dtype, a.segment(), a.offset, rows, cols, out.segment(), 0);
            return out;
        }
        return reduce(Kernels.Reduce.SUM, a, d, keepdim, a.dtype.isFloatingPoint() ? a.dtype : DType.I64, null, f);
    }

    private static boolean isLeadingDims(int[] sortedOrNot) {
        int[] d = sortedOrNot.clone();
        Arrays.sort(d);
        for (int i = 0; i < d.length; i++) if (d[i] != i) return false;
        return d.length > 0;
    }

    /** {@code a} summed down to {@code target}, undoing a broadcast; {@code a} itself if already that shape. */
    @SuppressWarnings("unchecked")
    public static <T extends Strided> T sumTo(T a, int[] target, Strided.Factory<T> f) {
        int[] shape = a.shape;
        if (Arrays.equals(shape, target)) return a;
        int lead = shape.length - target.length;
        if (lead < 0) throw new IllegalArgumentException("sumTo: cannot reduce " + Shape.str(shape) + " to " + Shape.str(target));
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) {
            if (i < lead) dims.add(i);
            else if (target[i - lead] == 1 && shape[i] != 1) dims.add(i);
            else if (target[i - lead] != shape[i]) throw new IllegalArgumentException("sumTo: cannot reduce " + Shape.str(shape) + " to " + Shape.str(target));
        }
        T r = sum(a, dims.stream().mapToInt(Integer::intValue).toArray(), true, f);
        return Layout.reshape(r, target, f);
    }

    /** Softmax (or log-softmax) of a floating array along dimension {@code d}, in {@code Elementwise.scalarResult(a.dtype)}. */
    public static <T extends Strided> T softmax(T a, int d, boolean log, Strided.Factory<T> f) {
        int last = Math.max(0, a.shape.length - 1);
        T moved = a.shape.length == 0 ? Layout.contiguousCopy(a, f) : Layout.contiguousCopy(Layout.transpose(a, d, last, f), f);
        DType t = Elementwise.scalarResult(a.dtype);
        if (moved.dtype != t) moved = Layout.converted(moved, t, f);
        long cols = a.shape.length == 0 ? 1 : a.shape[d];
        long rows = cols == 0 ? 0 : a.numel() / cols;
        T res = f.empty(t, moved.shape);
        Kernels.softmaxRows(log, t, moved.segment(), rows, cols, res.segment());
        return a.shape.length == 0 ? res : Layout.contiguousCopy(Layout.transpose(res, d, last, f), f);
    }

    /**
     * Σ over the rows of contiguous logits [N, C] of {@code logsumexp(row) − row[label]}, labels a contiguous
     * int64 [N] (checked by {@link Scatter#checkClassIndices}): the summed cross-entropy, in one pass per row.
     */
    public static double crossEntropySum(Strided logits, Strided labels) {
        int rows = logits.shape[0], cols = logits.shape[1];
        DType dt = logits.dtype;
        MemorySegment xs = logits.segment(), ts = labels.segment();
        double total = 0;
        for (int r = 0; r < rows; r++) {
            long row = logits.offset + (long) r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) max = Math.max(max, Kernels.get(xs, dt, row + c));
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.exp(Kernels.get(xs, dt, row + c) - max);
            long label = ts.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, labels.offset + r);
            total += max + Math.log(sum) - Kernels.get(xs, dt, row + label);
        }
        return total;
    }

    /** The gradient of {@link #crossEntropySum} times {@code scale}: {@code (softmax(row) − onehot(label))·scale}, the softmax recomputed. */
    public static <T extends Strided> T crossEntropyGrad(Strided logits, Strided labels, double scale, Strided.Factory<T> f) {
        int rows = logits.shape[0], cols = logits.shape[1];
        DType dt = logits.dtype;
        T grad = f.empty(dt, new int[] {rows, cols});
        MemorySegment in = logits.segment(), lab = labels.segment(), out = grad.segment();
        for (int r = 0; r < rows; r++) {
            long row = logits.offset + (long) r * cols, orow = (long) r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) max = Math.max(max, Kernels.get(in, dt, row + c));
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.exp(Kernels.get(in, dt, row + c) - max);
            long label = lab.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, labels.offset + r);
            for (int c = 0; c < cols; c++) {
                double p = Math.exp(Kernels.get(in, dt, row + c) - max) / sum;
                Kernels.set(out, dt, orow + c, (p - (c == label ? 1 : 0)) * scale);
            }
        }
        return grad;
    }
}
