package dev.panagrad;

import dev.panagrad.array.Elementwise;
import dev.panagrad.array.Gemm;
import dev.panagrad.array.Layout;
import dev.panagrad.array.Reduce;
import dev.panagrad.array.Scatter;
import dev.panagrad.array.Shape;
import dev.panagrad.array.Strided;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panagrad.graph.AccumulateGrad;
import dev.panagrad.graph.CopySlices;
import dev.panagrad.graph.Differentiable;
import dev.panagrad.graph.Engine;
import dev.panagrad.graph.Node;
import dev.panagrad.kernel.BinaryOp;
import dev.panagrad.kernel.Kernels;
import dev.panagrad.kernel.Parallel;
import dev.panagrad.kernel.UnaryOp;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.Storage;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

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
 */
public final class Tensor extends Strided implements Differentiable<Tensor> {
    private static final AtomicBoolean NON_LEAF_GRAD_WARNED = new AtomicBoolean();
    static final String NON_LEAF_GRAD_WARNING = "UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad"
            + " attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated"
            + " for a non-leaf Tensor, use .retainGrad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake,"
            + " make sure you access the leaf Tensor instead.";

    private boolean requiresGrad;
    private Node<Tensor> gradFn;
    private Tensor grad;
    private boolean retainsGrad;
    private AccumulateGrad<Tensor> accumulator;
    /**
     * For a view made by a view op (slice, view, t, expand, ...): its base, PyTorch's {@code _base}, never
     * itself a view; null otherwise. Views share the base's storage and so its version counter.
     */
    private Tensor viewBase;
    /** For a view: the storage version its grad_fn belongs to; at another version {@link #fn()} rebuilds it. */
    private int viewVersion;
    /** For a view: how it was made, which decides whether it may be rebased after an in-place op (PyTorch's CreationMeta). */
    private ViewMade viewMade;

    private enum ViewMade { GRAD_MODE, NO_GRAD_MODE, IN_CUSTOM_FUNCTION }

    private Tensor(Storage storage, DType dtype, int[] shape, long[] strides, long offset, Tensor viewBase) {
        super(storage, dtype, shape, strides, offset);
        this.viewBase = viewBase;
    }

    /** How the raw layer makes tensors: a fresh contiguous one, or another view outside the graph. */
    static final Factory<Tensor> RAW = new Factory<>() {
        @Override
        public Tensor empty(DType dtype, int[] shape) { return Tensor.empty(dtype, shape); }

        @Override
        public Tensor view(Strided of, int[] shape, long[] strides, long offset) {
            return new Tensor(((Tensor) of).storage, of.dtype(), shape, strides, offset, null);
        }
    };

    // ---------------------------------------------------------------- factories

    /** An uninitialised contiguous tensor. */
    public static Tensor empty(DType dtype, int... shape) {
        int[] s = Shape.of(shape);
        long bytes = Shape.storageBytes(s, dtype.byteSize());
        return new Tensor(Storage.allocate(bytes, "tensor"), dtype, s, Shape.contiguousStrides(s), 0, null);
    }

    private static Tensor emptyLike(Tensor t, DType dtype) {
        return empty(dtype, t.shape);
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
        Tensor t = emptyWithLifetimeOf(owner, "state");
        Kernels.fill(t.segment(), t.dtype, 0, t.numel(), 0);
        return t;
    }

    private static Tensor emptyWithLifetimeOf(Tensor owner, String tag) {
        Storage bytes = owner.storage.pool().allocateLike(owner.storage, owner.numel() * owner.dtype.byteSize(), tag);
        return new Tensor(bytes, owner.dtype, owner.shape.clone(), Shape.contiguousStrides(owner.shape), 0, null);
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

    // ---------------------------------------------------------------- metadata and data access

    /** Size of dimension {@code d} (negative counts from the end). */
    public int size(int d) {
        if (shape.length == 0) throw new IndexOutOfBoundsException("Dimension specified as " + d + " but tensor has no dimensions");
        return shape[Shape.dim(d, shape.length)];
    }


    /** The storage's version counter (shared with every view and {@link #detach()}). */
    public int storageVersion() { return storage.version(); }


    /** The one value of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new IllegalStateException("only one element tensors can be converted to a scalar");
        return Kernels.get(segment(), dtype, offset);
    }

    /** Copies the values out in row-major order. */
    public double[] toDoubleArray() {
        int n = javaArrayLength("toDoubleArray");
        Tensor c = contiguous();
        double[] out = new double[n];
        MemorySegment s = c.segment();
        for (int i = 0; i < out.length; i++) out[i] = Kernels.get(s, c.dtype, c.offset + i);
        return out;
    }

    public float[] toFloatArray() {
        double[] d = toDoubleArray();
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) out[i] = (float) d[i];
        return out;
    }

    public long[] toLongArray() {
        int n = javaArrayLength("toLongArray");
        Tensor c = contiguous();
        long[] out = new long[n];
        MemorySegment s = c.segment();
        for (int i = 0; i < out.length; i++) out[i] = Kernels.getLong(s, c.dtype, c.offset + i);
        return out;
    }

    /** The element count as a Java array length, checked before anything is copied. */
    private int javaArrayLength(String what) {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(what + ": " + n + " elements do not fit a Java array (shape " + Shape.str(shape) + ")");
        return (int) n;
    }

    /** The element at the given index. */
    public double get(int... index) {
        if (index.length != shape.length) throw new IllegalArgumentException("get: " + index.length + " indices for a " + shape.length + "-d tensor of shape " + Shape.str(shape));
        long o = offset;
        for (int d = 0; d < index.length; d++) {
            int i = index[d] < 0 ? index[d] + shape[d] : index[d];
            if (i < 0 || i >= shape[d]) throw new IndexOutOfBoundsException("index " + index[d] + " is out of bounds for dimension " + d + " with size " + shape[d]);
            o += i * strides[d];
        }
        return Kernels.get(segment(), dtype, o);
    }

    // ---------------------------------------------------------------- autograd API

    /** {@code requires_grad_()}: only floating-point leaves; a non-leaf may only be left as it is. */
    public Tensor requiresGrad(boolean flag) {
        if (gradFn != null) {
            if (!flag) {
                throw new IllegalStateException("you can only change requires_grad flags of leaf variables. If you want to use a computed"
                        + " variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
            }
            return this;
        }
        if (flag && !dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("Only Tensors of floating point and complex dtype can require gradients");
        }
        requiresGrad = flag;
        return this;
    }

    /** Whether gradients flow to this tensor; a view also requires grad when its base does (even one made without grad). */
    public boolean requiresGrad() { return requiresGrad || gradFn != null || (viewBase != null && viewBase.requiresGrad()); }

    public boolean isLeaf() { return fn() == null; }

    /** The node that made this tensor, or null for a leaf. */
    @Override
    public Node<Tensor> gradFn() { return fn(); }

    /**
     * PyTorch's {@code grad_fn()}: for a view whose memory was changed in place since its grad_fn was made
     * (through its base or another view of it), a new one, AsStridedBackward0 over the base's current
     * grad_fn; a retained gradient moves along to it. A view made without grad (or inside a custom
     * Function) may not be rebased: that throws PyTorch's error.
     */
    private Node<Tensor> fn() {
        if (viewBase == null || (gradFn == null && !viewBase.requiresGrad())) return gradFn;
        int now = storage.version();
        if (viewVersion != now) {
            checkViewRebase(true);
            Node<Tensor> old = gradFn;
            gradFn = asStridedBackward();
            viewVersion = now;
            moveRetainer(old);
        }
        return gradFn;
    }

    /** PyTorch's {@code handle_view_on_rebase}: only a view made in grad mode outside a custom Function may be rebased. */
    private void checkViewRebase(boolean indirect) {
        if (viewMade == ViewMade.GRAD_MODE) return;
        String modified = indirect ? "its base or another view of its base has been" : "is being";
        if (viewMade == ViewMade.NO_GRAD_MODE) {
            throw new IllegalStateException("A view was created in no_grad mode and " + modified + " modified inplace with grad mode enabled."
                    + " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the"
                    + " view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both"
                    + " outside (if you want the inplace to be tracked).");
        }
        throw new IllegalStateException("Output 0 of " + gradFn.name() + " is a view and " + modified + " modified inplace. This view was"
                + " created inside a custom Function (or because an input was returned as-is) and the autograd logic to handle view+inplace"
                + " would override the custom backward associated with the custom Function, leading to incorrect gradients. This behavior"
                + " is forbidden. You can fix this by cloning the output of the custom Function.");
    }

    /** After this tensor's grad_fn changed from {@code old}: a retained gradient is that of the current version. */
    private void moveRetainer(Node<Tensor> old) {
        if (!retainsGrad) return;
        if (old != null) old.removeRetainer(this);
        if (gradFn != null) gradFn.addRetainer(this);
    }

    /**
     * The accumulated gradient. For a non-leaf without {@link #retainGrad()} this is null and, once
     * per JVM, a warning goes to stderr, as PyTorch's does.
     */
    public Tensor grad() {
        if (gradFn != null && !retainsGrad && grad == null && NON_LEAF_GRAD_WARNED.compareAndSet(false, true)) {
            System.err.println(NON_LEAF_GRAD_WARNING);
        }
        return grad;
    }

    /** Lets a test see the once-per-JVM warning again. */
    static void resetNonLeafGradWarning() {
        NON_LEAF_GRAD_WARNED.set(false);
    }

    /** Sets {@code .grad} (null clears it), as {@code p.grad = g} does. */
    public void setGrad(Tensor g) {
        if (g != null && g.dtype != dtype) throw new IllegalArgumentException("assigned grad has data of a different type");
        if (g != null && !Arrays.equals(g.shape, shape)) throw new IllegalArgumentException("assigned grad has data of a different size");
        grad = g;
    }

    /** Keeps this non-leaf's gradient in {@link #grad()} after backward. No-op on leaves. */
    public Tensor retainGrad() {
        Node<Tensor> fn = fn();
        if (fn == null) {
            if (!requiresGrad) throw new IllegalStateException("can't retain_grad on Tensor that has requires_grad=False");
            return this;
        }
        retainsGrad = true;
        fn.addRetainer(this);
        return this;
    }

    public boolean retainsGrad() { return retainsGrad; }

    /** Backward from a one-element tensor. */
    public void backward() { Engine.backward(this, null, false); }

    /** Backward with the gradient of this tensor (its shape). */
    public void backward(Tensor gradient) { Engine.backward(this, gradient, false); }

    public void backward(Tensor gradient, boolean retainGraph) { Engine.backward(this, gradient, retainGraph); }

    /** A tensor sharing this one's storage and version counter, outside the graph. */
    public Tensor detach() {
        return new Tensor(storage, dtype, shape, strides, offset, null);
    }

    /**
     * Declares that no code will read this tensor (or any view of its storage) again except the
     * autograd graph: its buffer goes back to the pool as soon as the last backward node that saved it
     * has run, or at once if none did. Layers call it on their intermediates (a Linear's product before
     * the bias, a Sequential's hidden activations), so backward frees activations as it goes. Reading
     * the tensor afterwards throws, naming who released it.
     */
    public void dropWhenUnused() {
        storage.markDisposable("the autograd graph (an intermediate no one else reads, after its last use)");
    }

    /** The engine's way in: adds {@code g} into this leaf's gradient (allocated in this leaf's lifetime). */
    @Override
    public void accumulateGrad(Tensor g) {
        if (grad == null) {
            Tensor fresh = emptyWithLifetimeOf(this, "grad");
            fresh.assignData(g);
            grad = fresh;
        } else if (grad.isContiguous()) {   // add in place: one pass, no temporary
            Tensor add = g.broadcastData(grad.shape);
            Kernels.zip(BinaryOp.ADD, grad.dtype, grad.segment(), grad.offset, add.dtype, add.segment(), add.offset,
                    grad.dtype, grad.segment(), grad.offset, grad.numel());
        } else {   // a user-assigned strided .grad
            grad.assignData(grad.addRaw(g));
        }
    }

    /** The engine's way in for {@link #retainGrad()}. */
    @Override
    public void accumulateRetainedGrad(Tensor g) {
        grad = grad == null ? g.contiguousCopy() : grad.add(g);
    }

    /** The engine's seed for {@link #backward()}: {@code onesLike(this)}. */
    @Override
    public Tensor onesLike() { return onesLike(this); }

    private Node<Tensor> edge() {
        Node<Tensor> fn = fn();
        if (fn != null) return fn;
        if (!requiresGrad) return null;
        if (accumulator == null) accumulator = new AccumulateGrad<>(this);
        return accumulator;
    }

    /**
     * Makes this freshly computed tensor the output of a recorded op, if grad mode is on and an
     * input requires grad; returns the node (or null). The hook every op, and a custom {@code Function}, goes through.
     */
    public Node<Tensor> record(String name, Tensor[] inputs, Tensor[] toSave, Node.Backward<Tensor> backward) {
        if (!Grad.isEnabled()) return null;
        boolean any = false;
        for (Tensor in : inputs) any |= in != null && in.requiresGrad();   // as PyTorch: a view made without grad of a tensor that requires grad counts, its edge is null
        if (!any) return null;
        @SuppressWarnings("unchecked")
        Node<Tensor>[] next = new Node[inputs.length];
        int[][] shapes = new int[inputs.length][];
        DType[] dtypes = new DType[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            if (in == null) continue;
            next[i] = in.edge();
            shapes[i] = in.shape;
            dtypes[i] = in.dtype;
        }
        if (gradFn != null || requiresGrad) throw new IllegalStateException("record: " + name + " output already has a grad_fn " + gradFn);
        gradFn = new Node<>(name, next, shapes, dtypes, backward, this, toSave);
        // a view made without grad that gets a node: a custom Function's output (its forward runs without grad)
        if (viewMade == ViewMade.NO_GRAD_MODE) viewMade = ViewMade.IN_CUSTOM_FUNCTION;
        return gradFn;
    }

    // ---------------------------------------------------------------- layout helpers (no graph)

    /** This tensor if contiguous, else a contiguous copy (recorded as CloneBackward0 when it requires grad). */
    public Tensor contiguous() {
        if (isContiguous()) return this;
        Tensor out = contiguousCopy();
        out.record("CloneBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g});
        return out;
    }

    /** A contiguous copy of the data, outside the graph. */
    Tensor contiguousCopy() { return Layout.contiguousCopy(this, RAW); }

    private Tensor converted(DType to) { return Layout.converted(this, to, RAW); }

    /** The data broadcast to {@code target}, contiguous (a copy only when needed). */
    private Tensor broadcastData(int[] target) { return Layout.broadcastData(this, target, RAW); }

    private Tensor expandView(int[] target) { return Layout.expand(this, target, RAW); }

    /** Writes {@code src}'s values (broadcast to this shape) into this tensor's elements, outside the graph. */
    private void assignData(Tensor src) { Layout.assign(this, src, RAW); }

    /** Sums a gradient down to {@code target} (undoing broadcasting). The engine's one reduction. */
    public Tensor sumTo(int[] target) { return Reduce.sumTo(this, target, RAW); }

    // ---------------------------------------------------------------- element-wise ops





    /** PyTorch's name of a dtype in messages: Float, Double, Long, Bool. */
    static String typeName(DType t) {
        return switch (t) {
            case F32 -> "Float";
            case F64 -> "Double";
            case I64 -> "Long";
            case BOOL -> "Bool";
        };
    }

    private static void checkNotBoolSubtraction(DType a, DType b) {
        if (a == DType.BOOL && b == DType.BOOL) {
            throw new IllegalArgumentException("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.");
        }
        if (a == DType.BOOL || b == DType.BOOL) {
            throw new IllegalArgumentException("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        }
    }

    private static Tensor zipRaw(BinaryOp op, Tensor a, Tensor b) { return Elementwise.zip(op, a, b, RAW); }



    private Tensor zipScalarRaw(BinaryOp op, double s) { return Elementwise.zipScalar(op, this, s, RAW); }

    private Tensor mapRaw(UnaryOp op) { return Elementwise.map(op, this, RAW); }

    Tensor addRaw(Tensor o) { return zipRaw(BinaryOp.ADD, this, o); }

    private Tensor unary(UnaryOp op, String name, Node.Backward<Tensor> backward, boolean saveInput, boolean saveOutput) {
        Tensor out = mapRaw(op);
        Tensor[] save = saveInput && saveOutput ? new Tensor[] {this, out} : saveInput ? new Tensor[] {this} : saveOutput ? new Tensor[] {out} : new Tensor[0];
        out.record(name, new Tensor[] {this}, save, backward);
        return out;
    }

    public Tensor neg() {
        if (dtype == DType.BOOL) {
            throw new IllegalArgumentException("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        }
        return unary(UnaryOp.NEG, "NegBackward0", (n, g) -> new Tensor[] {g.neg()}, false, false);
    }

    /** e^x. d/dx = result. */
    public Tensor exp() {
        return unary(UnaryOp.EXP, "ExpBackward0", (n, g) -> new Tensor[] {g.mul(n.saved(0))}, false, true);
    }

    /** ln x. d/dx = 1/x. */
    public Tensor log() {
        return unary(UnaryOp.LOG, "LogBackward0", (n, g) -> new Tensor[] {g.div(n.saved(0))}, true, false);
    }

    /** √x. d/dx = 1/(2·result). */
    public Tensor sqrt() {
        return unary(UnaryOp.SQRT, "SqrtBackward0", (n, g) -> new Tensor[] {g.div(n.saved(0).mul(2))}, false, true);
    }

    /** |x|. d/dx = sign(x), 0 at 0. */
    public Tensor abs() {
        if (dtype == DType.BOOL) throw new IllegalArgumentException("\"abs_cpu\" not implemented for 'Bool'");
        return unary(UnaryOp.ABS, "AbsBackward0", (n, g) -> new Tensor[] {g.mul(n.saved(0).mapRaw(UnaryOp.SIGN))}, true, false);
    }

    public Tensor sin() {
        return unary(UnaryOp.SIN, "SinBackward0", (n, g) -> new Tensor[] {g.mul(n.saved(0).mapRaw(UnaryOp.COS))}, true, false);
    }

    public Tensor cos() {
        return unary(UnaryOp.COS, "CosBackward0", (n, g) -> new Tensor[] {g.mul(n.saved(0).mapRaw(UnaryOp.SIN)).neg()}, true, false);
    }

    /** tanh x. d/dx = 1 − result². */
    public Tensor tanh() {
        return unary(UnaryOp.TANH, "TanhBackward0", (n, g) -> {
            Tensor y = n.saved(0);
            return new Tensor[] {g.mul(y.mul(y).neg().add(1))};
        }, false, true);
    }

    /** σ(x). d/dx = result·(1 − result). */
    public Tensor sigmoid() {
        return unary(UnaryOp.SIGMOID, "SigmoidBackward0", (n, g) -> {
            Tensor y = n.saved(0);
            return new Tensor[] {g.mul(y).mul(y.neg().add(1))};
        }, false, true);
    }

    /** max(x, 0) (NaN stays NaN). d/dx = 0 where result <= 0, else 1 (so 0 at 0, 1 at NaN, as PyTorch's threshold_backward). */
    public Tensor relu() {
        if (dtype == DType.BOOL) throw new IllegalArgumentException("Boolean inputs not supported for relu");
        return unary(UnaryOp.RELU, "ReluBackward0", (n, g) -> new Tensor[] {reluGrad(g, n.saved(0))}, false, true);
    }

    /** 0 where the relu output y is <= 0, else g (g at NaN), in one pass when both are contiguous. */
    private static Tensor reluGrad(Tensor g, Tensor y) {
        if (g.dtype != y.dtype || !Arrays.equals(g.shape, y.shape) || !g.isContiguous() || !y.isContiguous()) {
            return g.maskedFill(y.le(0), 0);
        }
        Tensor out = empty(g.dtype, g.shape);
        Kernels.reluBackward(g.dtype, g.segment(), g.offset, y.segment(), y.offset, out.segment(), 0, g.numel());
        return out;
    }

    /** {@link #reluGrad} written into g itself (g the engine's own temporary), when the layouts allow. */
    private static Tensor reluGradInPlace(Tensor g, Tensor y) {
        if (g.dtype != y.dtype || !Arrays.equals(g.shape, y.shape) || !g.isContiguous() || !y.isContiguous()) return reluGrad(g, y);
        Kernels.reluBackward(g.dtype, g.segment(), g.offset, y.segment(), y.offset, g.segment(), g.offset, g.numel());
        return g;
    }

    /** Clamps into [min, max] (either may be infinite; NaN stays NaN). d/dx = 1 inside, including the bounds; 0 at NaN. */
    public Tensor clamp(double min, double max) {
        if (min > max) throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        Tensor out = zipScalarRaw(BinaryOp.MAX, min).zipScalarRaw(BinaryOp.MIN, max);
        String name = Double.isInfinite(max) ? "ClampMinBackward0" : Double.isInfinite(min) ? "ClampMaxBackward0" : "ClampBackward1";
        out.record(name, new Tensor[] {this}, new Tensor[] {this}, (n, g) -> {
            Tensor x = n.saved(0);
            return new Tensor[] {g.maskedFill(x.ge(min).and(x.le(max)).eq(0), 0)};
        });
        return out;
    }

    public Tensor clampMin(double min) { return clamp(min, Double.POSITIVE_INFINITY); }

    /** this + other. */
    public Tensor add(Tensor o) { return add(o, 1); }

    /** this + alpha·other, {@code torch.add(a, b, alpha=...)}. */
    public Tensor add(Tensor o, double alpha) {
        Tensor other = alpha == 1 ? o : o.mulRawScalar(alpha);
        Tensor out = zipRaw(BinaryOp.ADD, this, other);
        out.record("AddBackward0", new Tensor[] {this, o}, new Tensor[0],
                (n, g) -> new Tensor[] {g, n.needsInputGrad(1) ? (alpha == 1 ? g : g.mul(alpha)) : null});
        return out;
    }

    private Tensor mulRawScalar(double s) { return zipScalarRaw(BinaryOp.MUL, s); }

    public Tensor add(double s) {
        Tensor out = zipScalarRaw(BinaryOp.ADD, s);
        out.record("AddBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g});
        return out;
    }

    public Tensor sub(Tensor o) { return sub(o, 1); }

    public Tensor sub(Tensor o, double alpha) {
        checkNotBoolSubtraction(dtype, o.dtype);
        Tensor other = alpha == 1 ? o : o.mulRawScalar(alpha);
        Tensor out = zipRaw(BinaryOp.SUB, this, other);
        out.record("SubBackward0", new Tensor[] {this, o}, new Tensor[0],
                (n, g) -> new Tensor[] {g, n.needsInputGrad(1) ? g.mul(-alpha) : null});
        return out;
    }

    public Tensor sub(double s) {
        checkNotBoolSubtraction(dtype, DType.I64);
        Tensor out = zipScalarRaw(BinaryOp.SUB, s);
        out.record("SubBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g});
        return out;
    }

    /** s − this ({@code s - x} in Python). */
    public Tensor rsub(double s) {
        checkNotBoolSubtraction(dtype, DType.I64);
        Tensor out = mapRaw(UnaryOp.NEG).zipScalarRaw(BinaryOp.ADD, s);
        out.record("RsubBackward1", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.neg()});
        return out;
    }

    /** this·other. d/dthis = g·other, d/dother = g·this. */
    public Tensor mul(Tensor o) {
        Tensor out = zipRaw(BinaryOp.MUL, this, o);
        out.record("MulBackward0", new Tensor[] {this, o}, new Tensor[] {this, o},
                (n, g) -> new Tensor[] {n.needsInputGrad(0) ? g.mul(n.saved(1)) : null, n.needsInputGrad(1) ? g.mul(n.saved(0)) : null});
        return out;
    }

    public Tensor mul(double s) {
        Tensor out = zipScalarRaw(BinaryOp.MUL, s);
        out.record("MulBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.mul(s)});
        return out;
    }

    /** this / other. d/dthis = g/other, d/dother = −g·this/other². */
    public Tensor div(Tensor o) {
        Tensor out = zipRaw(BinaryOp.DIV, this, o);
        out.record("DivBackward0", new Tensor[] {this, o}, new Tensor[] {this, o}, (n, g) -> {
            Tensor b = n.saved(1);
            return new Tensor[] {n.needsInputGrad(0) ? g.div(b) : null,
                    n.needsInputGrad(1) ? g.neg().mul(n.saved(0)).div(b.mul(b)) : null};
        });
        return out;
    }

    public Tensor div(double s) {
        Tensor out = zipScalarRaw(BinaryOp.DIV, s);
        out.record("DivBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.div(s)});
        return out;
    }

    /** this^p. d/dx = p·x^(p−1) (0 when p = 0). */
    public Tensor pow(double p) {
        Tensor out = powScalarRaw(p);
        out.record("PowBackward0", new Tensor[] {this}, new Tensor[] {this}, (n, g) -> {
            if (p == 0) return new Tensor[] {zerosLike(g)};
            return new Tensor[] {g.mul(n.saved(0).powScalarRaw(p - 1).mulRawScalar(p))};
        });
        return out;
    }

    /**
     * x^p as PyTorch computes a tensor to a number: √x for 0.5 and 1/√x for −0.5 (NaN at −inf, ∓0 at −0,
     * where C's pow differs); an int64 or bool tensor to a whole power stays int64 (exact, wrapping).
     */
    private Tensor powScalarRaw(double p) {
        if (!dtype.isFloatingPoint() && p < 0 && p == Math.rint(p)) throw new IllegalArgumentException("Integers to negative integer powers are not allowed.");
        if (p == 0.5) return mapRaw(UnaryOp.SQRT);
        if (p == -0.5) return mapRaw(UnaryOp.RSQRT);
        return zipScalarRaw(BinaryOp.POW, p);
    }

    /** this^e, element-wise. d/dthis = e·this^(e−1) (0 where e = 0); d/de = result·ln(this) (0 where this = 0 and e ≥ 0). */
    public Tensor pow(Tensor e) {
        Tensor out = zipRaw(BinaryOp.POW, this, e);
        out.record("PowBackward1", new Tensor[] {this, e}, new Tensor[] {this, e, out}, (n, g) -> {
            Tensor a = n.saved(0), b = n.saved(1);
            Tensor da = null, db = null;
            if (n.needsInputGrad(0)) da = g.mul(b.mul(zipRaw(BinaryOp.POW, a, b.sub(1)))).maskedFill(b.eq(0), 0);
            if (n.needsInputGrad(1)) db = g.mul(n.saved(2).mul(a.log())).maskedFill(a.eq(0).and(b.ge(0)), 0);
            return new Tensor[] {da, db};
        });
        return out;
    }

    // comparisons: BOOL results, no graph
    public Tensor lt(Tensor o) { return zipRaw(BinaryOp.LT, this, o); }
    public Tensor gt(Tensor o) { return zipRaw(BinaryOp.GT, this, o); }
    public Tensor le(Tensor o) { return zipRaw(BinaryOp.LE, this, o); }
    public Tensor ge(Tensor o) { return zipRaw(BinaryOp.GE, this, o); }
    public Tensor eq(Tensor o) { return zipRaw(BinaryOp.EQ, this, o); }
    public Tensor ne(Tensor o) { return zipRaw(BinaryOp.NE, this, o); }
    public Tensor lt(double s) { return zipScalarRaw(BinaryOp.LT, s); }
    public Tensor gt(double s) { return zipScalarRaw(BinaryOp.GT, s); }
    public Tensor le(double s) { return zipScalarRaw(BinaryOp.LE, s); }
    public Tensor ge(double s) { return zipScalarRaw(BinaryOp.GE, s); }
    public Tensor eq(double s) { return zipScalarRaw(BinaryOp.EQ, s); }
    public Tensor ne(double s) { return zipScalarRaw(BinaryOp.NE, s); }
    public Tensor and(Tensor o) { return zipRaw(BinaryOp.AND, this, o); }
    public Tensor or(Tensor o) { return zipRaw(BinaryOp.OR, this, o); }

    /** {@code torch.where(cond, a, b)}: a where cond, else b, broadcast. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        if (cond.dtype != DType.BOOL) {
            throw new IllegalArgumentException("where expected condition to be a boolean tensor, but got a tensor with dtype " + typeName(cond.dtype));
        }
        int[] shape = Shape.broadcast("where", cond.shape, Shape.broadcast("where", a.shape, b.shape));
        DType t = Elementwise.promote(a, b);
        Tensor c = cond.broadcastData(shape), ac = a.broadcastData(shape), bc = b.broadcastData(shape);
        Tensor out = empty(t, shape);
        MemorySegment cs = c.segment(), as = ac.segment(), bs = bc.segment(), os = out.segment();
        for (long i = 0, n = out.numel(); i < n; i++) {
            boolean pick = Kernels.get(cs, c.dtype, c.offset + i) != 0;
            if (t == DType.I64) {   // exact: a double rounds int64 above 2^53
                out.segment().setAtIndex(JAVA_LONG, i, pick ? Kernels.getLong(as, ac.dtype, ac.offset + i) : Kernels.getLong(bs, bc.dtype, bc.offset + i));
            } else {
                Kernels.set(os, t, i, pick ? Kernels.get(as, ac.dtype, ac.offset + i) : Kernels.get(bs, bc.dtype, bc.offset + i));
            }
        }
        out.record("WhereBackward0", new Tensor[] {a, b}, new Tensor[] {cond}, (n, g) -> {
            Tensor m = n.saved(0);
            return new Tensor[] {n.needsInputGrad(0) ? g.maskedFill(m.eq(0), 0) : null, n.needsInputGrad(1) ? g.maskedFill(m.ne(0), 0) : null};
        });
        return out;
    }

    /** A copy with {@code value} where {@code mask} is true. d/dthis = g where mask is false. */
    public Tensor maskedFill(Tensor mask, double value) {
        if (mask.dtype != DType.BOOL) throw new IllegalArgumentException("masked_fill only supports boolean masks, but got mask with dtype " + mask.dtype.pytorchName());
        int[] shape = Shape.broadcast("masked_fill", this.shape, mask.shape);
        if (!Arrays.equals(shape, this.shape)) return expand(shape).maskedFill(mask, value);   // out of place, the result takes the broadcast shape
        Tensor out = contiguousCopy();
        Tensor m = mask.broadcastData(shape);
        MemorySegment ms = m.segment(), os = out.segment();
        for (long i = 0, n = out.numel(); i < n; i++) if (ms.get(java.lang.foreign.ValueLayout.JAVA_BYTE, m.offset + i) != 0) Kernels.set(os, out.dtype, i, value);
        out.record("MaskedFillBackward0", new Tensor[] {this}, new Tensor[] {mask}, (n, g) -> new Tensor[] {g.maskedFill(n.saved(0), 0)});
        return out;
    }

    // ---------------------------------------------------------------- reductions

    private int[] normalizeDims(int[] dims) { return Reduce.normalizeDims(this, dims); }

    private int[] keptShape(int[] dims, boolean keepdim) { return Reduce.keptShape(this, dims, keepdim); }

    private Tensor reducedLast(int[] dims) { return Reduce.reducedLast(this, dims, RAW); }

    private Tensor reduceRaw(Kernels.Reduce op, int[] dims, boolean keepdim, DType outType, MemorySegment idx) {
        return Reduce.reduce(op, this, dims, keepdim, outType, idx, RAW);
    }

    Tensor sumRaw(int[] dims, boolean keepdim) { return Reduce.sum(this, dims, keepdim, RAW); }


    /** Sum of every element: a 0-dim tensor. */
    public Tensor sum() {
        Tensor out = sumRaw(new int[0], false);
        int[] in = shape;
        out.record("SumBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.expandView(in)});
        return out;
    }

    /** Sum over {@code dims}, keeping them as size 1 if {@code keepdim}. */
    public Tensor sum(int[] dims, boolean keepdim) {
        int[] d = normalizeDims(dims);
        Tensor out = sumRaw(d, keepdim);
        int[] in = shape, kept = keptShape(d, true);
        out.record("SumBackward1", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.reshapeData(kept).expandView(in)});
        return out;
    }

    public Tensor sum(int dim) { return sum(new int[] {dim}, false); }

    public Tensor sum(int dim, boolean keepdim) { return sum(new int[] {dim}, keepdim); }

    public Tensor mean() {
        checkMeanDtype();
        long count = numel();
        Tensor out = sumRaw(new int[0], false).zipScalarRaw(BinaryOp.DIV, count);
        int[] in = shape;
        out.record("MeanBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.div(count).expandView(in)});
        return out;
    }

    public Tensor mean(int[] dims, boolean keepdim) {
        checkMeanDtype();
        int[] d = normalizeDims(dims);
        long count = 1;
        for (int x : d) count *= shape[x];
        final long c = count;
        Tensor out = sumRaw(d, keepdim).zipScalarRaw(BinaryOp.DIV, c);
        int[] in = shape, kept = keptShape(d, true);
        out.record("MeanBackward1", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.div(c).reshapeData(kept).expandView(in)});
        return out;
    }

    public Tensor mean(int dim) { return mean(new int[] {dim}, false); }

    private void checkMeanDtype() {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: " + typeName(dtype));
        }
    }

    public Tensor mean(int dim, boolean keepdim) { return mean(new int[] {dim}, keepdim); }

    /** Values and first indices of the maximum along a dimension: {@code x.max(dim)}. */
    public record ValuesIndices(Tensor values, Tensor indices) {}

    /** {@code x.max(dim, keepdim)}; ties send the gradient to the first index. */
    public ValuesIndices max(int dim, boolean keepdim) { return maxAlong(dim, keepdim, "max"); }

    /** {@link #max(int, boolean)}, {@code op} naming the caller in refusals. */
    private ValuesIndices maxAlong(int dim, boolean keepdim, String op) {
        int d = Shape.dim(dim, shape.length);
        if (shape.length == 0) return reshape(1).maxAlong(0, false, op);   // a 0-dim tensor: itself, at index 0 (PyTorch)
        if (shape[d] == 0) throw new IndexOutOfBoundsException(op + "(): Expected reduction dim " + d + " to have non-zero size.");
        int[] outShape = keptShape(new int[] {d}, keepdim);
        Tensor indices = empty(DType.I64, outShape);
        Tensor values = reduceRaw(Kernels.Reduce.MAX, new int[] {d}, keepdim, dtype, indices.segment());
        int[] in = shape, kept = keptShape(new int[] {d}, true);
        values.record("MaxBackward0", new Tensor[] {this}, new Tensor[] {indices}, (n, g) -> {
            Tensor idx = n.saved(0).reshapeData(kept);
            return new Tensor[] {zeros(g.dtype, in).scatterAddRaw(d, idx, g.reshapeData(kept))};
        });
        return new ValuesIndices(values, indices);
    }

    public ValuesIndices max(int dim) { return max(dim, false); }

    /** The largest element (NaN if any is NaN); ties share the gradient evenly, as do the NaNs when the result is NaN. */
    public Tensor max() {
        return amaxNamed(new int[0], false, "MaxBackward1");
    }

    /** {@code amax(dims)}: ties share the gradient evenly. */
    public Tensor amax(int[] dims, boolean keepdim) {
        return amaxNamed(dims, keepdim, "AmaxBackward0");
    }

    public Tensor amax(int dim) { return amax(new int[] {dim}, false); }

    private Tensor amaxNamed(int[] dims, boolean keepdim, String name) {
        int[] d = normalizeDims(dims);
        String op = name.equals("MaxBackward1") ? "max" : "amax";
        if (dims.length == 0 && numel() == 0) {
            throw new IllegalArgumentException(op + "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
        }
        for (int k : d) if (shape[k] == 0) throw new IndexOutOfBoundsException(op + "(): Expected reduction dim " + k + " to have non-zero size.");
        Tensor out = reduceRaw(Kernels.Reduce.MAX, d, keepdim, dtype, null);
        int[] kept = keptShape(d, true);
        boolean evenly = name.equals("MaxBackward1"), nanResult = evenly && Double.isNaN(out.item());
        out.record(name, new Tensor[] {this}, new Tensor[] {this, out}, (n, g) -> {
            Tensor x = n.saved(0);
            // max() shares the gradient among the NaNs when it returned NaN, and writes zeros elsewhere
            // (PyTorch's evenly_distribute_backward); amax scales by the count of x == result, which is
            // 0 when the result is NaN, so its gradient is NaN everywhere, as PyTorch's
            Tensor mask = nanResult ? x.ne(x) : x.eq(n.saved(1).reshapeData(kept));
            Tensor share = g.reshapeData(kept).div(mask.to(g.dtype).sumRaw(d, true));
            return new Tensor[] {evenly ? share.expandView(x.shape).maskedFill(mask.eq(0), 0) : mask.to(g.dtype).mul(share)};
        });
        return out;
    }

    /** Index of the (first) maximum along {@code dim}. */
    public Tensor argmax(int dim) {
        return maxAlong(dim, false, "argmax").indices.detach();
    }

    /** Index of the (first) maximum over all elements (flattened). */
    public Tensor argmax() {
        if (numel() == 0) throw new IndexOutOfBoundsException("argmax(): Expected reduction dim to be specified for input.numel() == 0.");
        if (numel() > Integer.MAX_VALUE) throw new IllegalArgumentException("argmax: " + numel() + " elements do not fit one dimension (at most " + Integer.MAX_VALUE + "); shape " + Shape.str(shape));
        return reshapeData(new int[] {(int) numel()}).argmax(0);
    }

    private Tensor softmaxImpl(int dim, boolean log) {
        int d = Shape.dim(dim, shape.length);
        int last = Math.max(0, shape.length - 1);
        if (!dtype.isFloatingPoint()) {   // PyTorch names its kernel: the last-dim one, or the general one
            String kernel = d == last ? (log ? "log_softmax_lastdim_kernel_impl" : "softmax_lastdim_kernel_impl") : "softmax_kernel_impl";
            throw new IllegalArgumentException("\"" + kernel + "\" not implemented for '" + typeName(dtype) + "'");
        }
        Tensor moved = (shape.length == 0 ? this : transposeView(d, last)).contiguousCopy();
        DType t = Elementwise.scalarResult(dtype);
        if (moved.dtype != t) moved = moved.to(t);
        long cols = shape.length == 0 ? 1 : shape[d];
        long rows = cols == 0 ? 0 : numel() / cols;
        Tensor res = empty(t, moved.shape);
        Kernels.softmaxRows(log, t, moved.segment(), rows, cols, res.segment());
        Tensor out = shape.length == 0 ? res : res.transposeView(d, last).contiguousCopy();
        if (log) {
            out.record("LogSoftmaxBackward0", new Tensor[] {this}, new Tensor[] {out}, (n, g) -> {
                Tensor y = n.saved(0);
                return new Tensor[] {g.sub(y.exp().mul(g.sumRaw(new int[] {d}, true)))};
            });
        } else {
            out.record("SoftmaxBackward0", new Tensor[] {this}, new Tensor[] {out}, (n, g) -> {
                Tensor y = n.saved(0);
                Tensor gy = g.mul(y);
                return new Tensor[] {gy.sub(y.mul(gy.sumRaw(new int[] {d}, true)))};
            });
        }
        return out;
    }

    public Tensor softmax(int dim) { return softmaxImpl(dim, false); }

    public Tensor logSoftmax(int dim) { return softmaxImpl(dim, true); }

    // ---------------------------------------------------------------- views

    /** Another layout over this tensor's memory; not a view for autograd until {@link #asView} makes it one. */
    private Tensor viewOf(int[] newShape, long[] newStrides, long newOffset) {
        return new Tensor(storage, dtype, newShape, newStrides, newOffset, null);
    }

    /**
     * Makes {@code out}, a layout over this tensor's memory made by a view op, a view in autograd's sense:
     * its base is this tensor's base (or this tensor), and it remembers the version and the grad mode it
     * was made at (a view of a view made without grad keeps that origin, as PyTorch's propagation does).
     */
    private Tensor asView(Tensor out) {
        out.viewBase = viewBase != null ? viewBase : this;
        out.viewVersion = storage.version();
        out.viewMade = !Grad.isEnabled() ? ViewMade.NO_GRAD_MODE : viewBase != null ? viewMade : ViewMade.GRAD_MODE;
        return out;
    }

    private int[] inferShape(int[] wanted) { return inferShape(wanted, "view"); }

    private int[] inferShape(int[] wanted, String op) {
        int[] s = wanted.clone();
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
            if (known == 0 && numel() == 0) {
                throw new IllegalArgumentException("cannot reshape tensor of 0 elements into shape " + Shape.str(wanted) + " because the unspecified dimension size -1 can be any value and is ambiguous");
            }
            if (known <= 0 || numel() % known != 0) throw new IllegalArgumentException("shape '" + Shape.str(wanted) + "' is invalid for input of size " + numel());
            long inferred = numel() / known;
            if (inferred > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": shape " + Shape.str(wanted) + " would need a dimension of " + inferred + " elements (at most "
                        + Integer.MAX_VALUE + ") for input of shape " + Shape.str(shape));
            }
            s[infer] = (int) inferred;
        }
        if (Shape.numel(s) != numel()) throw new IllegalArgumentException("shape '" + Shape.str(wanted) + "' is invalid for input of size " + numel());
        return s;
    }

    /** Strides for viewing this layout as {@code target} without copying, or null if impossible. */
    private long[] viewStrides(int[] target) { return Layout.viewStrides(this, target); }

    private Tensor reshapeData(int[] target) { return Layout.reshape(this, target, RAW); }

    /** A view with a new shape (one -1 inferred); fails if the layout cannot be viewed so. */
    public Tensor view(int... newShape) {
        int[] target = inferShape(newShape);
        long[] st = viewStrides(target);
        if (st == null) {
            throw new IllegalStateException("view size is not compatible with input tensor's size and stride (at least one dimension spans across"
                    + " two contiguous subspaces). Use .reshape(...) instead. (shape " + Shape.str(shape) + ", strides " + Arrays.toString(strides) + ", view " + Shape.str(target) + ")");
        }
        Tensor out = asView(viewOf(target, st, offset));
        int[] in = shape;
        out.record("ViewBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.reshape(in)});
        return out;
    }

    /** {@link #view} when possible, else a copy. */
    public Tensor reshape(int... newShape) {
        int[] target = inferShape(newShape, "reshape");
        if (viewStrides(target) != null) return view(target);
        Tensor out = contiguousCopy().reshapeData(target);
        int[] in = shape;
        out.record("UnsafeViewBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.reshape(in)});
        return out;
    }

    /** All dimensions into one. */
    public Tensor flatten() { return reshape(-1); }

    private Tensor permuteView(int[] perm) { return Layout.permute(this, perm, RAW); }

    private Tensor transposeView(int d0, int d1) { return Layout.transpose(this, d0, d1, RAW); }

    public Tensor permute(int... dims) {
        if (dims.length != shape.length) throw new IllegalArgumentException("permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = " + shape.length + " is not equal to len(dims) = " + dims.length);
        int[] perm = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            perm[i] = Shape.dim(dims[i], shape.length);
            if (seen[perm[i]]) throw new IllegalArgumentException("permute(): duplicate dims are not allowed: " + Arrays.toString(dims));
            seen[perm[i]] = true;
        }
        Tensor out = asView(permuteView(perm));
        int[] inverse = new int[perm.length];
        for (int i = 0; i < perm.length; i++) inverse[perm[i]] = i;
        out.record("PermuteBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.permute(inverse)});
        return out;
    }

    public Tensor transpose(int dim0, int dim1) {
        int a = Shape.dim(dim0, shape.length), b = Shape.dim(dim1, shape.length);
        Tensor out = asView(shape.length == 0 ? viewOf(shape, strides, offset) : transposeView(a, b));
        out.record("TransposeBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.transpose(a, b)});
        return out;
    }

    /** The transpose of a matrix (a vector or scalar as it is): {@code x.t()}. */
    public Tensor t() {
        if (shape.length > 2) throw new IllegalArgumentException("t() expects a tensor with <= 2 dimensions, but self is " + shape.length + "D");
        Tensor out = asView(shape.length < 2 ? viewOf(shape, strides, offset) : transposeView(0, 1));
        out.record("TBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.t()});
        return out;
    }

    /** Removes every size-1 dimension. */
    public Tensor squeeze() {
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < shape.length; i++) if (shape[i] != 1) keep.add(i);
        int[] s = keep.stream().mapToInt(i -> shape[i]).toArray();
        long[] st = keep.stream().mapToLong(i -> strides[i]).toArray();
        Tensor out = asView(viewOf(s, st, offset));
        int[] in = shape;
        out.record("SqueezeBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.reshape(in)});
        return out;
    }

    /** Removes dimension {@code dim} if its size is 1. */
    public Tensor squeeze(int dim) {
        int d = Shape.dim(dim, shape.length);
        Tensor out;
        if (shape.length == 0 || shape[d] != 1) {
            out = viewOf(shape, strides, offset);
        } else {
            int[] s = new int[shape.length - 1];
            long[] st = new long[shape.length - 1];
            for (int i = 0, k = 0; i < shape.length; i++) {
                if (i == d) continue;
                s[k] = shape[i];
                st[k++] = strides[i];
            }
            out = viewOf(s, st, offset);
        }
        asView(out);
        int[] in = shape;
        out.record("SqueezeBackward1", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.reshape(in)});
        return out;
    }

    /** Inserts a size-1 dimension at {@code dim}. */
    public Tensor unsqueeze(int dim) {
        int d = Shape.dim(dim, shape.length + 1);
        int[] s = new int[shape.length + 1];
        long[] st = new long[shape.length + 1];
        for (int i = 0, k = 0; i < s.length; i++) {
            if (i == d) {
                s[i] = 1;
                st[i] = k < shape.length ? strides[k] * shape[k] : 1;
            } else {
                s[i] = shape[k];
                st[i] = strides[k++];
            }
        }
        Tensor out = asView(viewOf(s, st, offset));
        out.record("UnsqueezeBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g.squeeze(d)});
        return out;
    }

    /** A broadcast view ({@code -1} keeps a size); its gradient is summed back by the engine. */
    public Tensor expand(int... sizes) {
        Tensor out = asView(expandView(sizes));
        out.record("ExpandBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g});
        return out;
    }

    /** {@code x[start:end:step]} along {@code dim}, Python's rules for negative and out-of-range bounds. */
    public Tensor slice(int dim, long start, long end, long step) {
        if (shape.length == 0) throw new IndexOutOfBoundsException("slice() cannot be applied to a 0-dim tensor.");
        int d = Shape.dim(dim, shape.length);
        if (step <= 0) throw new IllegalArgumentException("slice step must be positive, got " + step);
        int size = shape[d];
        long s = start < 0 ? Math.max(0, start + size) : Math.min(start, size);
        long e = end < 0 ? Math.max(0, end + size) : Math.min(end, size);
        int len = (int) (e > s ? (e - s - 1) / step + 1 : 0);   // (e - s + step - 1) / step would overflow for a huge step
        int[] sh = shape.clone();
        long[] st = strides.clone();
        sh[d] = len;
        st[d] = strides[d] * step;
        Tensor out = asView(viewOf(sh, st, offset + s * strides[d]));
        int[] in = shape;
        out.record("SliceBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> {
            Tensor z = zeros(g.dtype, in);
            z.slice(d, s, e, step).assignData(g);
            return new Tensor[] {z};
        });
        return out;
    }

    public Tensor slice(int dim, long start, long end) { return slice(dim, start, end, 1); }

    /** {@code x[i]} along {@code dim}: the dimension goes away. */
    public Tensor select(int dim, long index) {
        if (shape.length == 0) throw new IndexOutOfBoundsException("select() cannot be applied to a 0-dim tensor.");
        int d = Shape.dim(dim, shape.length);
        long i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d]) throw new IndexOutOfBoundsException("select(): index " + index + " out of range for tensor of size " + Shape.str(shape) + " at dimension " + d);
        Tensor out = asView(selectView(d, i));
        int[] in = shape;
        out.record("SelectBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> {
            Tensor z = zeros(g.dtype, in);
            z.select(d, i).assignData(g);
            return new Tensor[] {z};
        });
        return out;
    }

    /**
     * Python-style indexing: {@code x.index("1:3")}, {@code x.index(":, ::2")}, {@code x.index("1")},
     * {@code x.index("-1, 2:")}. Integers select (the dimension goes), slices keep it.
     */
    public Tensor index(String spec) {
        String[] parts = spec.split(",", -1);
        if (shape.length == 0 && parts.length == 1 && !spec.contains(":")) {
            parseIndex(spec.strip(), spec.strip(), spec);
            throw new IndexOutOfBoundsException("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
        }
        if (parts.length > Math.max(1, shape.length)) throw new IndexOutOfBoundsException("too many indices for tensor of dimension " + shape.length);
        Tensor t = this;
        int dim = 0;
        for (String raw : parts) {
            String p = raw.strip();
            if (p.contains(":")) {
                String[] f = p.split(":", -1);
                if (f.length > 3) throw new IllegalArgumentException("index: '" + p + "' is not an integer or a slice (start:stop:step), in '" + spec + "'");
                long step = f.length == 3 && !f[2].isBlank() ? parseIndex(f[2].strip(), p, spec) : 1;
                long start = f[0].isBlank() ? 0 : parseIndex(f[0].strip(), p, spec);
                long end = f[1].isBlank() ? Long.MAX_VALUE : parseIndex(f[1].strip(), p, spec);
                t = t.slice(dim++, start, end, step);
            } else {
                t = t.select(dim, parseIndex(p, p, spec));
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

    // ---------------------------------------------------------------- gather, indexSelect, cat, stack

    private static void checkIndex(Tensor index, String op) { Scatter.checkIndex(index, op); }

    /** Adds src into this (contiguous, fresh) at positions index[...] along dim: the backward of gather. */
    private Tensor scatterAddRaw(int dim, Tensor index, Tensor src) {
        Scatter.scatterAdd(this, dim, index, src, RAW);
        return this;
    }

    /** {@code torch.gather(x, dim, index)}: out[i][j] = x[i][index[i][j]] for dim 1. */
    public Tensor gather(int dim, Tensor index) {
        checkIndex(index, "gather");
        int d = Shape.dim(dim, shape.length);
        if (shape.length == 0 && index.dim() <= 1) {   // a 0-dim input gathers as one element of size 1 (PyTorch)
            Tensor out = reshape(1).gather(0, index.reshape(-1));
            return index.dim() == 0 ? out.reshape() : out;
        }
        if (index.dim() != shape.length) throw new IllegalArgumentException("gather(): Index tensor must have the same number of dimensions as input tensor (" + Shape.str(index.shape) + " vs " + Shape.str(shape) + ")");
        Tensor out = Scatter.gather(this, d, index, RAW);
        int[] in = shape;
        out.record("GatherBackward0", new Tensor[] {this}, new Tensor[] {index}, (n, g) -> new Tensor[] {zeros(g.dtype, in).scatterAddRaw(d, n.saved(0), g)});
        return out;
    }

    /** Rows (along dim) picked by a 1-D I64 index: {@code torch.index_select}. */
    public Tensor indexSelect(int dim, Tensor index) {
        checkIndex(index, "index_select");
        if (index.dim() > 1) throw new IllegalArgumentException("index_select(): Index is supposed to be a vector, got shape " + Shape.str(index.shape));
        int d = Shape.dim(dim, shape.length);
        if (shape.length == 0) {   // PyTorch: a 0-dim result, every index must be 0
            for (long id : index.toLongArray()) if (id != 0) throw new IndexOutOfBoundsException("index out of range in self");
            return reshape(1).indexSelect(0, index.reshape(-1).slice(0, 0, 1)).reshape();
        }
        Tensor ix = index.isContiguous() ? index : index.contiguous();
        Tensor out = Scatter.indexSelect(this, d, ix, RAW);
        int[] in = shape;
        out.record("IndexSelectBackward0", new Tensor[] {this}, new Tensor[] {ix}, (n, g) -> {
            long[] ids = n.saved(0).toLongArray();
            Tensor z = zeros(g.dtype, in);
            for (int i = 0; i < ids.length; i++) {
                Tensor row = z.selectView(d, ids[i]);
                row.assignData(row.addRaw(g.selectView(d, i)));
            }
            return new Tensor[] {z};
        });
        return out;
    }

    private Tensor selectView(int d, long i) { return Layout.select(this, d, i, RAW); }

    /** Joins tensors along an existing dimension. */
    public static Tensor cat(int dim, Tensor... tensors) {
        if (tensors.length == 0) throw new IllegalArgumentException("torch.cat(): expected a non-empty list of Tensors");
        for (int i = 0; i < tensors.length; i++) {
            if (tensors[i].shape.length == 0) throw new IllegalArgumentException("zero-dimensional tensor (at position " + i + ") cannot be concatenated");
        }
        Tensor first = tensors[0];
        int d = Shape.dim(dim, first.shape.length);
        long total = 0;
        DType t = first.dtype;
        for (Tensor x : tensors) {
            if (x.shape.length != first.shape.length) throw new IllegalArgumentException("Tensors must have same number of dimensions: got " + first.shape.length + " and " + x.shape.length);
            for (int k = 0; k < first.shape.length; k++) {
                if (k != d && x.shape[k] != first.shape[k]) throw new IllegalArgumentException("Sizes of tensors must match except in dimension " + d + ". Expected size " + first.shape[k] + " but got size " + x.shape[k] + " for tensor number " + Arrays.asList(tensors).indexOf(x) + " in the list (shapes " + Shape.str(first.shape) + ", " + Shape.str(x.shape) + ")");
            }
            total += x.shape[d];
            t = Elementwise.promoteTypes(t, x.dtype);
        }
        if (total > Integer.MAX_VALUE) {
            StringBuilder shapes = new StringBuilder();
            for (Tensor x : tensors) shapes.append(shapes.isEmpty() ? "" : ", ").append(Shape.str(x.shape));
            throw new IllegalArgumentException("cat: the size " + total + " of dimension " + d + " does not fit an int (at most " + Integer.MAX_VALUE + "); shapes " + shapes);
        }
        int[] outShape = first.shape.clone();
        outShape[d] = (int) total;
        Tensor out = empty(t, outShape);
        int at = 0;
        int[] sizes = new int[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            sizes[i] = tensors[i].shape[d];
            out.slice(d, at, at + sizes[i], 1).assignData(tensors[i]);
            at += sizes[i];
        }
        out.record("CatBackward0", tensors, new Tensor[0], (n, g) -> {
            Tensor[] grads = new Tensor[sizes.length];
            int from = 0;
            for (int i = 0; i < sizes.length; i++) {
                if (n.needsInputGrad(i)) grads[i] = g.slice(d, from, from + sizes[i], 1);
                from += sizes[i];
            }
            return grads;
        });
        return out;
    }

    /** Joins tensors of one shape along a new dimension. */
    public static Tensor stack(int dim, Tensor... tensors) {
        if (tensors.length == 0) throw new IllegalArgumentException("stack expects a non-empty TensorList");
        int d = Shape.dim(dim, tensors[0].shape.length + 1);
        Tensor[] parts = new Tensor[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            if (!Arrays.equals(tensors[i].shape, tensors[0].shape)) throw new IllegalArgumentException("stack expects each tensor to be equal size, but got " + Shape.str(tensors[0].shape) + " at entry 0 and " + Shape.str(tensors[i].shape) + " at entry " + i);
            parts[i] = tensors[i].detach().unsqueeze(d);
        }
        Tensor out;
        try (var off = Grad.disabled()) {
            out = cat(d, parts);
        }
        out.record("StackBackward0", tensors, new Tensor[0], (n, g) -> {
            Tensor[] grads = new Tensor[tensors.length];
            for (int i = 0; i < grads.length; i++) if (n.needsInputGrad(i)) grads[i] = g.select(d, i);
            return grads;
        });
        return out;
    }

    // ---------------------------------------------------------------- matmul

    /** Matrix product with PyTorch's rules: 1D·1D dot, 2D·1D, 1D·2D, 2D·2D, batched and broadcast ND. */
    /**
     * A 1-D or 2-D tensor times a batch ({@code o} of 3 dims or more), as PyTorch folds it: the batch's
     * transposed matrices stacked into one [batch * n, k] operand (a copy, so what backward saves does
     * not alias {@code o}), one mv or mm, then the batch shape back.
     */
    private Tensor foldedMatmulFrom(Tensor o) {
        int k = o.shape[o.shape.length - 2], n = o.shape[o.shape.length - 1];
        int[] batch = Arrays.copyOf(o.shape, o.shape.length - 2);
        Tensor folded = o.transpose(-1, -2).reshape(foldedRows(o.shape, o.shape.length - 2, n), k);   // not -1: k may be 0
        if (shape.length == 1) {
            int[] out = Arrays.copyOf(batch, batch.length + 1);
            out[batch.length] = n;
            return folded.matmul(this).reshape(out);
        }
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = n;
        out[batch.length + 1] = shape[0];
        return folded.matmul(t()).reshape(out).transpose(-1, -2).contiguous();
    }

    /** The rows a fold stacks: the product of {@code sizes[0 .. upTo)} times {@code times}, as one dimension. */
    private static int foldedRows(int[] sizes, int upTo, int times) {
        long rows = times;
        for (int d = 0; d < upTo; d++) rows = Math.multiplyExact(rows, sizes[d]);
        return Shape.dimSize(rows, "matmul");
    }

    public Tensor matmul(Tensor o) {
        if (!dtype.isFloatingPoint() || dtype != o.dtype) {
            throw new IllegalArgumentException("matmul: expected both operands to have the same floating dtype, but got " + dtype.pytorchName() + " and " + o.dtype.pytorchName());
        }
        if (shape.length == 0 || o.shape.length == 0) throw new IllegalArgumentException("both arguments to matmul need to be at least 1D, but they are " + shape.length + "D and " + o.shape.length + "D");
        int k1 = shape[shape.length - 1];
        int k2 = o.shape.length == 1 ? o.shape[0] : o.shape[o.shape.length - 2];
        if (k1 != k2) {
            throw new IllegalArgumentException("matmul: " + Shape.str(shape) + " @ " + Shape.str(o.shape) + ": inner sizes " + k1 + " != " + k2
                    + " (mat1 and mat2 shapes cannot be multiplied)");
        }
        if (shape.length == 1 && o.shape.length == 1) {
            Tensor out = mmRaw(reshapeData(new int[] {1, k1}), o.reshapeData(new int[] {k1, 1})).reshapeData(new int[0]);
            out.record("DotBackward0", new Tensor[] {this, o}, new Tensor[] {this, o}, (n, g) -> new Tensor[] {
                    n.needsInputGrad(0) ? n.saved(1).mul(g) : null, n.needsInputGrad(1) ? n.saved(0).mul(g) : null});
            return out;
        }
        if (shape.length == 2 && o.shape.length == 1) {
            Tensor out = mmRaw(this, o.reshapeData(new int[] {k1, 1})).reshapeData(new int[] {shape[0]});
            out.record("MvBackward0", new Tensor[] {this, o}, new Tensor[] {this, o}, (n, g) -> new Tensor[] {
                    n.needsInputGrad(0) ? g.unsqueeze(1).matmul(n.saved(1).unsqueeze(0)) : null,
                    n.needsInputGrad(1) ? n.saved(0).t().matmul(g) : null});
            return out;
        }
        if (shape.length == 1 && o.shape.length == 2) return unsqueeze(0).matmul(o).squeeze(-2);
        if (o.shape.length >= 3 && shape.length <= 2) return foldedMatmulFrom(o);
        if (shape.length >= 3 && o.shape.length <= 2) {
            // PyTorch folds the batch into the rows: one mm (or mv) on [batch * m, k]
            int[] out = Arrays.copyOf(shape, shape.length - (o.shape.length == 1 ? 1 : 0));
            if (o.shape.length == 2) out[out.length - 1] = o.shape[1];
            return reshape(foldedRows(shape, shape.length - 1, 1), k1).matmul(o).reshape(out);   // not -1: k1 may be 0
        }
        if (shape.length == 2 && o.shape.length == 2) {
            Tensor out = mmRaw(this, o);
            out.record("MmBackward0", new Tensor[] {this, o}, new Tensor[] {this, o}, (n, g) -> {
                Tensor a = n.saved(0), b = n.saved(1);
                // an input that is a transposed view (a Linear's weight.t()) gets its gradient computed in the
                // weight's own layout and returned transposed: the weight's .grad then adds contiguously
                Tensor ga = !n.needsInputGrad(0) ? null : a.isTransposedContiguous() ? b.matmul(g.t()).t() : g.matmul(b.t());
                Tensor gb = !n.needsInputGrad(1) ? null : b.isTransposedContiguous() ? g.t().matmul(a).t() : a.t().matmul(g);
                return new Tensor[] {ga, gb};
            });
            return out;
        }
        // batched: broadcast the batch dimensions, one GEMM per matrix
        int[] ba = Arrays.copyOf(shape, shape.length - 2), bb = Arrays.copyOf(o.shape, o.shape.length - 2);
        int[] batch = Shape.broadcast("matmul", ba, bb);
        int m = shape[shape.length - 2], n = o.shape[o.shape.length - 1];
        int[] aShape = Arrays.copyOf(batch, batch.length + 2), bShape = Arrays.copyOf(batch, batch.length + 2), outShape = Arrays.copyOf(batch, batch.length + 2);
        aShape[batch.length] = m; aShape[batch.length + 1] = k1;
        bShape[batch.length] = k1; bShape[batch.length + 1] = n;
        outShape[batch.length] = m; outShape[batch.length + 1] = n;
        Tensor a3 = expandView(aShape).reshapeData(new int[] {Shape.dimSize(Shape.numel(batch), "matmul batch"), m, k1});
        Tensor b3 = o.expandView(bShape).reshapeData(new int[] {Shape.dimSize(Shape.numel(batch), "matmul batch"), k1, n});
        Tensor out = empty(dtype, outShape);
        Tensor out3 = out.reshapeData(new int[] {Shape.dimSize(Shape.numel(batch), "matmul batch"), m, n});
        for (int i = 0; i < out3.shape[0]; i++) out3.selectView(0, i).assignData(mmRaw(a3.selectView(0, i), b3.selectView(0, i)));
        out.record("BmmBackward0", new Tensor[] {this, o}, new Tensor[] {this, o}, (nd, g) -> new Tensor[] {
                nd.needsInputGrad(0) ? g.matmul(nd.saved(1).transpose(-1, -2)) : null,
                nd.needsInputGrad(1) ? nd.saved(0).transpose(-1, -2).matmul(g) : null});
        return out;
    }

    /** Alias of {@link #matmul} for 2-D operands, as {@code torch.mm}. */
    public Tensor mm(Tensor o) {
        if (shape.length != 2 || o.shape.length != 2) throw new IllegalArgumentException("mm: expected 2-D tensors, got " + Shape.str(shape) + " and " + Shape.str(o.shape));
        return matmul(o);
    }

    /** How BLAS can read a 2-D view without a copy: transposed or not, and the leading dimension; null if it cannot. */

    private static Tensor mmRaw(Tensor a, Tensor b) { return Gemm.mm(a, b, RAW); }

    private static void mmInto(Tensor a, Tensor b, Tensor c, boolean accumulate) { Gemm.mmInto(a, b, c, accumulate, RAW); }

    /**
     * {@code x·wᵀ + b} for x [N, in], w [out, in], b [out] (or null), optionally followed by relu: a
     * Linear layer in one GEMM. The bias is laid into the output first and the GEMM adds to it (β = 1);
     * relu then runs in place. Backward (AddmmBackward0, or ReluBackward0 with relu) computes the
     * weight's gradient straight into {@code w.grad} with one GEMM (β = 1) when w is a leaf with a
     * contiguous gradient, so no weight-sized temporary is made.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor b, boolean relu) {
        if (x.dim() != 2 || w.dim() != 2 || x.shape[1] != w.shape[1] || (b != null && (b.dim() != 1 || b.shape[0] != w.shape[0]))
                || x.dtype != w.dtype || (b != null && b.dtype != w.dtype)) {
            throw new IllegalArgumentException("linear: input " + Shape.str(x.shape) + " " + x.dtype.pytorchName() + ", weight " + Shape.str(w.shape)
                    + (b == null ? "" : ", bias " + Shape.str(b.shape)) + ": expected input [N, in], weight [out, in], bias [out] of one dtype");
        }
        int rows = x.shape[0], cols = w.shape[0];
        Tensor out = empty(x.dtype, rows, cols);
        if (b != null) Gemm.fillRows(out, b, RAW);
        mmInto(x, w.transposeView(0, 1), out, b != null);   // a view for BLAS's transpose flag, not a graph op
        if (relu) Kernels.map(UnaryOp.RELU, out.dtype, out.segment(), 0, out.segment(), 0, out.numel());
        String name = relu ? "ReluBackward0" : b != null ? "AddmmBackward0" : "MmBackward0";
        out.record(name, new Tensor[] {x, w, b}, relu ? new Tensor[] {x, w, out} : new Tensor[] {x, w}, (n, g) -> {
            Tensor gz = !relu ? g : n.canOverwriteGrad() ? reluGradInPlace(g, n.saved(2)) : reluGrad(g, n.saved(2));
            Tensor sx = n.saved(0), sw = n.saved(1);
            Tensor gx = n.needsInputGrad(0) ? gz.matmul(sw) : null;
            Tensor gw = null;
            if (n.needsInputGrad(1) && !sw.accumulateGradProduct(gz.t(), sx)) gw = gz.t().matmul(sx);
            Tensor gb = n.needsInputGrad(2) ? gz.sumRaw(new int[] {0}, false) : null;
            return new Tensor[] {gx, gw, gb};
        });
        return out;
    }

    /**
     * For a leaf whose gradient is absent or contiguous: {@code grad += a·b} by one GEMM straight into
     * the gradient (allocated with the leaf's lifetime if absent). False, doing nothing, otherwise; the
     * caller then returns the product to the engine as usual.
     */
    boolean accumulateGradProduct(Tensor a, Tensor b) {
        if (gradFn != null || !requiresGrad || retainsGrad) return false;
        if (grad != null && (!grad.isContiguous() || grad.dtype != dtype)) return false;
        if (grad == null) {
            Tensor fresh = emptyWithLifetimeOf(this, "grad");
            mmInto(a, b, fresh, false);
            grad = fresh;
        } else {
            mmInto(a, b, grad, true);
        }
        return true;
    }

    // ---------------------------------------------------------------- copies and conversions

    /** A copy with its own storage, in the graph (CloneBackward0). */
    public Tensor clone() {
        Tensor out = contiguousCopy();
        out.record("CloneBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {g});
        return out;
    }

    /** This tensor in another dtype (itself if already that dtype). */
    public Tensor to(DType target) {
        if (target == dtype) return this;
        Tensor out = converted(target);
        if (target.isFloatingPoint()) {
            DType from = dtype;
            out.record("ToCopyBackward0", new Tensor[] {this}, new Tensor[0], (n, g) -> new Tensor[] {from.isFloatingPoint() ? g.to(from) : null});
        }
        return out;
    }

    /** Moves this tensor's storage out of the current {@link MemoryScope} into the enclosing lifetime. */
    public Tensor keep() {
        MemoryScope owner = storage.scope();
        if (owner != null) owner.moveOut(storage);
        return this;
    }

    // ---------------------------------------------------------------- in-place ops

    /** PyTorch's {@code check_inplace}, for an in-place op that records (grad mode on, an input requires grad). */
    private void checkInPlace() {
        if (viewBase != null) {
            checkViewRebase(false);
            if (requiresGrad() && viewBase.isLeaf()) {
                throw new IllegalStateException("a view of a leaf Variable that requires grad is being used in an in-place operation.");
            }
        }
        if (requiresGrad() && isLeaf()) throw new IllegalStateException("a leaf Variable that requires grad is being used in an in-place operation.");
    }

    /**
     * What every in-place op that reads an operand checks first, before any state changes: the autograd
     * rules when the op will be recorded ({@link #checkInPlace}; PyTorch checks them first too), then
     * PyTorch's memory-overlap rules: no two elements of this tensor share memory (an expanded view), and
     * {@code operand} (if any) does not partly overlap it.
     */
    private void checkWritable(Tensor operand) {
        if (Grad.isEnabled() && (requiresGrad() || (operand != null && operand.requiresGrad()))) checkInPlace();
        if (!isNonOverlappingAndDense()) {
            for (int i = 0; i < shape.length; i++) {
                if (strides[i] == 0 && shape[i] > 1) {
                    throw new IllegalArgumentException("unsupported operation: more than one element of the written-to tensor refers to a single memory location."
                            + " Please clone() the tensor before performing the operation.");
                }
            }
        }
        if (operand != null && partlyOverlaps(operand)) {
            throw new IllegalArgumentException("unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location."
                    + " Please clone() the tensor before performing the operation.");
        }
    }

    /**
     * PyTorch's get_overlap_status == PARTIAL: both tensors dense and non-overlapping in one storage,
     * their memory ranges intersect, and they are not the same elements with the same strides. Layouts
     * PyTorch cannot judge cheaply (strided, expanded) pass, as they do there.
     */
    private boolean partlyOverlaps(Tensor o) {
        if (o == this || o.storage != storage || numel() == 0 || o.numel() == 0) return false;
        if (!isNonOverlappingAndDense() || !o.isNonOverlappingAndDense()) return false;
        long begin = offset, end = offset + numel(), oBegin = o.offset, oEnd = o.offset + o.numel();
        if (begin == oBegin && end == oEnd) return !Arrays.equals(strides, o.strides);
        return begin < oEnd && oBegin < end;
    }

    /** PyTorch's is_non_overlapping_and_dense: some permutation of the dims is contiguous (size-1 dims aside). */
    private boolean isNonOverlappingAndDense() {
        if (isContiguous()) return true;
        Integer[] perm = new Integer[shape.length];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        Arrays.sort(perm, (x, y) -> shape[x] < 2 || shape[y] < 2 ? Boolean.compare(shape[x] < 2, shape[y] < 2) : Long.compare(strides[x], strides[y]));
        long expected = 1;
        for (int i : perm) {
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /**
     * The in-place pattern: compute the out-of-place result, write it into this tensor's elements, bump
     * the version counter, and (when recording) make the result's node this tensor's grad_fn.
     */
    private Tensor inPlace(java.util.function.Function<Tensor, Tensor> op, Tensor other) {
        boolean track = Grad.isEnabled() && (requiresGrad() || (other != null && other.requiresGrad()));
        if (track) checkInPlace();
        Tensor result;
        if (track) {
            // the op may save its input: it gets the value before this write, a copy standing in for this tensor in the
            // graph (this tensor's grad_fn as its own, as PyTorch's next_functions show: no CloneBackward0 in between)
            Tensor original = contiguousCopy();
            original.gradFn = fn();
            result = op.apply(original);
        } else {
            try (var off = Grad.disabled()) {
                result = op.apply(this);
            }
        }
        if (!canCast(result.dtype, dtype)) {   // refused before anything is written, as PyTorch does
            throw new IllegalArgumentException("result type " + typeName(result.dtype) + " can't be cast to the desired output type " + typeName(dtype));
        }
        assignData(result);
        storage.bumpVersion();
        if (track) rebaseHistory(result.gradFn);
        return this;
    }

    /**
     * PyTorch's {@code rebase_history}: {@code fn}, the node of the in-place op just applied, becomes this
     * tensor's grad_fn (a retained gradient follows it). For a view, the base takes a CopySlices around fn
     * instead, and the view's grad_fn is rebuilt over it (AsStridedBackward0).
     */
    private void rebaseHistory(Node<Tensor> fn) {
        if (viewBase == null) {
            Node<Tensor> old = gradFn;
            gradFn = fn;
            moveRetainer(old);
            return;
        }
        Tensor base = viewBase;
        int[] baseShape = base.shape, viewShape = shape;
        long[] baseStrides = base.strides, viewStrides = strides;
        long viewOffset = offset - base.offset;
        DType t = dtype;
        base.gradFn = new CopySlices<>(base.edge(), base.shape, base.dtype, fn, (n, g) -> {
            // the base's gradient in the base's layout; the window under the view gets fn's gradient for the view's old value
            Tensor result = zerosLaidOutAs(t, baseShape, baseStrides);
            result.assignData(g);
            Tensor window = result.window(viewShape, viewStrides, viewOffset);
            Tensor[] grads = ((CopySlices<Tensor>) n).applyFn(window.contiguousCopy());
            grads = Arrays.copyOf(grads, n.nextFunctions().size());
            if (n.needsInputGrad(0)) {
                window.assignData(grads[0] == null ? scalar(t, 0) : grads[0].sumTo(viewShape));
                grads[0] = result;
            } else {
                grads[0] = null;
            }
            return grads;
        });
        fn();   // the version moved on: this view's grad_fn becomes an AsStridedBackward0 over the CopySlices
    }

    /** This view's grad_fn over its base's current one: the gradient lands in the view's place in a base-shaped zero buffer. */
    private Node<Tensor> asStridedBackward() {
        Tensor base = viewBase;
        int[] baseShape = base.shape, viewShape = shape;
        long[] baseStrides = base.strides, viewStrides = strides;
        long viewOffset = offset - base.offset;
        DType t = dtype;
        return new Node<>("AsStridedBackward0", Collections.singletonList(base.edge()), new int[][] {baseShape}, new DType[] {base.dtype}, (n, g) -> {
            Tensor result = zerosLaidOutAs(t, baseShape, baseStrides);
            // dims where the view repeats memory (stride 0, an expand) add up their gradient first
            int[] repeated = java.util.stream.IntStream.range(0, viewShape.length).filter(d -> viewStrides[d] == 0 && viewShape[d] > 1).toArray();
            int[] windowShape = viewShape.clone();
            for (int d : repeated) windowShape[d] = 1;
            result.window(windowShape, viewStrides, viewOffset).assignData(repeated.length == 0 ? g : g.sumRaw(repeated, true));
            return new Tensor[] {result};
        }, null, new Tensor[0]);
    }

    /** Zeros with the given shape and strides over a storage of their own that spans them (offset 0). */
    private static Tensor zerosLaidOutAs(DType dtype, int[] shape, long[] strides) {
        long span = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) span = 0;
            if (span > 0) span = Math.addExact(span, Math.multiplyExact(shape[d] - 1L, strides[d]));
        }
        Tensor flat = zeros(dtype, Math.toIntExact(span));
        return new Tensor(flat.storage, dtype, shape.clone(), strides.clone(), 0, null);
    }

    /** Another layout over this tensor's storage, outside the graph: where a view sits in a buffer laid out as its base. */
    private Tensor window(int[] windowShape, long[] windowStrides, long windowOffset) {
        return new Tensor(storage, dtype, windowShape, windowStrides, offset + windowOffset, null);
    }

    /** PyTorch's canCast for an in-place result: not floating into an integer, nor a number into a bool. */
    private static boolean canCast(DType from, DType to) {
        if (from.isFloatingPoint() && !to.isFloatingPoint()) return false;
        return !(from != DType.BOOL && to == DType.BOOL);
    }

    public Tensor addInPlace(Tensor o) { return addInPlace(o, 1); }

    public Tensor addInPlace(Tensor o, double alpha) {
        checkWritable(o);
        if (!writesDirectly(o)) return inPlace(x -> x.add(o, alpha), o);
        Kernels.addScaled(dtype, segment(), offset, o.segment(), o.offset, alpha, numel());
        return wrote();
    }

    public Tensor addInPlace(double s) { return scalarInPlace(BinaryOp.ADD, s, x -> x.add(s)); }

    public Tensor subInPlace(Tensor o) { return zipInPlace(BinaryOp.SUB, o, x -> x.sub(o)); }

    public Tensor subInPlace(double s) { return scalarInPlace(BinaryOp.SUB, s, x -> x.sub(s)); }

    public Tensor mulInPlace(Tensor o) { return zipInPlace(BinaryOp.MUL, o, x -> x.mul(o)); }

    public Tensor mulInPlace(double s) { return scalarInPlace(BinaryOp.MUL, s, x -> x.mul(s)); }

    public Tensor divInPlace(Tensor o) { return zipInPlace(BinaryOp.DIV, o, x -> x.div(o)); }

    public Tensor divInPlace(double s) { return scalarInPlace(BinaryOp.DIV, s, x -> x.div(s)); }

    public Tensor clampInPlace(double min, double max) {
        checkWritable(null);
        if (!writesDirectly(null) || min > max) return inPlace(x -> x.clamp(min, max), null);
        Kernels.zipScalar(BinaryOp.MAX, dtype, segment(), offset, min, dtype, segment(), offset, numel());
        Kernels.zipScalar(BinaryOp.MIN, dtype, segment(), offset, max, dtype, segment(), offset, numel());
        return wrote();
    }

    /**
     * Whether an in-place op can write its result straight into this tensor: nothing to record (no
     * grad mode, or nothing requires grad), a contiguous floating-point tensor, and an operand (if any)
     * of the same shape and dtype, contiguous, not overlapping this one differently. Otherwise the op
     * computes out of place and copies (the general path, which also records the graph).
     */
    private boolean writesDirectly(Tensor o) {
        if (Grad.isEnabled() && (requiresGrad() || (o != null && o.requiresGrad()))) return false;
        if (!isContiguous() || !dtype.isFloatingPoint()) return false;
        if (o == null) return true;
        return o.dtype == dtype && Arrays.equals(o.shape, shape) && o.isContiguous() && (o.storage != storage || o.offset == offset);
    }

    /** Whether this float32 tensor and {@code o} can go through one fused in-place kernel together. */
    public boolean fusableWith(Tensor o) {
        return dtype == DType.F32 && o.dtype == DType.F32 && isContiguous() && o.isContiguous() && Arrays.equals(shape, o.shape)
                && !(Grad.isEnabled() && (requiresGrad() || o.requiresGrad()));
    }

    /**
     * SGD with momentum for this parameter in one pass: {@code buf = μ·buf + d; this += −lr·buf}, rounded as
     * {@code buf.mul_(μ).add_(d); this.add_(buf, alpha=-lr)} round. Needs {@link #fusableWith} for both.
     */
    public void sgdMomentumStep(Tensor buf, Tensor d, double momentum, double lr) {
        if (!fusableWith(buf) || !fusableWith(d)) throw new IllegalArgumentException("sgdMomentumStep: needs contiguous float32 tensors of one shape, outside a graph");
        Kernels.sgdMomentum(segment(), offset, buf.segment(), buf.offset, d.segment(), d.offset, momentum, lr, numel());
        buf.storage.bumpVersion();
        storage.bumpVersion();
    }

    private Tensor wrote() {
        storage.bumpVersion();
        return this;
    }

    private Tensor scalarInPlace(BinaryOp op, double s, java.util.function.Function<Tensor, Tensor> general) {
        checkWritable(null);
        if (!writesDirectly(null)) return inPlace(general, null);
        Kernels.zipScalar(op, dtype, segment(), offset, s, dtype, segment(), offset, numel());
        return wrote();
    }

    private Tensor zipInPlace(BinaryOp op, Tensor o, java.util.function.Function<Tensor, Tensor> general) {
        checkWritable(o);
        if (!writesDirectly(o)) return inPlace(general, o);
        Kernels.zip(op, dtype, segment(), offset, dtype, o.segment(), o.offset, dtype, segment(), offset, numel());
        return wrote();
    }

    public Tensor maskedFillInPlace(Tensor mask, double value) {
        int[] target = Shape.broadcast("masked_fill_", shape, mask.shape);
        if (!Arrays.equals(target, shape)) {
            throw new IllegalArgumentException("masked_fill_: a mask of shape " + Shape.str(mask.shape) + " does not broadcast to the written-to tensor's shape " + Shape.str(shape));
        }
        return inPlace(x -> x.maskedFill(mask, value), null);
    }

    /** Zeros every element: {@code zero_()}. */
    public Tensor zeroInPlace() { return fillInPlace(0); }

    public Tensor fillInPlace(double value) {
        if (!(Grad.isEnabled() && requiresGrad())) {   // nothing to record: write in place, no temporary
            if (isContiguous()) {
                if (value == 0 && !(1 / value < 0)) {
                    segment().asSlice(offset * dtype.byteSize(), numel() * dtype.byteSize()).fill((byte) 0);
                } else {
                    Kernels.fill(segment(), dtype, offset, numel(), value);
                }
            } else {
                assignData(scalar(dtype, value));
            }
            storage.bumpVersion();
            return this;
        }
        return inPlace(x -> {
            Tensor r = full(dtype, value, shape);
            r.record("FillBackward0", new Tensor[] {x}, new Tensor[0], (n, g) -> new Tensor[] {zerosLike(g)});
            return r;
        }, null);
    }

    /** Copies src's values (broadcast, converted to this dtype) into this tensor: {@code copy_}. */
    public Tensor copyFrom(Tensor src) {
        int[] target = shape;
        if (!Arrays.equals(Shape.broadcast("copy_", target, src.shape), target)) {
            throw new IllegalArgumentException("copy_: source of shape " + Shape.str(src.shape) + " does not broadcast to " + Shape.str(target));
        }
        checkWritable(src);
        if (writesDirectly(src)) {
            long bytes = numel() * dtype.byteSize();
            MemorySegment.copy(src.segment(), src.offset * dtype.byteSize(), segment(), offset * dtype.byteSize(), bytes);
            return wrote();
        }
        return inPlace(x -> {
            Tensor r = src.expandView(target).converted(dtype);
            r.record("CopyBackwards", new Tensor[] {x, src}, new Tensor[0],
                    (n, g) -> new Tensor[] {n.needsInputGrad(0) ? zerosLike(g) : null, g});
            return r;
        }, src);
    }

    // ---------------------------------------------------------------- printing

    @Override
    public String toString() {
        return TensorFormat.format(this);
    }
}
