package dev.panagrad.memory;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

    @Test
    void sizeClassesRoundUpToAtMostAQuarterMore() {
        assertEquals(64, BufferPool.sizeClass(0));
        assertEquals(64, BufferPool.sizeClass(1));
        assertEquals(128, BufferPool.sizeClass(65));
        assertEquals(1024, BufferPool.sizeClass(1024));
        assertEquals(1280, BufferPool.sizeClass(1025));
        assertEquals(2048, BufferPool.sizeClass(2048));
        assertEquals(2560, BufferPool.sizeClass(2049));
        for (long n = 1; n < 1L << 34; n = n * 3 + 1) {
            long c = BufferPool.sizeClass(n);
            assertTrue(c >= n && c <= Math.max(64, n + n / 4 + 64), n + " -> " + c);
            assertEquals(0, c % 64, "class of " + n);
        }
    }

    @Test
    void aReleasedBufferIsReusedForTheSameSizeClass() {
        BufferPool pool = new BufferPool("reuse");
        try (var scope = MemoryScope.open("reuse", pool)) {
            Storage a = pool.allocate(1000, "a");
            long address = a.segment().address();
            a.release();
            Storage b = pool.allocate(1010, "b");   // same 1024-byte class
            assertEquals(address, b.segment().address());
            MemoryStats s = pool.stats();
            assertEquals(1, s.nativeAllocations());
            assertEquals(1, s.poolHits());
            assertEquals(1, s.releases());
            assertEquals(1024, s.bytesInUse());
            Storage c = pool.allocate(5000, "c");  // another class: a new buffer
            assertNotEquals(address, c.segment().address());
            assertEquals(2, pool.stats().nativeAllocations());
        }
        MemoryStats after = pool.stats();
        assertEquals(0, after.bytesInUse());
        assertEquals(0, after.liveLeases());
        assertEquals(1024 + 5120, after.peakBytesInUse());
        assertEquals(1024 + 5120, after.bytesReserved());
        assertEquals(1024 + 5120, pool.trim());
        assertEquals(0, pool.stats().bytesReserved());
    }

    @Test
    void everyBufferIs64ByteAlignedAndHoldsItsBytes() {
        BufferPool pool = new BufferPool("align");
        try (var scope = MemoryScope.open("align", pool)) {
            for (long n : new long[] {1, 3, 7, 13, 64, 65, 127, 300, 513, 4097, 1 << 20}) {
                Storage s = pool.allocate(n, "x");
                MemorySegment seg = s.segment();
                assertEquals(0, seg.address() % 64, "address of a " + n + "-byte lease");
                assertEquals(n, seg.byteSize());
                seg.set(ValueLayout.JAVA_BYTE, n - 1, (byte) 42);
                assertEquals(42, seg.get(ValueLayout.JAVA_BYTE, n - 1));
                assertThrows(IndexOutOfBoundsException.class, () -> seg.get(ValueLayout.JAVA_BYTE, n));
            }
        }
    }

    @Test
    void goingOverTheBudgetNamesRequestBudgetInUseAndHolders() {
        BufferPool pool = new BufferPool("budgeted");
        pool.setBudgetBytes(1 << 20);
        try (var scope = MemoryScope.open("step 7", pool)) {
            pool.allocate(600_000, "activations");
            var e = assertThrows(MemoryBudgetExceededException.class, () -> pool.allocate(600_000, "weights"));
            String m = e.getMessage();
            assertTrue(m.contains("'weights'"), m);
            assertTrue(m.contains("600000 bytes asked"), m);
            assertTrue(m.contains("budget is 1.0 MiB"), m);
            assertTrue(m.contains("are in use by 1 leases"), m);
            assertTrue(m.contains("'activations' x1 (scope 'step 7')"), m);
            assertEquals(1 << 20, e.budgetBytes());
            assertEquals(BufferPool.sizeClass(600_000), e.bytesInUse());
            // The failed request left nothing behind.
            assertEquals(BufferPool.sizeClass(600_000), pool.stats().bytesInUse());
            assertEquals(1, pool.stats().liveLeases());
            pool.allocate(300_000, "fits");
        }
        assertEquals(0, pool.stats().bytesInUse());
    }

    @Test
    void theBudgetTrimsTheCacheBeforeReservingMore() {
        BufferPool pool = new BufferPool("trim-on-pressure");
        pool.setBudgetBytes(3000);
        try (var scope = MemoryScope.open("s", pool)) {
            pool.allocate(2048, "a");
        }
        pool.allocate(2560, "b");  // another class: the cached 2048 would pass the budget, so it is freed
        assertEquals(2560, pool.stats().bytesReserved());
    }

    @Test
    void aBlockStillReachableFromAnOpenScopeIsNotFreedUntilTheScopeCloses() {
        BufferPool pool = new BufferPool("trim-aliased");
        try (var scope = MemoryScope.open("s", pool)) {
            Storage s = pool.allocate(2048, "a");
            MemorySegment kernel = s.kernelSegment();   // bound to the scope's arena
            s.release();
            assertEquals(0, pool.trim(), "the open scope's arena still reaches the block: it must not be freed");
            assertEquals(BufferPool.sizeClass(2048), pool.stats().bytesReserved());
            assertTrue(kernel.scope().isAlive());
        }
        assertEquals(BufferPool.sizeClass(2048), pool.trim());
        assertEquals(0, pool.stats().bytesReserved());
    }

    @Test
    void largestHoldersGroupByTagAndScope() {
        BufferPool pool = new BufferPool("holders");
        try (var scope = MemoryScope.open("outer", pool)) {
            pool.allocate(4096, "big");
            pool.allocate(4096, "big");
            pool.allocate(64, "small");
            var holders = pool.largestHolders(5);
            assertEquals(2, holders.size());
            assertEquals(new BufferPool.Holder("big", "scope 'outer'", 8192, 2), holders.get(0));
            assertEquals(new BufferPool.Holder("small", "scope 'outer'", 64, 1), holders.get(1));
        }
    }

    @Test
    void rejectsNegativeSizesAndBudgets() {
        BufferPool pool = new BufferPool("bad");
        var e = assertThrows(IllegalArgumentException.class, () -> pool.allocate(-5, "x"));
        assertTrue(e.getMessage().contains("-5"));
        assertThrows(IllegalArgumentException.class, () -> pool.setBudgetBytes(0));
    }

    @Test
    void hugeRequestsAreRefusedWithTheirSizeAndNothingStaysCounted() {
        BufferPool pool = new BufferPool("huge");
        IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class, () -> pool.allocate(Long.MAX_VALUE - 10, "overflowing"));
        assertTrue(tooBig.getMessage().contains((Long.MAX_VALUE - 10) + " bytes for 'overflowing'"), tooBig.getMessage());
        OutOfMemoryError refused = assertThrows(OutOfMemoryError.class, () -> pool.allocate(BufferPool.MAX_BYTES, "4 EiB"));
        assertTrue(refused.getMessage().contains("pool 'huge': the system refused 4.0 EiB of native memory for '4 EiB'"), refused.getMessage());
        assertEquals(0, pool.stats().bytesInUse());
        assertEquals(0, pool.stats().liveLeases());
        pool.allocate(64, "still works").release();
    }
}
