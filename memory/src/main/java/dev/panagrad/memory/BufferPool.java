package dev.panagrad.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A caching pool of 64-byte aligned native buffers, in size classes. A released buffer goes back to
 * its class's free list, not to the OS, so a loop that allocates the same shapes every step
 * allocates natively only in its first steps. Safe to use from several threads at once.
 *
 * <p>Size classes: multiples of 64 bytes up to 1 KiB, then four classes per power of two
 * (1280, 1536, 1792, 2048, 2560, ...), so a lease wastes at most a quarter of its size.
 *
 * <p>A pool may have a byte budget ({@link #setBudgetBytes}); a lease that would take the bytes in
 * use over it throws {@link MemoryBudgetExceededException}, naming the largest holders.
 *
 * <p>Leases made outside any {@link MemoryScope} go back when the garbage collector finds their
 * Storage unreachable, and the collector knows nothing of native bytes. So when the bytes in use
 * pass a soft limit ({@link #setGcSoftLimitBytes}, 256 MiB unless the system property
 * {@code panagrad.gcSoftLimitBytes} says otherwise; then twice what was in use after the last such
 * collection), or a lease would pass the budget, the pool asks for a collection
 * ({@code System.gc()}) and waits briefly for the unreachable leases to come back before it
 * allocates more or gives up, as the JDK does for direct buffers.
 *
 * <p>Safety: a block's memory is freed ({@link #trim()}) only while no open arena can reach it,
 * and a released block is reused only once every segment handed out for it has stopped working,
 * so no segment Panagrad made reads another lease's bytes after its own lease ended or touches
 * freed memory.
 */
public final class BufferPool {
    /** Every buffer's address is a multiple of this: one cache line, the widest AVX-512 load. */
    public static final long BYTE_ALIGNMENT = 64;

    /** The largest lease: 2^62 bytes, so that size classes and byte counts never overflow a long. */
    public static final long MAX_BYTES = 1L << 62;

    private static final BufferPool GLOBAL = new BufferPool("global");

    private final String name;
    private final ConcurrentHashMap<Long, ArrayDeque<Lease.Block>> free = new ConcurrentHashMap<>();
    private final Set<Lease> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong bytesInUse = new AtomicLong();
    private final AtomicLong peakBytesInUse = new AtomicLong();
    private final AtomicLong bytesReserved = new AtomicLong();
    private final LongAdder nativeAllocations = new LongAdder();
    private final LongAdder poolHits = new LongAdder();
    private final LongAdder releases = new LongAdder();
    private volatile long budgetBytes = Long.MAX_VALUE;
    private volatile long gcSoftLimitBytes = Long.getLong("panagrad.gcSoftLimitBytes", 256L << 20);
    private volatile long nextCollectionAt = gcSoftLimitBytes;
    private final LongAdder collections = new LongAdder();
    private final Object collecting = new Object();

    public BufferPool(String name) {
        this.name = name;
    }

    /** The pool used when no scope names another. */
    public static BufferPool global() { return GLOBAL; }

    public String name() { return name; }

    /**
     * Leases a buffer of at least {@code byteSize} bytes, its contents unspecified. It belongs to the
     * current thread's innermost {@link MemoryScope} (returned at its close), or, outside any scope,
     * to the returned Storage itself (returned once that is unreachable, by a Cleaner).
     *
     * @param tag what the bytes are for, shown in budget errors and memory reports; keep it a constant
     * @throws MemoryBudgetExceededException if the bytes in use would pass the budget
     */
    public Storage allocate(long byteSize, String tag) {
        Storage s = allocate(byteSize, tag, MemoryScope.current());
        AllocationLog.record(s);
        return s;
    }

    /**
     * Leases a buffer with the same lifetime as {@code sibling}: returned when the scope that owns
     * the sibling closes, or by a Cleaner if the sibling has no scope. A leaf's gradient is made this
     * way, so it lives as long as the leaf, not as long as the scope that ran backward.
     */
    public Storage allocateLike(Storage sibling, long byteSize, String tag) {
        MemoryScope owner = sibling.scope();
        return allocate(byteSize, tag, owner != null && !owner.isClosed() ? owner : null);
    }

    private Storage allocate(long byteSize, String tag, MemoryScope owner) {
        if (byteSize < 0) throw new IllegalArgumentException("pool '" + name + "': negative byte size " + byteSize + " for '" + tag + "'");
        if (byteSize > MAX_BYTES) {
            throw new IllegalArgumentException("pool '" + name + "': " + byteSize + " bytes for '" + tag + "' is more than a buffer can hold ("
                    + MAX_BYTES + " bytes, 2^62)");
        }
        if (owner != null) owner.checkOpen();
        Quarantine.retry();
        long classBytes = sizeClass(byteSize);
        if (bytesInUse.get() + classBytes > nextCollectionAt) collectGarbage(classBytes, false);
        reserveInUse(classBytes, byteSize, tag);
        Lease.Block block = pollFree(classBytes);
        if (block == null) {
            try {
                block = allocateNative(classBytes);
            } catch (OutOfMemoryError e) {
                bytesInUse.addAndGet(-classBytes);
                OutOfMemoryError named = new OutOfMemoryError("pool '" + name + "': the system refused " + MemoryStats.formatBytes(classBytes)
                        + " of native memory for '" + tag + "' (" + byteSize + " bytes asked; " + MemoryStats.formatBytes(bytesInUse.get())
                        + " in use by this pool): " + e.getMessage());
                named.initCause(e);
                throw named;
            } catch (RuntimeException e) {
                bytesInUse.addAndGet(-classBytes);
                throw e;
            }
        } else {
            poolHits.increment();
        }
        Lease lease = new Lease(this, block, byteSize, tag);
        live.add(lease);
        try {
            return new Storage(lease, owner);
        } catch (RuntimeException e) {   // the owner closed meanwhile: nothing may stay leased
            lease.release("a failed lease");
            throw e;
        }
    }

    /** The size class a request of {@code byteSize} bytes is served from. */
    public static long sizeClass(long byteSize) {
        if (byteSize <= 1024) return Math.max(BYTE_ALIGNMENT, roundUp(byteSize, BYTE_ALIGNMENT));
        int exponent = 63 - Long.numberOfLeadingZeros(byteSize - 1);   // 2^e < byteSize <= 2^(e+1)
        return roundUp(byteSize, 1L << (exponent - 2));
    }

    private static long roundUp(long value, long multiple) {
        return Math.ceilDiv(value, multiple) * multiple;
    }

    private void reserveInUse(long classBytes, long byteSize, String tag) {
        long inUse = bytesInUse.addAndGet(classBytes);
        long budget = budgetBytes;
        if (inUse > budget) {
            bytesInUse.addAndGet(-classBytes);
            collectGarbage(classBytes, true);   // unreachable unscoped leases may hold the bytes
            inUse = bytesInUse.addAndGet(classBytes);
        }
        if (inUse > budget) {
            bytesInUse.addAndGet(-classBytes);
            long before = inUse - classBytes;
            long unscoped = 0;
            for (Lease l : live) if (l.scope == null && l.releasedBy == null) unscoped += l.block.classBytes;
            throw new MemoryBudgetExceededException(
                    "pool '" + name + "': cannot lease " + MemoryStats.formatBytes(classBytes) + " for '" + tag
                            + "' (" + byteSize + " bytes asked): the budget is " + MemoryStats.formatBytes(budget)
                            + " and " + MemoryStats.formatBytes(before) + " are in use by " + live.size()
                            + " leases" + (unscoped == 0 ? "" : ", " + MemoryStats.formatBytes(unscoped)
                                + " of them by leases made outside any MemoryScope that were still reachable after a garbage collection")
                            + ". Largest holders: " + describeHolders(5)
                            + ". Free or scope what you hold, use smaller (micro-)batches, or raise the budget.",
                    byteSize, budget, before);
        }
        long peak;
        while (inUse > (peak = peakBytesInUse.get()) && !peakBytesInUse.compareAndSet(peak, inUse)) {
            // another thread raised the peak; try again against the new value
        }
    }

    private Lease.Block pollFree(long classBytes) {
        ArrayDeque<Lease.Block> list = free.get(classBytes);
        if (list == null) return null;
        synchronized (list) {
            return list.pollLast();
        }
    }

    private Lease.Block allocateNative(long classBytes) {
        if (bytesReserved.get() + classBytes > budgetBytes) trim();
        Arena arena = Arena.ofShared();
        MemorySegment segment = arena.allocate(classBytes, BYTE_ALIGNMENT);
        bytesReserved.addAndGet(classBytes);
        nativeAllocations.increment();
        return new Lease.Block(arena, segment, classBytes);
    }

    /**
     * Asks the garbage collector for unreachable unscoped leases and waits for them to come back:
     * until the lease of {@code classBytes} fits the budget ({@code forBudget}), or the bytes in use
     * fall to half the soft limit, or releases stop arriving; at most about a quarter of a second.
     */
    private void collectGarbage(long classBytes, boolean forBudget) {
        synchronized (collecting) {
            if (!forBudget && bytesInUse.get() + classBytes <= nextCollectionAt) return;   // another thread just did
            collections.increment();
            System.gc();
            long seen = releases.sum();
            long target = forBudget ? budgetBytes - classBytes : gcSoftLimitBytes / 2;
            for (int i = 0, ms = 1; i < 8; i++, ms *= 2) {
                Quarantine.retry();
                if (bytesInUse.get() <= target) break;
                try {
                    Thread.sleep(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                long now = releases.sum();
                if (!forBudget && now == seen && i >= 4) break;   // the collector's releases have stopped arriving
                seen = now;
            }
            nextCollectionAt = Math.max(gcSoftLimitBytes, 2 * bytesInUse.get());
        }
    }

    /**
     * Sets the bytes in use past which a lease first asks the garbage collector for unreachable
     * unscoped leases (then at twice what was left in use). Scoped code never needs it.
     */
    public void setGcSoftLimitBytes(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("pool '" + name + "': GC soft limit must be positive, got " + bytes);
        gcSoftLimitBytes = bytes;
        nextCollectionAt = bytes;
    }

    /** How many times this pool asked the garbage collector for unscoped leases. */
    public long garbageCollections() { return collections.sum(); }

    /**
     * A released lease's block goes back to its free list, once the segment handed out for it (if
     * any) has stopped working; until then it waits in the quarantine, counted as in use.
     */
    void giveBack(Lease lease) {
        java.lang.foreign.Arena exposure = lease.endExposure();
        if (exposure == null) takeBack(lease);
        else Quarantine.closeThenReturn(List.of(exposure), List.of(lease.block), List.of(lease));
    }

    /** Puts a released lease's block on its free list: every segment over it has stopped working. */
    void takeBack(Lease lease) {
        live.remove(lease);
        long classBytes = lease.block.classBytes;
        ArrayDeque<Lease.Block> list = free.computeIfAbsent(classBytes, k -> new ArrayDeque<>());
        synchronized (list) {
            lease.block.noteScope(lease.scope);   // released early: the scope's open arena still reaches the block
            if (lease.formerScopes != null) for (MemoryScope s : lease.formerScopes) lease.block.noteScope(s);
            list.addLast(lease.block);
        }
        bytesInUse.addAndGet(-classBytes);
        releases.increment();
    }

    /** Frees every cached (not leased) buffer back to the OS. Returns the bytes freed. */
    public long trim() {
        Quarantine.retry();
        long freed = 0;
        for (ArrayDeque<Lease.Block> list : free.values()) {
            List<Lease.Block> drained = new ArrayList<>();
            synchronized (list) {
                list.removeIf(b -> !b.isAliased() && drained.add(b));   // an aliased block stays: some open arena still reaches it
            }
            for (Lease.Block block : drained) {
                block.arena.close();
                freed += block.classBytes;
            }
        }
        bytesReserved.addAndGet(-freed);
        return freed;
    }

    /** Sets the most bytes that may be leased out at once; {@code Long.MAX_VALUE} for none. */
    public void setBudgetBytes(long budgetBytes) {
        if (budgetBytes <= 0) throw new IllegalArgumentException("pool '" + name + "': budget must be positive, got " + budgetBytes);
        this.budgetBytes = budgetBytes;
    }

    public long budgetBytes() { return budgetBytes; }

    /** Starts peak tracking again from the bytes in use now. */
    public void resetPeak() { peakBytesInUse.set(bytesInUse.get()); }

    public MemoryStats stats() {
        Quarantine.retry();
        return new MemoryStats(bytesInUse.get(), peakBytesInUse.get(), bytesReserved.get(),
                nativeAllocations.sum(), poolHits.sum(), releases.sum(), live.size());
    }

    /** One holder of pool memory: all live leases with the same tag and owner. */
    public record Holder(String tag, String owner, long bytes, int leases) {
        @Override
        public String toString() {
            return MemoryStats.formatBytes(bytes) + " '" + tag + "' x" + leases + " (" + owner + ")";
        }
    }

    /** The live leases grouped by tag and owning scope, most bytes first. */
    public List<Holder> largestHolders(int limit) {
        record Key(String tag, String owner) {}
        Map<Key, long[]> totals = new HashMap<>();   // bytes, leases
        for (Lease lease : live) {
            long[] t = totals.computeIfAbsent(new Key(lease.tag, lease.owner()), k -> new long[2]);
            t[0] += lease.block.classBytes;
            t[1]++;
        }
        List<Holder> holders = new ArrayList<>();
        totals.forEach((key, t) -> holders.add(new Holder(key.tag(), key.owner(), t[0], (int) t[1])));
        holders.sort(Comparator.comparingLong(Holder::bytes).reversed().thenComparing(Holder::tag));
        return holders.subList(0, Math.min(limit, holders.size()));
    }

    private String describeHolders(int limit) {
        List<Holder> holders = largestHolders(limit);
        return holders.isEmpty() ? "none" : holders.toString();
    }

    @Override
    public String toString() {
        return "BufferPool '" + name + "': " + stats();
    }
}
