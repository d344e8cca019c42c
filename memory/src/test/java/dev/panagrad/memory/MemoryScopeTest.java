package dev.panagrad.memory;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class MemoryScopeTest {

    @Test
    void closingAScopeReturnsItsLeasesAndLaterReadsAndWritesThrowNamingIt() {
        BufferPool pool = new BufferPool("uar");
        Storage s;
        MemorySegment early;
        try (var scope = MemoryScope.open("training step", pool)) {
            s = pool.allocate(256, "activations");
            early = s.segment();
            early.set(ValueLayout.JAVA_FLOAT, 0, 1.5f);
            assertEquals(1.5f, s.segment().get(ValueLayout.JAVA_FLOAT, 0));
        }
        assertTrue(s.isReleased());
        var read = assertThrows(IllegalStateException.class, () -> s.segment().get(ValueLayout.JAVA_FLOAT, 0));
        assertTrue(read.getMessage().contains("released by scope 'training step'"), read.getMessage());
        assertTrue(read.getMessage().contains("'activations'"), read.getMessage());
        var write = assertThrows(IllegalStateException.class, () -> s.segment().set(ValueLayout.JAVA_FLOAT, 0, 2f));
        assertTrue(write.getMessage().contains("training step"));
        assertThrows(IllegalStateException.class, s::bumpVersion);
        // A segment taken before the close is bound to the scope's arena: it fails too, never reading
        // the bytes of whoever leases the buffer next.
        Storage next = pool.allocate(256, "next tenant");
        assertEquals(next.segment().address(), early.address());
        assertThrows(IllegalStateException.class, () -> early.get(ValueLayout.JAVA_FLOAT, 0));
        assertThrows(IllegalStateException.class, () -> early.set(ValueLayout.JAVA_FLOAT, 0, 9f));
        next.release();
        assertEquals(0, pool.stats().bytesInUse());
    }

    @Test
    void explicitReleaseIsIdempotentAndNamed() {
        BufferPool pool = new BufferPool("explicit");
        Storage s = pool.allocate(100, "t");   // outside any scope
        assertNull(s.scope());
        s.release();
        s.release();
        assertEquals(1, pool.stats().releases());
        var e = assertThrows(IllegalStateException.class, s::segment);
        assertTrue(e.getMessage().contains("explicit Storage.release()"), e.getMessage());
    }

    @Test
    void scopesNestAndMoveOutHandsALeaseToTheEnclosingScope() {
        BufferPool pool = new BufferPool("nest");
        try (var outer = MemoryScope.open("outer", pool)) {
            Storage kept;
            Storage dropped;
            try (var inner = MemoryScope.open("inner")) {
                assertSame(inner, MemoryScope.current());
                assertSame(outer, inner.parent());
                assertSame(pool, MemoryScope.currentPool());
                kept = inner.moveOut(pool.allocate(128, "result"));
                dropped = pool.allocate(128, "temp");
                kept.segment().set(ValueLayout.JAVA_INT, 0, 7);
                assertSame(outer, kept.scope());
            }
            assertSame(outer, MemoryScope.current());
            assertTrue(dropped.isReleased());
            assertFalse(kept.isReleased());
            assertEquals(7, kept.segment().get(ValueLayout.JAVA_INT, 0));
            assertEquals(128, pool.stats().bytesInUse());
            var e = assertThrows(IllegalArgumentException.class, () -> {
                try (var other = MemoryScope.open("other")) {
                    other.moveOut(kept);
                }
            });
            assertTrue(e.getMessage().contains("does not own"), e.getMessage());
        }
        assertNull(MemoryScope.current());
        assertEquals(0, pool.stats().bytesInUse());
    }

    @Test
    void closingOutOfOrderThrows() {
        var outer = MemoryScope.open("outer");
        var inner = MemoryScope.open("inner");
        var e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("innermost open scope here: 'inner'"), e.getMessage());
        inner.close();
        outer.close();
        assertNull(MemoryScope.current());
    }

    @Test
    void movingOutOfTheOutermostScopeHandsTheLeaseToTheGarbageCollector() throws Exception {
        BufferPool pool = new BufferPool("to-gc");
        Storage s;
        try (var scope = MemoryScope.open("only", pool)) {
            s = scope.moveOut(pool.allocate(64, "survivor"));
        }
        assertNull(s.scope());
        s.segment().set(ValueLayout.JAVA_LONG, 0, 99L);
        assertEquals(99L, s.segment().get(ValueLayout.JAVA_LONG, 0));
        s = null;
        awaitReleases(pool, 1);
        assertEquals(0, pool.stats().bytesInUse());
    }

    @Test
    void unreachableStorageOutsideAnyScopeIsReclaimedByTheCleaner() throws Exception {
        BufferPool pool = new BufferPool("cleaner");
        for (int i = 0; i < 10; i++) pool.allocate(1000, "orphan");
        assertEquals(10 * 1024, pool.stats().bytesInUse());
        awaitReleases(pool, 10);
        assertEquals(0, pool.stats().bytesInUse());
        assertEquals(0, pool.stats().liveLeases());
    }

    /** Runs GC until the Cleaner has returned {@code n} leases; fails after 30 s (a wait, not a timing assertion). */
    private static void awaitReleases(BufferPool pool, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (pool.stats().releases() < n) {
            if (System.nanoTime() > deadline) fail("the Cleaner returned " + pool.stats().releases() + " of " + n + " leases");
            System.gc();
            Thread.sleep(10);
        }
    }

    @Test
    void manyThreadsAllocateAndReleaseAtOnceAndEveryByteComesBack() throws Exception {
        BufferPool pool = new BufferPool("stress");
        int threads = 8, rounds = 2000;
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Long>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            results.add(ex.submit(() -> {
                start.await();
                long sum = 0;
                for (int r = 0; r < rounds; r++) {
                    try (var scope = MemoryScope.open("t" + id, pool)) {
                        long n = 64 + (r * 37 + id * 101) % 5000;
                        Storage a = pool.allocate(n, "a");
                        Storage b = pool.allocate(n / 2 + 1, "b");
                        a.segment().set(ValueLayout.JAVA_INT, 0, id * rounds + r);
                        b.segment().set(ValueLayout.JAVA_INT, 0, r);
                        if (r % 3 == 0) b.release();
                        // Nobody else may have written into our buffers.
                        assertEquals(id * rounds + r, a.segment().get(ValueLayout.JAVA_INT, 0));
                        sum += a.segment().get(ValueLayout.JAVA_INT, 0);
                    }
                }
                return sum;
            }));
        }
        start.countDown();
        for (int t = 0; t < threads; t++) {
            long expected = 0;
            for (int r = 0; r < rounds; r++) expected += (long) t * rounds + r;
            assertEquals(expected, results.get(t).get());
        }
        ex.shutdown();
        MemoryStats s = pool.stats();
        assertEquals(0, s.bytesInUse());
        assertEquals(0, s.liveLeases());
        assertEquals(2L * threads * rounds, s.releases());
        assertEquals(s.nativeAllocations() + s.poolHits(), s.releases());
    }

    @Test
    void aLeaseMadeOnOneThreadIsReadableOnAnother() throws Exception {
        BufferPool pool = new BufferPool("cross");
        try (var scope = MemoryScope.open("maker", pool)) {
            Storage s = pool.allocate(1 << 16, "shared");
            for (int i = 0; i < 1 << 14; i++) s.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
            ExecutorService ex = Executors.newSingleThreadExecutor();
            double sum = ex.submit(() -> {
                double acc = 0;
                for (int i = 0; i < 1 << 14; i++) acc += s.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i);
                return acc;
            }).get();
            ex.shutdown();
            assertEquals((double) (1 << 14) * ((1 << 14) - 1) / 2, sum);
        }
    }
}
