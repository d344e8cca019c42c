package dev.panagrad;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Random use-after-release sequences: threads make tensors (scoped and not), views, gradients,
 * saved tensors and raw segments, then release them every way there is (explicitly, through the
 * engine, by closing scopes, by dropping them for the collector) and keep reading them, while a
 * thread hammers the collector and another reads the raw segments the others publish. Every read
 * must give the tensor's own value or throw IllegalStateException; never another tensor's bytes,
 * never a crash; and every scoped pool ends empty.
 */
class UseAfterReleaseFuzzTest {

    /** A tensor filled with one value, and ways to reach its bytes. */
    private record Probe(Tensor tensor, double value, MemorySegment raw) {}

    private static final int THREADS = 3, ROUNDS = 150;

    @Test
    void everyReadGivesTheTensorsOwnValueOrAClearError() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<Probe> published = new ConcurrentLinkedQueue<>();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread hammer = new Thread(() -> { while (running.get()) { System.gc(); Thread.onSpinWait(); } }, "gc-hammer");
        Thread reader = new Thread(() -> {   // reads raw segments that other threads release at any moment
            while (running.get()) {
                Probe p = published.poll();
                if (p == null) { Thread.onSpinWait(); continue; }
                try {
                    for (long i = 0; i < p.raw.byteSize() / 8; i++) {
                        double v = p.raw.getAtIndex(JAVA_DOUBLE, i);
                        if (v != p.value) { failures.add("raw read across threads: " + v + " in a tensor of " + p.value); break; }
                    }
                } catch (IllegalStateException expected) {
                    // released meanwhile: refused, as it must be
                }
            }
        }, "raw-reader");
        hammer.setDaemon(true);
        reader.setDaemon(true);
        ExecutorService workers = Executors.newFixedThreadPool(THREADS);
        List<BufferPool> pools = new ArrayList<>();
        try {
            hammer.start();
            reader.start();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                BufferPool pool = new BufferPool("fuzz " + t);
                pools.add(pool);
                long seed = 1000 + t;
                int thread = t;
                done.add(workers.submit(() -> { run(new SplittableRandom(seed), thread, pool, published, failures); return null; }));
            }
            for (Future<?> f : done) f.get();
        } finally {
            running.set(false);
            workers.shutdown();
            hammer.join();
            reader.join();
        }
        assertEquals(List.of(), failures.subList(0, Math.min(10, failures.size())), failures.size() + " failures");
        for (BufferPool pool : pools) assertEquals(0, pool.stats().bytesInUse(), pool + " kept bytes after every scope closed");
    }

    private static void run(SplittableRandom rnd, int thread, BufferPool pool, ConcurrentLinkedQueue<Probe> published, List<String> failures) {
        for (int round = 0; round < ROUNDS; round++) {
            List<Probe> probes = new ArrayList<>();
            boolean scoped = rnd.nextBoolean();
            MemoryScope scope = scoped ? MemoryScope.open("round " + round, pool) : null;
            try {
                for (int k = 0; k < 6; k++) {
                    double value = thread * 1e6 + round * 10 + k + 0.5;
                    int n = 1 + rnd.nextInt(3000);
                    Tensor base = Tensor.full(DType.F64, value, n);
                    Tensor view = switch (rnd.nextInt(4)) {
                        case 0 -> base;
                        case 1 -> base.slice(0, n / 3, n);
                        case 2 -> base.view(1, n).t();
                        default -> base.slice(0, 0, 1).expand(4);
                    };
                    MemorySegment raw = rnd.nextInt(3) == 0 ? base.storage().segment() : null;
                    Probe p = new Probe(view, value, raw);
                    probes.add(p);
                    if (raw != null) published.add(p);
                }
                // a graph with saved tensors and a .grad
                Tensor leaf = Tensor.full(DType.F64, 2, 64).requiresGrad(true);
                Tensor hidden = leaf.mul(leaf);
                Tensor loss = hidden.mul(3).sum();
                int action = rnd.nextInt(4);
                if (action == 0) leaf.detach().storage().release();            // the saved leaf released before backward
                if (action == 1) hidden.dropWhenUnused();                      // declared unused: the engine may release it
                try {
                    loss.backward();
                    check(failures, "grad", leaf.grad(), 12);
                } catch (IllegalStateException e) {
                    if (action != 0) failures.add("backward failed without a release: " + e.getMessage());
                    else expectClear(failures, e);
                }
                // release some probes every way there is, then read everything
                for (Probe p : probes) {
                    switch (rnd.nextInt(4)) {
                        case 0 -> p.tensor.storage().release();
                        case 1 -> p.tensor.storage().markDisposable("the fuzz's engine-style release");
                        default -> { }
                    }
                }
                for (Probe p : probes) read(failures, p);
            } finally {
                if (scope != null) scope.close();
            }
            for (Probe p : probes) read(failures, p);   // after the scope closed: scoped ones must all refuse
            if (scoped) {
                for (Probe p : probes) {
                    if (p.raw != null) {
                        try { p.raw.get(JAVA_DOUBLE, 0); failures.add("a raw segment still worked after its scope closed"); }
                        catch (IllegalStateException expected) { }
                    }
                }
            }
        }
    }

    private static void read(List<String> failures, Probe p) {
        try {
            check(failures, "tensor", p.tensor, p.value);
        } catch (IllegalStateException e) {
            expectClear(failures, e);
        }
        if (p.raw != null) {
            try {
                double v = p.raw.get(JAVA_DOUBLE, 0);
                if (v != p.value) failures.add("raw segment read " + v + ", its tensor holds " + p.value);
            } catch (IllegalStateException e) {
                assertNotNull(e.getMessage());
            }
        }
    }

    private static void check(List<String> failures, String what, Tensor t, double value) {
        double[] got = t.toDoubleArray();
        for (double v : got) {
            if (v != value) { failures.add(what + " read " + v + ", expected " + value); return; }
        }
        double sum = t.sum().item();
        if (sum != value * got.length) failures.add(what + " summed to " + sum + ", expected " + value * got.length);
    }

    private static void expectClear(List<String> failures, IllegalStateException e) {
        String m = String.valueOf(e.getMessage());
        if (!m.contains("released by") && !m.contains("closed")) failures.add("unclear error: " + m);
    }
}
