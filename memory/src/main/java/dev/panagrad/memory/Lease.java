package dev.panagrad.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One lease of a pooled block: the pool's side of a {@link Storage}. It holds no reference to the
 * Storage, so it can be a cleanup action, and the pool can list live leases without keeping their
 * tensors reachable.
 */
final class Lease {
    /**
     * A natively allocated, 64-byte aligned buffer of one size class. Its memory is freed only by
     * {@link BufferPool#trim()}, and only while no open arena but its own has segments over it
     * (counted {@link #aliases} of implicit and exposure arenas, and the scopes it was released
     * from while they were open): so no segment the project made can ever reach freed memory.
     */
    static final class Block {
        final Arena arena;
        final MemorySegment segment;
        final long classBytes;
        /** Open implicit and exposure arenas with segments over this block. */
        private final AtomicInteger aliases = new AtomicInteger();
        /**
         * Scopes whose arena may still reach this block: noted when a lease of it goes back while its
         * scope is open, dropped once that arena closed. Guarded by the lock of the block's free list.
         */
        private java.util.ArrayList<MemoryScope> scopes;

        Block(Arena arena, MemorySegment segment, long classBytes) {
            this.arena = arena;
            this.segment = segment;
            this.classBytes = classBytes;
        }

        /** A segment over the first {@code byteSize} bytes, bound to {@code owner}; counted until {@link #unalias()}. */
        MemorySegment alias(long byteSize, Arena owner, java.util.function.Consumer<MemorySegment> cleanup) {
            aliases.incrementAndGet();
            try {
                return MemorySegment.ofAddress(segment.address()).reinterpret(byteSize, owner, cleanup);
            } catch (IllegalCallerException e) {
                aliases.decrementAndGet();
                throw NativeAccess.denied(e);
            }
        }

        /** One aliasing arena was closed. */
        void unalias() { aliases.decrementAndGet(); }

        /** Notes that {@code scope}'s arena (if still open) has a segment over this block. Under the free list's lock. */
        void noteScope(MemoryScope scope) {
            if (scope == null || !scope.arenaAlive()) return;
            if (scopes == null) scopes = new java.util.ArrayList<>(2);
            scopes.removeIf(s -> !s.arenaAlive());
            if (!scopes.contains(scope)) scopes.add(scope);
        }

        /** True while some open arena other than its own can still reach the memory. Under the free list's lock. */
        boolean isAliased() {
            if (aliases.get() > 0) return true;
            if (scopes == null) return false;
            scopes.removeIf(s -> !s.arenaAlive());
            return !scopes.isEmpty();
        }
    }

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
    /** The scope that will return this lease at close, or null when the garbage collector does. */
    volatile MemoryScope scope;
    /** Who returned the lease to the pool; null while it is live. Set once. */
    volatile String releasedBy;
    /** Scopes this lease was bound to before its current lifetime (moveOut): their arenas still have segments over the block. */
    java.util.ArrayList<MemoryScope> formerScopes;
    /** The arena of the segment handed out by {@link Storage#segment()}, made on first use; closed at release. */
    private Arena exposedArena;
    private MemorySegment exposed;
    private boolean exposureClosed;

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

    /** The cleanup of an unscoped lease's implicit arena: its Storage and every segment of it became unreachable. */
    java.util.function.Consumer<MemorySegment> onCollected() {
        return unused -> {
            release("the garbage collector");
            block.unalias();
        };
    }

    /**
     * The segment handed to users, bound to an arena of this lease alone, so that it stops working
     * the moment the lease ends, however it ends. Null once the lease was released.
     */
    synchronized MemorySegment exposed() {
        if (exposureClosed) return null;
        if (exposed == null) {
            exposedArena = Arena.ofShared();
            exposed = block.alias(byteSize, exposedArena, null);
        }
        return exposed;
    }

    /** Ends the exposure (no new one can start); returns its arena for the caller to close, or null if none was made. */
    synchronized Arena endExposure() {
        exposureClosed = true;
        Arena a = exposedArena;
        exposedArena = null;
        exposed = null;
        return a;
    }

    String owner() {
        MemoryScope s = scope;
        return s == null ? "no scope" : "scope '" + s.name() + "'";
    }
}
