package dev.panagrad;

import dev.panagrad.graph.GradMode;

/**
 * Grad mode, per thread: {@code torch.no_grad()} and {@code torch.enable_grad()}.
 *
 * {@snippet :
 * try (var off = Grad.disabled()) {
 *     Tensor y = x.pow(2);          // no graph: y.requiresGrad() is false
 * }
 * }
 */
public final class Grad {
    private Grad() {}

    /** Restores the previous mode at close. Close on the thread that opened it. */
    public static final class Mode implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private Mode(boolean enabled) {
            previous = GradMode.set(enabled);
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            GradMode.set(previous);
        }
    }

    /** Ops on this thread record no graph until the returned mode closes. */
    public static Mode disabled() {
        return new Mode(false);
    }

    /** Ops record graphs again, even inside {@link #disabled()}, until the returned mode closes. */
    public static Mode enabled() {
        return new Mode(true);
    }

    /** Restores the previous anomaly setting at close. Close on the thread that opened it. */
    public static final class Anomaly implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private Anomaly(boolean enabled) {
            previous = GradMode.setAnomaly(enabled);
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            GradMode.setAnomaly(previous);
        }
    }

    /** Restores grad mode and inference mode at close. Close on the thread that opened it. */
    public static final class Inference implements AutoCloseable {
        private final boolean previousGrad, previousInference;
        private boolean closed;

        private Inference(boolean enabled) {
            previousInference = dev.panagrad.memory.AllocationLog.setInferenceMode(enabled);
            previousGrad = GradMode.set(enabled ? false : GradMode.isEnabled());
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            dev.panagrad.memory.AllocationLog.setInferenceMode(previousInference);
            GradMode.set(previousGrad);
        }
    }

    /**
     * {@code torch.inference_mode()}, for this thread until the returned scope closes: no graph is
     * recorded (as {@link #disabled()}), and every tensor made inside is an inference tensor
     * ({@code isInference()}): it has no version counter (in-place writes to it count nothing), and
     * after the scope it may not be saved for backward ("Inference tensors cannot be saved for
     * backward. ...") nor written in place ("Inplace update to inference tensor outside InferenceMode
     * is not allowed. ..."), with PyTorch's messages; {@code clone()} gives a normal tensor. Views made
     * inside of normal tensors stay normal. For serving: a forward pays no autograd bookkeeping.
     *
     * {@snippet :
     * try (var inference = Grad.inferenceMode()) {     // with torch.inference_mode():
     *     Tensor logits = model.forward(batch);
     * }
     * }
     */
    public static Inference inferenceMode() {
        return new Inference(true);
    }

    /** {@code torch.is_inference_mode_enabled()} for this thread. */
    public static boolean isInferenceModeEnabled() {
        return dev.panagrad.memory.AllocationLog.inferenceMode();
    }

    /** PyTorch's warning when anomaly detection is turned on. */
    public static final String ANOMALY_WARNING = "UserWarning: Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled for debugging.";

    /**
     * {@code torch.autograd.detect_anomaly()}, for this thread until the returned scope closes: each op
     * recorded keeps the stack trace of its call, and backward checks every node's gradients for NaN
     * ("Function 'LogBackward0' returned nan values in its 0th output.") and, when a node fails, prints
     * where it was made in the forward ("Error detected in LogBackward0. Traceback of forward call that
     * caused the error: ...") on stderr and adds that trace to the exception (suppressed). Slow: for
     * debugging only. Outside it recording costs nothing more.
     *
     * {@snippet :
     * try (var anomaly = Grad.detectAnomaly()) {
     *     Tensor loss = model.forward(x).log().sum();
     *     loss.backward();
     * }
     * }
     */
    public static Anomaly detectAnomaly() {
        System.err.println(ANOMALY_WARNING);
        return new Anomaly(true);
    }

    /** {@code torch.autograd.set_detect_anomaly(mode)}, as a scope: the previous setting comes back at close. */
    public static Anomaly setDetectAnomaly(boolean enabled) {
        return new Anomaly(enabled);
    }

    /** {@code torch.is_anomaly_enabled()} for this thread. */
    public static boolean isAnomalyEnabled() {
        return GradMode.anomalyEnabled();
    }

    public static boolean isEnabled() {
        return GradMode.isEnabled();
    }
}
