package dev.panagrad.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.panagrad.blas.Dnnl;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.memory.BFloat16;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code ./panagrad bench precision [batch ...]}: the GEMMs of the MLP step (784-1024-1024-10, the two
 * big layers: forward x·Wᵀ, backward g·W and gᵀ·x) at each batch (default 256 1024 4096), each run by
 * OpenBLAS's sgemm, oneDNN's {@code dnnl_sgemm} and oneDNN's {@code gemm_bf16bf16f32}, the three in
 * turn (A B C A B C …, so a loaded machine's drift hits all three), and prints the medians in ms and
 * GFLOP/s. It answers whether {@code dnnl_sgemm} beats OpenBLAS for the float32 step's shapes and what
 * the bfloat16 GEMM gives. Plain {@code System.nanoTime} around each call, after warm-up calls.
 */
public final class GemmPrecisionReport {
    private GemmPrecisionReport() {}

    record Shape(String what, boolean ta, boolean tb, int m, int n, int k) {
        double gflop() { return 2.0 * m * n * k / 1e9; }
    }

    static List<Shape> shapes(int b) {
        return List.of(new Shape("fwd  x1·W1ᵀ", false, true, b, 1024, 784), new Shape("fwd  h1·W2ᵀ", false, true, b, 1024, 1024),
                new Shape("bwd  g2·W2", false, false, b, 1024, 1024), new Shape("bwd  g2ᵀ·h1", true, false, 1024, 1024, b),
                new Shape("bwd  g1ᵀ·x1", true, false, 1024, 784, b));
    }

    public static void main(String[] args) {
        int[] batches = args.length > 0 ? Arrays.stream(args).mapToInt(Integer::parseInt).toArray() : new int[] {256, 1024, 4096};
        OpenBlas blas = OpenBlas.get();
        Dnnl dnnl = Dnnl.get();
        System.out.println("OpenBLAS " + blas.info().version() + " (" + blas.info().coreName() + ", " + blas.threadCount() + " threads), "
                + dnnl + " with OMP_NUM_THREADS=" + System.getenv().getOrDefault("OMP_NUM_THREADS", "(unset)"));
        System.out.printf(Locale.ROOT, "%-6s %-12s %-16s %20s %20s %20s %12s%n", "batch", "gemm", "m x n x k", "OpenBLAS sgemm", "dnnl_sgemm", "dnnl bf16",
                "dnnl/OpenBLAS");
        Random rnd = new Random(1);
        try (Arena arena = Arena.ofConfined()) {
            for (int b : batches) {
                for (Shape s : shapes(b)) {
                    long aLen = (long) s.m * s.k, bLen = (long) s.k * s.n, cLen = (long) s.m * s.n;
                    MemorySegment a = arena.allocate(aLen * 4, 64), bb = arena.allocate(bLen * 4, 64), c = arena.allocate(cLen * 4, 64);
                    MemorySegment ah = arena.allocate(aLen * 2, 64), bh = arena.allocate(bLen * 2, 64);
                    for (long i = 0; i < aLen; i++) { float v = (float) rnd.nextGaussian(); a.setAtIndex(JAVA_FLOAT, i, v); ah.setAtIndex(JAVA_SHORT, i, BFloat16.fromFloat(v)); }
                    for (long i = 0; i < bLen; i++) { float v = (float) rnd.nextGaussian(); bb.setAtIndex(JAVA_FLOAT, i, v); bh.setAtIndex(JAVA_SHORT, i, BFloat16.fromFloat(v)); }
                    int lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
                    Runnable[] runs = {
                        () -> blas.sgemm(s.ta, s.tb, s.m, s.n, s.k, 1f, a, lda, bb, ldb, 0f, c, s.n),
                        () -> dnnl.sgemm(s.ta, s.tb, s.m, s.n, s.k, 1f, a, lda, bb, ldb, 0f, c, s.n),
                        () -> dnnl.gemmBf16(s.ta, s.tb, s.m, s.n, s.k, 1f, ah, lda, bh, ldb, 0f, c, s.n)};
                    int reps = (int) Math.max(5, Math.min(41, 3 / s.gflop()));
                    double[][] t = new double[3][reps];
                    for (Runnable r : runs) for (int w = 0; w < 3; w++) r.run();
                    for (int i = 0; i < reps; i++) {
                        for (int j = 0; j < 3; j++) {
                            long t0 = System.nanoTime();
                            runs[j].run();
                            t[j][i] = (System.nanoTime() - t0) / 1e6;
                        }
                    }
                    double[] med = new double[3];
                    for (int j = 0; j < 3; j++) {
                        Arrays.sort(t[j]);
                        med[j] = t[j][reps / 2];
                    }
                    System.out.printf(Locale.ROOT, "%-6d %-12s %-16s %9.3f ms %5.0f GF %9.3f ms %5.0f GF %9.3f ms %5.0f GF %12.2f%n", b, s.what,
                            s.m + "x" + s.n + "x" + s.k, med[0], s.gflop() / med[0] * 1e3, med[1], s.gflop() / med[1] * 1e3,
                            med[2], s.gflop() / med[2] * 1e3, med[1] / med[0]);
                }
            }
        }
    }
}
