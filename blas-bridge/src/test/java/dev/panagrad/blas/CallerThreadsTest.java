package dev.panagrad.blas;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The thread-count policy on a fake clock and a recording setter: which count OpenBLAS is given, and
 * when. {@code enter(id)} stands for a product started by Java thread {@code id}.
 */
class CallerThreadsTest {
    static final long MS = 1_000_000L, A = 1, B = 2;
    final List<Integer> set = new ArrayList<>();
    long now = 1_000 * MS;
    final CallerThreads threads = new CallerThreads(set::add, () -> now, 2, true);

    @Test
    void theDecision() {
        assertEquals(2, CallerThreads.threadsFor(1, CallerThreads.HOLD_NANOS, 2), "a lone caller, no overlap within the hold");
        assertEquals(1, CallerThreads.threadsFor(2, CallerThreads.HOLD_NANOS, 2), "two callers inside");
        assertEquals(1, CallerThreads.threadsFor(8, Long.MAX_VALUE, 4), "eight callers inside");
        assertEquals(1, CallerThreads.threadsFor(1, CallerThreads.HOLD_NANOS - 1, 2), "a lone caller just after an overlap");
        assertEquals(1, CallerThreads.threadsFor(1, CallerThreads.HOLD_NANOS, 1), "a ceiling of one stays one");
    }

    @Test
    void aLoneCallerKeepsTheCeilingAndSetsNothing() {
        for (int i = 0; i < 100; i++) {
            threads.enter(A);
            now += 10 * MS;
            threads.exit();
        }
        assertEquals(List.of(), set);
        assertEquals(2, threads.applied());
    }

    @Test
    void aSecondCallerInsideDropsToOneThreadOnce() {
        threads.enter(A);
        threads.enter(B);             // while A computes
        assertEquals(List.of(1), set);
        threads.enter(3);             // a third: already one
        threads.exit();
        threads.exit();
        threads.exit();
        assertEquals(List.of(1), set);
        assertEquals(1, threads.applied());
        assertEquals(2, threads.ceiling(), "the ceiling is what a lone caller gets later");
    }

    @Test
    void theCeilingComesBackOnlyAfterTheHold() {
        threads.enter(A);
        threads.enter(B);
        threads.exit();
        threads.exit();
        now += CallerThreads.HOLD_NANOS - 1;
        threads.enter(A);             // alone, but an overlap was just now: a server between two requests
        threads.exit();
        assertEquals(List.of(1), set);
        now += CallerThreads.HOLD_NANOS;
        threads.enter(A);             // alone for the whole hold
        threads.exit();
        assertEquals(List.of(1, 2), set);
    }

    @Test
    void threadsTakingTurnsShareTheCores() {
        threads.enter(A);
        threads.exit();
        now += MS;
        threads.enter(B);             // never two inside at once, but two threads computing
        threads.exit();
        assertEquals(List.of(1), set);
    }

    @Test
    void serverTrafficStaysOnOneThread() {
        // eight threads taking turns, a product every 5 ms, none overlapping: never back to two
        for (int i = 0; i < 1000; i++) {
            threads.enter(i % 8);
            now += MS;
            threads.exit();
            now += 4 * MS;
        }
        assertEquals(List.of(1), set);
    }

    @Test
    void anotherThreadLongAfterIsALoneCaller() {
        threads.enter(A);
        threads.exit();
        now += CallerThreads.HOLD_NANOS;
        threads.enter(B);             // A's product was a hold ago: B computes alone
        threads.exit();
        assertEquals(List.of(), set);
    }

    @Test
    void fixedGivesTheCeilingToEveryCall() {
        threads.setAdaptive(false);
        threads.enter(A);
        threads.enter(B);
        threads.exit();
        threads.exit();
        assertEquals(List.of(), set);
        assertEquals(2, threads.applied());
        threads.enter(A);
        threads.enter(B);
        threads.setAdaptive(true);    // turned on while two compute: one thread at once
        assertEquals(List.of(1), set);
        threads.setAdaptive(false);   // and off again: the ceiling at once
        assertEquals(List.of(1, 2), set);
        threads.exit();
        threads.exit();
    }

    @Test
    void aNewCeilingAppliesToTheNextLoneCaller() {
        threads.setCeiling(4);        // nobody shares: OpenBLAS is set to it now
        assertEquals(List.of(4), set);
        threads.enter(A);
        threads.enter(B);
        threads.setCeiling(3);        // while two compute: remembered, and OpenBLAS set to one again
        assertEquals(List.of(4, 1, 1), set);
        threads.exit();
        threads.exit();
        now += CallerThreads.HOLD_NANOS;
        threads.enter(A);
        threads.exit();
        assertEquals(List.of(4, 1, 1, 3), set);
        assertEquals(3, threads.ceiling());
    }

    @Test
    void theProperty() {
        assertEquals(Boolean.TRUE, ThreadsChoice.parse(null));
        assertEquals(Boolean.TRUE, ThreadsChoice.parse(" Adaptive "));
        assertEquals(Boolean.FALSE, ThreadsChoice.parse("fixed"));
        assertNull(ThreadsChoice.parse("2"));
    }
}
