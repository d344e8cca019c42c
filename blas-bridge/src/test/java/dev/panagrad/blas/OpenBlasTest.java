package dev.panagrad.blas;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.Storage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** OpenBLAS against the plain-Java reference: two implementations, one answer. */
class OpenBlasTest {
    static final int[] SIZES = {1, 3, 7, 13, 64, 65, 127, 300, 513};
    final OpenBlas blas = OpenBlas.get();
    final JavaBlas ref = JavaBlas.INSTANCE;

    static Stream<Arguments> gemmCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (boolean f64 : new boolean[] {false, true}) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (int n : SIZES) b.add(Arguments.of(f64, ta, tb, n, n, n));
                    // rectangular shapes, each size in every position
                    b.add(Arguments.of(f64, ta, tb, 1, 513, 3));
                    b.add(Arguments.of(f64, ta, tb, 300, 7, 65));
                    b.add(Arguments.of(f64, ta, tb, 13, 127, 64));
                    b.add(Arguments.of(f64, ta, tb, 64, 1, 300));
                }
            }
        }
        return b.build();
    }

    /** Fills n elements with values in [-1, 1). */
    static MemorySegment random(Arena arena, long n, boolean f64, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * (f64 ? 8 : 4), 64);
        for (long i = 0; i < n; i++) {
            double v = r.nextDouble(-1, 1);
            if (f64) s.setAtIndex(JAVA_DOUBLE, i, v); else s.setAtIndex(JAVA_FLOAT, i, (float) v);
        }
        return s;
    }

    static double get(MemorySegment s, long i, boolean f64) {
        return f64 ? s.getAtIndex(JAVA_DOUBLE, i) : s.getAtIndex(JAVA_FLOAT, i);
    }

    @ParameterizedTest(name = "{index}: f64={0} transA={1} transB={2} m={3} n={4} k={5}")
    @MethodSource("gemmCases")
    void gemmMatchesTheReferenceAtOffsetsWithPaddedLeadingDimensionsAndBeta(boolean f64, boolean ta, boolean tb, int m, int n, int k) {
        int es = f64 ? 8 : 4;
        // Operands sit at an offset inside larger buffers, with leading dimensions wider than the rows.
        int aRows = ta ? k : m, aCols = ta ? m : k, lda = aCols + 3;
        int bRows = tb ? n : k, bCols = tb ? k : n, ldb = bCols + 1;
        int ldc = n + 2;
        long offA = 5, offB = 11, offC = 7;   // elements
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = random(arena, offA + (long) aRows * lda, f64, 1 + m);
            MemorySegment b = random(arena, offB + (long) bRows * ldb, f64, 2 + n);
            MemorySegment c1 = random(arena, offC + (long) m * ldc, f64, 3 + k);
            MemorySegment c2 = arena.allocate(c1.byteSize(), 64).copyFrom(c1);
            double alpha = 0.75, beta = -0.5;
            MemorySegment sa = a.asSlice(offA * es), sb = b.asSlice(offB * es);
            if (f64) {
                blas.dgemm(ta, tb, m, n, k, alpha, sa, lda, sb, ldb, beta, c1.asSlice(offC * es), ldc);
                ref.dgemm(ta, tb, m, n, k, alpha, sa, lda, sb, ldb, beta, c2.asSlice(offC * es), ldc);
            } else {
                blas.sgemm(ta, tb, m, n, k, (float) alpha, sa, lda, sb, ldb, (float) beta, c1.asSlice(offC * es), ldc);
                ref.sgemm(ta, tb, m, n, k, (float) alpha, sa, lda, sb, ldb, (float) beta, c2.asSlice(offC * es), ldc);
            }
            // Inputs in [-1,1): |error| <= k * eps * (alpha*k + |beta|) bounds every element generously.
            double eps = f64 ? 0x1p-52 : 0x1p-23;
            double tol = 4 * eps * (k + 1) * (alpha * k + 1);
            long total = offC + (long) m * ldc;
            for (long i = 0; i < total; i++) {
                double x = get(c1, i, f64), y = get(c2, i, f64);
                boolean inside = i >= offC && (i - offC) % ldc < n;
                if (inside) {
                    assertEquals(y, x, tol, "C element " + (i - offC) + " (row " + (i - offC) / ldc + ")");
                } else {
                    assertEquals(y, x, 0, "padding element " + i + " was written");
                }
            }
        }
    }

    static Stream<Arguments> betaZeroCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (boolean f64 : new boolean[] {false, true}) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (int n : new int[] {2, 7, 65}) b.add(Arguments.of(f64, ta, tb, n));
                }
            }
        }
        return b.build();
    }

    /**
     * beta = 0: C is written, not read (BLAS's rule: NaN or inf in C must not leak into the result),
     * checked value by value on small integers whose products are exact, for OpenBLAS and the Java
     * reference. C [n, n+1] sits in a buffer of NaN, +inf and −inf with a wider leading dimension; the
     * padding must stay as it was.
     */
    @ParameterizedTest(name = "f64={0} transA={1} transB={2} n={3}")
    @MethodSource("betaZeroCases")
    void betaZeroOverwritesCEvenWhereItHeldNaNOrInfinity(boolean f64, boolean ta, boolean tb, int n) {
        int m = n, cols = n + 1, k = n + 3, es = f64 ? 8 : 4;
        int lda = (ta ? m : k) + 1, ldb = (tb ? k : cols) + 2, ldc = cols + 3;
        double[][] want = new double[m][cols];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < cols; j++) {
                long acc = 0;
                for (int p = 0; p < k; p++) acc += (long) aValue(i, p) * bValue(p, j);
                want[i][j] = acc;
            }
        }
        for (Blas impl : new Blas[] {blas, ref}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment a = arena.allocate((long) (ta ? k : m) * lda * es, 64), b = arena.allocate((long) (tb ? cols : k) * ldb * es, 64);
                MemorySegment c = arena.allocate((long) m * ldc * es, 64);
                for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) put(a, ta ? (long) p * lda + i : (long) i * lda + p, aValue(i, p), f64);
                for (int p = 0; p < k; p++) for (int j = 0; j < cols; j++) put(b, tb ? (long) j * ldb + p : (long) p * ldb + j, bValue(p, j), f64);
                double[] junk = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
                for (long i = 0; i < (long) m * ldc; i++) put(c, i, junk[(int) (i % 3)], f64);
                if (f64) impl.dgemm(ta, tb, m, cols, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
                else impl.sgemm(ta, tb, m, cols, k, 1f, a, lda, b, ldb, 0f, c, ldc);
                String who = impl.getClass().getSimpleName() + (f64 ? " dgemm" : " sgemm");
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < ldc; j++) {
                        double got = get(c, (long) i * ldc + j, f64);
                        if (j < cols) {
                            assertEquals(want[i][j], got, 0, who + ": C[" + i + ", " + j + "]");
                        } else {
                            assertEquals(junk[(i * ldc + j) % 3], got, 0, who + ": padding C[" + i + ", " + j + "] was written");
                        }
                    }
                }
            }
        }
    }

    static int aValue(int i, int p) { return (i * 3 + p * 5) % 7 - 3; }

    static int bValue(int p, int j) { return (p * 2 + j) % 5 - 2; }

    static void put(MemorySegment s, long i, double v, boolean f64) {
        if (f64) s.setAtIndex(JAVA_DOUBLE, i, v); else s.setAtIndex(JAVA_FLOAT, i, (float) v);
    }

    @Test
    void gemmOnPooledStorageIsZeroCopy() {
        try (var scope = MemoryScope.open("gemm")) {
            Storage a = Storage.allocate(4 * 4, "a"), b = Storage.allocate(4 * 4, "b"), c = Storage.allocate(4 * 4, "c");
            float[] av = {1, 2, 3, 4}, bv = {5, 6, 7, 8};
            for (int i = 0; i < 4; i++) {
                a.segment().setAtIndex(JAVA_FLOAT, i, av[i]);
                b.segment().setAtIndex(JAVA_FLOAT, i, bv[i]);
            }
            blas.sgemm(false, false, 2, 2, 2, 1f, a.segment(), 2, b.segment(), 2, 0f, c.segment(), 2);
            assertArrayEquals(new float[] {19, 22, 43, 50}, c.segment().toArray(JAVA_FLOAT));
        }
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("levelOneSizes")
    void levelOneAndTwoMatchTheReference(int n) {
        try (Arena arena = Arena.ofConfined()) {
            for (boolean f64 : new boolean[] {false, true}) {
                double eps = f64 ? 1e-13 : 2e-5;
                MemorySegment x = random(arena, 2L * n, f64, n), y1 = random(arena, 3L * n, f64, n + 1);
                MemorySegment y2 = arena.allocate(y1.byteSize()).copyFrom(y1);
                if (f64) {
                    assertEquals(ref.ddot(n, x, 2, y1, 3), blas.ddot(n, x, 2, y1, 3), eps * n);
                    assertEquals(ref.ddot(n, x, -2, y1, 3), blas.ddot(n, x, -2, y1, 3), eps * n);
                    assertEquals(ref.dnrm2(n, x, 2), blas.dnrm2(n, x, 2), eps * n);
                    blas.daxpy(n, 0.5, x, 2, y1, 3);
                    ref.daxpy(n, 0.5, x, 2, y2, 3);
                    blas.dscal(n, -1.5, y1, 3);
                    ref.dscal(n, -1.5, y2, 3);
                } else {
                    assertEquals(ref.sdot(n, x, 2, y1, 3), blas.sdot(n, x, 2, y1, 3), eps * n);
                    assertEquals(ref.sdot(n, x, -2, y1, 3), blas.sdot(n, x, -2, y1, 3), eps * n);
                    assertEquals(ref.snrm2(n, x, 2), blas.snrm2(n, x, 2), eps * n);
                    blas.saxpy(n, 0.5f, x, 2, y1, 3);
                    ref.saxpy(n, 0.5f, x, 2, y2, 3);
                    blas.sscal(n, -1.5f, y1, 3);
                    ref.sscal(n, -1.5f, y2, 3);
                }
                for (long i = 0; i < 3L * n; i++) assertEquals(get(y2, i, f64), get(y1, i, f64), eps, "axpy/scal element " + i);
                // gemv, both orientations, n x 7 matrix
                int cols = 7;
                MemorySegment a = random(arena, (long) n * cols, f64, 9);
                for (boolean t : new boolean[] {false, true}) {
                    int xn = t ? n : cols, yn = t ? cols : n;
                    MemorySegment vx = random(arena, xn, f64, 4), g1 = random(arena, yn, f64, 5);
                    MemorySegment g2 = arena.allocate(g1.byteSize()).copyFrom(g1);
                    if (f64) {
                        blas.dgemv(t, n, cols, 2.0, a, cols, vx, 1, 0.25, g1, 1);
                        ref.dgemv(t, n, cols, 2.0, a, cols, vx, 1, 0.25, g2, 1);
                    } else {
                        blas.sgemv(t, n, cols, 2f, a, cols, vx, 1, 0.25f, g1, 1);
                        ref.sgemv(t, n, cols, 2f, a, cols, vx, 1, 0.25f, g2, 1);
                    }
                    for (long i = 0; i < yn; i++) assertEquals(get(g2, i, f64), get(g1, i, f64), eps * (n + cols), "gemv trans=" + t + " element " + i);
                }
            }
        }
    }

    static Stream<Integer> levelOneSizes() {
        return Stream.of(1, 3, 7, 13, 64, 65, 127, 300, 513);
    }

    @Test
    void operandsTooSmallForTheirShapeThrowBeforeAnyNativeCall() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(4 * 6), b = arena.allocate(4 * 6), c = arena.allocate(4 * 3);
            var e = assertThrows(IllegalArgumentException.class, () -> blas.sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
            assertTrue(e.getMessage().contains("C is 2x2"), e.getMessage());
            var lda = assertThrows(IllegalArgumentException.class, () -> blas.sgemm(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2));
            assertTrue(lda.getMessage().contains("leading dimension of A is 2"), lda.getMessage());
            var inc = assertThrows(IllegalArgumentException.class, () -> blas.saxpy(4, 1f, a, 1, b, 0));
            assertTrue(inc.getMessage().contains("increment of y is 0"), inc.getMessage());
            assertThrows(IllegalArgumentException.class, () -> blas.sdot(7, a, 1, b, 1));
        }
    }

    @Test
    void threadCountCanBeReadAndSet() {
        int before = blas.threadCount();
        try {
            blas.setThreadCount(1);
            assertEquals(1, blas.threadCount());
            blas.setThreadCount(2);
            assertEquals(2, blas.threadCount());
            assertThrows(IllegalArgumentException.class, () -> blas.setThreadCount(0));
        } finally {
            blas.setThreadCount(before);
        }
    }

    @Test
    void aProductWhileAnotherJavaThreadComputesRunsOnOneOpenBlasThread() {
        int before = blas.threadCount();
        boolean adaptive = blas.adaptiveThreads();
        CallerThreads policy = OpenBlas.callerThreads();
        try (Arena arena = Arena.ofConfined()) {
            blas.setAdaptiveThreads(true);
            blas.setThreadCount(2);
            MemorySegment a = arena.allocate(4 * 64 * 64), b = arena.allocate(4 * 64 * 64), c = arena.allocate(4 * 64 * 64);
            policy.enter(-2);   // another Java thread, inside a product now
            try {
                blas.sgemm(false, false, 64, 64, 64, 1f, a, 64, b, 64, 0f, c, 64);
                assertEquals(1, blas.processThreadCount(), "OpenBLAS's own count during a shared stretch");
                assertEquals(1, blas.threadCountNow());
                assertEquals(2, blas.threadCount(), "what a lone caller gets later");
            } finally {
                policy.exit();
            }
            blas.setAdaptiveThreads(false);   // fixed: the count for every product, as OpenBLAS alone
            assertEquals(2, blas.processThreadCount());
            policy.enter(-2);
            try {
                blas.sgemm(false, false, 64, 64, 64, 1f, a, 64, b, 64, 0f, c, 64);
                assertEquals(2, blas.processThreadCount());
            } finally {
                policy.exit();
            }
        } finally {
            blas.setThreadCount(before);
            blas.setAdaptiveThreads(adaptive);
        }
    }

    /** Why the bridge does not use it: one thread's call changes every thread's count. If this fails, OpenBLAS made it per thread: revisit CallerThreads. */
    @Test
    void setNumThreadsLocalSetsTheWholeProcessInThisBuild() throws Exception {
        try {
            blas.setThreadCountLocal(2);
            Thread other = Thread.ofPlatform().start(() -> blas.setThreadCountLocal(1));
            other.join();
            assertEquals(1, blas.processThreadCount(), "another thread's openblas_set_num_threads_local(1), seen here");
        } finally {
            blas.setThreadCount(blas.threadCount());   // the bridge's decision back in the library
        }
        assertEquals(blas.threadCountNow(), blas.processThreadCount());
    }

    @Test
    void reportsVersionCoreAndLibrary() {
        BlasInfo info = blas.info();
        assertEquals("0.3.31", info.version(), info.config());
        assertFalse(info.coreName().isBlank());
        assertTrue(info.libraryPath().contains("openblas_nolapack"), info.libraryPath());
        assertTrue(info.nativeAccessEnabled(), "tests run with --enable-native-access=ALL-UNNAMED");
        assertTrue(blas.describe().startsWith("OpenBLAS 0.3.31 ("), blas.describe());
    }
}
