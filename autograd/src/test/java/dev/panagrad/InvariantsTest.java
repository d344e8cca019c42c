package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.Functional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class InvariantsTest {

    @Test
    void aDiamondGraphAccumulatesBothPaths() {
        Tensor x = Tensor.of(DType.F64, 1.5, -2).requiresGrad(true);
        Tensor a = x.mul(2), b = x.mul(3);
        a.mul(b).sum().backward();   // 6x², d/dx = 12x
        assertArrayEquals(new double[] {18, -24}, x.grad().toDoubleArray());
    }

    @Test
    void aChainOf100000OpsRunsBackwardWithoutStackOverflow() {
        Tensor x0 = Tensor.of(DType.F64, 1.0).requiresGrad(true);
        Tensor x = x0;
        for (int i = 0; i < 50_000; i++) x = x.mul(1.0001).add(0.0001);
        x.backward();
        assertEquals(Math.pow(1.0001, 50_000), x0.grad().item(), 1e-9 * Math.pow(1.0001, 50_000));
    }

    /** A small MLP's loss and gradients after 5 SGD steps, from fixed data. */
    static double[] train(long seed) {
        Generator g = new Generator(seed);
        Tensor w1 = g.randn(DType.F64, 8, 16).mul(0.3).requiresGrad(true);
        Tensor w2 = g.randn(DType.F64, 16, 3).mul(0.3).requiresGrad(true);
        Tensor x = g.randn(DType.F64, 32, 8);
        Tensor y = g.randint(0, 3, 32);
        double loss = 0;
        for (int step = 0; step < 5; step++) {
            Tensor l = Functional.crossEntropy(x.matmul(w1).relu().matmul(w2), y);
            l.backward();
            loss = l.item();
            try (var off = Grad.disabled()) {
                w1.subInPlace(w1.grad().mul(0.1));
                w2.subInPlace(w2.grad().mul(0.1));
            }
            w1.grad().zeroInPlace();
            w2.grad().zeroInPlace();
        }
        double[] w = w2.toDoubleArray();
        double[] out = new double[w.length + 1];
        out[0] = loss;
        System.arraycopy(w, 0, out, 1, w.length);
        return out;
    }

    @Test
    void twoThreadsTrainingIndependentGraphsGetTheirSequentialResults() throws Exception {
        double[] a = train(1), b = train(2);
        ExecutorService ex = Executors.newFixedThreadPool(2);
        Callable<double[]> ta = () -> train(1), tb = () -> train(2);
        for (int round = 0; round < 3; round++) {
            Future<double[]> fa = ex.submit(ta), fb = ex.submit(tb);
            assertArrayEquals(a, fa.get());
            assertArrayEquals(b, fb.get());
        }
        ex.shutdown();
        assertNotEquals(a[0], b[0]);
    }

    @Test
    void aScopedTrainingStepLeavesNoBufferBehind() {
        BufferPool pool = new BufferPool("leak-check");
        try (var outer = MemoryScope.open("model", pool)) {
            Tensor w = Tensor.randn(4, 3).requiresGrad(true);
            long before = pool.stats().bytesInUse();
            long afterFirst = -1;
            for (int step = 0; step < 20; step++) {
                try (var s = MemoryScope.open("step")) {
                    Tensor loss = Tensor.randn(8, 4).matmul(w).relu().softmax(1).sum();
                    loss.backward();
                }
                long now = pool.stats().bytesInUse();
                if (step == 0) afterFirst = now;
                assertEquals(afterFirst, now, "bytes in use after step " + step);
            }
            assertEquals(before + BufferPool.sizeClass(4 * 3 * 4), afterFirst, "only w.grad, in w's lifetime, outlives a step");
        }
        assertEquals(0, pool.stats().bytesInUse());
        assertEquals(0, pool.stats().liveLeases());
    }

    @Test
    void aTensorUsedAfterItsScopeClosedFails() {
        Tensor t;
        try (var s = MemoryScope.open("short")) {
            t = Tensor.ones(3);
        }
        var e = assertThrows(IllegalStateException.class, t::sum);
        assertTrue(e.getMessage().contains("scope 'short'"), e.getMessage());
        Tensor kept;
        try (var s = MemoryScope.open("short")) {
            kept = Tensor.ones(3).mul(2).keep();
        }
        assertEquals(6.0, kept.sum().item());
    }

    @Test
    void viewsCopyNothingAndShareTheVersionCounter() {
        Tensor x = Tensor.arange(12).to(DType.F32).reshape(3, 4);
        Tensor v = x.t().index("1:3").unsqueeze(0).squeeze(0).expand(2, 3).permute(1, 0);
        assertSame(x.storage(), v.storage());
        assertSame(x.storage(), x.index(":, ::2").storage());
        assertSame(x.storage(), x.detach().storage());
        x.index("1").fillInPlace(-1);
        assertEquals(1, v.storageVersion());
        assertEquals(-1.0, x.get(1, 2));
    }
}
