package dev.panagrad.graph;

/**
 * Grad mode, per thread: whether ops record a graph. The switch behind {@code torch.no_grad()};
 * users reach it through {@code dev.panagrad.Grad}, the engine directly (it runs formulas with grad off).
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Sets this thread's mode; returns the one it replaces, for the caller to restore. */
    public static boolean set(boolean enabled) {
        boolean[] cell = ENABLED.get();
        boolean previous = cell[0];
        cell[0] = enabled;
        return previous;
    }
}
