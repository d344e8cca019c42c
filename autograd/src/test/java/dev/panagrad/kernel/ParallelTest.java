package dev.panagrad.kernel;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Split loops cover every element once and give the results of the unsplit ones. */
class ParallelTest {
    @AfterEach
    void oneThread() {
        Parallel.setThreads(1);
    }

    @Test
    void partsCoverTheRangeOnceWithAlignedBoundaries() {
        Parallel.setThreads(2);
        int n = 1_000_003;
        AtomicIntegerArray seen = new AtomicIntegerArray(n);
        java.util.Set<Long> starts = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Parallel.forRange(n, 1000, 64, (from, to) -> {
            starts.add(from);
            for (long i = from; i < to; i++) seen.incrementAndGet((int) i);
        });
        for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "element " + i);
        assertEquals(2, starts.size(), "two parts: " + starts);
        for (long s : starts) assertEquals(0, s % 64);
        RuntimeException e = assertThrows(RuntimeException.class, () -> Parallel.forRange(n, 1000, 64, (from, to) -> {
            if (from > 0) throw new IllegalStateException("worker part failed");
        }));
        assertEquals("worker part failed", e.getMessage());
    }

    @Test
    void aGemmSplitByRowsMatchesTheWholeGemm() {
        Generator g = new Generator(7);
        Tensor a = g.randn(DType.F32, 600, 300), b = g.randn(DType.F32, 400, 300);
        float[] whole = a.matmul(b.t()).toFloatArray();
        float[] wholeT = a.t().t().matmul(b.t()).toFloatArray();
        Parallel.setThreads(2);
        float[] split = a.matmul(b.t()).toFloatArray();
        float[] splitT = b.matmul(a.t()).t().contiguous().toFloatArray();   // a transposed A operand
        for (int i = 0; i < whole.length; i++) {
            assertEquals(whole[i], split[i], 1e-4f * Math.max(1, Math.abs(whole[i])), "element " + i);
            assertEquals(wholeT[i], splitT[i], 1e-4f * Math.max(1, Math.abs(whole[i])), "transposed, element " + i);
        }
    }

    @Test
    void bigElementwisePassesSplitAcrossCoresExactly() {
        int n = (int) Parallel.BIG * 2 + 37;
        Generator g = new Generator(3);
        Tensor a = g.randn(DType.F32, n), b = g.randn(DType.F32, n);
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        float[] sum = a.add(b).toFloatArray(), relu = a.relu().toFloatArray(), scaled = a.mul(0.5).toFloatArray();
        double total = 0;
        for (int i = 0; i < n; i += 1) {
            assertEquals(x[i] + y[i], sum[i], "add " + i);
            assertEquals(x[i] > 0 ? x[i] : 0f, relu[i], "relu " + i);
            assertEquals(x[i] * 0.5f, scaled[i], "mul " + i);
            total += x[i];
        }
        // vector math: exact where IEEE says so, within 2 ulp of the rounded double result otherwise
        float[] exp = a.exp().toFloatArray(), sqrt = a.abs().sqrt().toFloatArray(), tanh = a.tanh().toFloatArray(), neg = a.neg().toFloatArray();
        for (int i = 0; i < n; i += 3) {
            assertEquals((float) Math.exp(x[i]), exp[i], 2 * Math.ulp((float) Math.exp(x[i])), "exp " + x[i]);
            assertEquals((float) Math.tanh(x[i]), tanh[i], 2 * Math.ulp((float) Math.tanh(x[i])), "tanh " + x[i]);
            assertEquals((float) Math.sqrt(Math.abs(x[i])), sqrt[i], "sqrt " + x[i]);
            assertEquals(-x[i], neg[i], "neg " + x[i]);
        }
        // the vector sum (float blocks, double total) against a plain double sum
        assertEquals(total, a.sum().item(), 1e-6 * n);
        assertEquals((float) total, (float) a.sum().item(), Math.ulp((float) total) * 64);
    }
}
