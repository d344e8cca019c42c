package dev.panagrad.blas;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * How many threads OpenBLAS may use for the GEMM a Java thread is about to start: its thread count
 * (the ceiling, 2 on this machine) while one Java thread computes, one while several do. OpenBLAS's
 * thread count is one number for the whole process ({@code openblas_set_num_threads_local} too, in
 * the pthreads build bytedeco ships: it calls the global setter), and its thread pool serves one
 * caller at a time: eight Java threads each asking it for two threads queue for its one worker and
 * spin (30–40 requests/s against 516–1 756 with one thread, issue 16). With one thread a call runs
 * on its caller, so Java threads share the cores by themselves.
 *
 * <p>"Several compute" means: another Java thread is inside a GEMM now, or was within the last
 * {@link #HOLD_NANOS} (the hold keeps a server's short gaps from waking OpenBLAS's worker, which
 * then spins ~64 ms beside the Java threads). The process-wide count is changed only when this
 * decision changes, under a lock, so it always ends at the last decision.
 */
final class CallerThreads {
    /** How long after two Java threads overlapped a lone caller still gets one thread: longer than OpenBLAS's worker spins after a call (2^28 cycles). */
    static final long HOLD_NANOS = 100_000_000L;

    private final IntConsumer setProcessThreads;
    private final LongSupplier clock;
    private final AtomicInteger inside = new AtomicInteger();
    private volatile long lastShared;
    private volatile long lastCaller = -1;
    static volatile boolean DISTINCT = true;   // EXPERIMENT
    private volatile int ceiling;
    private volatile int applied;
    private volatile boolean adaptive;

    /**
     * @param setProcessThreads sets the library's (process-wide) thread count
     * @param ceiling           the thread count a lone caller gets, and the library's count now
     */
    CallerThreads(IntConsumer setProcessThreads, LongSupplier clock, int ceiling, boolean adaptive) {
        this.setProcessThreads = setProcessThreads;
        this.clock = clock;
        this.ceiling = ceiling;
        this.applied = ceiling;
        this.adaptive = adaptive;
        this.lastShared = clock.getAsLong() - HOLD_NANOS;
    }

    /** The decision: {@code callers} Java threads inside a GEMM now (this one included), the last overlap {@code sinceShared} ns ago. */
    static int threadsFor(int callers, long sinceShared, int ceiling) {
        return callers > 1 || sinceShared < HOLD_NANOS ? 1 : ceiling;
    }

    /** Before a GEMM: counts this caller in and sets the library's thread count if the decision changed. Pair with {@link #exit()}. */
    void enter() {
        int callers = inside.incrementAndGet();
        if (perCall != null) { perCall.accept(callers > 1 ? 1 : ceiling); return; }   // EXPERIMENT
        if (!adaptive) return;
        long now = clock.getAsLong();
        long me = Thread.currentThread().threadId();
        if (callers > 1 || (DISTINCT && lastCaller != me)) lastShared = now;
        if (lastCaller != me) lastCaller = me;
        if (threadsFor(callers, now - lastShared, ceiling) != applied) apply();
        if (applied > 1) WIDE.increment();   // EXPERIMENT
    }

    /** EXPERIMENT: calls that started with more than one thread. */
    static final java.util.concurrent.atomic.LongAdder WIDE = new java.util.concurrent.atomic.LongAdder();

    /** After the GEMM (also when it threw). */
    void exit() {
        inside.decrementAndGet();
    }

    private synchronized void apply() {
        int want = adaptive ? threadsFor(inside.get(), clock.getAsLong() - lastShared, ceiling) : ceiling;
        if (want != applied) {
            applied = want;
            setProcessThreads.accept(want);
        }
    }

    /** The thread count a lone caller gets; the library is set again at once (to it, or to 1 if several compute). */
    synchronized void setCeiling(int threads) {
        ceiling = threads;
        applied = 0;   // unknown: whoever changed the ceiling may have set the library too
        apply();
    }

    int ceiling() { return ceiling; }

    /** What the library is set to now: the ceiling, or 1 while several Java threads compute. */
    int applied() { return applied; }

    /** Off: every call gets the ceiling, as OpenBLAS alone does. */
    synchronized void setAdaptive(boolean on) {
        adaptive = on;
        apply();
    }

    boolean adaptive() { return adaptive; }

    /** EXPERIMENT: per-call openblas_set_num_threads_local(callers > 1 ? 1 : ceiling) before every GEMM, no hold. */
    volatile IntConsumer perCall;
}
