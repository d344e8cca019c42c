package dev.panagrad.graph;

import java.util.ArrayDeque;
import java.util.function.Function;

/**
 * The saved-tensor hooks in force on each thread (PyTorch's {@code saved_tensors_hooks} stack): while
 * a pair is pushed, every value saved for backward on that thread goes through its {@code pack} at save
 * time, and its {@code unpack} when backward reads it back. Users reach it through
 * {@code dev.panagrad.autograd.SavedTensorHooks}. When no thread has hooks pushed, a save pays one read
 * of a static counter.
 */
public final class SavedHooks {
    private SavedHooks() {}

    /** One pack / unpack pair, over the value type (erased here). */
    record Pair(Function<Object, Object> pack, Function<Object, Object> unpack) {}

    private static volatile int pushedAnywhere;
    private static final ThreadLocal<ArrayDeque<Pair>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    /** Pushes {@code pack} / {@code unpack} for this thread; closing the result pops them (on this thread). */
    @SuppressWarnings("unchecked")
    public static <T extends Differentiable<T>> AutoCloseable push(Function<T, Object> pack, Function<Object, T> unpack) {
        ArrayDeque<Pair> stack = STACK.get();
        Pair p = new Pair((Function<Object, Object>) (Function<?, ?>) pack, (Function<Object, Object>) (Function<?, ?>) unpack);
        stack.push(p);
        synchronized (SavedHooks.class) {
            pushedAnywhere++;
        }
        return new AutoCloseable() {
            private boolean closed;

            @Override
            public void close() {
                if (closed) return;
                closed = true;
                if (stack.peek() != p) throw new IllegalStateException("saved tensor hooks closed out of order (or on another thread than the one that opened them)");
                stack.pop();
                synchronized (SavedHooks.class) {
                    pushedAnywhere--;
                }
            }
        };
    }

    /** The pair in force on this thread, or null. */
    static Pair current() {
        if (pushedAnywhere == 0) return null;
        return STACK.get().peek();
    }
}
