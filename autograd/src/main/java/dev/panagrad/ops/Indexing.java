package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.none;
import static dev.panagrad.ops.Ops.save;

import dev.panagrad.array.Elementwise;
import dev.panagrad.array.Layout;
import dev.panagrad.array.Scatter;
import dev.panagrad.array.Shape;
import dev.panagrad.graph.GradMode;
import dev.panagrad.memory.DType;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;

/** Ops that pick or join elements by position: gather, index_select, cat, stack. */
public final class Indexing {
    private Indexing() {}

    /** {@code torch.gather(x, dim, index)}: out[i][j] = x[i][index[i][j]] for dim 1; the gradient scatter-adds back. */
    @Op("GatherBackward0")
    public static <T extends Operand<T>> T gather(T x, int dim, T index) {
        Scatter.checkIndex(index, "gather");
        int[] in = x.shapeView();
        int d = Shape.dim(dim, in.length);
        if (in.length == 0 && index.dim() <= 1) {   // a 0-dim input gathers as one element of size 1 (PyTorch)
            T out = gather(Views.reshape(x, 1), 0, Views.reshape(index, -1));
            return index.dim() == 0 ? Views.reshape(out) : out;
        }
        if (index.dim() != in.length) {
            throw new IllegalArgumentException("gather(): Index tensor must have the same number of dimensions as input tensor (" + Shape.str(index.shapeView()) + " vs " + Shape.str(in) + ")");
        }
        return apply("GatherBackward0", Scatter.gather(x, d, index, x.factory()), Ops.in(x), save(index),
                (n, g) -> grads(scatterAddIntoZeros(in, d, n.saved(0), g)));
    }

    /** Slices along {@code dim} picked by a 1-D int64 index: {@code torch.index_select}; repeated rows add up their gradients. */
    @Op("IndexSelectBackward0")
    public static <T extends Operand<T>> T indexSelect(T x, int dim, T index) {
        Scatter.checkIndex(index, "index_select");
        if (index.dim() > 1) throw new IllegalArgumentException("index_select(): Index is supposed to be a vector, got shape " + Shape.str(index.shapeView()));
        int[] in = x.shapeView();
        int d = Shape.dim(dim, in.length);
        if (in.length == 0) {   // PyTorch: a 0-dim result, every index must be 0
            for (long id : index.toLongArray()) if (id != 0) throw new IndexOutOfBoundsException("index out of range in self");
            return Views.reshape(indexSelect(Views.reshape(x, 1), 0, Views.slice(Views.reshape(index, -1), 0, 0, 1, 1)));
        }
        T ix = index.isContiguous() ? index : Views.contiguous(index);
        return apply("IndexSelectBackward0", Scatter.indexSelect(x, d, ix, x.factory()), Ops.in(x), save(ix), (n, g) -> {
            T z = Ops.zeros(g, g.dtype(), in);
            Scatter.indexAdd(z, d, n.saved(0), g, g.factory());
            return grads(recordIndexAdd(z, d, n.saved(0), g));
        });
    }

    /**
     * {@code torch.scatter_add(x, dim, index, src)}: a copy of x with each {@code src[...]} (over index's
     * shape) added at {@code index[...]} along dim; d/dx = g, d/dsrc = g.gather(dim, index).
     */
    @Op("ScatterAddBackward0")
    public static <T extends Operand<T>> T scatterAdd(T x, int dim, T index, T src) {
        Scatter.checkIndex(index, "scatter_add");
        int[] xs = x.shapeView(), is = index.shapeView(), ss = src.shapeView();
        int d = Shape.dim(dim, Math.max(1, xs.length));
        if (is.length != xs.length || ss.length != xs.length) {
            throw new IllegalArgumentException("Index tensor must have the same number of dimensions as self tensor");
        }
        for (int k = 0; k < is.length; k++) {
            if (is[k] > ss[k]) throw new IllegalArgumentException("Expected index " + Shape.str(is) + " to be smaller than self " + Shape.str(xs) + " apart from dimension " + d + " and to be smaller size than src " + Shape.str(ss));
            if (k != d && is[k] > xs[k]) throw new IllegalArgumentException("Expected index " + Shape.str(is) + " to be smaller than self " + Shape.str(xs) + " apart from dimension " + d + " and to be smaller size than src " + Shape.str(ss));
        }
        if (src.dtype() != x.dtype()) throw new IllegalArgumentException("scatter(): Expected self.dtype to be equal to src.dtype");
        T out = Ops.copyRaw(x);
        Scatter.scatterAdd(out, d, index, x.factory().view(src, is.clone(), src.stridesView(), src.storageOffset()), x.factory());
        return apply("ScatterAddBackward0", out, Ops.in(x, src), save(index),
                (n, g) -> grads(n.needsInputGrad(0) ? g : null, n.needsInputGrad(1) ? gather(g, d, n.saved(0)) : null));
    }

    /** gather's gradient: {@code g} scatter-added into zeros of the input's shape; recorded as ScatterAddBackward0 under create_graph. */
    static <T extends Operand<T>> T scatterAddIntoZeros(int[] shape, int d, T index, T g) {
        T z = Ops.zeros(g, g.dtype(), shape);
        Scatter.scatterAdd(z, d, index, g, g.factory());
        return apply("ScatterAddBackward0", z, Ops.in(null, g), save(index), (n, gg) -> grads(null, gather(gg, d, n.saved(0))));
    }

    /**
     * {@code torch.index_add(x, dim, index, source)}: a copy of x with {@code source}'s slice i added at
     * slice {@code index[i]} along dim; d/dx = g, d/dsource = g.index_select(dim, index).
     */
    @Op("IndexAddBackward0")
    public static <T extends Operand<T>> T indexAdd(T x, int dim, T index, T source) {
        Scatter.checkIndex(index, "index_add");
        if (index.dim() > 1) throw new IllegalArgumentException("index_add_(): Index is supposed to be a vector");
        int[] xs = x.shapeView(), ss = source.shapeView();
        int d = Shape.dim(dim, Math.max(1, xs.length));
        int[] expected = xs.clone();
        if (expected.length > 0) expected[d] = (int) index.numel();
        if (!Arrays.equals(expected, ss)) {
            throw new IllegalArgumentException("index_add_(): source " + Shape.str(ss) + " must have self's shape " + Shape.str(xs) + " except in dimension " + d + ", where it must have the index's length " + index.numel());
        }
        if (source.dtype() != x.dtype()) throw new IllegalArgumentException("index_add_(): self (" + Ops.typeName(x.dtype()) + ") and source (" + Ops.typeName(source.dtype()) + ") must have the same scalar type");
        T ix = index.isContiguous() ? index : Views.contiguous(index);
        T out = Ops.copyRaw(x);
        Scatter.indexAdd(out, d, ix, source, x.factory());
        return apply("IndexAddBackward0", out, Ops.in(x, source), save(ix),
                (n, g) -> grads(n.needsInputGrad(0) ? g : null, n.needsInputGrad(1) ? indexSelect(g, d, n.saved(0)) : null));
    }

    /** index_select's gradient {@code z} (g index-added into zeros), recorded as IndexAddBackward0 under create_graph. */
    private static <T extends Operand<T>> T recordIndexAdd(T z, int d, T index, T g) {
        return apply("IndexAddBackward0", z, Ops.in(null, g), save(index), (n, gg) -> grads(null, indexSelect(gg, d, n.saved(0))));
    }

    /** Joins tensors along an existing dimension; each input's gradient is its slice of g. */
    @Op("CatBackward0")
    @SafeVarargs
    public static <T extends Operand<T>> T cat(int dim, T... tensors) {
        if (tensors.length == 0) throw new IllegalArgumentException("torch.cat(): expected a non-empty list of Tensors");
        for (int i = 0; i < tensors.length; i++) {
            if (tensors[i].dim() == 0) throw new IllegalArgumentException("zero-dimensional tensor (at position " + i + ") cannot be concatenated");
        }
        int[] first = tensors[0].shapeView();
        int d = Shape.dim(dim, first.length);
        long total = 0;
        DType t = tensors[0].dtype();
        for (int i = 0; i < tensors.length; i++) {
            int[] s = tensors[i].shapeView();
            if (s.length != first.length) throw new IllegalArgumentException("Tensors must have same number of dimensions: got " + first.length + " and " + s.length);
            for (int k = 0; k < first.length; k++) {
                if (k != d && s[k] != first[k]) {
                    throw new IllegalArgumentException("Sizes of tensors must match except in dimension " + d + ". Expected size " + first[k] + " but got size " + s[k]
                            + " for tensor number " + i + " in the list (shapes " + Shape.str(first) + ", " + Shape.str(s) + ")");
                }
            }
            total += s[d];
            t = Elementwise.promoteTypes(t, tensors[i].dtype());
        }
        if (total > Integer.MAX_VALUE) {
            StringBuilder shapes = new StringBuilder();
            for (T x : tensors) shapes.append(shapes.isEmpty() ? "" : ", ").append(Shape.str(x.shapeView()));
            throw new IllegalArgumentException("cat: the size " + total + " of dimension " + d + " does not fit an int (at most " + Integer.MAX_VALUE + "); shapes " + shapes);
        }
        int[] outShape = first.clone();
        outShape[d] = (int) total;
        T out = Ops.empty(tensors[0], t, outShape);
        int at = 0;
        int[] sizes = new int[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            sizes[i] = tensors[i].shapeView()[d];
            Ops.assign(sliceRaw(out, d, at, sizes[i]), tensors[i]);
            at += sizes[i];
        }
        return apply("CatBackward0", out, tensors, none(), (n, g) -> {
            T[] grads = Arrays.copyOf(tensors, sizes.length);
            int from = 0;
            for (int i = 0; i < sizes.length; i++) {
                grads[i] = n.needsInputGrad(i) ? Views.slice(g, d, from, from + sizes[i], 1) : null;
                from += sizes[i];
            }
            return grads;
        });
    }

    /** {@code length} elements along {@code d} from {@code from}, outside the graph. */
    private static <T extends Operand<T>> T sliceRaw(T x, int d, long from, int length) {
        int[] sh = x.shape();
        sh[d] = length;
        return x.factory().view(x, sh, x.stridesView(), x.storageOffset() + from * x.stridesView()[d]);
    }

    /** Joins tensors of one shape along a new dimension; each input's gradient is g selected at its index. */
    @Op("StackBackward0")
    @SafeVarargs
    public static <T extends Operand<T>> T stack(int dim, T... tensors) {
        if (tensors.length == 0) throw new IllegalArgumentException("stack expects a non-empty TensorList");
        int[] first = tensors[0].shapeView();
        int d = Shape.dim(dim, first.length + 1);
        T[] parts = Arrays.copyOf(tensors, tensors.length);
        for (int i = 0; i < tensors.length; i++) {
            if (!Arrays.equals(tensors[i].shapeView(), first)) {
                throw new IllegalArgumentException("stack expects each tensor to be equal size, but got " + Shape.str(first) + " at entry 0 and "
                        + Shape.str(tensors[i].shapeView()) + " at entry " + i);
            }
            parts[i] = Views.unsqueeze(tensors[i].detach(), d);
        }
        T out;
        boolean previous = GradMode.set(false);
        try {
            out = cat(d, parts);
        } finally {
            GradMode.set(previous);
        }
        return apply("StackBackward0", out, tensors, none(), (n, g) -> {
            T[] grads = Arrays.copyOf(tensors, tensors.length);
            for (int i = 0; i < grads.length; i++) grads[i] = n.needsInputGrad(i) ? Views.select(g, d, i) : null;
            return grads;
        });
    }
}
