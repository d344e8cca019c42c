package dev.panagrad.memory;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A lifetime for native buffers, opened and closed on one thread, nestable:
 *
 * {@snippet :
 * try (var step = MemoryScope.open("step")) {
 *     Storage s = Storage.allocate(4096, "activations");   // returned to the pool at close
 *     Storage kept = step.moveOut(Storage.allocate(64, "result"));  // lives on in the enclosing lifetime
 * }
 * // s.segment() now throws IllegalStateException: "... released by scope 'step' ..."
 * }
 *
 * <p>The current scope is thread-local: leases made on a thread belong to that thread's innermost
 * open scope. Scopes close innermost first; closing out of order throws. Other threads may use the
 * scope's tensors, and a lease with the scope's lifetime may be made from another thread (a leaf's
 * gradient when backward runs there); if another thread is still inside a native call on the
 * scope's buffers when it closes, the close completes and those buffers go back to the pool once
 * the call has returned, never before.
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<MemoryScope> CURRENT = new ThreadLocal<>();
    private static final AtomicLong IDS = new AtomicLong();

    private final String name;
    private final MemoryScope parent;
    private final Thread owner;
    private final BufferPool pool;
    private final Arena arena = Arena.ofShared();
    private final ArrayList<Lease> leases = new ArrayList<>();
    /** Leases joined from other threads (allocateLike, moveOut); taken at close. */
    private final ConcurrentLinkedQueue<Lease> foreign = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private MemoryScope(String name, MemoryScope parent, BufferPool pool) {
        this.name = name;
        this.parent = parent;
        this.owner = Thread.currentThread();
        this.pool = pool;
    }

    /** Opens an unnamed scope on this thread, using the enclosing scope's pool (or the global one). */
    public static MemoryScope open() {
        return open("scope-" + IDS.incrementAndGet());
    }

    public static MemoryScope open(String name) {
        return open(name, null);
    }

    /** Opens a scope whose leases (and those of scopes nested in it) come from {@code pool}; null inherits. */
    public static MemoryScope open(String name, BufferPool pool) {
        MemoryScope parent = CURRENT.get();
        BufferPool p = pool != null ? pool : parent != null ? parent.pool : BufferPool.global();
        MemoryScope scope = new MemoryScope(name, parent, p);
        CURRENT.set(scope);
        return scope;
    }

    /** This thread's innermost open scope, or null. */
    public static MemoryScope current() {
        return CURRENT.get();
    }

    /** The pool new leases on this thread come from. */
    public static BufferPool currentPool() {
        MemoryScope s = CURRENT.get();
        return s == null ? BufferPool.global() : s.pool;
    }

    public String name() { return name; }

    public BufferPool pool() { return pool; }

    /** The enclosing scope, or null at the outermost level. */
    public MemoryScope parent() { return parent; }

    public boolean isClosed() { return closed; }

    Arena arena() { return arena; }

    /** True until this scope's arena has really closed (a close may wait for a native call). */
    boolean arenaAlive() { return arena.scope().isAlive(); }

    void checkOpen() {
        if (closed) throw new IllegalStateException("scope '" + name + "' is closed; it cannot take new leases");
    }

    void adopt(Lease lease) {
        checkOpen();
        if (Thread.currentThread() == owner) {
            leases.add(lease);
            return;
        }
        foreign.add(lease);
        if (closed && foreign.remove(lease)) checkOpen();   // the close raced us and did not see the lease: refuse
    }

    /**
     * Moves a lease of this scope to the enclosing lifetime: the parent scope, or, at the outermost
     * level, the garbage collector. Returns the same Storage, still valid after this scope closes.
     *
     * @throws IllegalArgumentException if this scope does not own the lease
     */
    public Storage moveOut(Storage storage) {
        if (storage.scope() != this) {
            throw new IllegalArgumentException("scope '" + name + "' cannot move out " + storage
                    + ": it does not own it");
        }
        if (storage.isReleased()) storage.kernelSegment();   // throws, naming who released it
        storage.bind(parent);
        return storage;
    }

    /** Returns every lease this scope still owns to its pool. Later access to them throws. */
    @Override
    public void close() {
        if (closed) return;
        if (CURRENT.get() != this) {
            MemoryScope inner = CURRENT.get();
            throw new IllegalStateException("scope '" + name + "' must be closed on its own thread (" + owner.getName()
                    + ") after the scopes opened inside it; innermost open scope here: "
                    + (inner == null ? "none" : "'" + inner.name + "'"));
        }
        closed = true;
        if (parent == null) CURRENT.remove(); else CURRENT.set(parent);
        String by = "scope '" + name + "'";
        for (Lease l; (l = foreign.poll()) != null; ) leases.add(l);
        ArrayList<Lease> returning = new ArrayList<>(leases.size());
        List<Arena> arenas = new ArrayList<>();
        arenas.add(arena);
        List<Lease.Block> aliased = new ArrayList<>(4);   // blocks of exposure arenas closed here
        for (Lease lease : leases) {
            if (lease.scope == this && lease.markReleased(by)) {
                returning.add(lease);
                Arena exposure = lease.endExposure();
                if (exposure != null) {
                    arenas.add(exposure);
                    aliased.add(lease.block);
                }
            }
        }
        leases.clear();
        // segments bound to this scope now fail on access; the blocks are reused only after that
        Quarantine.closeThenReturn(arenas, aliased, returning);
    }

    @Override
    public String toString() {
        return "MemoryScope '" + name + "'" + (closed ? " (closed)" : "");
    }
}
