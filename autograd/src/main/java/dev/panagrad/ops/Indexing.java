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
        return apply("GatherBackward0", Scatter.gather(x, d, index, x.factory()), Ops.in(x), save(index), (n, g) -> {
            T z = Ops.zeros(g, g.dtype(), in);
            Scatter.scatterAdd(z, d, n.saved(0), g, g.factory());
            return grads(z);
        });
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
            long[] ids = n.saved(0).toLongArray();
            T z = Ops.zeros(g, g.dtype(), in);
            for (int i = 0; i < ids.length; i++) {
                T row = Layout.select(z, d, ids[i], z.factory());
                Ops.assign(row, Elementwise.zip(dev.panagrad.kernel.BinaryOp.ADD, row, Layout.select(g, d, i, g.factory()), g.factory()));
            }
            return grads(z);
        });
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
