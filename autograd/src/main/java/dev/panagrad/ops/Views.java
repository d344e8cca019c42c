package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.none;

import dev.panagrad.array.Layout;
import dev.panagrad.array.Shape;
import dev.panagrad.memory.DType;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;

/**
 * Views (new shapes and strides over the same storage, sharing its version counter: view, reshape,
 * permute, transpose, squeeze, unsqueeze, expand, slice, select, Python-style index strings) and the
 * copies and conversions (contiguous, clone, to). A view's gradient is the gradient put back in the
 * input's shape; what PyTorch does when a view is then written in place is {@link Operand}'s part.
 */
public final class Views {
    private Views() {}

    /** Another layout over x's memory, made a view of x for autograd. */
    private static <T extends Operand<T>> T viewOf(T x, int[] shape, long[] strides, long offset) {
        return x.asView(x.factory().view(x, shape, strides, offset));
    }

    /** A view with a new shape (one -1 inferred); fails if the layout cannot be viewed so. */
    @Op("ViewBackward0")
    public static <T extends Operand<T>> T view(T x, int... shape) {
        int[] target = inferShape(x, shape, "view"), in = x.shapeView();
        long[] st = Layout.viewStrides(x, target);
        if (st == null) {
            throw new IllegalStateException("view size is not compatible with input tensor's size and stride (at least one dimension spans across"
                    + " two contiguous subspaces). Use .reshape(...) instead. (shape " + Shape.str(in) + ", strides " + Arrays.toString(x.stridesView())
                    + ", view " + Shape.str(target) + ")");
        }
        return apply("ViewBackward0", viewOf(x, target, st, x.storageOffset()), in(x), none(), (n, g) -> grads(reshape(g, in)));
    }

    /** {@link #view} when the layout allows, else a copy (UnsafeViewBackward0). */
    @Op("UnsafeViewBackward0")
    public static <T extends Operand<T>> T reshape(T x, int... shape) {
        int[] target = inferShape(x, shape, "reshape"), in = x.shapeView();
        if (Layout.viewStrides(x, target) != null) return view(x, target);
        return apply("UnsafeViewBackward0", Ops.reshapeRaw(Ops.copyRaw(x), target), in(x), none(), (n, g) -> grads(reshape(g, in)));
    }

    /** The shape with its one -1 worked out; PyTorch's refusals for a shape the elements do not fill. */
    private static int[] inferShape(Operand<?> x, int[] wanted, String op) {
        int[] s = wanted.clone();
        long numel = x.numel();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("only one dimension can be inferred in shape " + Shape.str(wanted));
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("invalid shape dimension " + s[i] + " in " + Shape.str(wanted));
            } else {
                known = Math.multiplyHigh(known, s[i]) == 0 && known * s[i] >= 0 ? known * s[i] : -1;   // -1: past 2^63, matches no tensor
            }
        }
        if (infer >= 0) {
            if (known == 0 && numel == 0) {
                throw new IllegalArgumentException("cannot reshape tensor of 0 elements into shape " + Shape.str(wanted) + " because the unspecified dimension size -1 can be any value and is ambiguous");
            }
            if (known <= 0 || numel % known != 0) throw new IllegalArgumentException("shape '" + Shape.str(wanted) + "' is invalid for input of size " + numel);
            long inferred = numel / known;
            if (inferred > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": shape " + Shape.str(wanted) + " would need a dimension of " + inferred + " elements (at most "
                        + Integer.MAX_VALUE + ") for input of shape " + Shape.str(x.shapeView()));
            }
            s[infer] = (int) inferred;
        }
        if (Shape.numel(s) != numel) throw new IllegalArgumentException("shape '" + Shape.str(wanted) + "' is invalid for input of size " + numel);
        return s;
    }

    @Op("PermuteBackward0")
    public static <T extends Operand<T>> T permute(T x, int... dims) {
        int rank = x.dim();
        if (dims.length != rank) throw new IllegalArgumentException("permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = " + rank + " is not equal to len(dims) = " + dims.length);
        int[] perm = new int[rank], inverse = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            perm[i] = Shape.dim(dims[i], rank);
            if (seen[perm[i]]) throw new IllegalArgumentException("permute(): duplicate dims are not allowed: " + Arrays.toString(dims));
            seen[perm[i]] = true;
            inverse[perm[i]] = i;
        }
        return apply("PermuteBackward0", x.asView(Layout.permute(x, perm, x.factory())), in(x), none(), (n, g) -> grads(permute(g, inverse)));
    }

    @Op("TransposeBackward0")
    public static <T extends Operand<T>> T transpose(T x, int dim0, int dim1) {
        int a = Shape.dim(dim0, x.dim()), b = Shape.dim(dim1, x.dim());
        T out = x.dim() == 0 ? viewOf(x, x.shapeView(), x.stridesView(), x.storageOffset()) : x.asView(Layout.transpose(x, a, b, x.factory()));
        return apply("TransposeBackward0", out, in(x), none(), (n, g) -> grads(transpose(g, a, b)));
    }

    /** The transpose of a matrix (a vector or scalar as it is): {@code x.t()}. */
    @Op("TBackward0")
    public static <T extends Operand<T>> T t(T x) {
        if (x.dim() > 2) throw new IllegalArgumentException("t() expects a tensor with <= 2 dimensions, but self is " + x.dim() + "D");
        T out = x.dim() < 2 ? viewOf(x, x.shapeView(), x.stridesView(), x.storageOffset()) : x.asView(Layout.transpose(x, 0, 1, x.factory()));
        return apply("TBackward0", out, in(x), none(), (n, g) -> grads(t(g)));
    }

    /** Removes every size-1 dimension. */
    @Op("SqueezeBackward0")
    public static <T extends Operand<T>> T squeeze(T x) {
        int[] in = x.shapeView();
        long[] strides = x.stridesView();
        int[] keep = java.util.stream.IntStream.range(0, in.length).filter(i -> in[i] != 1).toArray();
        int[] s = Arrays.stream(keep).map(i -> in[i]).toArray();
        long[] st = Arrays.stream(keep).mapToLong(i -> strides[i]).toArray();
        return apply("SqueezeBackward0", viewOf(x, s, st, x.storageOffset()), in(x), none(), (n, g) -> grads(reshape(g, in)));
    }

    /** Removes dimension {@code dim} if its size is 1. */
    @Op("SqueezeBackward1")
    public static <T extends Operand<T>> T squeeze(T x, int dim) {
        int[] in = x.shapeView();
        long[] strides = x.stridesView();
        int d = Shape.dim(dim, in.length);
        int[] s = in;
        long[] st = strides;
        if (in.length > 0 && in[d] == 1) {
            s = new int[in.length - 1];
            st = new long[in.length - 1];
            for (int i = 0, k = 0; i < in.length; i++) {
                if (i == d) continue;
                s[k] = in[i];
                st[k++] = strides[i];
            }
        }
        return apply("SqueezeBackward1", viewOf(x, s, st, x.storageOffset()), in(x), none(), (n, g) -> grads(reshape(g, in)));
    }

    /** Inserts a size-1 dimension at {@code dim}. */
    @Op("UnsqueezeBackward0")
    public static <T extends Operand<T>> T unsqueeze(T x, int dim) {
        int[] in = x.shapeView();
        long[] strides = x.stridesView();
        int d = Shape.dim(dim, in.length + 1);
        int[] s = new int[in.length + 1];
        long[] st = new long[in.length + 1];
        for (int i = 0, k = 0; i < s.length; i++) {
            if (i == d) {
                s[i] = 1;
                st[i] = k < in.length ? strides[k] * in[k] : 1;
            } else {
                s[i] = in[k];
                st[i] = strides[k++];
            }
        }
        return apply("UnsqueezeBackward0", viewOf(x, s, st, x.storageOffset()), in(x), none(), (n, g) -> grads(squeeze(g, d)));
    }

    /** A broadcast view ({@code -1} keeps a size); the engine sums its gradient back to the input's shape. */
    @Op("ExpandBackward0")
    public static <T extends Operand<T>> T expand(T x, int... sizes) {
        return apply("ExpandBackward0", x.asView(Ops.expandRaw(x, sizes)), in(x), none(), (n, g) -> grads(g));
    }

    /** {@code x[start:end:step]} along {@code dim}, Python's rules for negative and out-of-range bounds. */
    @Op("SliceBackward0")
    public static <T extends Operand<T>> T slice(T x, int dim, long start, long end, long step) {
        int[] in = x.shapeView();
        long[] strides = x.stridesView();
        if (in.length == 0) throw new IndexOutOfBoundsException("slice() cannot be applied to a 0-dim tensor.");
        int d = Shape.dim(dim, in.length);
        if (step <= 0) throw new IllegalArgumentException("slice step must be positive, got " + step);
        int size = in[d];
        long s = start < 0 ? Math.max(0, start + size) : Math.min(start, size);
        long e = end < 0 ? Math.max(0, end + size) : Math.min(end, size);
        int len = (int) (e > s ? (e - s - 1) / step + 1 : 0);   // (e - s + step - 1) / step would overflow for a huge step
        int[] sh = in.clone();
        long[] st = strides.clone();
        sh[d] = len;
        st[d] = strides[d] * step;
        T out = viewOf(x, sh, st, x.storageOffset() + s * strides[d]);
        return apply("SliceBackward0", out, in(x), none(), (n, g) -> grads(placed(g, in, z -> slice(z, d, s, e, step))));
    }

    /** {@code x[i]} along {@code dim}: the dimension goes away. */
    @Op("SelectBackward0")
    public static <T extends Operand<T>> T select(T x, int dim, long index) {
        int[] in = x.shapeView();
        if (in.length == 0) throw new IndexOutOfBoundsException("select() cannot be applied to a 0-dim tensor.");
        int d = Shape.dim(dim, in.length);
        long i = index < 0 ? index + in[d] : index;
        if (i < 0 || i >= in[d]) throw new IndexOutOfBoundsException("select(): index " + index + " out of range for tensor of size " + Shape.str(in) + " at dimension " + d);
        return apply("SelectBackward0", x.asView(Layout.select(x, d, i, x.factory())), in(x), none(), (n, g) -> grads(placed(g, in, z -> select(z, d, i))));
    }

    /**
     * A view's gradient: zeros of the input's shape with {@code g} written where {@code place} views them;
     * under create_graph a recorded {@code copy_} into that view (so it can be differentiated again).
     */
    private static <T extends Operand<T>> T placed(T g, int[] in, java.util.function.UnaryOperator<T> place) {
        T z = Ops.zeros(g, g.dtype(), in);
        if (dev.panagrad.graph.GradMode.isEnabled() && g.requiresGrad()) InPlace.copy(place.apply(z), g);
        else Ops.assign(place.apply(z), g);
        return z;
    }

    /**
     * Python-style indexing: {@code "1:3"}, {@code ":, ::2"}, {@code "1"}, {@code "-1, 2:"}. Integers select
     * (the dimension goes), slices keep it.
     */
    public static <T extends Operand<T>> T index(T x, String spec) {
        String[] parts = spec.split(",", -1);
        if (x.dim() == 0 && parts.length == 1 && !spec.contains(":")) {
            parseIndex(spec.strip(), spec.strip(), spec);
            throw new IndexOutOfBoundsException("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
        }
        if (parts.length > Math.max(1, x.dim())) throw new IndexOutOfBoundsException("too many indices for tensor of dimension " + x.dim());
        T t = x;
        int dim = 0;
        for (String raw : parts) {
            String p = raw.strip();
            if (p.contains(":")) {
                String[] f = p.split(":", -1);
                if (f.length > 3) throw new IllegalArgumentException("index: '" + p + "' is not an integer or a slice (start:stop:step), in '" + spec + "'");
                long step = f.length == 3 && !f[2].isBlank() ? parseIndex(f[2].strip(), p, spec) : 1;
                long start = f[0].isBlank() ? 0 : parseIndex(f[0].strip(), p, spec);
                long end = f[1].isBlank() ? Long.MAX_VALUE : parseIndex(f[1].strip(), p, spec);
                t = slice(t, dim++, start, end, step);
            } else {
                t = select(t, dim, parseIndex(p, p, spec));
            }
        }
        return t;
    }

    /** One integer of an {@link #index} spec; {@code part} and {@code spec} name it in the refusal. */
    private static long parseIndex(String number, String part, String spec) {
        try {
            return Long.parseLong(number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("index: '" + part + "' is not an integer or a slice (start:stop:step), in '" + spec + "'");
        }
    }

    // ---------------------------------------------------------------- copies and conversions

    /** x if contiguous, else a contiguous copy (CloneBackward0 when it requires grad). */
    @Op("CloneBackward0")
    public static <T extends Operand<T>> T contiguous(T x) {
        return x.isContiguous() ? x : clone(x);
    }

    /** A copy with its own storage, in the graph. */
    @Op("CloneBackward0")
    public static <T extends Operand<T>> T clone(T x) {
        return apply("CloneBackward0", Ops.copyRaw(x), in(x), none(), (n, g) -> grads(g));
    }

    /** x in another dtype (x itself if already that dtype); only a floating result is differentiable. */
    @Op("ToCopyBackward0")
    public static <T extends Operand<T>> T to(T x, DType target) {
        DType from = x.dtype();
        if (target == from) return x;
        T out = Layout.converted(x, target, x.factory());
        if (!target.isFloatingPoint()) return out;
        return apply("ToCopyBackward0", out, in(x), none(), (n, g) -> grads(from.isFloatingPoint() ? to(g, from) : null));
    }
}
