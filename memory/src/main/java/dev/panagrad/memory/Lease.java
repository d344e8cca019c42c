package dev.panagrad.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One lease of a pooled block: the pool's side of a {@link Storage}. It holds no reference to the
 * Storage, so it can be a Cleaner action, and the pool can list live leases without keeping their
 * tensors reachable.
 */
final class Lease implements Runnable {
    /** A natively allocated, 64-byte aligned buffer of one size class; freed only by {@link BufferPool#trim()}. */
    record Block(Arena arena, MemorySegment segment, long classBytes) {}

    private static final VarHandle RELEASED_BY;
    static {
        try {
            RELEASED_BY = MethodHandles.lookup().findVarHandle(Lease.class, "releasedBy", String.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final BufferPool pool;
    final Block block;
    final long byteSize;
    final String tag;
    /** The scope that will return this lease at close, or null when a Cleaner does. Written by the owning thread. */
    volatile MemoryScope scope;
    /** Who returned the lease to the pool; null while it is live. Set once. */
    volatile String releasedBy;

    Lease(BufferPool pool, Block block, long byteSize, String tag) {
        this.pool = pool;
        this.block = block;
        this.byteSize = byteSize;
        this.tag = tag;
    }

    /** Marks the lease released; true for the one caller that did it. The bytes go back with {@link BufferPool#giveBack}. */
    boolean markReleased(String by) {
        return RELEASED_BY.compareAndSet(this, (String) null, by);
    }

    /** Marks and gives back in one step; false if someone else already released it. */
    boolean release(String by) {
        if (!markReleased(by)) return false;
        pool.giveBack(this);
        return true;
    }

    /** The Cleaner's action: the Storage became unreachable. */
    @Override
    public void run() {
        release("the garbage collector");
    }

    String owner() {
        MemoryScope s = scope;
        return s == null ? "no scope" : "scope '" + s.name() + "'";
    }
}
