package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.save;

import dev.panagrad.array.Layout;
import dev.panagrad.array.RowKernels;
import dev.panagrad.array.Scatter;
import dev.panagrad.array.Shape;
import dev.panagrad.graph.GradMode;
import dev.panagrad.memory.DType;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;

/**
 * Rows picked by an integer tensor: {@code F.embedding} (a lookup table whose gradient adds up rows that
 * repeat), {@code x[idx]} with an int64 tensor along the first dimension, and its adjoint
 * {@code torch.index_put}. Indices of any shape; the result is {@code idx.shape + x.shape[1:]}.
 *
 * <p>Backward runs one raw pass over the rows; under create_graph (grad mode on while a formula runs) the
 * gradients are PyTorch's compositions instead ({@code index_put} into zeros with accumulate for embedding
 * and index, {@code index_put} of zeros and {@code g[idx]} for index_put), recorded and twice differentiable.
 */
public final class Embedding {
    private Embedding() {}

    /**
     * {@code F.embedding(indices, weight, padding_idx)}: row {@code indices[...]} of the [num, dim] weight for
     * every index; backward adds g's rows into the rows they came from (rows that repeat add up), except the
     * {@code paddingIdx} row, which gets no gradient (pass null for none; a negative one counts from the end).
     */
    @Op("EmbeddingBackward0")
    public static <T extends Operand<T>> T embedding(T indices, T weight, Integer paddingIdx) {
        if (indices.dtype() != DType.I64) {
            throw new IllegalArgumentException("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch."
                    + Ops.typeName(indices.dtype()) + "Tensor instead (while checking arguments for embedding)");
        }
        if (weight.dim() != 2) throw new IllegalArgumentException("'weight' must be 2-D");
        int num = weight.shapeView()[0], dim = weight.shapeView()[1];
        long pad = -1;
        if (paddingIdx != null) {
            if (paddingIdx >= num || paddingIdx < -num) throw new IllegalArgumentException("Padding_idx must be within num_embeddings (padding_idx " + paddingIdx + ", num_embeddings " + num + ")");
            pad = paddingIdx < 0 ? paddingIdx + num : paddingIdx;
        }
        T ids = RowKernels.rowIds(indices, num, false, v -> "index out of range in self", weight.factory());
        T out = rows(weight, ids, indices.shapeView());
        long skip = pad;
        return apply("EmbeddingBackward0", out, in(weight), save(ids), (n, g) -> {
            if (GradMode.isEnabled()) {   // recorded (create_graph): g's rows, the padding row's zeroed, put back with accumulate
                T rowsOfG = Views.reshape(g, -1, dim);
                if (skip >= 0) rowsOfG = Pointwise.maskedFill(rowsOfG, Views.unsqueeze(Pointwise.eq(n.saved(0), skip), 1), 0);
                return grads(indexPut(Ops.zeros(g, g.dtype(), new int[] {num, dim}), n.saved(0), rowsOfG, true));
            }
            T gw = Ops.zeros(g, g.dtype(), new int[] {num, dim});
            RowKernels.putRows(gw, n.saved(0), Layout.contiguous(g, g.factory()), dim, skip, true);
            return grads(gw);
        });
    }

    /**
     * {@code x[idx]} for an int64 tensor idx: the rows of x along dimension 0 that idx names (negative
     * entries count from the end), shaped {@code idx.shape + x.shape[1:]}; the gradient adds up into
     * the rows picked (rows that repeat add up).
     */
    @Op("IndexBackward0")
    public static <T extends Operand<T>> T index(T x, T idx) {
        checkIndexTensor(x, idx);
        int size = x.shapeView()[0];
        T ids = RowKernels.rowIds(idx, size, true, v -> "index " + v + " is out of bounds for dimension 0 with size " + size, x.factory());
        T out = rows(x, ids, idx.shapeView());
        int[] shape = x.shape();
        long row = rowLength(shape);
        return apply("IndexBackward0", out, in(x), save(ids), (n, g) -> {
            if (GradMode.isEnabled()) {   // recorded (create_graph): PyTorch's index_put of g into zeros, accumulating
                return grads(indexPut(Ops.zeros(g, g.dtype(), shape), n.saved(0), Views.reshape(g, pickedShape(shape, n.saved(0).shapeView())), true));
            }
            T z = Ops.zeros(g, g.dtype(), shape);
            RowKernels.putRows(z, n.saved(0), Layout.contiguous(g, g.factory()), row, -1, true);
            return grads(z);
        });
    }

    /**
     * {@code torch.index_put(x, (idx,), values, accumulate)}: a copy of x with the rows idx names set to
     * values (broadcast to {@code idx.shape + x.shape[1:]}), or increased by them when {@code accumulate}.
     * Without accumulate, a row named twice keeps the last value written. Gradients: x's is g with the
     * rows written over set to 0 (all of g when accumulating); values' is {@code g[idx]}.
     */
    @Op("IndexPutBackward0")
    public static <T extends Operand<T>> T indexPut(T x, T idx, T values, boolean accumulate) {
        checkIndexTensor(x, idx);
        if (values.dtype() != x.dtype()) {
            throw new IllegalArgumentException("Index put requires the source and destination dtypes match, got " + Ops.typeName(x.dtype())
                    + " for the destination and " + Ops.typeName(values.dtype()) + " for the source.");
        }
        int size = x.shapeView()[0];
        T ids = RowKernels.rowIds(idx, size, true, v -> "index " + v + " is out of bounds for dimension 0 with size " + size, x.factory());
        int[] picked = pickedShape(x.shapeView(), idx.shapeView());
        if (!broadcastsTo(values.shapeView(), picked)) {
            throw new IllegalArgumentException("shape mismatch: value tensor of shape " + Shape.str(values.shapeView())
                    + " cannot be broadcast to indexing result of shape " + Shape.str(picked));
        }
        T out = Ops.copyRaw(x);
        long row = rowLength(x.shapeView());
        RowKernels.putRows(out, ids, Ops.broadcastRaw(values, picked), row, -1, accumulate);
        int[] shape = x.shape(), idxShape = idx.shape();
        return apply("IndexPutBackward0", out, in(x, values), save(ids), (n, g) -> {
            if (GradMode.isEnabled()) {   // recorded (create_graph): PyTorch's formulas, with index_put and index themselves
                T ix = n.saved(0);
                T gx = !n.needsInputGrad(0) ? null : accumulate ? g : indexPut(g, ix, Ops.zeros(g, g.dtype(), new int[0]), false);
                T gv = n.needsInputGrad(1) ? Views.reshape(index(g, ix), picked) : null;
                return grads(gx, gv);
            }
            T gx = null;
            if (n.needsInputGrad(0)) {
                if (accumulate) {
                    gx = g;
                } else {
                    gx = Ops.copyRaw(g);
                    RowKernels.putRows(gx, n.saved(0), Ops.zeros(g, g.dtype(), picked), row, -1, false);
                }
            }
            T gv = n.needsInputGrad(1) ? rows(Layout.contiguous(g, g.factory()), n.saved(0), idxShape) : null;
            return grads(gx, gv);
        });
    }

    /** x's rows ids (a checked 1-D int64 array), shaped {@code indexShape + x.shape[1:]}, outside the graph. */
    private static <T extends Operand<T>> T rows(T x, T ids, int[] indexShape) {
        return Ops.reshapeRaw(Scatter.indexSelect(x, 0, ids, x.factory()), pickedShape(x.shapeView(), indexShape));
    }

    private static boolean broadcastsTo(int[] from, int[] to) {
        if (from.length > to.length) return false;
        for (int i = 1; i <= from.length; i++) {
            int a = from[from.length - i], b = to[to.length - i];
            if (a != b && a != 1) return false;
        }
        return true;
    }

    private static long rowLength(int[] shape) {
        long n = 1;
        for (int d = 1; d < shape.length; d++) n *= shape[d];
        return n;
    }

    private static int[] pickedShape(int[] xs, int[] idx) {
        int[] out = Arrays.copyOf(idx, idx.length + xs.length - 1);
        System.arraycopy(xs, 1, out, idx.length, xs.length - 1);
        return out;
    }

    private static void checkIndexTensor(Operand<?> x, Operand<?> idx) {
        if (idx.dtype() != DType.I64) throw new IllegalArgumentException("tensors used as indices must be long, byte or bool tensors");
        if (x.dim() == 0) throw new IllegalArgumentException("too many indices for tensor of dimension 0");
    }
}
