package dev.panagrad.autograd;

import dev.panagrad.Shape;
import dev.panagrad.Tensor;

/**
 * A tensor saved for backward, with the version of its storage at save time. Unpacking checks the
 * version, so an in-place change made after the save fails with PyTorch's message instead of
 * giving a wrong gradient.
 */
public final class SavedTensor {
    static final String FREED = "Trying to backward through the graph a second time (or directly access saved tensors after"
            + " they have already been freed). Saved intermediate values of the graph are freed when you call .backward()"
            + " or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if"
            + " you need to access saved tensors after calling backward."
            + " (In Java, retain_graph=True is tensor.backward(gradient, true), gradient null for a scalar.)";

    private Tensor tensor;
    private final int version;
    private final Node savedBy;   // non-null when the tensor is the output of the node that saved it

    SavedTensor(Tensor tensor, Node outputOf) {
        this.tensor = tensor;
        this.version = tensor.storageVersion();
        this.savedBy = outputOf;
        tensor.storage().hold();
    }

    /** The saved tensor, checked against in-place changes since it was saved. */
    public Tensor unpack() {
        Tensor t = tensor;
        if (t == null) throw new IllegalStateException(FREED);
        int now = t.storageVersion();
        if (now != version) {
            Node fn = savedBy != null ? savedBy : t.gradFn();
            StringBuilder m = new StringBuilder("one of the variables needed for gradient computation has been modified by an inplace operation: [")
                    .append(t.dtype().tensorTypeName()).append(' ').append(Shape.str(t.shape())).append(']');
            if (fn != null) m.append(", which is output 0 of ").append(fn instanceof CopySlices ? "torch::autograd::CopySlices" : fn.name()).append(',');
            m.append(" is at version ").append(now).append("; expected version ").append(version).append(" instead.")
                    .append(" Hint: enable anomaly detection to find the operation that failed to compute its gradient,")
                    .append(" with torch.autograd.set_detect_anomaly(True).")
                    .append(" (Panagrad has no anomaly mode: in Java, look for an in-place call, a method ending in InPlace or")
                    .append(" copyFrom, on this tensor or a view of it after the op that saved it.)");
            throw new IllegalStateException(m.toString());
        }
        return t;
    }

    void release() {
        Tensor t = tensor;
        if (t == null) return;
        tensor = null;
        t.storage().drop("the autograd engine (the last node that saved it had run)");
    }
}
