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

    public static boolean isEnabled() {
        return GradMode.isEnabled();
    }
}
