package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The script-style path (threads, no scopes) under a thread that calls {@code System.gc()} in a
 * loop: a kernel that holds only the segment of a temporary (the transposed copy before an
 * element-wise add, the contiguous copy before GEMM) must keep that temporary's lease alive until
 * it is done, or the collector hands the block to another thread mid-loop and sums come out wrong.
 * A stress test of the real path: the mechanism itself (a kernel segment alone keeps its lease)
 * is pinned down deterministically by the memory module's LeaseSafetyTest.
 */
class GcRaceTest {

    @Test
    void threadsWithoutScopesGetExactResultsWhileTheCollectorRuns() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        Thread hammer = new Thread(() -> {
            while (running.get()) System.gc();
        }, "gc-hammer");
        hammer.setDaemon(true);
        ExecutorService workers = Executors.newFixedThreadPool(3);
        try {
            hammer.start();
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int thread = t;
                futures.add(workers.submit(() -> {
                    assertNull(MemoryScope.current(), "the worker must run the unscoped path");
                    List<String> wrong = new ArrayList<>();
                    // small shapes first, so that the JIT compiles these paths: only compiled code lets a
                    // temporary die while its segment is still in use (the interpreter keeps locals alive)
                    for (int i = 0; i < 10_000; i++) {
                        double add = Tensor.full(DType.F64, i, 4, 4).add(Tensor.full(DType.F64, 1, 4, 4).t()).sum().item();
                        if (add != 16.0 * (i + 1)) wrong.add("small add " + i + ": " + add);
                        double mm = Tensor.full(DType.F64, 1, 24, 24).t().matmul(Tensor.full(DType.F64, 2, 24, 24)).sum().item();
                        if (mm != 2.0 * 24 * 24 * 24) wrong.add("small matmul " + i + ": " + mm);
                    }
                    for (int i = 0; i < 20; i++) {
                        double v = 1 + thread * 100 + i;
                        double add = Tensor.full(DType.F64, v, 512, 512).add(Tensor.full(DType.F64, 10 * v, 512, 512).t()).sum().item();
                        if (add != 11 * v * 512 * 512) wrong.add("add v=" + v + ": " + add);
                        // a transposed operand makes a contiguous copy before GEMM
                        double mm = Tensor.full(DType.F64, v, 96, 64).t().matmul(Tensor.full(DType.F64, 2, 96, 80)).sum().item();
                        if (mm != v * 2 * 96 * 64 * 80) wrong.add("matmul v=" + v + ": " + mm);
                    }
                    return wrong;
                }));
            }
            List<String> wrong = new ArrayList<>();
            for (Future<List<String>> f : futures) wrong.addAll(f.get());
            assertEquals(List.of(), wrong, wrong.size() + " results were wrong");
        } finally {
            running.set(false);
            workers.shutdown();
            hammer.join();
        }
    }
}
