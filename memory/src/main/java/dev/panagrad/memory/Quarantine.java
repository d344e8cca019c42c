package dev.panagrad.memory;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Released blocks that cannot be reused yet because an arena with segments over them could not be
 * closed: a native call on another thread (OpenBLAS, say) still holds one of those segments. They
 * wait here, still counted as in use, and go back to their pools once the arena closes; every
 * pool retries on its next lease, on {@link BufferPool#trim()} and on {@link BufferPool#stats()}.
 * Nothing is lost and nothing is reused while a native call may still write into it.
 */
final class Quarantine {
    private record Pending(List<Arena> open, List<Lease.Block> aliased, List<Lease> returning) {}

    private static final List<Pending> PENDING = new ArrayList<>();
    private static volatile int size;

    private Quarantine() {}

    /**
     * Closes {@code arenas}; then each of {@code aliased} loses one alias and each of {@code returning}
     * goes back to its pool. If a native call holds one of the arenas, all of that waits for a later retry.
     */
    static void closeThenReturn(List<Arena> arenas, List<Lease.Block> aliased, List<Lease> returning) {
        List<Arena> open = new ArrayList<>(arenas);
        open.removeIf(Quarantine::tryClose);
        if (open.isEmpty()) {
            finish(aliased, returning);
        } else {
            synchronized (PENDING) {
                PENDING.add(new Pending(open, aliased, returning));
                size = PENDING.size();
            }
        }
    }

    /** Retries every waiting close; cheap when nothing waits. */
    static void retry() {
        if (size == 0) return;
        List<Pending> done = new ArrayList<>();
        synchronized (PENDING) {
            PENDING.removeIf(p -> {
                p.open.removeIf(Quarantine::tryClose);
                if (!p.open.isEmpty()) return false;
                done.add(p);
                return true;
            });
            size = PENDING.size();
        }
        for (Pending p : done) finish(p.aliased, p.returning);
    }

    /** Arenas still waiting for a native call to let go. */
    static int waiting() { return size; }

    private static boolean tryClose(Arena arena) {
        try {
            arena.close();
            return true;
        } catch (IllegalStateException acquiredByANativeCall) {
            return false;
        }
    }

    private static void finish(List<Lease.Block> aliased, List<Lease> returning) {
        for (Lease.Block b : aliased) b.unalias();
        for (Lease l : returning) l.pool.takeBack(l);
    }
}
