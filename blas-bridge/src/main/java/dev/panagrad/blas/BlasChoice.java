package dev.panagrad.blas;

import java.util.Locale;

/** {@code -Dpanagrad.blas}: which {@link Blas} {@link Blas#selected()} gives, read once. */
final class BlasChoice {
    static final String PROPERTY = "panagrad.blas";
    private static final String GIVEN = System.getProperty(PROPERTY);
    private static final String VALUE = GIVEN == null ? "openblas" : GIVEN.trim().toLowerCase(Locale.ROOT);

    private BlasChoice() {}

    static Blas selected() {
        return switch (VALUE) {
            case "openblas" -> OpenBlas.get();
            case "java" -> JavaBlas.INSTANCE;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + GIVEN + " is not a BLAS Panagrad has: use openblas"
                    + " (the default) or java (plain Java, no native library, far slower)");
        };
    }
}
