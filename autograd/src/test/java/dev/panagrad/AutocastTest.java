package dev.panagrad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panagrad.memory.BFloat16;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.Functional;
import dev.panagrad.ops.AutocastState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@link Autocast#bf16()}: that the GEMMs inside really take bfloat16 inputs (their results are the
 * float64 products of the bfloat16-rounded operands, to float32 accuracy, and differ from the float32
 * products), forward and backward; what stays float32; the weight cache; the scope's rules. PyTorch's
 * own values for the same programs are the "issue 17" cases of FuzzReplayTest.
 */
class AutocastTest {
    private static double[] rounded(double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = BFloat16.toFloat(BFloat16.fromDouble(v[i]));
        return r;
    }

    /** out[i][j] = Σ_p a[i][p] · b[j][p] (a [m, k], b [n, k], row-major), in float64. */
    private static double[] productWithTransposed(double[] a, double[] b, int m, int n, int k) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
            c[i * n + j] = s;
        }
        return c;
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    private static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[a.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }

    @Test
    void linearTakesBfloat16InputsForwardAndBackwardAndKeepsFloat32Everywhere() {
        int n = 8, in = 40, out = 6;
        Generator gen = new Generator(7);
        Tensor x = gen.randn(DType.F32, n, in), w = gen.randn(DType.F32, out, in).requiresGrad(true), b = gen.randn(DType.F32, out).requiresGrad(true);
        Tensor g = gen.randn(DType.F32, n, out);
        double[] xv = x.toDoubleArray(), wv = w.toDoubleArray(), gv = g.toDoubleArray(), bv = b.toDoubleArray();
        Tensor y;
        try (var amp = Autocast.bf16()) {
            assertTrue(Autocast.isEnabled());
            y = Tensor.linear(x, w, b, false);
        }
        assertFalse(Autocast.isEnabled());
        assertEquals(DType.F32, y.dtype());
        assertEquals("AddmmBackward0", y.gradFn().name());
        double[] exactBf16 = productWithTransposed(rounded(xv), rounded(wv), n, out, in), exactF32 = productWithTransposed(xv, wv, n, out, in);
        for (int i = 0; i < exactBf16.length; i++) {
            exactBf16[i] += bv[i % out];
            exactF32[i] += bv[i % out];
        }
        assertTrue(maxAbsDiff(exactBf16, y.toDoubleArray()) < 1e-4, "the product of the bfloat16-rounded inputs");
        assertTrue(maxAbsDiff(exactF32, y.toDoubleArray()) > 1e-3, "not the float32 product");

        y.mul(g).sum().backward();
        assertEquals(DType.F32, w.grad().dtype());
        assertEquals(DType.F32, b.grad().dtype());
        // w.grad = bf16(g)ᵀ · bf16(x): a bfloat16 GEMM too
        double[] gw = productWithTransposed(transpose(rounded(gv), n, out), transpose(rounded(xv), n, in), out, in, n);
        assertTrue(maxAbsDiff(gw, w.grad().toDoubleArray()) < 1e-4, "the weight's gradient from bfloat16 operands");
        assertTrue(maxAbsDiff(productWithTransposed(transpose(gv, n, out), transpose(xv, n, in), out, in, n), w.grad().toDoubleArray()) > 1e-3);
        // the bias's gradient is a float32 sum of g
        double[] gb = new double[out];
        for (int i = 0; i < gv.length; i++) gb[i % out] += gv[i];
        assertTrue(maxAbsDiff(gb, b.grad().toDoubleArray()) < 1e-5);
    }

    @Test
    void matmulGradientOfTheInputIsABfloat16Gemm() {
        Generator gen = new Generator(8);
        Tensor a = gen.randn(DType.F32, 5, 30).requiresGrad(true), bt = gen.randn(DType.F32, 7, 30);
        Tensor y;
        try (var amp = Autocast.bf16()) {
            y = a.matmul(bt.t());
        }
        assertEquals("MmBackward0", y.gradFn().name());
        assertEquals(DType.F32, y.dtype());
        Tensor g = gen.randn(DType.F32, 5, 7);
        y.backward(g);
        // a.grad = bf16(g) · bf16(bt): row i, col p = Σ_j g[i][j] · bt[j][p]
        double[] want = productWithTransposed(rounded(g.toDoubleArray()), transpose(rounded(bt.toDoubleArray()), 7, 30), 5, 30, 7);
        assertTrue(maxAbsDiff(want, a.grad().toDoubleArray()) < 1e-4);
        assertEquals(DType.F32, a.grad().dtype());
    }

    @Test
    void softmaxLossesAndReductionsStayFloat32AndFloat64IsLeftAlone() {
        Generator gen = new Generator(9);
        Tensor x = gen.randn(DType.F32, 4, 8), w = gen.randn(DType.F32, 3, 8).requiresGrad(true);
        Tensor target = Tensor.fromArray(new long[] {0, 2, 1, 1}, 4);
        try (var amp = Autocast.bf16()) {
            Tensor logits = Tensor.linear(x, w, null, false);
            assertEquals(DType.F32, logits.logSoftmax(1).dtype());
            assertEquals(DType.F32, logits.softmax(1).dtype());
            assertEquals(DType.F32, logits.sum().dtype());
            assertEquals(DType.F32, Functional.crossEntropy(logits, target).dtype());
            // F.mse_loss of a bfloat16 input: the float32 list takes it as float32 (refused without autocast)
            assertEquals(DType.F32, Functional.mseLoss(logits.to(DType.BF16), logits.detach()).dtype());
            Tensor d = gen.randn(DType.F64, 3, 3);
            assertEquals(DType.F64, d.matmul(d).dtype());
            assertEquals(d.matmul(d).toString(), d.matmul(d).toString());
        }
    }

    @Test
    void aWeightIsCastOncePerScopeAndAgainAfterItChanges() {
        Generator gen = new Generator(10);
        Tensor w = gen.randn(DType.F32, 16, 16).requiresGrad(true), x = gen.randn(DType.F32, 4, 16);
        long casts = AutocastState.weightCasts();
        try (var step = MemoryScope.open("step"); var amp = Autocast.bf16()) {
            Tensor y1 = Tensor.linear(x, w, null, false);
            Tensor y2 = Tensor.linear(y1, w, null, false);
            assertEquals(1, AutocastState.cachedWeights(), "one copy of w for both layers");
            assertEquals(casts + 1, AutocastState.weightCasts(), "cast once");
            Tensor again = Tensor.linear(x, w, null, false);
            assertEquals(y1.toString(), again.toString());
            try (var off = Grad.disabled()) {
                w.mulInPlace(2);   // an optimizer's in-place step: the version moves, the copy is redone
            }
            Tensor doubled = Tensor.linear(x, w, null, false);
            double[] a = y1.toDoubleArray(), d = doubled.toDoubleArray();
            for (int i = 0; i < a.length; i++) assertEquals(2 * a[i], d[i], 1e-5 * (1 + Math.abs(a[i])));
            assertEquals(1, AutocastState.cachedWeights());
            assertEquals(casts + 2, AutocastState.weightCasts(), "cast again after the in-place change");
            assertNotEquals(0, y2.numel());
        }
        assertEquals(0, AutocastState.cachedWeights(), "the cache empties with the outermost scope");
    }

    @Test
    void scopesNestAndBelongToTheirThread() throws Exception {
        try (var outer = Autocast.bf16()) {
            try (var inner = Autocast.bf16()) {
                assertTrue(Autocast.isEnabled());
            }
            assertTrue(Autocast.isEnabled(), "still inside the outer scope");
            AtomicBoolean other = new AtomicBoolean(true);
            Thread t = new Thread(() -> other.set(Autocast.isEnabled()));
            t.start();
            t.join();
            assertFalse(other.get(), "another thread is not in this thread's scope");
        }
        assertFalse(Autocast.isEnabled());
    }

    /** oneDNN held to AVX2 (ONEDNN_MAX_CPU_ISA, as a CPU without bfloat16 would have it): one line saying why. */
    @Test
    void aCpuWithoutBfloat16IsRefusedInOneLine() throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), AutocastProbe.class.getName());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("ONEDNN_MAX_CPU_ISA", "AVX2");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertTrue(out.matches("IllegalStateException: Autocast\\.bf16\\(\\): oneDNN 3\\.11\\.\\d+ runs on ISA avx2 here, which has no bfloat16 arithmetic"
                + " \\(it needs AVX512-BF16 or AMX: AMD Zen 4 and later, Intel Cooper Lake or Sapphire Rapids and later\\), so bfloat16 GEMMs would be"
                + " emulated, slower than float32; train in float32 on this CPU\n"), out);
    }
}
