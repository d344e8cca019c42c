package dev.panagrad.memory;

/**
 * Run in a child JVM by {@link NativeAccessDeniedTest}: one lease outside any scope ({@code unscoped})
 * or inside one ({@code scoped}), printing its size, or the exception's class and message (status 1).
 */
public final class PoolProbe {
    private PoolProbe() {}

    public static void main(String[] args) {
        try {
            if (args[0].equals("scoped")) {
                try (var scope = MemoryScope.open("probe")) {
                    System.out.println("leased " + Storage.allocate(64, "probe").byteSize());
                }
            } else {
                System.out.println("leased " + Storage.allocate(64, "probe").byteSize());
            }
        } catch (RuntimeException e) {
            System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
