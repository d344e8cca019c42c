package dev.panagrad.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * Records the storages leased on this thread between {@link #start()} and {@link #stop(int)}: how
 * the autograd engine finds the temporaries a backward formula made, to return them the moment the
 * formula is done. Only leases of the current scope are recorded; {@code allocateLike} (a leaf's
 * gradient, optimizer state) belongs to its sibling's lifetime and is never recorded.
 */
public final class AllocationLog {
    private static final ThreadLocal<AllocationLog> CURRENT = ThreadLocal.withInitial(AllocationLog::new);

    private final ArrayList<Storage> recorded = new ArrayList<>();
    private int depth;
    private boolean inference;

    private AllocationLog() {}

    /** Starts (or nests) recording on this thread; pass the mark to {@link #stop}. */
    public static int start() {
        AllocationLog log = CURRENT.get();
        log.depth++;
        return log.recorded.size();
    }

    /** Stops the recording begun at {@code mark} and returns what it saw, oldest first. */
    public static List<Storage> stop(int mark) {
        List<Storage> out = new ArrayList<>();
        stop(mark, out);
        return List.copyOf(out);
    }

    /** {@link #stop(int)}, adding what it saw to {@code into} (a list the caller reuses: no garbage per call). */
    public static void stop(int mark, List<Storage> into) {
        AllocationLog log = CURRENT.get();
        if (log.depth == 0) throw new IllegalStateException("AllocationLog.stop without start");
        log.depth--;
        ArrayList<Storage> r = log.recorded;
        for (int i = mark; i < r.size(); i++) into.add(r.get(i));
        while (r.size() > mark) r.remove(r.size() - 1);
    }

    static void record(Storage s) {
        AllocationLog log = CURRENT.get();
        if (log.depth > 0) log.recorded.add(s);
        if (log.inference) s.markInference();
    }

    /**
     * Sets whether this thread is in inference mode ({@code torch.inference_mode()}; users reach it
     * through {@code Grad.inferenceMode()}): every storage leased meanwhile is an inference storage
     * ({@link Storage#isInference()}). Kept here because every lease already reads this thread's log:
     * marking costs no extra lookup. Returns the setting it replaces.
     */
    public static boolean setInferenceMode(boolean enabled) {
        AllocationLog log = CURRENT.get();
        boolean previous = log.inference;
        log.inference = enabled;
        return previous;
    }

    /** Whether this thread is in inference mode. */
    public static boolean inferenceMode() {
        return CURRENT.get().inference;
    }
}
