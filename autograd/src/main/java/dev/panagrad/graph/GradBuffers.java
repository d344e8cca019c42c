package dev.panagrad.graph;

import dev.panagrad.memory.AllocationLog;
import dev.panagrad.memory.Storage;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.function.Supplier;

/**
 * The engine's memory policy: which buffers go back to the pool, and when. The engine owns the
 * buffers it made (the seed, and every storage leased while a node's formula ran: its results and
 * its temporaries such as masks, products, reductions) and counts the pending gradients that read
 * each. After a node ran, each buffer it made and each gradient it consumed goes back to the pool
 * unless a pending gradient still reads it; so a temporary lives for one node, and a gradient until
 * the last node that reads it has run. Buffers the engine did not make (a gradient the user passed,
 * a leaf's {@code .grad}, saved values) are never released here. One instance per backward call.
 */
final class GradBuffers {
    static final String RELEASED_BY = "the autograd engine (a gradient temporary, consumed)";

    private final IdentityHashMap<Storage, int[]> pending = new IdentityHashMap<>();
    private final IdentityHashMap<Storage, Boolean> owned = new IdentityHashMap<>();
    private final ArrayList<Storage> made = new ArrayList<>(), consumed = new ArrayList<>();
    private int mark;
    private final boolean returnsBuffers;

    /** @param returnsBuffers false under create_graph: every buffer may be part of the recorded graph, so none goes back */
    GradBuffers(boolean returnsBuffers) {
        this.returnsBuffers = returnsBuffers;
    }

    boolean returnsBuffers() { return returnsBuffers; }

    /** Runs {@code make} (the seed) and owns every buffer it leased. */
    <T> T make(Supplier<T> make) {
        if (!returnsBuffers) return make.get();
        int m = AllocationLog.start();
        try {
            return make.get();
        } finally {
            own(AllocationLog.stop(m));
        }
    }

    private void own(List<Storage> storages) {
        for (int i = 0; i < storages.size(); i++) owned.put(storages.get(i), Boolean.TRUE);
    }

    /** A pending gradient now reads {@code s}. */
    void pending(Storage s) {
        pending.computeIfAbsent(s, k -> new int[1])[0]++;
    }

    /** A pending gradient that read {@code s} was consumed (run, or added into a sum): {@code s} may go back after this node. */
    void consumed(Storage s) {
        int[] n = pending.get(s);
        if (n != null && --n[0] == 0) pending.remove(s);
        consumed.add(s);
    }

    /** Whether {@code s} is a buffer the engine made that no pending gradient reads: a formula may write into it. */
    boolean exclusive(Storage s) {
        return returnsBuffers && owned.containsKey(s) && !pending.containsKey(s);
    }

    /** Starts recording the buffers a node's formula leases. */
    void nodeStarts() {
        if (returnsBuffers) mark = AllocationLog.start();
    }

    /** Stops the recording (call in a finally: the log is per thread). */
    void nodeStops() {
        if (returnsBuffers) AllocationLog.stop(mark, made);
    }

    /** After the node ran: owns what it made, and returns to the pool what the engine made and no pending gradient reads. */
    void nodeDone() {
        own(made);
        for (int i = 0; i < made.size(); i++) releaseIfDead(made.get(i));
        for (int i = 0; i < consumed.size(); i++) releaseIfDead(consumed.get(i));
        made.clear();
        consumed.clear();
    }

    /** {@code s} leaves the engine (a gradient autograd.grad returns): never released here. */
    void escape(Storage s) {
        owned.remove(s);
    }

    private void releaseIfDead(Storage s) {
        if (pending.containsKey(s) || owned.remove(s) == null || s.isReleased()) return;
        s.release(RELEASED_BY);
    }
}
