package dev.panagrad.graph;

import java.util.Arrays;

/**
 * A value saved for backward (PyTorch's {@code SavedVariable}), with the version of its storage at
 * save time. Unpacking checks the version, so an in-place change made after the save fails with
 * PyTorch's message instead of giving a wrong gradient. While saved, the storage is held: a buffer
 * marked disposable goes back to the pool only when its last save is released.
 */
public final class SavedValue<T extends Differentiable<T>> {
    static final String FREED = "Trying to backward through the graph a second time (or directly access saved tensors after"
            + " they have already been freed). Saved intermediate values of the graph are freed when you call .backward()"
            + " or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if"
            + " you need to access saved tensors after calling backward."
            + " (In Java, retain_graph=True is tensor.backward(gradient, true), gradient null for a scalar.)";
    /** PyTorch's hint outside anomaly mode, then the Java way to turn it on. */
    static final String HINT = " Hint: enable anomaly detection to find the operation that failed to compute its gradient,"
            + " with torch.autograd.set_detect_anomaly(True)."
            + " (In Java: try (var anomaly = Grad.detectAnomaly()) { ... } around the forward and the backward.)";
    /** PyTorch's hint in anomaly mode: the forward's stack trace was printed just before. */
    static final String ANOMALY_HINT = " Hint: the backtrace further above shows the operation that failed to compute its gradient."
            + " The variable in question was changed in there or anywhere later. Good luck!";
    private static final String RELEASED_BY = "the autograd engine (the last node that saved it had run)";

    private T value;
    private final int version;
    private final Node<T> savedBy;   // non-null when the value is the output of the node that saved it
    /** What a saved-tensor hook's pack returned (null: no hooks were in force); {@link #value} then is kept for its metadata only. */
    private Object packed;
    private SavedHooks.Pair hooks;
    private boolean held;

    SavedValue(T value, Node<T> outputOf) {
        if (value.storage().isInference()) {
            throw new IllegalStateException("Inference tensors cannot be saved for backward. To work around you can make a clone to get a normal tensor and use it in autograd.");
        }
        this.value = value;
        this.version = value.storage().version();
        this.savedBy = outputOf;
        SavedHooks.Pair h = SavedHooks.current();
        if (h != null) {
            Object p = h.pack().apply(value);
            if (p == null) throw new IllegalStateException("saved tensor hooks: pack returned null for a " + value.dtype().tensorTypeName() + " " + Arrays.toString(value.shape()));
            this.packed = p;
            this.hooks = h;
            if (p != value) return;   // the bytes are not held: the pack keeps what backward needs
        }
        value.storage().hold();
        held = true;
    }

    /**
     * The saved value, checked against in-place changes since it was saved; through the hooks' unpack if
     * it was packed (then, as PyTorch's, unchecked: the pack kept its own copy).
     */
    @SuppressWarnings("unchecked")
    public T unpack() {
        T t = value;
        if (t == null) throw new IllegalStateException(FREED);
        if (hooks != null) {
            Object u = hooks.unpack().apply(packed);
            if (u == null) throw new IllegalStateException("saved tensor hooks: unpack returned null");
            return (T) u;
        }
        int now = t.storage().version();
        if (now != version) {
            Node<T> fn = savedBy != null ? savedBy : t.gradFn();
            StringBuilder m = new StringBuilder("one of the variables needed for gradient computation has been modified by an inplace operation: [")
                    .append(t.dtype().tensorTypeName()).append(' ').append(Arrays.toString(t.shape())).append(']');
            if (fn != null) m.append(", which is output 0 of ").append(fn instanceof CopySlices ? "torch::autograd::CopySlices" : fn.name()).append(',');
            m.append(" is at version ").append(now).append("; expected version ").append(version).append(" instead.")
                    .append(GradMode.anomalyEnabled() ? ANOMALY_HINT : HINT);
            throw new IllegalStateException(m.toString());
        }
        return t;
    }

    void release() {
        T t = value;
        if (t == null) return;
        value = null;
        Object p = packed;
        packed = null;
        if (p instanceof AutoCloseable c && p != t) {   // a pack that holds memory of its own gives it back now
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("saved tensor hooks: closing a packed value failed: " + e, e);
            }
        }
        if (held) t.storage().drop(RELEASED_BY);
    }
}
