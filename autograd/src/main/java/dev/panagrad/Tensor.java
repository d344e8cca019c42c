package dev.panagrad;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panagrad.array.Shape;
import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.Storage;
import dev.panagrad.ops.Embedding;
import dev.panagrad.ops.Indexing;
import dev.panagrad.ops.InPlace;
import dev.panagrad.ops.LinearAlgebra;
import dev.panagrad.ops.Operand;
import dev.panagrad.ops.Pointwise;
import dev.panagrad.ops.Reductions;
import dev.panagrad.ops.Transformer;
import dev.panagrad.ops.Views;
import java.lang.foreign.MemorySegment;

/**
 * An n-dimensional array in pooled native memory, with PyTorch's autograd: (storage, dtype, shape,
 * strides, offset). Views share the storage and its version counter and copy nothing.
 *
 * {@snippet :
 * Tensor x = Tensor.of(2.0).requiresGrad(true);   // torch.tensor([2.0], requires_grad=True)
 * Tensor z = x.pow(2).mul(2).add(3);
 * z.backward();
 * x.grad().item();                                // 8.0
 * z.gradFn();                                     // AddBackward0
 * }
 *
 * <p>This class is the facade: the factories, and one line per op calling its declaration in an op
 * family of {@code dev.panagrad.ops} ({@code Pointwise}, {@code Reductions}, {@code Views},
 * {@code Indexing}, {@code LinearAlgebra}, {@code InPlace}; losses are in {@code Losses}, reached
 * through {@code nn.Functional}). The autograd API ({@code requiresGrad}, {@code backward},
 * {@code grad}, {@code retainGrad}, {@code detach}) and reading values out ({@code item},
 * {@code toDoubleArray}, {@code get}) are inherited from {@link Operand}.
 */
public final class Tensor extends Operand<Tensor> {
    private Tensor(Storage storage, DType dtype, int[] shape, long[] strides, long offset) {
        super(storage, dtype, shape, strides, offset);
    }

    /** How the raw layer and the op families make tensors: a fresh contiguous one, or another layout outside the graph. */
    static final Factory<Tensor> RAW = new Factory<>() {
        @Override
        public Tensor empty(DType dtype, int[] shape) { return Tensor.empty(dtype, shape); }

        @Override
        public Tensor wrap(Storage storage, DType dtype, int[] shape, long[] strides, long offset) {
            return new Tensor(storage, dtype, shape, strides, offset);
        }
    };

    @Override
    protected Factory<Tensor> factory() { return RAW; }

    // ---------------------------------------------------------------- factories

    /** An uninitialised contiguous tensor. */
    public static Tensor empty(DType dtype, int... shape) {
        int[] s = Shape.of(shape);
        long bytes = Shape.storageBytes(s, dtype.byteSize());
        return new Tensor(Storage.allocate(bytes, "tensor"), dtype, s, Shape.contiguousStrides(s), 0);
    }

    /** A 1-D float32 tensor of the values: {@code torch.tensor([...])}. */
    public static Tensor of(double... values) {
        return of(DType.F32, values);
    }

    public static Tensor of(DType dtype, double... values) {
        return fromArray(dtype, values, values.length);
    }

    /** A 0-dimensional tensor: {@code torch.tensor(v)}. */
    public static Tensor scalar(double value) {
        return scalar(DType.F32, value);
    }

    public static Tensor scalar(DType dtype, double value) {
        return fromArray(dtype, new double[] {value});
    }

    /** Values in row-major order with the given shape. */
    public static Tensor fromArray(DType dtype, double[] values, int... shape) {
        Shape.storageBytes(shape, 1);   // a negative or overflowing size is refused by name, not as a count mismatch
        if (Shape.numel(shape) != values.length) {
            throw new IllegalArgumentException("fromArray: " + values.length + " values do not fill shape " + Shape.str(shape));
        }
        Tensor t = empty(dtype, shape);
        MemorySegment s = t.storage.kernelSegment();
        for (int i = 0; i < values.length; i++) Kernels.set(s, dtype, i, values[i]);
        return t;
    }

    public static Tensor fromArray(float[] values, int... shape) {
        Shape.storageBytes(shape, 1);   // a negative or overflowing size is refused by name, not as a count mismatch
        if (Shape.numel(shape) != values.length) {
            throw new IllegalArgumentException("fromArray: " + values.length + " values do not fill shape " + Shape.str(shape));
        }
        Tensor t = empty(DType.F32, shape);
        MemorySegment.copy(values, 0, t.storage.kernelSegment(), JAVA_FLOAT, 0, values.length);
        return t;
    }

    public static Tensor fromArray(long[] values, int... shape) {
        Shape.storageBytes(shape, 1);   // a negative or overflowing size is refused by name, not as a count mismatch
        if (Shape.numel(shape) != values.length) {
            throw new IllegalArgumentException("fromArray: " + values.length + " values do not fill shape " + Shape.str(shape));
        }
        Tensor t = empty(DType.I64, shape);
        MemorySegment.copy(values, 0, t.storage.kernelSegment(), JAVA_LONG, 0, values.length);
        return t;
    }

    /** A 1-D int64 tensor of {@code values[from, to)} (a batch of row indices, without a heap copy). */
    public static Tensor fromArrayRange(long[] values, int from, int to) {
        java.util.Objects.checkFromToIndex(from, to, values.length);
        Tensor t = empty(DType.I64, to - from);
        MemorySegment.copy(values, from, t.storage.kernelSegment(), JAVA_LONG, 0, to - from);
        return t;
    }

    public static Tensor full(DType dtype, double value, int... shape) {
        Tensor t = empty(dtype, shape);
        Kernels.fill(t.storage.kernelSegment(), dtype, 0, t.numel(), value);
        return t;
    }

    public static Tensor zeros(int... shape) { return full(DType.F32, 0, shape); }

    public static Tensor zeros(DType dtype, int... shape) { return full(dtype, 0, shape); }

    public static Tensor ones(int... shape) { return full(DType.F32, 1, shape); }

    public static Tensor ones(DType dtype, int... shape) { return full(dtype, 1, shape); }

    public static Tensor zerosLike(Tensor t) { return full(t.dtype, 0, t.shape); }

    /**
     * Zeros shaped like {@code owner}, living exactly as long as owner's storage (its scope, or the
     * garbage collector): for state that belongs to a parameter, like its gradient or optimizer moments.
     */
    public static Tensor zerosWithLifetimeOf(Tensor owner) {
        Tensor t = owner.emptyWithLifetimeOf("state");
        Kernels.fill(t.segment(), t.dtype, 0, t.numel(), 0);
        return t;
    }

    public static Tensor onesLike(Tensor t) { return full(t.dtype, 1, t.shape); }

    /** start, start+step, ... below end: {@code torch.arange} (I64 when all arguments are whole, else F32). */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0) throw new IllegalArgumentException("arange: step must be nonzero");
        if (!Double.isFinite(start) || !Double.isFinite(end)) throw new IllegalArgumentException("unsupported range: " + number(start) + " -> " + number(end));
        double count = Math.ceil((end - start) / step);
        if (count < 0) throw new IllegalArgumentException("arange: upper bound and larger bound inconsistent with step sign (start " + start + ", end " + end + ", step " + step + ")");
        long n = (long) count;
        boolean whole = start == Math.rint(start) && step == Math.rint(step) && end == Math.rint(end);
        Tensor t = empty(whole ? DType.I64 : DType.F32, Shape.dimSize(n, "arange"));
        for (long i = 0; i < n; i++) Kernels.set(t.storage.kernelSegment(), t.dtype, i, start + i * step);
        return t;
    }

    public static Tensor arange(long end) { return arange(0, end, 1); }

    /** A number as Python prints it in PyTorch's messages: 3, 0.5, inf, nan. */
    private static String number(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    public static Tensor rand(int... shape) { return Generator.global().rand(DType.F32, shape); }

    public static Tensor randn(int... shape) { return Generator.global().randn(DType.F32, shape); }

    public static Tensor randint(long low, long high, int... shape) { return Generator.global().randint(low, high, shape); }

    /** Reseeds the global generator: the same seed gives the same numbers. */
    public static void manualSeed(long seed) { Generator.global().manualSeed(seed); }

    // ---------------------------------------------------------------- metadata

    /** Size of dimension {@code d} (negative counts from the end). */
    public int size(int d) {
        if (shape.length == 0) throw new IndexOutOfBoundsException("Dimension specified as " + d + " but tensor has no dimensions");
        return shape[Shape.dim(d, shape.length)];
    }

    /** Moves this tensor's storage out of the current {@link MemoryScope} into the enclosing lifetime. */
    public Tensor keep() {
        MemoryScope owner = storage.scope();
        if (owner != null) owner.moveOut(storage);
        return this;
    }

    // ---------------------------------------------------------------- element-wise (ops.Pointwise)

    public Tensor neg() { return Pointwise.neg(this); }

    /** e^x. */
    public Tensor exp() { return Pointwise.exp(this); }

    /** ln x. */
    public Tensor log() { return Pointwise.log(this); }

    public Tensor sqrt() { return Pointwise.sqrt(this); }

    public Tensor abs() { return Pointwise.abs(this); }

    public Tensor sin() { return Pointwise.sin(this); }

    public Tensor cos() { return Pointwise.cos(this); }

    public Tensor tanh() { return Pointwise.tanh(this); }

    public Tensor sigmoid() { return Pointwise.sigmoid(this); }

    /** The error function: {@code torch.erf}. */
    public Tensor erf() { return Pointwise.erf(this); }

    /** x·σ(x): {@code F.silu}. */
    public Tensor silu() { return Pointwise.silu(this); }

    /** max(x, 0); NaN stays NaN. */
    public Tensor relu() { return Pointwise.relu(this); }

    /** Clamps into [min, max] (either may be infinite). */
    public Tensor clamp(double min, double max) { return Pointwise.clamp(this, min, max); }

    public Tensor clampMin(double min) { return Pointwise.clamp(this, min, Double.POSITIVE_INFINITY); }

    /** this + other, broadcast. */
    public Tensor add(Tensor o) { return Pointwise.add(this, o, 1); }

    /** this + alpha·other, {@code torch.add(a, b, alpha=...)}. */
    public Tensor add(Tensor o, double alpha) { return Pointwise.add(this, o, alpha); }

    public Tensor add(double s) { return Pointwise.add(this, s); }

    public Tensor sub(Tensor o) { return Pointwise.sub(this, o, 1); }

    public Tensor sub(Tensor o, double alpha) { return Pointwise.sub(this, o, alpha); }

    public Tensor sub(double s) { return Pointwise.sub(this, s); }

    /** s − this ({@code s - x} in Python). */
    public Tensor rsub(double s) { return Pointwise.rsub(this, s); }

    public Tensor mul(Tensor o) { return Pointwise.mul(this, o); }

    public Tensor mul(double s) { return Pointwise.mul(this, s); }

    public Tensor div(Tensor o) { return Pointwise.div(this, o); }

    public Tensor div(double s) { return Pointwise.div(this, s); }

    public Tensor pow(double p) { return Pointwise.pow(this, p); }

    public Tensor pow(Tensor e) { return Pointwise.pow(this, e); }

    /** {@code torch.where(cond, a, b)}: a where cond, else b, broadcast. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return Pointwise.where(cond, a, b); }

    /** A copy with {@code value} where {@code mask} is true. */
    public Tensor maskedFill(Tensor mask, double value) { return Pointwise.maskedFill(this, mask, value); }

    // comparisons: bool results, no graph
    public Tensor lt(Tensor o) { return Pointwise.lt(this, o); }
    public Tensor gt(Tensor o) { return Pointwise.gt(this, o); }
    public Tensor le(Tensor o) { return Pointwise.le(this, o); }
    public Tensor ge(Tensor o) { return Pointwise.ge(this, o); }
    public Tensor eq(Tensor o) { return Pointwise.eq(this, o); }
    public Tensor ne(Tensor o) { return Pointwise.ne(this, o); }
    public Tensor lt(double s) { return Pointwise.lt(this, s); }
    public Tensor gt(double s) { return Pointwise.gt(this, s); }
    public Tensor le(double s) { return Pointwise.le(this, s); }
    public Tensor ge(double s) { return Pointwise.ge(this, s); }
    public Tensor eq(double s) { return Pointwise.eq(this, s); }
    public Tensor ne(double s) { return Pointwise.ne(this, s); }
    public Tensor and(Tensor o) { return Pointwise.and(this, o); }
    public Tensor or(Tensor o) { return Pointwise.or(this, o); }

    // ---------------------------------------------------------------- reductions (ops.Reductions)

    /** Values and first indices of the maximum along a dimension: {@code x.max(dim)}. */
    public record ValuesIndices(Tensor values, Tensor indices) {}

    /** Sum of every element: a 0-dim tensor. */
    public Tensor sum() { return Reductions.sum(this); }

    /** Sum over {@code dims}, keeping them as size 1 if {@code keepdim}. */
    public Tensor sum(int[] dims, boolean keepdim) { return Reductions.sum(this, dims, keepdim); }

    public Tensor sum(int dim) { return Reductions.sum(this, new int[] {dim}, false); }

    public Tensor sum(int dim, boolean keepdim) { return Reductions.sum(this, new int[] {dim}, keepdim); }

    public Tensor mean() { return Reductions.mean(this); }

    public Tensor mean(int[] dims, boolean keepdim) { return Reductions.mean(this, dims, keepdim); }

    public Tensor mean(int dim) { return Reductions.mean(this, new int[] {dim}, false); }

    public Tensor mean(int dim, boolean keepdim) { return Reductions.mean(this, new int[] {dim}, keepdim); }

    /** {@code x.max(dim, keepdim)}; ties send the gradient to the first index. */
    public ValuesIndices max(int dim, boolean keepdim) {
        Reductions.MaxAlong<Tensor> m = Reductions.max(this, dim, keepdim, "max");
        return new ValuesIndices(m.values(), m.indices());
    }

    public ValuesIndices max(int dim) { return max(dim, false); }

    /** The largest element (NaN if any is NaN); ties share the gradient evenly. */
    public Tensor max() { return Reductions.max(this); }

    /** {@code amax(dims)}: ties share the gradient evenly. */
    public Tensor amax(int[] dims, boolean keepdim) { return Reductions.amax(this, dims, keepdim); }

    public Tensor amax(int dim) { return Reductions.amax(this, new int[] {dim}, false); }

    /** Index of the (first) maximum along {@code dim}. */
    public Tensor argmax(int dim) { return Reductions.max(this, dim, false, "argmax").indices().detach(); }

    /** Index of the (first) maximum over all elements (flattened). */
    public Tensor argmax() { return Reductions.argmax(this); }

    public Tensor softmax(int dim) { return Reductions.softmax(this, dim); }

    public Tensor logSoftmax(int dim) { return Reductions.logSoftmax(this, dim); }

    // ---------------------------------------------------------------- views, copies, conversions (ops.Views)

    /** A view with a new shape (one -1 inferred); fails if the layout cannot be viewed so. */
    public Tensor view(int... shape) { return Views.view(this, shape); }

    /** {@link #view} when possible, else a copy. */
    public Tensor reshape(int... shape) { return Views.reshape(this, shape); }

    /** All dimensions into one. */
    public Tensor flatten() { return Views.reshape(this, -1); }

    public Tensor permute(int... dims) { return Views.permute(this, dims); }

    public Tensor transpose(int dim0, int dim1) { return Views.transpose(this, dim0, dim1); }

    /** The transpose of a matrix (a vector or scalar as it is): {@code x.t()}. */
    public Tensor t() { return Views.t(this); }

    /** Removes every size-1 dimension. */
    public Tensor squeeze() { return Views.squeeze(this); }

    /** Removes dimension {@code dim} if its size is 1. */
    public Tensor squeeze(int dim) { return Views.squeeze(this, dim); }

    /** Inserts a size-1 dimension at {@code dim}. */
    public Tensor unsqueeze(int dim) { return Views.unsqueeze(this, dim); }

    /** A broadcast view ({@code -1} keeps a size). */
    public Tensor expand(int... sizes) { return Views.expand(this, sizes); }

    /** {@code x[start:end:step]} along {@code dim}, Python's rules for negative and out-of-range bounds. */
    public Tensor slice(int dim, long start, long end, long step) { return Views.slice(this, dim, start, end, step); }

    public Tensor slice(int dim, long start, long end) { return Views.slice(this, dim, start, end, 1); }

    /** {@code x[i]} along {@code dim}: the dimension goes away. */
    public Tensor select(int dim, long index) { return Views.select(this, dim, index); }

    /**
     * Python-style indexing: {@code x.index("1:3")}, {@code x.index(":, ::2")}, {@code x.index("1")},
     * {@code x.index("-1, 2:")}. Integers select (the dimension goes), slices keep it.
     */
    public Tensor index(String spec) { return Views.index(this, spec); }

    /** This tensor if contiguous, else a contiguous copy (CloneBackward0 when it requires grad). */
    public Tensor contiguous() { return Views.contiguous(this); }

    /** A copy with its own storage, in the graph (CloneBackward0). */
    @Override
    public Tensor clone() { return Views.clone(this); }

    /** This tensor in another dtype (itself if already that dtype). */
    @Override
    public Tensor to(DType target) { return Views.to(this, target); }

    // ---------------------------------------------------------------- gather, indexSelect, cat, stack (ops.Indexing)

    /** {@code torch.gather(x, dim, index)}: out[i][j] = x[i][index[i][j]] for dim 1. */
    public Tensor gather(int dim, Tensor index) { return Indexing.gather(this, dim, index); }

    /** Slices along dim picked by a 1-D int64 index: {@code torch.index_select}. */
    public Tensor indexSelect(int dim, Tensor index) { return Indexing.indexSelect(this, dim, index); }

    /** {@code torch.scatter_add(x, dim, index, src)}: a copy with src's values (over index's shape) added at index along dim. */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) { return Indexing.scatterAdd(this, dim, index, src); }

    /** {@code torch.index_add(x, dim, index, source)}: a copy with source's slice i added at slice index[i] along dim. */
    public Tensor indexAdd(int dim, Tensor index, Tensor source) { return Indexing.indexAdd(this, dim, index, source); }

    /** Joins tensors along an existing dimension. */
    public static Tensor cat(int dim, Tensor... tensors) { return Indexing.cat(dim, tensors); }

    /** Joins tensors of one shape along a new dimension. */
    public static Tensor stack(int dim, Tensor... tensors) { return Indexing.stack(dim, tensors); }

    // ---------------------------------------------------------------- integer-tensor indexing (ops.Embedding)

    /** {@code x[idx]} for an int64 tensor idx: rows along dimension 0 (negative entries count from the end), shaped idx.shape + x.shape[1:]. */
    public Tensor index(Tensor idx) { return Embedding.index(this, idx); }

    /** {@code torch.index_put(x, (idx,), values, accumulate)}: a copy with the rows idx names set to (or increased by) values. */
    public Tensor indexPut(Tensor idx, Tensor values, boolean accumulate) { return Embedding.indexPut(this, idx, values, accumulate); }

    /** {@code F.embedding(indices, weight, padding_idx)}: rows of the [num, dim] weight; paddingIdx (or null) gets no gradient. */
    public static Tensor embedding(Tensor indices, Tensor weight, Integer paddingIdx) { return Embedding.embedding(indices, weight, paddingIdx); }

    // ---------------------------------------------------------------- transformer ops (ops.Transformer)

    /** x·Φ(x), the exact (erf) GELU: {@code F.gelu}. */
    public Tensor gelu() { return Transformer.gelu(this); }

    /** {@code F.layer_norm(x, normalizedShape, weight, bias, eps)}; weight and bias may be null. */
    public Tensor layerNorm(int[] normalizedShape, Tensor weight, Tensor bias, double eps) { return Transformer.layerNorm(this, normalizedShape, weight, bias, eps); }

    /** softmax(scale·x) over the last dimension with a causal and/or boolean mask (true = may attend), one fused pass. */
    public Tensor attentionSoftmax(double scale, boolean causal, Tensor mask) { return Transformer.attentionSoftmax(this, scale, causal, mask); }

    /** softmax(q·kᵀ/√d + mask)·v: PyTorch 2's {@code F.scaled_dot_product_attention} (dropoutP must be 0 for now). */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double dropoutP) {
        return Transformer.scaledDotProductAttention(q, k, v, mask, causal, dropoutP);
    }

    // ---------------------------------------------------------------- matrix products (ops.LinearAlgebra)

    /** {@code torch.bmm}: 3-D operands of one batch size, one strided-batched GEMM. */
    public Tensor bmm(Tensor o) { return LinearAlgebra.bmm(this, o); }


    /** Matrix product with PyTorch's rules: 1D·1D dot, 2D·1D, 1D·2D, 2D·2D, batched and broadcast ND. */
    public Tensor matmul(Tensor o) { return LinearAlgebra.matmul(this, o); }

    /** {@code torch.mm}: 2-D operands only. */
    public Tensor mm(Tensor o) { return LinearAlgebra.mm(this, o); }

    /** {@code x·wᵀ + b} (b may be null), optionally followed by relu: a Linear layer in one GEMM. */
    public static Tensor linear(Tensor x, Tensor w, Tensor b, boolean relu) { return LinearAlgebra.linear(x, w, b, relu); }

    // ---------------------------------------------------------------- convolutional networks (ops.Convolution, Pooling, Normalization, Activations)

    /** {@code F.conv2d(x, w, b, stride, padding, dilation, groups)}: x [N, C, H, W] or [C, H, W], w [Cout, C/groups, kh, kw], b [Cout] or null. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor b, int[] stride, int[] padding, int[] dilation, int groups) {
        return dev.panagrad.ops.Convolution.conv2d(x, w, b, stride, padding, dilation, groups);
    }

    /** {@code F.conv1d(x, w, b, stride, padding, dilation, groups)}: x [N, C, L] or [C, L], w [Cout, C/groups, k]. */
    public static Tensor conv1d(Tensor x, Tensor w, Tensor b, int stride, int padding, int dilation, int groups) {
        return dev.panagrad.ops.Convolution.conv1d(x, w, b, stride, padding, dilation, groups);
    }

    /** {@code F.max_pool2d(x, kernel, stride, padding, dilation)}; stride null: the kernel. */
    public Tensor maxPool2d(int[] kernel, int[] stride, int[] padding, int[] dilation) { return dev.panagrad.ops.Pooling.maxPool2d(this, kernel, stride, padding, dilation); }

    /** {@code F.avg_pool2d(x, kernel, stride, padding)} (count_include_pad); stride null: the kernel. */
    public Tensor avgPool2d(int[] kernel, int[] stride, int[] padding) { return dev.panagrad.ops.Pooling.avgPool2d(this, kernel, stride, padding); }

    /** {@code F.adaptive_avg_pool2d(x, (oh, ow))}. */
    public Tensor adaptiveAvgPool2d(int oh, int ow) { return dev.panagrad.ops.Pooling.adaptiveAvgPool2d(this, oh, ow); }

    /** {@code F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)}; any of the four vectors may be null. */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training, double momentum, double eps) {
        return dev.panagrad.ops.Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /** {@code F.dropout(x, p, training)}, the mask drawn from {@code generator}: x itself when not training. */
    public Tensor dropout(double p, boolean training, Generator generator) {
        boolean draw = training && p > 0 && p < 1 && numel() > 0;
        return dev.panagrad.ops.Normalization.dropout(this, draw ? generator.rand(dtype(), shape()) : null, p, training);
    }

    /** {@code F.leaky_relu(x, slope)}. */
    public Tensor leakyRelu(double slope) { return dev.panagrad.ops.Activations.leakyRelu(this, slope); }

    // ---------------------------------------------------------------- in-place (ops.InPlace)

    public Tensor addInPlace(Tensor o) { return InPlace.add(this, o, 1); }

    public Tensor addInPlace(Tensor o, double alpha) { return InPlace.add(this, o, alpha); }

    public Tensor addInPlace(double s) { return InPlace.add(this, s); }

    public Tensor subInPlace(Tensor o) { return InPlace.sub(this, o); }

    public Tensor subInPlace(double s) { return InPlace.sub(this, s); }

    public Tensor mulInPlace(Tensor o) { return InPlace.mul(this, o); }

    public Tensor mulInPlace(double s) { return InPlace.mul(this, s); }

    public Tensor divInPlace(Tensor o) { return InPlace.div(this, o); }

    public Tensor divInPlace(double s) { return InPlace.div(this, s); }

    public Tensor clampInPlace(double min, double max) { return InPlace.clamp(this, min, max); }

    public Tensor maskedFillInPlace(Tensor mask, double value) { return InPlace.maskedFill(this, mask, value); }

    /** Zeros every element: {@code zero_()}. */
    public Tensor zeroInPlace() { return InPlace.fill(this, 0); }

    public Tensor fillInPlace(double value) { return InPlace.fill(this, value); }

    /** Copies src's values (broadcast, converted to this dtype) into this tensor: {@code copy_}. */
    public Tensor copyFrom(Tensor src) { return InPlace.copy(this, src); }

    // ---------------------------------------------------------------- printing

    @Override
    public String toString() {
        return TensorFormat.format(this);
    }
}
