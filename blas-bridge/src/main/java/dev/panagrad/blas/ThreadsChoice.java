package dev.panagrad.blas;

import java.util.Locale;

/** {@code -Dpanagrad.blasThreads}: whether OpenBLAS's thread count adapts to the Java threads computing, read once. */
final class ThreadsChoice {
    static final String PROPERTY = "panagrad.blasThreads";
    private static final String GIVEN = System.getProperty(PROPERTY);
    /** null when the property names no policy. */
    private static final Boolean ADAPTIVE = parse(GIVEN);

    private ThreadsChoice() {}

    /** @throws IllegalArgumentException if the property is neither {@code adaptive} nor {@code fixed} */
    static boolean adaptive() {
        if (ADAPTIVE == null) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + GIVEN + " is not a thread policy Panagrad has: use adaptive"
                    + " (the default: one OpenBLAS thread per product while several Java threads compute) or fixed (OpenBLAS's count for every product)");
        }
        return ADAPTIVE;
    }

    static Boolean parse(String given) {
        return switch (given == null ? "adaptive" : given.trim().toLowerCase(Locale.ROOT)) {
            case "adaptive" -> Boolean.TRUE;
            case "fixed" -> Boolean.FALSE;
            default -> null;
        };
    }
}
