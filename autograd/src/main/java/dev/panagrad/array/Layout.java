package dev.panagrad.array;

import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import java.util.Arrays;

/**
 * Layouts without a graph: copies to contiguous memory and to another dtype, broadcast views and
 * data, reshapes that view when the strides allow (else copy), permutations, selections, and
 * writing one array's values into another's elements.
 */
public final class Layout {
    private Layout() {}

    /** A contiguous copy of {@code a}'s values, converted to {@code to}. */
    public static <T extends Strided> T converted(Strided a, DType to, Strided.Factory<T> f) {
        T out = f.empty(to, a.shape);
        Kernels.gather(a.segment(), a.dtype, a.shape, a.strides, a.offset, out.segment(), to, 0);
        return out;
    }

    /** A contiguous copy of {@code a}'s values. */
    public static <T extends Strided> T contiguousCopy(Strided a, Strided.Factory<T> f) {
        return converted(a, a.dtype, f);
    }

    /** {@code a} itself when contiguous, else a contiguous copy. */
    @SuppressWarnings("unchecked")
    public static <T extends Strided> T contiguous(T a, Strided.Factory<T> f) {
        return a.isContiguous() ? a : contiguousCopy(a, f);
    }

    /** {@code a}'s data broadcast to {@code target}, contiguous (a copy only when needed). */
    public static <T extends Strided> T broadcastData(T a, int[] target, Strided.Factory<T> f) {
        if (Arrays.equals(a.shape, target) && a.isContiguous()) return a;
        return contiguousCopy(expand(a, target, f), f);
    }

    /** {@code a} expanded to {@code target} (stride 0 where a size-1 dimension repeats), with PyTorch's checks. */
    public static <T extends Strided> T expand(Strided a, int[] target, Strided.Factory<T> f) {
        int[] shape = a.shape;
        if (target.length < shape.length) throw new IllegalArgumentException("expand: the number of sizes provided (" + target.length + ") must be greater or equal to the number of dimensions in the tensor (" + shape.length + ")");
        long[] st = new long[target.length];
        int[] sh = new int[target.length];
        int lead = target.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            int want = target[i];
            if (i < lead) {
                if (want < 0) throw new IllegalArgumentException("The expanded size of the tensor (" + want + ") isn't allowed in a leading, non-existing dimension " + i);
                sh[i] = want;
                st[i] = 0;
                continue;
            }
            int have = shape[i - lead];
            if (want == -1) want = have;
            if (want < 0 && have == 1) {
                throw new IllegalArgumentException("expand: the size " + want + " at dimension " + i + " is negative (only -1, keeping the size, is allowed).  Target sizes: "
                        + Shape.str(target) + ".  Tensor sizes: " + Shape.str(shape));
            }
            if (have == want) {
                sh[i] = have;
                st[i] = a.strides[i - lead];
            } else if (have == 1) {
                sh[i] = want;
                st[i] = 0;
            } else {
                throw new IllegalArgumentException("The expanded size of the tensor (" + want + ") must match the existing size (" + have
                        + ") at non-singleton dimension " + i + ".  Target sizes: " + Shape.str(target) + ".  Tensor sizes: " + Shape.str(shape));
            }
        }
        Shape.numel(sh);   // refuses more than 2^63 elements
        return f.view(a, sh, st, a.offset);
    }

    /** Writes {@code src}'s values (broadcast to {@code dst}'s shape) into {@code dst}'s elements. */
    public static <T extends Strided> void assign(T dst, T src, Strided.Factory<T> f) {
        T s = broadcastData(src, dst.shape, f);
        Kernels.scatter(s.segment(), s.dtype, s.offset, dst.segment(), dst.dtype, dst.shape, dst.strides, dst.offset);
    }

    /** The strides that view {@code a} as {@code target} without a copy, or null (PyTorch's computeStride). */
    public static long[] viewStrides(Strided a, int[] target) {
        if (a.isContiguous()) return Shape.contiguousStrides(target);
        int[] shape = a.shape;
        long[] strides = a.strides;
        long[] out = new long[target.length];
        int viewD = target.length - 1;
        long chunkBase = strides.length == 0 ? 1 : strides[strides.length - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || target[viewD] == 1)) {
                    out[viewD] = viewNumel * chunkBase;
                    viewNumel *= target[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0) {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? out : null;
    }

    /** {@code a} as {@code target}: a view when the strides allow, else a contiguous copy. */
    public static <T extends Strided> T reshape(Strided a, int[] target, Strided.Factory<T> f) {
        long[] st = viewStrides(a, target);
        if (st != null) return f.view(a, target.clone(), st, a.offset);
        T c = contiguousCopy(a, f);
        return f.view(c, target.clone(), Shape.contiguousStrides(target), 0);
    }

    /** The view of {@code a} with its dimensions in the order {@code perm}. */
    public static <T extends Strided> T permute(Strided a, int[] perm, Strided.Factory<T> f) {
        int[] s = new int[perm.length];
        long[] st = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            s[i] = a.shape[perm[i]];
            st[i] = a.strides[perm[i]];
        }
        return f.view(a, s, st, a.offset);
    }

    /** The view of {@code a} with dimensions {@code d0} and {@code d1} swapped. */
    public static <T extends Strided> T transpose(Strided a, int d0, int d1, Strided.Factory<T> f) {
        int[] perm = new int[a.shape.length];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        perm[d0] = d1;
        perm[d1] = d0;
        return permute(a, perm, f);
    }

    /** The view of {@code a} at index {@code i} of dimension {@code d} (that dimension dropped). */
    public static <T extends Strided> T select(Strided a, int d, long i, Strided.Factory<T> f) {
        int[] sh = new int[a.shape.length - 1];
        long[] st = new long[a.shape.length - 1];
        for (int k = 0, j = 0; k < a.shape.length; k++) {
            if (k == d) continue;
            sh[j] = a.shape[k];
            st[j++] = a.strides[k];
        }
        return f.view(a, sh, st, a.offset + i * a.strides[d]);
    }
}
