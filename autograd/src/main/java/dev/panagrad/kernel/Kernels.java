package dev.panagrad.kernel;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panagrad.memory.DType;
import java.lang.foreign.MemorySegment;

/**
 * Raw loops over segments: strided copies, element-wise maps, row reductions. Indices and offsets
 * are in elements. Nothing here knows about tensors or graphs.
 */
public final class Kernels {
    private Kernels() {}

    public static double get(MemorySegment s, DType t, long i) {
        return switch (t) {
            case F32 -> s.getAtIndex(JAVA_FLOAT, i);
            case F64 -> s.getAtIndex(JAVA_DOUBLE, i);
            case I64 -> s.getAtIndex(JAVA_LONG, i);
            case BOOL -> s.get(JAVA_BYTE, i) != 0 ? 1 : 0;
        };
    }

    public static void set(MemorySegment s, DType t, long i, double v) {
        switch (t) {
            case F32 -> s.setAtIndex(JAVA_FLOAT, i, (float) v);
            case F64 -> s.setAtIndex(JAVA_DOUBLE, i, v);
            case I64 -> s.setAtIndex(JAVA_LONG, i, (long) v);
            case BOOL -> s.set(JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
        }
    }

    public static long getLong(MemorySegment s, DType t, long i) {
        return t == DType.I64 ? s.getAtIndex(JAVA_LONG, i) : (long) get(s, t, i);
    }

    /** Visits the element offsets of a strided view in row-major order. */
    public interface OffsetVisitor {
        void visit(long linear, long offset);
    }

    /** Calls {@code v} with (row-major position, storage offset) for every element of the view. */
    public static void forEachOffset(int[] shape, long[] strides, long offset, OffsetVisitor v) {
        int rank = shape.length;
        long n = 1;
        for (int d : shape) n *= d;
        if (n == 0) return;
        if (rank == 0) {
            v.visit(0, offset);
            return;
        }
        int[] idx = new int[rank];
        int last = rank - 1;
        long lastStride = strides[last];
        int lastSize = shape[last];
        long base = offset;
        long linear = 0;
        while (true) {
            long o = base;
            for (int j = 0; j < lastSize; j++, o += lastStride) v.visit(linear++, o);
            int d = last - 1;
            while (d >= 0) {
                idx[d]++;
                base += strides[d];
                if (idx[d] < shape[d]) break;
                base -= strides[d] * shape[d];
                idx[d] = 0;
                d--;
            }
            if (d < 0) return;
        }
    }

    /** Copies a strided view into a contiguous destination, converting dtype. */
    public static void gather(MemorySegment src, DType st, int[] shape, long[] strides, long offset,
                              MemorySegment dst, DType dt, long dstOffset) {
        if (st == dt && st == DType.F32) {
            forEachOffset(shape, strides, offset, (i, o) -> dst.setAtIndex(JAVA_FLOAT, dstOffset + i, src.getAtIndex(JAVA_FLOAT, o)));
        } else if (st == dt && st == DType.F64) {
            forEachOffset(shape, strides, offset, (i, o) -> dst.setAtIndex(JAVA_DOUBLE, dstOffset + i, src.getAtIndex(JAVA_DOUBLE, o)));
        } else if (st == dt && st == DType.I64) {
            forEachOffset(shape, strides, offset, (i, o) -> dst.setAtIndex(JAVA_LONG, dstOffset + i, src.getAtIndex(JAVA_LONG, o)));
        } else {
            forEachOffset(shape, strides, offset, (i, o) -> set(dst, dt, dstOffset + i, get(src, st, o)));
        }
    }

    /** Writes a contiguous source into a strided view, converting dtype. */
    public static void scatter(MemorySegment src, DType st, long srcOffset,
                               MemorySegment dst, DType dt, int[] shape, long[] strides, long offset) {
        if (st == dt && st == DType.I64) {
            forEachOffset(shape, strides, offset, (i, o) -> dst.setAtIndex(JAVA_LONG, o, src.getAtIndex(JAVA_LONG, srcOffset + i)));
        } else {
            forEachOffset(shape, strides, offset, (i, o) -> set(dst, dt, o, get(src, st, srcOffset + i)));
        }
    }

    /** out[i] = op(x[i]) over n contiguous elements (same dtype, F32 or F64). */
    public static void map(UnaryOp op, DType t, MemorySegment x, long xo, MemorySegment out, long oo, long n) {
        if (t == DType.F32) {
            for (long i = 0; i < n; i++) out.setAtIndex(JAVA_FLOAT, oo + i, (float) op.apply(x.getAtIndex(JAVA_FLOAT, xo + i)));
        } else {
            for (long i = 0; i < n; i++) set(out, t, oo + i, op.apply(get(x, t, xo + i)));
        }
    }

    /** out[i] = op(a[i], b[i]) over n contiguous elements. */
    public static void zip(BinaryOp op, DType at, MemorySegment a, long ao, DType bt, MemorySegment b, long bo,
                           DType ot, MemorySegment out, long oo, long n) {
        if (at == DType.F32 && bt == DType.F32 && ot == DType.F32) {
            for (long i = 0; i < n; i++) {
                out.setAtIndex(JAVA_FLOAT, oo + i, (float) op.apply(a.getAtIndex(JAVA_FLOAT, ao + i), b.getAtIndex(JAVA_FLOAT, bo + i)));
            }
        } else if (at == DType.F64 && bt == DType.F64 && ot == DType.F64) {
            for (long i = 0; i < n; i++) {
                out.setAtIndex(JAVA_DOUBLE, oo + i, op.apply(a.getAtIndex(JAVA_DOUBLE, ao + i), b.getAtIndex(JAVA_DOUBLE, bo + i)));
            }
        } else {
            for (long i = 0; i < n; i++) set(out, ot, oo + i, op.apply(get(a, at, ao + i), get(b, bt, bo + i)));
        }
    }

    /** out[i] = op(a[i], s) over n contiguous elements. */
    public static void zipScalar(BinaryOp op, DType at, MemorySegment a, long ao, double s, DType ot, MemorySegment out, long oo, long n) {
        if (at == DType.F32 && ot == DType.F32) {
            for (long i = 0; i < n; i++) out.setAtIndex(JAVA_FLOAT, oo + i, (float) op.apply(a.getAtIndex(JAVA_FLOAT, ao + i), s));
        } else {
            for (long i = 0; i < n; i++) set(out, ot, oo + i, op.apply(get(a, at, ao + i), s));
        }
    }

    public static void fill(MemorySegment s, DType t, long o, long n, double v) {
        for (long i = 0; i < n; i++) set(s, t, o + i, v);
    }

    /** Reductions along the last axis of a contiguous rows×cols block. */
    public enum Reduce { SUM, MAX, MIN }

    /** out[r] = reduce(x[r, :]); for MAX/MIN, idx[r] (if not null) gets the first index of the extreme (NaN wins). */
    public static void reduceRows(Reduce op, DType t, MemorySegment x, long xo, long rows, long cols,
                                  DType ot, MemorySegment out, long oo, MemorySegment idx) {
        for (long r = 0; r < rows; r++) {
            long base = xo + r * cols;
            if (op == Reduce.SUM) {
                double acc = 0;
                for (long c = 0; c < cols; c++) acc += get(x, t, base + c);
                set(out, ot, oo + r, acc);
            } else {
                double best = get(x, t, base);
                long at = 0;
                for (long c = 1; c < cols && !Double.isNaN(best); c++) {
                    double v = get(x, t, base + c);
                    if (Double.isNaN(v) || (op == Reduce.MAX ? v > best : v < best)) {
                        best = v;
                        at = c;
                    }
                }
                set(out, ot, oo + r, best);
                if (idx != null) idx.setAtIndex(JAVA_LONG, r, at);
            }
        }
    }

    /** Row-wise softmax (or log-softmax) of a contiguous rows×cols block, max-shifted. */
    public static void softmaxRows(boolean log, DType t, MemorySegment x, long rows, long cols, MemorySegment out) {
        for (long r = 0; r < rows; r++) {
            long base = r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (long c = 0; c < cols; c++) max = Math.max(max, get(x, t, base + c));
            double sum = 0;
            for (long c = 0; c < cols; c++) sum += Math.exp(get(x, t, base + c) - max);
            if (log) {
                double lse = Math.log(sum);
                for (long c = 0; c < cols; c++) set(out, t, base + c, get(x, t, base + c) - max - lse);
            } else {
                for (long c = 0; c < cols; c++) set(out, t, base + c, Math.exp(get(x, t, base + c) - max) / sum);
            }
        }
    }
}
