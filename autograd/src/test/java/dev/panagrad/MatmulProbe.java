package dev.panagrad;

/**
 * Run in a child JVM by {@link BlasSelectionTest}: one float32 16x16 product, big enough to go to
 * the selected BLAS, printing two of its elements, or the exception's class and message (status 1).
 */
public final class MatmulProbe {
    private MatmulProbe() {}

    public static void main(String[] args) {
        try {
            Tensor a = Tensor.arange(0, 128, 0.5).reshape(16, 16);   // a[i][j] = (16 i + j) / 2
            Tensor c = a.matmul(a);
            System.out.println("c[0][0] " + c.select(0, 0).select(0, 0).item() + " c[15][15] " + c.select(0, 15).select(0, 15).item());
        } catch (RuntimeException e) {
            System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
