package dev.panagrad.blas;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * How many threads OpenBLAS may use for the product a Java thread is about to start: its thread
 * count (the ceiling) while one Java thread computes, one while several do.
 *
 * <p>Why: OpenBLAS's thread count is one number for the whole process ({@code
 * openblas_set_num_threads_local} too, in the pthreads build bytedeco ships: it calls the global
 * setter), and its thread pool serves one caller at a time. Eight Java threads each asking it for
 * two threads queue for its one worker and spin (README, "Threads for servers", has the numbers).
 * With one thread a product runs on its caller, and the Java threads share the cores by themselves.
 *
 * <p>"Several compute" means: another Java thread is inside a product now, or started one within
 * the last {@link #HOLD_NANOS}. The hold matters: a server's threads rarely overlap inside the same
 * short product, but they take turns, and each product given two threads wakes OpenBLAS's worker,
 * which then spins beside the Java threads. The process-wide count is set only when the decision
 * changes, under a lock, so it ends at the last decision; a product that starts while another
 * thread is switching may run once at the old count.
 */
final class CallerThreads {
    /** How long another thread's product keeps a caller at one thread: longer than OpenBLAS's worker spins after a call (2^28 cycles). */
    static final long HOLD_NANOS = 100_000_000L;

    private final IntConsumer setProcessThreads;
    private final LongSupplier clock;
    private final AtomicInteger inside = new AtomicInteger();
    private volatile long lastShared, lastCall;
    private volatile long lastCaller = -1;
    private volatile int ceiling;
    private volatile int applied;
    private volatile boolean adaptive;

    /**
     * @param setProcessThreads sets the library's (process-wide) thread count
     * @param clock             nanoseconds ({@code System::nanoTime})
     * @param ceiling           the thread count a lone caller gets, which the library is set to now
     * @param adaptive          false: every product gets the ceiling
     */
    CallerThreads(IntConsumer setProcessThreads, LongSupplier clock, int ceiling, boolean adaptive) {
        this.setProcessThreads = setProcessThreads;
        this.clock = clock;
        this.ceiling = ceiling;
        this.applied = ceiling;
        this.adaptive = adaptive;
        this.lastShared = this.lastCall = clock.getAsLong() - HOLD_NANOS;
    }

    /** The decision: {@code callers} Java threads inside a product now (this one included); several computed {@code sinceShared} ns ago. */
    static int threadsFor(int callers, long sinceShared, int ceiling) {
        return callers > 1 || sinceShared < HOLD_NANOS ? 1 : ceiling;
    }

    /** Before a product, on its thread: counts the caller in and sets the library's thread count if the decision changed. Pair with {@link #exit()}. */
    void enter() {
        enter(Thread.currentThread().threadId());
    }

    void enter(long caller) {
        int callers = inside.incrementAndGet();
        if (!adaptive) return;
        long now = clock.getAsLong();
        if (callers > 1 || (caller != lastCaller && now - lastCall < HOLD_NANOS)) lastShared = now;
        if (caller != lastCaller) lastCaller = caller;
        lastCall = now;
        if (threadsFor(callers, now - lastShared, ceiling) != applied) apply();
    }

    /** After the product (also when it threw). */
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

    /** The thread count a lone caller gets; the library is set again at once (to it, or to one while several compute). */
    synchronized void setCeiling(int threads) {
        ceiling = threads;
        applied = 0;   // unknown: whoever changed the ceiling may have set the library too
        apply();
    }

    int ceiling() { return ceiling; }

    /** What the library is set to now: the ceiling, or one while several Java threads compute. */
    int applied() { return applied; }

    /** Off: every product gets the ceiling, as OpenBLAS alone does. */
    synchronized void setAdaptive(boolean on) {
        adaptive = on;
        apply();
    }

    boolean adaptive() { return adaptive; }
}
