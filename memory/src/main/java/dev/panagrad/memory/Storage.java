package dev.panagrad.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A lease of a pooled buffer, and the version counter that autograd checks: every in-place write
 * bumps it, and every view of the same bytes shares it.
 *
 * <p>Lifetime: a Storage made inside a {@link MemoryScope} is returned to the pool when that scope
 * closes (or earlier, by {@link #release()} or the autograd engine); one made outside any scope is
 * returned once it and every segment of it are unreachable. After that every {@link #segment()}
 * call throws {@link IllegalStateException} naming who released it, and a segment obtained from
 * {@link #segment()} before fails on access ("Already closed"): whichever way the lease ended, it
 * never reads the pool's next tenant and never reaches freed memory.
 *
 * <p>Two segments: {@link #segment()} is the one for users, bound to an arena of this lease alone
 * (made on first call; closing it at release costs one thread handshake, paid only by leases whose
 * segment was asked for). {@link #kernelSegment()} is the one Panagrad's own kernels use: bound to
 * the owning scope's arena, or, without a scope, to an implicit arena whose collection returns the
 * lease, so a kernel that holds only the segment keeps the lease alive (no garbage-collection race).
 *
 * <p>Threads: any thread may read and write a live Storage; the version counter is not atomic, so
 * in-place writes to one Storage from two threads at once need the caller's own ordering.
 */
public final class Storage {
    private final Lease lease;
    private MemorySegment segment;
    private int version;
    private int holds;            // references that must keep the bytes (saved-for-backward); owning thread only
    private boolean disposable;   // no one else will read the bytes: release when holds reaches 0
    private boolean inference;    // leased in inference mode: no version counter

    Storage(Lease lease, MemoryScope scope) {
        this.lease = lease;
        bind(scope);
    }

    /** Leases {@code byteSize} bytes from the current scope's pool (the global pool outside any scope). */
    public static Storage allocate(long byteSize, String tag) {
        return MemoryScope.currentPool().allocate(byteSize, tag);
    }

    /**
     * Makes {@code scope} (null: the garbage collector) the lifetime of this lease, and rebinds the
     * kernel segment to it. Checks first: if the scope cannot take the lease, nothing changes.
     */
    void bind(MemoryScope scope) {
        MemoryScope former = lease.scope;
        if (scope != null) {
            MemorySegment s;
            try {
                s = MemorySegment.ofAddress(lease.block.segment.address()).reinterpret(lease.byteSize, scope.arena(), null);
            } catch (IllegalStateException closedArena) {
                scope.checkOpen();
                throw closedArena;
            } catch (IllegalCallerException e) {
                throw NativeAccess.denied(e);
            }
            scope.adopt(lease);   // throws if the scope closed: then nothing changed
            segment = s;
            lease.scope = scope;
        } else {
            segment = lease.block.alias(lease.byteSize, Arena.ofAuto(), lease.onCollected());
            lease.scope = null;
        }
        if (former != null) {   // moved out: the former scope's arena keeps a segment over the block until it closes
            if (lease.formerScopes == null) lease.formerScopes = new java.util.ArrayList<>(1);
            lease.formerScopes.add(former);
        }
    }

    /**
     * The bytes, {@link #byteSize()} long, 64-byte aligned, as a segment that stops working when
     * this lease ends, however it ends (scope close, {@link #release()}, the autograd engine). Safe
     * to keep, pass to native code or share between threads: once the lease is over, every access
     * throws, and a native call still holding it delays the block's reuse until the call returns.
     *
     * @throws IllegalStateException if the lease went back to the pool; the message names who returned it
     */
    public MemorySegment segment() {
        String by = lease.releasedBy;
        if (by != null) throw released(by);
        MemorySegment s = lease.exposed();
        if (s == null) throw released(lease.releasedBy);
        return s;
    }

    /**
     * The segment Panagrad's kernels use: the same bytes without an arena of their own, so taking it
     * costs nothing. It is checked here (a released lease throws) and it keeps this lease alive while
     * reachable, but a {@link #release()} made while it is in use does not stop it: keep it only for
     * the duration of one operation. Code outside Panagrad should use {@link #segment()}.
     *
     * @throws IllegalStateException if the lease went back to the pool; the message names who returned it
     */
    public MemorySegment kernelSegment() {
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

    /** Counts one in-place write (an inference storage has no version counter: nothing to count). */
    public void bumpVersion() {
        if (lease.releasedBy != null) throw released(lease.releasedBy);
        if (!inference) version++;
    }

    /**
     * Whether this storage was leased in inference mode ({@code AllocationLog.setInferenceMode}): the
     * tensors over it are PyTorch's inference tensors (no version counter, never saved for backward).
     */
    public boolean isInference() { return inference; }

    void markInference() { inference = true; }

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
