package dev.panagrad.blas;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Run in a child JVM by {@link NativeAccessTest}: asks for the BLAS the JVM's options select
 * ({@code openblas} argument: {@link OpenBlas#get()} itself), prints its name and one 2x2 sgemm,
 * or the exception's class and message, exit status 1.
 */
public final class BlasProbe {
    private BlasProbe() {}

    public static void main(String[] args) {
        try {
            Blas blas = args.length > 0 && args[0].equals("openblas") ? OpenBlas.get() : Blas.selected();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment a = arena.allocate(16), b = arena.allocate(16), c = arena.allocate(16);
                for (int i = 0; i < 4; i++) {
                    a.setAtIndex(JAVA_FLOAT, i, i + 1);       // [[1, 2], [3, 4]]
                    b.setAtIndex(JAVA_FLOAT, i, 5 + i);       // [[5, 6], [7, 8]]
                }
                blas.sgemm(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
                System.out.println("blas " + blas.getClass().getSimpleName());
                System.out.println("product " + c.getAtIndex(JAVA_FLOAT, 0) + " " + c.getAtIndex(JAVA_FLOAT, 1) + " "
                        + c.getAtIndex(JAVA_FLOAT, 2) + " " + c.getAtIndex(JAVA_FLOAT, 3));
            }
        } catch (RuntimeException e) {
            System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
