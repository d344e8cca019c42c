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

    SavedValue(T value, Node<T> outputOf) {
        if (value.storage().isInference()) {
            throw new IllegalStateException("Inference tensors cannot be saved for backward. To work around you can make a clone to get a normal tensor and use it in autograd.");
        }
        this.value = value;
        this.version = value.storage().version();
        this.savedBy = outputOf;
        value.storage().hold();
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
}
