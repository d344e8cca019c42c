package dev.panagrad.kernel;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits big loops (GEMM rows, the optimizer's pass) across Java threads: the caller runs the first
 * part, pooled daemon workers the rest. A hand-off costs ~40 µs here (docs/benchmarking.md), so only work of
 * at least {@code grain} elements per thread is split.
 *
 * <p>The threading policy (README, "Threads"): one team of threads at a time. By default OpenBLAS
 * threads its GEMMs over the cores and this class runs everything on the calling thread (1 thread).
 * The alternative, OpenBLAS on 1 thread and {@code -Dpanagrad.threads=2} (or {@link #setThreads}),
 * splits GEMM rows and big loops here instead; it measured the same within noise. Both at once
 * oversubscribe the cores and measured slowest.
 */
public final class Parallel {
    private Parallel() {}

    /** A part of [0, n): [from, to). */
    @FunctionalInterface
    public interface Range {
        void run(long from, long to);
    }

    private static volatile int threads = Math.max(1, Integer.getInteger("panagrad.threads", 1));
    private static volatile ExecutorService workers;

    public static int threads() { return threads; }

    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("thread count must be at least 1, got " + n);
        threads = n;
    }

    private static ExecutorService workers() {
        ExecutorService w = workers;
        if (w == null) {
            synchronized (Parallel.class) {
                if (workers == null) {
                    workers = Executors.newCachedThreadPool(r -> {
                        Thread t = new Thread(r, "panagrad-worker");
                        t.setDaemon(true);
                        return t;
                    });
                }
                w = workers;
            }
        }
        return w;
    }

    /** Loops at least this long are memory-bound passes of many milliseconds: they use every core. */
    static final long BIG = 1 << 21;

    /**
     * A memory-bound element-wise pass: over {@link #BIG} elements it is split across all cores whatever
     * the thread setting (one core cannot saturate memory bandwidth); below, it runs on this thread.
     */
    public static void forBigRange(long n, Range body) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (n < BIG || cores < 2) {
            body.run(0, n);
            return;
        }
        forRange(n, BIG / 2, 64, body, Math.max(threads, cores));
    }

    /**
     * Work split into {@code parts} independent parts of similar cost, each big enough (milliseconds)
     * to pay for a hand-off (the samples of a convolution): part i runs as {@code body.run(i, i + 1)},
     * on up to every core whatever the thread setting. A caller that gives each part its own buffers
     * sizes them with {@link #coreParts}.
     */
    public static void forEachPart(int parts, Range body) {
        forRange(parts, 1, 1, body, Math.max(threads, Runtime.getRuntime().availableProcessors()));
    }

    /** How many parts {@link #forEachPart} runs at once at most: the cores (or the thread setting, if higher), and no more than {@code work} units. */
    public static int coreParts(long work) {
        return (int) Math.max(1, Math.min(work, Math.max(threads, Runtime.getRuntime().availableProcessors())));
    }

    /**
     * Runs {@code body} over [0, n) in up to {@link #threads()} parts whose boundaries are multiples of
     * {@code align}, when each part gets at least {@code grain} elements; else in one call on this thread.
     */
    public static void forRange(long n, long grain, long align, Range body) {
        forRange(n, grain, align, body, threads);
    }

    private static void forRange(long n, long grain, long align, Range body, int maxThreads) {
        int t = (int) Math.min(maxThreads, n / Math.max(1, grain));
        if (t <= 1) {
            body.run(0, n);
            return;
        }
        long step = Math.ceilDiv(Math.ceilDiv(n, t), align) * align;
        @SuppressWarnings("unchecked")
        Future<?>[] rest = new Future<?>[t - 1];
        int parts = 0;
        for (long from = step; from < n; from += step) {
            long f = from, to = Math.min(n, from + step);
            rest[parts++] = workers().submit(() -> body.run(f, to));
        }
        Throwable failure = null;
        try {
            body.run(0, Math.min(n, step));
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (int i = 0; i < parts; i++) {
            try {
                rest[i].get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException(failure);
    }
}
