package dev.panagrad.graph;

import java.util.Arrays;

/**
 * A value saved for backward (PyTorch's {@code SavedVariable}), with the version of its storage at
 * save time. Unpacking checks the version, so an in-place change made after the save fails with
 * PyTorch's message instead of giving a wrong gradient. While saved, the storage is held: a buffer
 * marked disposable goes back to the pool only when its last save is released.
 */
public sealed class SavedValue<T extends Differentiable<T>> permits SavedValue.Packed {
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

    T value;
    private final int version;
    private final Node<T> savedBy;   // non-null when the value is the output of the node that saved it

    /** Saves {@code value} (through the saved-tensor hooks in force on this thread, if any). */
    static <T extends Differentiable<T>> SavedValue<T> save(T value, Node<T> outputOf) {
        if (value.storage().isInference()) {
            throw new IllegalStateException("Inference tensors cannot be saved for backward. To work around you can make a clone to get a normal tensor and use it in autograd.");
        }
        SavedHooks.Pair h = SavedHooks.current();
        return h == null ? new SavedValue<>(value, outputOf, true) : new Packed<>(value, outputOf, h);
    }

    private SavedValue(T value, Node<T> outputOf, boolean hold) {
        this.value = value;
        this.version = value.storage().version();
        this.savedBy = outputOf;
        if (hold) value.storage().hold();
    }

    /** The saved value, checked against in-place changes since it was saved. */
    public T unpack() {
        T t = value;
        if (t == null) throw new IllegalStateException(FREED);
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
        t.storage().drop(RELEASED_BY);
    }

    /**
     * A value saved while saved-tensor hooks were in force: what {@code pack} returned is kept, and
     * {@code unpack} gives the value back in backward, unchecked (as PyTorch's: the pack made its own
     * copy); {@link #value} is kept for the error messages only, its bytes not held, unless the pack
     * returned the value itself. A packed value that is {@link AutoCloseable} is closed at release.
     */
    private static final class Packed<T extends Differentiable<T>> extends SavedValue<T> {
        private Object packed;
        private final SavedHooks.Pair hooks;

        Packed(T value, Node<T> outputOf, SavedHooks.Pair hooks) {
            super(value, outputOf, false);
            this.hooks = hooks;
            Object p = hooks.pack().apply(value);
            if (p == null) throw new IllegalStateException("saved tensor hooks: pack returned null for a " + value.dtype().tensorTypeName() + " " + Arrays.toString(value.shape()));
            this.packed = p;
            if (p == value) value.storage().hold();   // the pack kept the value itself: hold it as an ordinary save does
        }

        @Override
        @SuppressWarnings("unchecked")
        public T unpack() {
            if (value == null) throw new IllegalStateException(FREED);
            Object u = hooks.unpack().apply(packed);
            if (u == null) throw new IllegalStateException("saved tensor hooks: unpack returned null");
            return (T) u;
        }

        @Override
        void release() {
            T t = value;
            if (t == null) return;
            value = null;
            Object p = packed;
            packed = null;
            if (p == t) {
                t.storage().drop(RELEASED_BY);
            } else if (p instanceof AutoCloseable c) {   // a pack that holds memory of its own gives it back now
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("saved tensor hooks: closing a packed value failed: " + e, e);
                }
            }
        }
    }
}
