package dev.panagrad.memory;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/**
 * A lease of a pooled buffer, and the version counter that autograd checks: every in-place write
 * bumps it, and every view of the same bytes shares it.
 *
 * <p>Lifetime: a Storage made inside a {@link MemoryScope} is returned to the pool when that scope
 * closes (or earlier, by {@link #release()}); one made outside any scope is returned once it is
 * unreachable. After that every {@link #segment()} call throws {@link IllegalStateException} naming
 * who released it. Scoped leases are also bound to their scope's arena, so even a segment obtained
 * before the close fails on access afterwards instead of reading the pool's next tenant.
 *
 * <p>Threads: any thread may read and write a live Storage; the version counter is not atomic, so
 * in-place writes to one Storage from two threads at once need the caller's own ordering.
 */
public final class Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Lease lease;
    private MemorySegment segment;
    private Cleaner.Cleanable cleanable;
    private int version;
    private int holds;            // references that must keep the bytes (saved-for-backward); owning thread only
    private boolean disposable;   // no one else will read the bytes: release when holds reaches 0

    Storage(Lease lease, MemoryScope scope) {
        this.lease = lease;
        bind(scope);
    }

    /** Leases {@code byteSize} bytes from the current scope's pool (the global pool outside any scope). */
    public static Storage allocate(long byteSize, String tag) {
        return MemoryScope.currentPool().allocate(byteSize, tag);
    }

    /** Makes {@code scope} (null: a Cleaner) the lifetime of this lease, and rebinds the segment to it. */
    void bind(MemoryScope scope) {
        lease.scope = scope;
        MemorySegment block = lease.block.segment();
        if (scope != null) {
            segment = MemorySegment.ofAddress(block.address()).reinterpret(lease.byteSize, scope.arena(), null);
            scope.adopt(lease);
        } else {
            segment = block.asSlice(0, lease.byteSize);
            cleanable = CLEANER.register(this, lease);
        }
    }

    /**
     * The bytes, {@link #byteSize()} long, 64-byte aligned.
     *
     * @throws IllegalStateException if the lease went back to the pool; the message names who returned it
     */
    public MemorySegment segment() {
        String by = lease.releasedBy;
        if (by != null) throw released(by);
        return segment;
    }

    private IllegalStateException released(String by) {
        return new IllegalStateException("storage of " + lease.byteSize + " bytes ('" + lease.tag + "') was released by "
                + by + " and went back to pool '" + lease.pool.name() + "': it can no longer be read or written."
                + " To keep a tensor past its scope, move it out first (MemoryScope.moveOut, Tensor.keep).");
    }

    /** Bytes asked for; the pool may hold more (its size class). */
    public long byteSize() { return lease.byteSize; }

    public String tag() { return lease.tag; }

    public BufferPool pool() { return lease.pool; }

    /** The scope that owns this lease, or null when it is reclaimed by the garbage collector. */
    public MemoryScope scope() { return lease.scope; }

    public boolean isReleased() { return lease.releasedBy != null; }

    /** Who released this lease, or null while it is live. */
    public String releasedBy() { return lease.releasedBy; }

    /** The version counter: how many in-place writes this storage has seen. */
    public int version() { return version; }

    /** Counts one in-place write. */
    public void bumpVersion() {
        if (lease.releasedBy != null) throw released(lease.releasedBy);
        version++;
    }

    /**
     * Returns the bytes to the pool now, before the owning scope closes. Idempotent. Every later
     * access throws.
     */
    public void release() {
        release("an explicit Storage.release()");
    }

    /** {@link #release()}, naming who released it in later errors. */
    public void release(String by) {
        lease.release(by);
        Cleaner.Cleanable c = cleanable;
        if (c != null) c.clean();   // deregisters; the action finds the lease released and does nothing
    }

    /**
     * Counts one reference that needs the bytes (the autograd graph saving a tensor for backward).
     * Holds only matter once the storage is {@linkplain #markDisposable disposable}.
     */
    public void hold() { holds++; }

    /** Drops a {@link #hold()}; the last one releases a disposable storage. */
    public void drop(String by) {
        if (--holds <= 0 && disposable && !isReleased()) release(by);
    }

    /**
     * Declares that nothing but the holds will read these bytes again: they go back to the pool when
     * the last hold is dropped, or now if there is none.
     */
    public void markDisposable(String by) {
        disposable = true;
        if (holds <= 0 && !isReleased()) release(by);
    }

    @Override
    public String toString() {
        return "Storage[" + lease.byteSize + " bytes, '" + lease.tag + "', " + (isReleased() ? "released by " + lease.releasedBy : lease.owner()) + "]";
    }
}
