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

    /** PyTorch's promotion of two dtypes of the same category rank: floating beats integral, wider beats narrower (bfloat16 < float32 < float64). */
    public static DType promoteTypes(DType a, DType b) {
        if (a == b) return a;
        if (a.isFloatingPoint() != b.isFloatingPoint()) return a.isFloatingPoint() ? a : b;
        return a.isFloatingPoint() ? wider(a, b) : DType.I64;
    }

    private static DType wider(DType a, DType b) { return a.byteSize() >= b.byteSize() ? a : b; }

    /** The result dtype of an operation on a and b; a 0-dim floating operand does not widen a dimensioned one. */
    public static DType promote(Strided a, Strided b) {
        if (a.dtype == b.dtype) return a.dtype;
        boolean af = a.dtype.isFloatingPoint(), bf = b.dtype.isFloatingPoint();
        if (af != bf) return af ? a.dtype : b.dtype;
        if (af) {
            if (a.shape.length == 0 && b.shape.length > 0) return b.dtype;
            if (b.shape.length == 0 && a.shape.length > 0) return a.dtype;
            return wider(a.dtype, b.dtype);
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

    /** {@code torch.where(cond, a, b)}'s values: a where cond (bool), else b, broadcast to {@code shape}, in {@code outType}. */
    public static <T extends Strided> T where(T cond, T a, T b, int[] shape, DType outType, Strided.Factory<T> f) {
        T c = Layout.broadcastData(cond, shape, f), ac = Layout.broadcastData(a, shape, f), bc = Layout.broadcastData(b, shape, f);
        T out = f.empty(outType, shape);
        MemorySegment cs = c.segment(), as = ac.segment(), bs = bc.segment(), os = out.segment();
        for (long i = 0, n = out.numel(); i < n; i++) {
            boolean pick = Kernels.get(cs, c.dtype, c.offset + i) != 0;
            if (outType == DType.I64) {   // exact: a double rounds int64 above 2^53
                os.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, i, pick ? Kernels.getLong(as, ac.dtype, ac.offset + i) : Kernels.getLong(bs, bc.dtype, bc.offset + i));
            } else {
                Kernels.set(os, outType, i, pick ? Kernels.get(as, ac.dtype, ac.offset + i) : Kernels.get(bs, bc.dtype, bc.offset + i));
            }
        }
        return out;
    }

    /** A contiguous copy of {@code x} with {@code value} where the bool {@code mask} (broadcast to x's shape) is true. */
    public static <T extends Strided> T maskedFill(T x, T mask, double value, Strided.Factory<T> f) {
        T out = Layout.contiguousCopy(x, f);
        T m = Layout.broadcastData(mask, x.shape, f);
        MemorySegment ms = m.segment(), os = out.segment();
        for (long i = 0, n = out.numel(); i < n; i++) if (ms.get(java.lang.foreign.ValueLayout.JAVA_BYTE, m.offset + i) != 0) Kernels.set(os, out.dtype, i, value);
        return out;
    }

    /**
     * relu's backward in one pass: {@code g} where the relu output {@code y} is positive (or NaN), else 0,
     * written into {@code g} itself when {@code intoG}; null when the layouts do not allow it (dtypes or
     * shapes differ, or either is not contiguous), for the caller to compose it instead.
     */
    public static <T extends Strided> T reluBackward(T g, Strided y, boolean intoG, Strided.Factory<T> f) {
        if (g.dtype != y.dtype || !Arrays.equals(g.shape, y.shape) || !g.isContiguous() || !y.isContiguous()) return null;
        T out = intoG ? g : f.empty(g.dtype, g.shape);
        long outOffset = intoG ? g.offset : 0;
        Kernels.reluBackward(g.dtype, g.segment(), g.offset, y.segment(), y.offset, out.segment(), outOffset, g.numel());
        return out;
    }

    /** {@code op} applied to every element of a contiguous array, in place. */
    public static void mapInPlace(UnaryOp op, Strided a) {
        if (!a.isContiguous()) throw new IllegalArgumentException("mapInPlace: needs a contiguous array, got shape " + Shape.str(a.shape) + " strides " + Arrays.toString(a.strides));
        Kernels.map(op, a.dtype, a.segment(), a.offset, a.segment(), a.offset, a.numel());
    }

    /** {@code a op= b} for a contiguous {@code a} and a contiguous {@code b} of a's shape and dtype, in one pass. */
    public static void zipInPlace(BinaryOp op, Strided a, Strided b) {
        Kernels.zip(op, a.dtype, a.segment(), a.offset, b.dtype, b.segment(), b.offset, a.dtype, a.segment(), a.offset, a.numel());
    }

    /** {@code a op= s} for a contiguous {@code a}. */
    public static void zipScalarInPlace(BinaryOp op, Strided a, double s) {
        Kernels.zipScalar(op, a.dtype, a.segment(), a.offset, s, a.dtype, a.segment(), a.offset, a.numel());
    }

    /** {@code a += alpha·b} for contiguous arrays of one shape and dtype. */
    public static void addScaledInPlace(Strided a, Strided b, double alpha) {
        Kernels.addScaled(a.dtype, a.segment(), a.offset, b.segment(), b.offset, alpha, a.numel());
    }

    /** Every element of a contiguous {@code a} set to {@code value} (zero bytes for +0). */
    public static void fillInPlace(Strided a, double value) {
        if (value == 0 && !(1 / value < 0)) {
            a.segment().asSlice(a.offset * a.dtype.byteSize(), a.numel() * a.dtype.byteSize()).fill((byte) 0);
        } else {
            Kernels.fill(a.segment(), a.dtype, a.offset, a.numel(), value);
        }
    }

    /** The bytes of a contiguous {@code src} into a contiguous {@code dst} of the same dtype and element count. */
    public static void copyInPlace(Strided dst, Strided src) {
        long bytes = dst.numel() * dst.dtype.byteSize();
        MemorySegment.copy(src.segment(), src.offset * src.dtype.byteSize(), dst.segment(), dst.offset * dst.dtype.byteSize(), bytes);
    }

    /**
     * SGD with momentum in one pass over contiguous float32 arrays of one shape: {@code buf = μ·buf + d;
     * p −= lr·buf}, rounded as {@code buf.mul_(μ).add_(d); p.add_(buf, alpha=-lr)} round.
     */
    public static void sgdMomentumInPlace(Strided p, Strided buf, Strided d, double momentum, double lr) {
        Kernels.sgdMomentum(p.segment(), p.offset, buf.segment(), buf.offset, d.segment(), d.offset, momentum, lr, p.numel());
    }
}
