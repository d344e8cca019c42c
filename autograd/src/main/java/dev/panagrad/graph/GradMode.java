package dev.panagrad.graph;

/**
 * Grad mode, per thread: whether ops record a graph. The switch behind {@code torch.no_grad()};
 * users reach it through {@code dev.panagrad.Grad}, the engine directly (it runs formulas with grad off).
 */
public final class GradMode {
    /** Per thread: [0] grad mode, [1] anomaly detection. One cell, so recording reads both with one lookup. */
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true, false});

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** This thread's cell: [0] grad mode, [1] anomaly detection. Read it; change it only through the setters. */
    public static boolean[] mode() {
        return ENABLED.get();
    }

    /** Whether anomaly detection is on for this thread ({@code torch.is_anomaly_enabled()}). */
    public static boolean anomalyEnabled() {
        return ENABLED.get()[1];
    }

    /** Sets this thread's anomaly detection; returns the setting it replaces. */
    public static boolean setAnomaly(boolean enabled) {
        boolean[] cell = ENABLED.get();
        boolean previous = cell[1];
        cell[1] = enabled;
        return previous;
    }

    /** Sets this thread's mode; returns the one it replaces, for the caller to restore. */
    public static boolean set(boolean enabled) {
        boolean[] cell = ENABLED.get();
        boolean previous = cell[0];
        cell[0] = enabled;
        return previous;
    }
}
