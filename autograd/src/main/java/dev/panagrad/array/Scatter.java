package dev.panagrad.array;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import java.lang.foreign.MemorySegment;

/**
 * Indexed reads and writes without a graph: gather along a dimension, its adjoint scatter-add,
 * rows picked by an index vector. Indices are int64 and checked against the sizes before use.
 */
public final class Scatter {
    private Scatter() {}

    /** out[...] = x[... index[...] at dim d ...], out shaped like {@code index} (same rank as x). */
    public static <T extends Strided> T gather(Strided x, int d, T index, Strided.Factory<T> f) {
        T idx = Layout.contiguousCopy(index, f);
        T out = f.empty(x.dtype, idx.shape);
        MemorySegment is = idx.segment(), xs = x.segment(), os = out.segment();
        int[] ishape = idx.shape, shape = x.shape;
        int[] pos = new int[ishape.length];
        for (long lin = 0, n = idx.numel(); lin < n; lin++) {
            long rem = lin;
            for (int k = ishape.length - 1; k >= 0; k--) {
                pos[k] = (int) (rem % ishape[k]);
                rem /= ishape[k];
            }
            long target = is.getAtIndex(JAVA_LONG, lin);
            if (target < 0 || target >= shape[d]) throw new IndexOutOfBoundsException("gather(): index " + target + " is out of bounds for dimension " + d + " with size " + shape[d]);
            long o = x.offset;
            for (int k = 0; k < ishape.length; k++) {
                if (k != d && pos[k] >= shape[k]) throw new IndexOutOfBoundsException("gather(): index shape " + Shape.str(ishape) + " exceeds input shape " + Shape.str(shape) + " at dimension " + k);
                o += (k == d ? target : pos[k]) * x.strides[k];
            }
            Kernels.set(os, x.dtype, lin, Kernels.get(xs, x.dtype, o));
        }
        return out;
    }

    /** Adds {@code src} (broadcast to index's shape) into {@code target} at positions index[...] along dim: gather's adjoint. */
    public static <T extends Strided> void scatterAdd(T target, int dim, T index, T src, Strided.Factory<T> f) {
        T idx = Layout.contiguousCopy(index, f), s = Layout.broadcastData(src, index.shape, f);
        MemorySegment is = idx.segment(), ss = s.segment(), os = target.segment();
        int[] ishape = idx.shape;
        long n = idx.numel();
        int[] pos = new int[ishape.length];
        for (long lin = 0; lin < n; lin++) {
            long rem = lin;
            for (int k = ishape.length - 1; k >= 0; k--) {
                pos[k] = (int) (rem % ishape[k]);
                rem /= ishape[k];
            }
            long at = is.getAtIndex(JAVA_LONG, lin);
            if (at < 0 || at >= target.shape[dim]) throw new IndexOutOfBoundsException("index " + at + " is out of bounds for dimension " + dim + " with size " + target.shape[dim]);
            long o = target.offset;
            for (int k = 0; k < ishape.length; k++) o += (k == dim ? at : pos[k]) * target.strides[k];
            Kernels.set(os, target.dtype, o, Kernels.get(os, target.dtype, o) + Kernels.get(ss, s.dtype, s.offset + lin));
        }
    }

    /**
     * {@code target[..., ix[i], ...] += src[..., i, ...]} along dim d for each entry of the contiguous 1-D
     * int64 {@code ix} (checked against target's size): index_select's adjoint; repeated indices add up.
     */
    public static <T extends Strided> void indexAdd(T target, int d, Strided ix, T src, Strided.Factory<T> f) {
        MemorySegment is = ix.segment();
        int count = (int) ix.numel();
        for (int i = 0; i < count; i++) {
            long id = is.getAtIndex(JAVA_LONG, ix.offset + i);
            if (id < 0 || id >= target.shape[d]) throw new IndexOutOfBoundsException("index_add(): index " + id + " is out of bounds for dimension " + d + " with size " + target.shape[d]);
        }
        for (int i = 0; i < count; i++) {
            T row = Layout.select(target, d, is.getAtIndex(JAVA_LONG, ix.offset + i), f);
            Layout.assign(row, Elementwise.zip(dev.panagrad.kernel.BinaryOp.ADD, row, Layout.select(src, d, i, f), f), f);
        }
    }

    /** The entries of x along dim d picked by the contiguous 1-D int64 {@code ix} (checked), in that order. */
    public static <T extends Strided> T indexSelect(T x, int d, Strided ix, Strided.Factory<T> f) {
        MemorySegment is = ix.segment();
        int count = (int) ix.numel();
        for (int i = 0; i < count; i++) {
            long id = is.getAtIndex(JAVA_LONG, ix.offset + i);
            if (id < 0 || id >= x.shape[d]) throw new IndexOutOfBoundsException("index_select(): index " + id + " is out of bounds for dimension " + d + " with size " + x.shape[d]);
        }
        int[] outShape = x.shape.clone();
        outShape[d] = count;
        T out = f.empty(x.dtype, outShape);
        if (d == 0 && x.isContiguous()) {   // rows of a contiguous matrix (a batch from a dataset): one bulk copy per row
            long rowBytes = (x.numel() / Math.max(1, x.shape[0])) * x.dtype.byteSize();
            MemorySegment src = x.segment(), dst = out.segment();
            long base = x.offset * x.dtype.byteSize();
            for (int i = 0; i < count; i++) MemorySegment.copy(src, base + is.getAtIndex(JAVA_LONG, ix.offset + i) * rowBytes, dst, i * rowBytes, rowBytes);
        } else {
            for (int i = 0; i < count; i++) Layout.assign(Layout.select(out, d, i, f), Layout.select(x, d, is.getAtIndex(JAVA_LONG, ix.offset + i), f), f);
        }
        return out;
    }

    /** Checks that an index array is int64, naming the op as PyTorch does. */
    public static void checkIndex(Strided index, String op) {
        if (index.dtype != DType.I64) throw new IllegalArgumentException(op + "(): Expected dtype int64 for index, got " + index.dtype.pytorchName());
    }

    /**
     * Class-index targets for an input [N, C]: int64, shape [N], every value in [0, C), read in place (no
     * heap copy of the labels); {@code op} names the caller in the refusal.
     */
    public static void checkClassIndices(String op, Strided input, Strided target) {
        if (target.dtype != DType.I64) throw new IllegalArgumentException(op + ": expected target of dtype int64 (class indices), got " + target.dtype.pytorchName());
        if (target.shape.length != 1 || target.shape[0] != input.shape[0]) {
            throw new IllegalArgumentException(op + ": expected target of shape [" + input.shape[0] + "], got " + Shape.str(target.shape));
        }
        int classes = input.shape[1];
        MemorySegment ts = target.segment();
        for (int i = 0; i < target.shape[0]; i++) {
            long t = ts.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, target.offset + i * target.strides[0]);
            if (t < 0 || t >= classes) throw new IndexOutOfBoundsException(op + ": target " + t + " is out of bounds for " + classes + " classes");
        }
    }
}
