package dev.panagrad.ops;

import dev.panagrad.array.Layout;
import dev.panagrad.array.Reduce;
import dev.panagrad.array.Shape;
import dev.panagrad.array.Strided;
import dev.panagrad.graph.AccumulateGrad;
import dev.panagrad.graph.CopySlices;
import dev.panagrad.graph.Differentiable;
import dev.panagrad.graph.Engine;
import dev.panagrad.graph.GradMode;
import dev.panagrad.graph.Node;
import dev.panagrad.kernel.BinaryOp;
import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.Storage;
import java.util.Arrays;
import java.util.Collections;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

/**
 * What an op works on: a strided array ({@link Strided}) with PyTorch's autograd state (requires_grad,
 * grad_fn, .grad, and for a view its base and how it was made). {@code Tensor} extends it; the op
 * families of this package are written over it, generically, so they need not import {@code Tensor}
 * (which calls them). Here also live the two mechanisms every op shares: {@link #record}, which makes
 * a fresh result the output of a node, and the in-place protocol ({@link #inPlace}: PyTorch's
 * {@code check_inplace}, the version bump and {@code rebase_history}, with views rebased through
 * {@code CopySlices} and {@code AsStridedBackward0}).
 *
 * @param <T> the concrete type ({@code Tensor})
 */
public abstract class Operand<T extends Operand<T>> extends Strided implements Differentiable<T> {
    private static final AtomicBoolean NON_LEAF_GRAD_WARNED = new AtomicBoolean();
    /** PyTorch's warning when {@code .grad} of a non-leaf is read; printed once per JVM. */
    public static final String NON_LEAF_GRAD_WARNING = "UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad"
            + " attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated"
            + " for a non-leaf Tensor, use .retainGrad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake,"
            + " make sure you access the leaf Tensor instead.";

    private boolean requiresGrad;
    private Node<T> gradFn;
    private T grad;
    private boolean retainsGrad;
    private AccumulateGrad<T> accumulator;
    /**
     * For a view made by a view op (slice, view, t, expand, ...): its base, PyTorch's {@code _base}, never
     * itself a view; null otherwise. Views share the base's storage and so its version counter.
     */
    private T viewBase;
    /** For a view: the storage version its grad_fn belongs to; at another version {@link #fn()} rebuilds it. */
    private int viewVersion;
    /** For a view: how it was made, which decides whether it may be rebased after an in-place op (PyTorch's CreationMeta). */
    private ViewMade viewMade;

    private enum ViewMade { GRAD_MODE, NO_GRAD_MODE, IN_CUSTOM_FUNCTION }

    protected Operand(Storage storage, DType dtype, int[] shape, long[] strides, long offset) {
        super(storage, dtype, shape, strides, offset);
    }

    /** How the raw layer makes values of this type: fresh contiguous ones, or layouts over a storage. */
    protected abstract Factory<T> factory();

    @SuppressWarnings("unchecked")
    final T self() { return (T) this; }

    /** The shape itself, not a copy: for the families, which read it and never write it. */
    final int[] shapeView() { return shape; }

    /** The strides themselves, not a copy (read only). */
    final long[] stridesView() { return strides; }

    // ---------------------------------------------------------------- the autograd API

    /** {@code requires_grad_()}: only floating-point leaves; a non-leaf may only be left as it is. */
    public T requiresGrad(boolean flag) {
        if (gradFn != null) {
            if (!flag) {
                throw new IllegalStateException("you can only change requires_grad flags of leaf variables. If you want to use a computed"
                        + " variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
            }
            return self();
        }
        if (flag && !dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("Only Tensors of floating point and complex dtype can require gradients");
        }
        if (flag && storage.isInference() && !dev.panagrad.memory.AllocationLog.inferenceMode()) {
            throw new IllegalStateException("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.");
        }
        requiresGrad = flag;
        return self();
    }

    /** Whether gradients flow to this tensor; a view also requires grad when its base does (even one made without grad). */
    @Override
    public boolean requiresGrad() { return requiresGrad || gradFn != null || (viewBase != null && viewBase.requiresGrad()); }

    public boolean isLeaf() { return fn() == null; }

    /** The node that made this tensor, or null for a leaf. */
    @Override
    public Node<T> gradFn() { return fn(); }

    /**
     * The accumulated gradient. For a non-leaf without {@link #retainGrad()} this is null and, once
     * per JVM, a warning goes to stderr, as PyTorch's does.
     */
    public T grad() {
        if (gradFn != null && !retainsGrad && grad == null && NON_LEAF_GRAD_WARNED.compareAndSet(false, true)) {
            System.err.println(NON_LEAF_GRAD_WARNING);
        }
        return grad;
    }

    /** Lets a test see the once-per-JVM warning again. */
    public static void resetNonLeafGradWarning() {
        NON_LEAF_GRAD_WARNED.set(false);
    }

    /** Sets {@code .grad} (null clears it), as {@code p.grad = g} does. */
    public void setGrad(T g) {
        if (g != null && g.dtype != dtype) throw new IllegalArgumentException("assigned grad has data of a different type");
        if (g != null && !Arrays.equals(g.shape, shape)) throw new IllegalArgumentException("assigned grad has data of a different size");
        grad = g;
    }

    /** Keeps this non-leaf's gradient in {@link #grad()} after backward. No-op on leaves. */
    public T retainGrad() {
        Node<T> fn = fn();
        if (fn == null) {
            if (!requiresGrad) throw new IllegalStateException("can't retain_grad on Tensor that has requires_grad=False");
            return self();
        }
        retainsGrad = true;
        fn.addRetainer(self());
        return self();
    }

    public boolean retainsGrad() { return retainsGrad; }

    /**
     * PyTorch's {@code register_hook}: {@code hook} is called with this tensor's gradient during
     * backward, before it is used (a leaf: before it is added into {@code .grad}; a non-leaf: before its
     * grad_fn runs), and may return a replacement of the same shape and dtype (null: unchanged). Hooks run
     * in registration order; a {@link #retainGrad()} sees the gradient as the hooks registered before
     * it left it (torch 1.13: all of a tensor's hooks sit where its first one was registered).
     *
     * {@snippet :
     * RemovableHandle h = y.registerHook(g -> g.mul(2));   // y.register_hook(lambda g: g * 2)
     * h.remove();
     * }
     *
     * @throws IllegalStateException "cannot register a hook on a tensor that doesn't require gradient"
     */
    public dev.panagrad.graph.RemovableHandle registerHook(UnaryOperator<T> hook) {
        if (!requiresGrad()) throw new IllegalStateException("cannot register a hook on a tensor that doesn't require gradient");
        Node<T> fn = fn();
        return (fn != null ? fn : edge()).hooks().add(hook);   // the node's one output is this tensor: its group lives there
    }

    /** Backward from a one-element tensor. */
    public void backward() { Engine.backward(self(), null, false); }

    /** Backward with the gradient of this tensor (its shape). */
    public void backward(T gradient) { Engine.backward(self(), gradient, false); }

    public void backward(T gradient, boolean retainGraph) { Engine.backward(self(), gradient, retainGraph, false); }

    /**
     * PyTorch's {@code backward(gradient, retain_graph, create_graph)}: with {@code createGraph} the
     * gradients are recorded, so the leaves' {@code .grad} can be differentiated again (a second
     * derivative); {@code gradient} null for a one-element tensor.
     */
    public void backward(T gradient, boolean retainGraph, boolean createGraph) { Engine.backward(self(), gradient, retainGraph, createGraph); }

    /** A tensor sharing this one's storage and version counter, outside the graph. */
    public T detach() { return factory().wrap(storage, dtype, shape, strides, offset); }

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

    /** The storage's version counter (shared with every view and {@link #detach()}). */
    public int storageVersion() { return storage.version(); }

    // ---------------------------------------------------------------- reading values out

    /** The one value of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new IllegalStateException("only one element tensors can be converted to a scalar");
        return valueAt(offset);
    }

    /** Copies the values out in row-major order. */
    public double[] toDoubleArray() {
        int n = javaArrayLength("toDoubleArray");
        Strided c = Layout.contiguous(self(), factory());
        double[] out = new double[n];
        java.lang.foreign.MemorySegment seg = c.storage().kernelSegment();
        for (int i = 0; i < out.length; i++) out[i] = Kernels.get(seg, dtype, c.storageOffset() + i);
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
        Strided c = Layout.contiguous(self(), factory());
        long[] out = new long[n];
        java.lang.foreign.MemorySegment seg = c.storage().kernelSegment();
        for (int i = 0; i < out.length; i++) out[i] = Kernels.getLong(seg, dtype, c.storageOffset() + i);
        return out;
    }

    /** The element count as a Java array length, checked before anything is copied. */
    private int javaArrayLength(String what) {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(what + ": " + n + " elements do not fit a Java array (shape " + Shape.str(shape) + ")");
        return (int) n;
    }

    /** The element at the given index (negative indices count from the end). */
    public double get(int... index) {
        if (index.length != shape.length) throw new IllegalArgumentException("get: " + index.length + " indices for a " + shape.length + "-d tensor of shape " + Shape.str(shape));
        long o = offset;
        for (int d = 0; d < index.length; d++) {
            int i = index[d] < 0 ? index[d] + shape[d] : index[d];
            if (i < 0 || i >= shape[d]) throw new IndexOutOfBoundsException("index " + index[d] + " is out of bounds for dimension " + d + " with size " + shape[d]);
            o += i * strides[d];
        }
        return valueAt(o);
    }

    // ---------------------------------------------------------------- the engine's ways in (Differentiable)

    /** Adds {@code g} into this leaf's gradient (allocated in this leaf's lifetime). */
    @Override
    public void accumulateGrad(T g) {
        if (GradMode.isEnabled()) {   // create_graph: PyTorch's AccumulateGrad records (CopyBackwards into a fresh .grad, then AddBackward0)
            if (grad == null) {
                T fresh = emptyWithLifetimeOf("grad");
                grad = InPlace.copy(fresh, g);
            } else {
                grad = Pointwise.add(grad, g);
            }
            return;
        }
        if (grad == null) {
            T fresh = emptyWithLifetimeOf("grad");
            Layout.assign(fresh, g, factory());
            grad = fresh;
        } else if (grad.isContiguous()) {   // add in place: one pass, no temporary
            T add = Layout.broadcastData(g, grad.shape, factory());
            Kernels.zip(BinaryOp.ADD, grad.dtype, grad.segment(), grad.offset, add.dtype, add.segment(), add.offset,
                    grad.dtype, grad.segment(), grad.offset, grad.numel());
        } else {   // a user-assigned strided .grad
            Layout.assign(grad, dev.panagrad.array.Elementwise.zip(BinaryOp.ADD, grad, g, factory()), factory());
        }
    }

    /** For {@link #retainGrad()}. */
    @Override
    public void accumulateRetainedGrad(T g) {
        if (GradMode.isEnabled()) grad = grad == null ? Views.clone(g) : Pointwise.add(grad, g);   // create_graph: recorded, as PyTorch's retain_grad hook
        else grad = grad == null ? Layout.contiguousCopy(g, factory()) : Pointwise.add(grad, g);
    }

    @Override
    public boolean anyNaN() {
        if (!dtype.isFloatingPoint()) return false;
        for (double v : toDoubleArray()) if (Double.isNaN(v)) return true;
        return false;
    }

    /** The seed of {@link #backward()}. */
    @Override
    public T onesLike() { return factory().full(dtype, 1, shape); }

    /** Sums a gradient down to {@code target} (undoing broadcasting). The engine's one reduction. */
    @Override
    public T sumTo(int[] target) {
        if (!GradMode.isEnabled() || !requiresGrad() || Arrays.equals(shape, target)) return Reduce.sumTo(self(), target, factory());
        // create_graph: the same sum as ops, recorded (leading dims summed away, then the size-1 ones kept)
        int lead = shape.length - target.length;
        int[] dims = java.util.stream.IntStream.range(0, shape.length)
                .filter(d -> d < lead || (target[d - lead] == 1 && shape[d] != 1)).toArray();
        T summed = dims.length == 0 ? self() : Reductions.sum(self(), dims, true);
        return Views.reshape(summed, target);
    }

    /** An uninitialised buffer shaped like this one, living exactly as long as this one's storage (its scope, or the GC). */
    protected final T emptyWithLifetimeOf(String tag) {
        Storage bytes = storage.pool().allocateLike(storage, numel() * dtype.byteSize(), tag);
        return factory().wrap(bytes, dtype, shape.clone(), Shape.contiguousStrides(shape), 0);
    }

    /**
     * For a leaf whose gradient is absent or contiguous: {@code grad += a·b} by one GEMM straight into
     * the gradient (allocated with the leaf's lifetime if absent). False, doing nothing, otherwise; the
     * caller then returns the product to the engine as usual.
     */
    final boolean accumulateGradProduct(T a, T b) {
        if (GradMode.isEnabled() || gradFn != null || !requiresGrad || retainsGrad || (accumulator != null && accumulator.hasPreHooks())) return false;
        if (grad != null && (!grad.isContiguous() || grad.dtype != dtype)) return false;
        if (grad == null) {
            T fresh = emptyWithLifetimeOf("grad");
            dev.panagrad.array.Gemm.mmInto(a, b, fresh, false, factory());
            grad = fresh;
        } else {
            dev.panagrad.array.Gemm.mmInto(a, b, grad, true, factory());
        }
        return true;
    }

    // ---------------------------------------------------------------- recording

    /**
     * Makes this freshly computed value the output of a recorded op, if grad mode is on and an input
     * requires grad; returns the node (or null). Every op goes through it (the families through
     * {@link Ops#apply}); a custom {@code Function} too.
     *
     * @param inputs the op's differentiable inputs (null where an argument is absent)
     * @param toSave what the formula reads back, version-checked ({@code this} among them is the output)
     */
    public Node<T> record(String name, T[] inputs, T[] toSave, Node.Backward<T> backward) {
        boolean[] mode = GradMode.mode();
        if (!mode[0]) return null;
        boolean any = false;
        for (T in : inputs) any |= in != null && in.requiresGrad();   // as PyTorch: a view made without grad of a tensor that requires grad counts, its edge is null
        if (!any) return null;
        @SuppressWarnings("unchecked")
        Node<T>[] next = new Node[inputs.length];
        int[][] shapes = new int[inputs.length][];
        DType[] dtypes = new DType[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            T in = inputs[i];
            if (in == null) continue;
            next[i] = in.edge();
            shapes[i] = in.shape;
            dtypes[i] = in.dtype;
        }
        if (gradFn != null || requiresGrad) throw new IllegalStateException("record: " + name + " output already has a grad_fn " + gradFn);
        gradFn = new Node<>(name, next, shapes, dtypes, backward, self(), toSave);
        if (mode[1]) gradFn.captureForwardTrace();   // anomaly detection: where this op was called
        // a view made without grad that gets a node: a custom Function's output (its forward runs without grad)
        if (viewMade == ViewMade.NO_GRAD_MODE) viewMade = ViewMade.IN_CUSTOM_FUNCTION;
        return gradFn;
    }

    @Override
    public Node<T> gradAccumulator() {
        return fn() != null ? null : edge();
    }

    final Node<T> edge() {
        Node<T> fn = fn();
        if (fn != null) return fn;
        if (!requiresGrad) return null;
        if (accumulator == null) accumulator = new AccumulateGrad<>(self());
        return accumulator;
    }

    // ---------------------------------------------------------------- views

    /**
     * Makes {@code out}, a layout over this tensor's memory made by a view op, a view in autograd's sense:
     * its base is this tensor's base (or this tensor), and it remembers the version and the grad mode it
     * was made at (a view of a view made without grad keeps that origin, as PyTorch's propagation does).
     */
    final T asView(T out) {
        Operand<T> o = out;
        o.viewBase = viewBase != null ? viewBase : self();
        o.viewVersion = storage.version();
        o.viewMade = !GradMode.isEnabled() ? ViewMade.NO_GRAD_MODE : viewBase != null ? viewMade : ViewMade.GRAD_MODE;
        return out;
    }

    /**
     * PyTorch's {@code grad_fn()}: for a view whose memory was changed in place since its grad_fn was made
     * (through its base or another view of it), a new one, AsStridedBackward0 over the base's current
     * grad_fn; a retained gradient moves along to it. A view made without grad (or inside a custom
     * Function) may not be rebased: that throws PyTorch's error.
     */
    final Node<T> fn() {
        if (viewBase == null || (gradFn == null && !viewBase.requiresGrad())) return gradFn;
        int now = storage.version();
        if (viewVersion != now) {
            checkViewRebase(true);
            Node<T> old = gradFn;
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
    private void moveRetainer(Node<T> old) {
        if (!retainsGrad) return;
        if (old != null) old.removeRetainer(self());
        if (gradFn != null) gradFn.addRetainer(self());
    }

    /** This view's grad_fn over its base's current one: the gradient lands in the view's place in a base-shaped zero buffer. */
    private Node<T> asStridedBackward() {
        T base = viewBase;
        int[] baseShape = base.shape, viewShape = shape;
        long[] baseStrides = base.strides, viewStrides = strides;
        long viewOffset = offset - base.offset;
        DType t = dtype;
        Factory<T> f = factory();
        return new Node<>("AsStridedBackward0", Collections.singletonList(base.edge()), new int[][] {baseShape}, new DType[] {base.dtype}, (n, g) -> {
            // dims where the view repeats memory (stride 0, an expand) add up their gradient first
            int[] repeated = java.util.stream.IntStream.range(0, viewShape.length).filter(d -> viewStrides[d] == 0 && viewShape[d] > 1).toArray();
            int[] windowShape = viewShape.clone();
            for (int d : repeated) windowShape[d] = 1;
            T result = zerosLaidOutAs(f, t, baseShape, baseStrides);
            if (GradMode.isEnabled() && g.requiresGrad()) {   // create_graph: the same placement, recorded
                T src = repeated.length == 0 ? g : Reductions.sum(g, repeated, true);
                return Ops.grads(windowScatter(result, new Window(baseShape, baseStrides, windowShape, viewStrides, viewOffset), src));
            }
            Layout.assign(result.window(windowShape, viewStrides, viewOffset), repeated.length == 0 ? g : Reduce.sum(g, repeated, true, f), f);
            return Ops.grads(result);
        }, null, null);
    }

    /** Where a view sits in its base: the base's shape and strides (laid out from offset 0), the view's shape, strides and offset. */
    record Window(int[] baseShape, long[] baseStrides, int[] shape, long[] strides, long offset) {}

    /**
     * A copy of {@code into} (the base's shape) with {@code src} written over the window: the placement
     * the view + in-place nodes make, recorded (AsStridedScatterBackward0, PyTorch's as_strided_scatter)
     * so that it can be differentiated again: d/dinto = g with the window zeroed, d/dsrc = g's window.
     */
    static <T extends Operand<T>> T windowScatter(T into, Window w, T src) {
        Factory<T> f = into.factory();
        T out = zerosLaidOutAs(f, into.dtype, w.baseShape(), w.baseStrides());
        Layout.assign(out, into, f);
        Layout.assign(out.window(w.shape(), w.strides(), w.offset()), src, f);
        return Ops.apply("AsStridedScatterBackward0", out, Ops.in(into, src), null, (n, g) -> Ops.grads(
                n.needsInputGrad(0) ? windowScatter(g, w, Ops.zeros(g, g.dtype, new int[0])) : null,
                n.needsInputGrad(1) ? windowGather(g, w) : null));
    }

    /** The window of {@code x} (the base's shape, any layout) as a contiguous tensor, recorded (AsStridedBackward0: d/dx = g placed in zeros). */
    static <T extends Operand<T>> T windowGather(T x, Window w) {
        Factory<T> f = x.factory();
        T laid = zerosLaidOutAs(f, x.dtype, w.baseShape(), w.baseStrides());
        Layout.assign(laid, x, f);
        T out = Layout.contiguousCopy(laid.window(w.shape(), w.strides(), w.offset()), f);
        return Ops.apply("AsStridedBackward0", out, Ops.in(x), null,
                (n, g) -> Ops.grads(windowScatter(Ops.zeros(g, g.dtype, w.baseShape()), w, g)));
    }

    /** Zeros with the given shape and strides over a storage of their own that spans them (offset 0). */
    private static <T extends Operand<T>> T zerosLaidOutAs(Factory<T> f, DType dtype, int[] shape, long[] strides) {
        long span = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) span = 0;
            if (span > 0) span = Math.addExact(span, Math.multiplyExact(shape[d] - 1L, strides[d]));
        }
        T flat = f.full(dtype, 0, new int[] {Math.toIntExact(span)});
        return f.wrap(flat.storage, dtype, shape.clone(), strides.clone(), 0);
    }

    /** Another layout over this tensor's storage, outside the graph: where a view sits in a buffer laid out as its base. */
    final T window(int[] windowShape, long[] windowStrides, long windowOffset) {
        return factory().wrap(storage, dtype, windowShape, windowStrides, offset + windowOffset);
    }

    // ---------------------------------------------------------------- the in-place protocol

    /** PyTorch's refusal of an in-place write to an inference tensor outside inference mode. */
    final void checkNotInferenceOutside() {
        if (storage.isInference() && !dev.panagrad.memory.AllocationLog.inferenceMode()) {
            throw new IllegalStateException("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal tensor"
                    + " before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.");
        }
    }

    /** Whether this is an inference tensor (made in {@code Grad.inferenceMode()}, or a view of one): PyTorch's {@code is_inference()}. */
    public boolean isInference() { return storage.isInference(); }

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
    final void checkWritable(T operand) {
        checkNotInferenceOutside();
        if (GradMode.isEnabled() && (requiresGrad() || (operand != null && operand.requiresGrad()))) checkInPlace();
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
    private boolean partlyOverlaps(T o) {
        if (o == this || o.storage != storage || numel() == 0 || o.numel() == 0) return false;
        if (!isNonOverlappingAndDense() || !o.isNonOverlappingAndDense()) return false;
        long begin = offset, end = offset + numel(), oBegin = o.offset, oEnd = o.offset + o.numel();
        if (begin == oBegin && end == oEnd) return !Arrays.equals(strides, o.strides);
        return begin < oEnd && oBegin < end;
    }

    /** PyTorch's is_non_overlapping_and_dense: some permutation of the dims is contiguous (size-1 dims aside). */
    final boolean isNonOverlappingAndDense() {
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
     * Whether an in-place op can write its result straight into this tensor: nothing to record (no
     * grad mode, or nothing requires grad), a contiguous floating-point tensor, and an operand (if any)
     * of the same shape and dtype, contiguous, not overlapping this one differently. Otherwise the op
     * computes out of place and copies (the general path, which also records the graph).
     */
    final boolean writesDirectly(T o) {
        if (GradMode.isEnabled() && (requiresGrad() || (o != null && o.requiresGrad()))) return false;
        if (!isContiguous() || !dtype.isFloatingPoint()) return false;
        if (o == null) return true;
        return o.dtype == dtype && Arrays.equals(o.shape, shape) && o.isContiguous() && (o.storage != storage || o.offset == offset);
    }

    /** Whether this float32 tensor and {@code o} can go through one fused in-place kernel together, outside a graph. */
    public boolean fusableWith(T o) {
        return dtype == DType.F32 && o.dtype == DType.F32 && isContiguous() && o.isContiguous() && Arrays.equals(shape, o.shape)
                && !(GradMode.isEnabled() && (requiresGrad() || o.requiresGrad()));
    }

    /** After a direct write into this tensor's elements: bumps the version counter. */
    final T wrote() {
        storage.bumpVersion();
        return self();
    }

    /**
     * The in-place pattern: compute the out-of-place result, write it into this tensor's elements, bump
     * the version counter, and (when recording) make the result's node this tensor's grad_fn.
     */
    final T inPlace(UnaryOperator<T> op, T other) {
        checkNotInferenceOutside();
        boolean track = GradMode.isEnabled() && (requiresGrad() || (other != null && other.requiresGrad()));
        if (track) checkInPlace();
        T result;
        if (track) {
            // the op may save its input: it gets the value before this write, a copy standing in for this tensor in the
            // graph (this tensor's grad_fn as its own, as PyTorch's next_functions show: no CloneBackward0 in between)
            T original = Layout.contiguousCopy(this, factory());
            ((Operand<T>) original).gradFn = fn();
            result = op.apply(original);
        } else {
            boolean previous = GradMode.set(false);
            try {
                result = op.apply(self());
            } finally {
                GradMode.set(previous);
            }
        }
        if (!canCast(result.dtype, dtype)) {   // refused before anything is written, as PyTorch does
            throw new IllegalArgumentException("result type " + Ops.typeName(result.dtype) + " can't be cast to the desired output type " + Ops.typeName(dtype));
        }
        Layout.assign(self(), result, factory());
        storage.bumpVersion();
        if (track) rebaseHistory(((Operand<T>) result).gradFn);
        return self();
    }

    /** PyTorch's canCast for an in-place result: not floating into an integer, nor a number into a bool. */
    private static boolean canCast(DType from, DType to) {
        if (from.isFloatingPoint() && !to.isFloatingPoint()) return false;
        return !(from != DType.BOOL && to == DType.BOOL);
    }

    /**
     * PyTorch's {@code rebase_history}: {@code fn}, the node of the in-place op just applied, becomes this
     * tensor's grad_fn (a retained gradient follows it). For a view, the base takes a CopySlices around fn
     * instead, and the view's grad_fn is rebuilt over it (AsStridedBackward0).
     */
    private void rebaseHistory(Node<T> fn) {
        if (viewBase == null) {
            Node<T> old = gradFn;
            gradFn = fn;
            moveRetainer(old);
            return;
        }
        T base = viewBase;
        int[] baseShape = base.shape, viewShape = shape;
        long[] baseStrides = base.strides, viewStrides = strides;
        long viewOffset = offset - base.offset;
        DType t = dtype;
        Factory<T> f = factory();
        Window w = new Window(baseShape, baseStrides, viewShape, viewStrides, viewOffset);
        ((Operand<T>) base).gradFn = new CopySlices<>(base.edge(), base.shape, base.dtype, fn, (n, g) -> {
            if (GradMode.isEnabled()) {   // create_graph: the same steps, recorded
                T[] grads = Arrays.copyOf(((CopySlices<T>) n).applyFn(windowGather(g, w)), n.nextFunctions().size());
                grads[0] = !n.needsInputGrad(0) ? null
                        : windowScatter(g, w, grads[0] == null ? f.full(t, 0, new int[0]) : grads[0].sumTo(viewShape));
                return grads;
            }
            // the base's gradient in the base's layout; the window under the view gets fn's gradient for the view's old value
            T result = zerosLaidOutAs(f, t, baseShape, baseStrides);
            Layout.assign(result, g, f);
            T window = result.window(viewShape, viewStrides, viewOffset);
            T[] grads = ((CopySlices<T>) n).applyFn(Layout.contiguousCopy(window, f));
            grads = Arrays.copyOf(grads, n.nextFunctions().size());
            if (n.needsInputGrad(0)) {
                Layout.assign(window, grads[0] == null ? f.full(t, 0, new int[0]) : grads[0].sumTo(viewShape), f);
                grads[0] = result;
            } else {
                grads[0] = null;
            }
            return grads;
        });
        fn();   // the version moved on: this view's grad_fn becomes an AsStridedBackward0 over the CopySlices
    }
}
