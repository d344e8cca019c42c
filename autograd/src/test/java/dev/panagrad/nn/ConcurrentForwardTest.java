package dev.panagrad.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.Generator;
import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.MemoryStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A server: eight threads calling forward on one shared 784-512-10 model at once, with grad off,
 * each request in a MemoryScope of its own. Every answer must be the one the same input gets on one
 * thread alone, no graph may be recorded, and the requests must give back every buffer they leased.
 */
class ConcurrentForwardTest {
    static final int THREADS = 8, REQUESTS = 24, ROWS = 4;

    @Test
    void eightThreadsShareOneModel() throws Exception {
        Generator g = new Generator(0);
        var model = new Sequential(new Linear(784, 512, true, DType.F32, g), new ReLU(), new Linear(512, 10, true, DType.F32, g));
        float[][] inputs = new float[16][];
        for (int i = 0; i < inputs.length; i++) inputs[i] = g.rand(DType.F32, ROWS, 784).toFloatArray();
        float[][] expected = new float[inputs.length][];
        for (int i = 0; i < inputs.length; i++) expected[i] = predict(model, inputs[i], null);
        for (int i = 1; i < inputs.length; i++) assertNotEquals(expected[0][0], expected[i][0], "requests must differ, so that a mix-up shows");

        BufferPool pool = MemoryScope.currentPool();   // the test's own pool (PoolLeakCheck)
        MemoryStats before = pool.stats();
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        var start = new CountDownLatch(THREADS);
        List<Future<float[][]>> answers = new ArrayList<>();
        try {
            for (int t = 0; t < THREADS; t++) {
                int first = t;
                answers.add(threads.submit(() -> {
                    start.countDown();
                    start.await();   // all eight compute at once
                    float[][] got = new float[REQUESTS][];
                    for (int r = 0; r < REQUESTS; r++) got[r] = predict(model, inputs[(first + r) % inputs.length], pool);
                    assertTrue(Grad.isEnabled(), "grad mode is restored on the serving thread");
                    return got;
                }));
            }
            for (int t = 0; t < THREADS; t++) {
                float[][] got = answers.get(t).get();
                for (int r = 0; r < REQUESTS; r++) {
                    float[] want = expected[(t + r) % inputs.length];
                    // OpenBLAS on one thread sums in another order than on two: equal within float rounding
                    assertArrayEquals(want, got[r], 1e-5f, "thread " + t + ", request " + r);
                }
            }
        } finally {
            threads.shutdownNow();
        }
        MemoryStats after = pool.stats();
        assertEquals(before.bytesInUse(), after.bytesInUse(), "bytes leased after the requests: " + after);
        assertEquals(before.liveLeases(), after.liveLeases(), "leases after the requests: " + after);
    }

    /** One request: grad off, a scope of its own (from {@code pool}, or the current one), the answer copied out. */
    static float[] predict(Module model, float[] rows, BufferPool pool) {
        try (var request = MemoryScope.open("request", pool); var off = Grad.disabled()) {
            Tensor y = model.forward(Tensor.fromArray(rows, rows.length / 784, 784));
            assertFalse(y.requiresGrad(), "no graph under Grad.disabled()");
            assertNull(y.gradFn());
            return y.toFloatArray();
        }
    }
}
