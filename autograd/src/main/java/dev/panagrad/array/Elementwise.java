package dev.panagrad.array;

import dev.panagrad.kernel.BinaryOp;
import dev.panagrad.kernel.Kernels;
import dev.panagrad.kernel.UnaryOp;
import dev.panagrad.memory.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Element-wise arithmetic without a graph: two arrays zipped with broadcasting, an array and a
 * number, a function mapped over an array; result dtypes by PyTorch's promotion rules.
 */
public final class Elementwise {
    private Elementwise() {}

    /** PyTorch's promotion of two dtypes of the same category rank: floating beats integral, wider beats narrower. */
    public static DType promoteTypes(DType a, DType b) {
        if (a == b) return a;
        if (a.isFloatingPoint() != b.isFloatingPoint()) return a.isFloatingPoint() ? a : b;
        return a.isFloatingPoint() ? DType.F64 : DType.I64;
    }

    /** The result dtype of an operation on a and b; a 0-dim floating operand does not widen a dimensioned one. */
    public static DType promote(Strided a, Strided b) {
        if (a.dtype == b.dtype) return a.dtype;
        boolean af = a.dtype.isFloatingPoint(), bf = b.dtype.isFloatingPoint();
        if (af != bf) return af ? a.dtype : b.dtype;
        if (af) {
            if (a.shape.length == 0 && b.shape.length > 0) return b.dtype;
            if (b.shape.length == 0 && a.shape.length > 0) return a.dtype;
            return DType.F64;
        }
        return DType.I64;
    }

    /** The floating dtype a function of {@code t} gives: t itself if floating, else the default float32. */
    public static DType scalarResult(DType t) {
        return t.isFloatingPoint() ? t : DType.F32;
    }

    /**
     * The dtype of {@code a op s} for a number s, by PyTorch's promotion: a floating array keeps its
     * dtype; an int64 or bool array gives int64 for a whole s (a whole Java double stands for a
     * Python int) and float32 for a fractional one or for a true division.
     */
    public static DType scalarOpResult(DType a, BinaryOp op, double s) {
        if (op.isComparison()) return DType.BOOL;
        if (a.isFloatingPoint()) return a;
        return op != BinaryOp.DIV && s == Math.rint(s) && !Double.isInfinite(s) ? DType.I64 : DType.F32;
    }

    /** {@code a op b}, broadcast; comparisons give bool, integer division divides into float32. */
    public static <T extends Strided> T zip(BinaryOp op, T a, T b, Strided.Factory<T> f) {
        int[] shape = Shape.broadcast(op.name().toLowerCase(), a.shape, b.shape);
        DType common = promote(a, b);
        DType outType = op.isComparison() ? DType.BOOL : op == BinaryOp.DIV && !common.isFloatingPoint() ? DType.F32 : common;
        T out = f.empty(outType, shape);
        long n = out.numel();
        if (b.numel() == 1 && Arrays.equals(shape, a.shape) && a.isContiguous() && b.dtype != DType.I64) {   // (a double would round an int64)
            Kernels.zipScalar(op, a.dtype, a.segment(), a.offset, b.valueAt(b.offset), outType, out.segment(), 0, n);
            return out;
        }
        if (n > 0 && zipBroadcastRows(op, a, b, shape, out)) return out;
        T ac = Layout.broadcastData(a, shape, f), bc = Layout.broadcastData(b, shape, f);
        Kernels.zip(op, ac.dtype, ac.segment(), ac.offset, bc.dtype, bc.segment(), bc.offset, outType, out.segment(), 0, n);
        return out;
    }

    /**
     * The broadcasts a layer makes, without materialising the smaller operand: a full contiguous
     * operand against a contiguous trailing block (a bias [C] over [N, C]) or against one value per
     * row (a [N, 1] column). False if the operands are not shaped so.
     */
    private static boolean zipBroadcastRows(BinaryOp op, Strided a, Strided b, int[] shape, Strided out) {
        boolean aFull = Arrays.equals(a.shape, shape) && a.isContiguous();
        boolean bFull = Arrays.equals(b.shape, shape) && b.isContiguous();
        if (aFull == bFull) return false;
        Strided part = aFull ? b : a;
        if (!part.isContiguous()) return false;
        long n = out.numel();
        int[] ps = Shape.stripLeadingOnes(part.shape);
        if (part.numel() >= 8 && ps.length <= shape.length && Arrays.equals(ps, Arrays.copyOfRange(shape, shape.length - ps.length, shape.length))) {
            long k = part.numel();   // a trailing block, repeated over the leading dims
            for (long r = 0; r < n; r += k) {
                if (aFull) Kernels.zip(op, a.dtype, a.segment(), a.offset + r, b.dtype, b.segment(), b.offset, out.dtype, out.segment(), r, k);
                else Kernels.zip(op, a.dtype, a.segment(), a.offset, b.dtype, b.segment(), b.offset + r, out.dtype, out.segment(), r, k);
            }
            return true;
        }
        int last = shape.length - 1;
        if (aFull && b.dtype != DType.I64 && ps.length >= 1 && ps[ps.length - 1] == 1 && last >= 1
                && Arrays.equals(ps, withLastOne(Arrays.copyOfRange(shape, shape.length - ps.length, shape.length)))
                && part.numel() * shape[last] == n && shape[last] >= 8) {
            long k = shape[last];   // one value of b per row of a
            MemorySegment bs = b.segment();
            for (long r = 0, i = 0; r < n; r += k, i++) {
                Kernels.zipScalar(op, a.dtype, a.segment(), a.offset + r, Kernels.get(bs, b.dtype, b.offset + i), out.dtype, out.segment(), r, k);
            }
            return true;
        }
        return false;
    }

    private static int[] withLastOne(int[] s) {
        int[] c = s.clone();
        c[c.length - 1] = 1;
        return c;
    }

    /** {@code a op s} for a number s. */
    public static <T extends Strided> T zipScalar(BinaryOp op, T a, double s, Strided.Factory<T> f) {
        DType outType = scalarOpResult(a.dtype, op, s);
        T c = Layout.contiguous(a, f);
        T out = f.empty(outType, a.shape);
        Kernels.zipScalar(op, c.dtype, c.segment(), c.offset, s, outType, out.segment(), 0, a.numel());
        return out;
    }

    /** {@code op} applied to every element; integers go to float32 unless the function keeps int64. */
    public static <T extends Strided> T map(UnaryOp op, T a, Strided.Factory<T> f) {
        DType t = a.dtype == DType.I64 && op.keepsInt64() ? DType.I64 : scalarResult(a.dtype);
        T c = a.isContiguous() && t == a.dtype ? a : Layout.converted(a, t, f);
        T out = f.empty(t, a.shape);
        Kernels.map(op, t, c.segment(), c.offset, out.segment(), 0, a.numel());
        return out;
    }
}
