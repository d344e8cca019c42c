package dev.panagrad.blas;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panagrad.memory.BFloat16;
import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** oneDNN's GEMMs through the FFM bridge against a float64 reference, and what a JVM without the library is told. */
class DnnlTest {
    /** Row-major op(X) element (i, j) of X stored with leading dimension ld. */
    private static double at(double[] x, boolean trans, int ld, int i, int j) { return trans ? x[j * ld + i] : x[i * ld + j]; }

    private static double[] reference(boolean ta, boolean tb, int m, int n, int k, double[] a, int lda, double[] b, int ldb) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += at(a, ta, lda, i, p) * at(b, tb, ldb, p, j);
                c[i * n + j] = s;
            }
        }
        return c;
    }

    private static double relativeError(double[] expected, MemorySegment c) {
        double num = 0, den = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = c.getAtIndex(JAVA_FLOAT, i) - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        return Math.sqrt(num / den);
    }

    @ParameterizedTest
    @CsvSource({"false,false,64,48,200", "true,false,33,65,127", "false,true,100,7,513", "true,true,17,129,64"})
    void bf16GemmMatchesFloat64OnTheRoundedInputsAndIsWithinBfloat16ErrorOfTheExactOnes(boolean ta, boolean tb, int m, int n, int k) {
        Dnnl dnnl = Dnnl.get();
        Random rnd = new Random(m * 31 + n);
        int lda = ta ? m : k, ldb = tb ? k : n;
        double[] a = new double[m * k], b = new double[k * n], ra = new double[a.length], rb = new double[b.length];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(2L * a.length), sb = arena.allocate(2L * b.length), sc = arena.allocate(4L * m * n);
            for (int i = 0; i < a.length; i++) {
                a[i] = rnd.nextGaussian();
                short h = BFloat16.fromDouble(a[i]);
                sa.setAtIndex(JAVA_SHORT, i, h);
                ra[i] = BFloat16.toFloat(h);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = rnd.nextGaussian();
                short h = BFloat16.fromDouble(b[i]);
                sb.setAtIndex(JAVA_SHORT, i, h);
                rb[i] = BFloat16.toFloat(h);
            }
            for (int i = 0; i < m * n; i++) sc.setAtIndex(JAVA_FLOAT, i, 1f);
            dnnl.gemmBf16(ta, tb, m, n, k, 1f, sa, lda, sb, ldb, 0f, sc, n);
            // the products of bfloat16 inputs accumulate in float32: float32 rounding only
            assertTrue(relativeError(reference(ta, tb, m, n, k, ra, lda, rb, ldb), sc) < 1e-5, "against the rounded inputs");
            // against the unrounded inputs: bfloat16's 8-bit mantissa, ~5e-3 relative
            double e = relativeError(reference(ta, tb, m, n, k, a, lda, b, ldb), sc);
            assertTrue(e > 1e-4 && e < 1e-2, "relative error " + e);

            // beta = 1 adds to C; alpha scales
            double[] before = new double[m * n];
            for (int i = 0; i < before.length; i++) before[i] = sc.getAtIndex(JAVA_FLOAT, i);
            dnnl.gemmBf16(ta, tb, m, n, k, 0.5f, sa, lda, sb, ldb, 1f, sc, n);
            for (int i = 0; i < before.length; i++) assertEquals(1.5 * before[i], sc.getAtIndex(JAVA_FLOAT, i), 1e-4 * (1 + Math.abs(before[i])));
        }
    }

    @Test
    void sgemmMatchesFloat64() {
        Dnnl dnnl = Dnnl.get();
        int m = 70, n = 90, k = 300;
        Random rnd = new Random(3);
        double[] a = new double[m * k], b = new double[n * k];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(4L * a.length), sb = arena.allocate(4L * b.length), sc = arena.allocate(4L * m * n);
            for (int i = 0; i < a.length; i++) { a[i] = (float) rnd.nextGaussian(); sa.setAtIndex(JAVA_FLOAT, i, (float) a[i]); }
            for (int i = 0; i < b.length; i++) { b[i] = (float) rnd.nextGaussian(); sb.setAtIndex(JAVA_FLOAT, i, (float) b[i]); }
            dnnl.sgemm(false, true, m, n, k, 1f, sa, k, sb, k, 0f, sc, n);
            assertTrue(relativeError(reference(false, true, m, n, k, a, k, b, k), sc) < 1e-6);
        }
    }

    @Test
    void reportsItsVersionAndIsaAndRefusesASegmentTooSmall() {
        Dnnl dnnl = Dnnl.get();
        assertEquals("3.11.0", dnnl.version().replaceAll("\\.\\d+$", ".0"));
        assertTrue(dnnl.toString().startsWith("oneDNN 3.11."), dnnl.toString());
        assertTrue(dnnl.libraryPath().endsWith("libdnnl.so.3"), dnnl.libraryPath());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(2 * 15), b = arena.allocate(2 * 16), c = arena.allocate(4 * 16);
            var e = assertThrows(IllegalArgumentException.class, () -> dnnl.gemmBf16(false, false, 4, 4, 4, 1f, small, 4, b, 4, 0f, c, 4));
            assertEquals("gemm_bf16bf16f32: A is 4x4 with leading dimension 4, which needs 32 bytes, but its segment has 30", e.getMessage());
        }
    }

    @Test
    void isaNamesFollowOneDnnsEnum() {
        assertEquals("avx512_core_bf16", Dnnl.isaName(0xe7));
        assertEquals("avx10_1_512_amx (avx512_core_amx)", Dnnl.isaName(0xfef));
        assertEquals("avx2", Dnnl.isaName(0x7));
    }

    /** A JVM whose class path lacks the dnnl jar is told, in one line, which artifact to add. */
    @Test
    void withoutTheJarTheMessageNamesTheArtifact() throws Exception {
        String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> !Path.of(p).getFileName().toString().startsWith("dnnl-")).collect(Collectors.joining(File.pathSeparator));
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-cp", cp, DnnlProbe.class.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals("BlasUnavailableException: oneDNN is not on the class path (resource /org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3"
                .replace("libdnnl.so.3", "libgomp.so.1") + " is not on the class path): bfloat16 mixed precision needs the optional dependency "
                + "org.bytedeco:dnnl:3.11-1.5.13 (classifier linux-x86_64) beside panagrad-blas-bridge; on Linux/amd64 only linux-x86_64 is supported.\n", out);
    }
}
