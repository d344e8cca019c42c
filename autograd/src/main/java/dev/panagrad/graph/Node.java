package dev.panagrad.graph;

import dev.panagrad.memory.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One recorded operation in the graph: PyTorch's {@code grad_fn}. It knows the nodes its inputs
 * came from ({@code next}, null for inputs that need no gradient), the shapes of its inputs (the
 * engine reduces each gradient to that shape: broadcasting is undone in one place), the values it
 * saved, and its backward formula. Every node has one output.
 *
 * @param <T> the value type ({@code Tensor}), known to the graph only as {@link Differentiable}
 */
public class Node<T extends Differentiable<T>> {
    /** A backward formula: the gradients of the node's inputs (null where not needed) from its output's gradient. */
    @FunctionalInterface
    public interface Backward<T extends Differentiable<T>> {
        T[] apply(Node<T> node, T grad);
    }

    private final String name;
    final Node<T>[] next;
    final int[][] inputShapes;
    final DType[] inputDtypes;
    private final Backward<T> backward;
    private List<SavedValue<T>> saved;
    private final boolean savedAnything;
    private boolean released;
    /**
     * What runs on the incoming gradient before the formula, in registration order (PyTorch's pre-hooks):
     * a tensor's hooks (one group per tensor, placed where its first hook was registered) and retained
     * gradients ({@code retainGrad()}, placed where it was called). Null when there are none: the common
     * path pays one null check.
     */
    List<PreHook<T>> preHooks;
    boolean gradWritable;
    /** Where this node was recorded, captured only while anomaly detection is on (null otherwise). */
    private Throwable forwardTrace;
    boolean accumulatesIntoLeaves;

    /**
     * @param next   for each input, the node its gradient goes to, or null
     * @param toSave values the formula needs (null: none); {@code output} is recognised among them
     */
    public Node(String name, List<Node<T>> next, int[][] inputShapes, DType[] inputDtypes, Backward<T> backward,
                T output, T[] toSave) {
        this(name, edges(next), inputShapes, inputDtypes, backward, output, toSave);
    }

    /** As above, with the edges as an array this node keeps (no copy): the hot path of every recorded op. */
    public Node(String name, Node<T>[] next, int[][] inputShapes, DType[] inputDtypes, Backward<T> backward, T output, T[] toSave) {
        this.name = name;
        this.next = next;
        this.inputShapes = inputShapes;
        this.inputDtypes = inputDtypes;
        this.backward = backward;
        int count = toSave == null ? 0 : toSave.length;
        this.saved = count == 0 ? List.of() : new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            saved.add(toSave[i] == null ? null : SavedValue.save(toSave[i], toSave[i] == output ? this : null));
        }
        this.savedAnything = count > 0;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Differentiable<T>> Node<T>[] edges(List<Node<T>> next) {
        return next.toArray(new Node[0]);
    }

    /** PyTorch's name for this node, e.g. {@code MulBackward0}. */
    public String name() { return name; }

    /** Records the forward call's stack trace (anomaly detection), for the report if this node's backward fails. */
    public void captureForwardTrace() {
        Throwable t = new Throwable("forward call of " + name);
        StackTraceElement[] frames = t.getStackTrace();
        int first = 0;   // from the caller's frame: skip the recording machinery (the graph, the op families, Tensor's one-liners)
        while (first < frames.length - 1 && internal(frames[first].getClassName())) first++;
        t.setStackTrace(java.util.Arrays.copyOfRange(frames, first, frames.length));
        forwardTrace = t;
    }

    private static boolean internal(String className) {
        return className.startsWith("dev.panagrad.graph.") || className.startsWith("dev.panagrad.ops.") || className.equals("dev.panagrad.Tensor")
                || className.equals("dev.panagrad.autograd.Function");
    }

    /** PyTorch's report on stderr before a failing node's error in anomaly mode, with the forward's stack trace. */
    void reportAnomaly(RuntimeException error) {
        if (forwardTrace == null) {
            System.err.println("UserWarning: Error detected in " + name + ". No forward pass information available. Enable detect anomaly during forward pass for more information.");
            return;
        }
        StringBuilder b = new StringBuilder("UserWarning: Error detected in ").append(name).append(". Traceback of forward call that caused the error:");
        for (StackTraceElement e : forwardTrace.getStackTrace()) b.append("\n  at ").append(e);
        System.err.println(b);
        error.addSuppressed(forwardTrace);
    }

    /** Whether input {@code i} needs a gradient (PyTorch's {@code ctx.needs_input_grad}). */
    public boolean needsInputGrad(int i) { return next[i] != null; }

    /** Saved value {@code i}, version-checked. */
    public T saved(int i) {
        if (released) throw new IllegalStateException(SavedValue.FREED);
        return saved.get(i).unpack();
    }

    public int savedCount() { return saved.size(); }

    /**
     * True while this node's backward runs if the gradient it was given is the engine's own temporary
     * that nothing else will read: the formula may then write its result into it (relu's mask, say)
     * instead of leasing another buffer of the same size.
     */
    public boolean canOverwriteGrad() { return gradWritable; }

    /**
     * True while this node's backward runs in an ordinary backward (no create_graph, not autograd.grad):
     * a formula may then add a leaf input's gradient straight into its {@code .grad} (linear's weight
     * GEMM with β = 1) instead of returning it.
     */
    public boolean accumulatesIntoLeaves() { return accumulatesIntoLeaves; }

    /** The nodes this node's gradients flow to, as PyTorch's {@code next_functions} (nulls included). */
    public List<Node<T>> nextFunctions() {
        return Arrays.asList(next.clone());
    }

    /** Input {@code i}'s shape, as recorded. */
    public int[] inputShape(int i) { return inputShapes[i].clone(); }

    T[] apply(T grad) {
        if (released && savedAnything) throw new IllegalStateException(SavedValue.FREED);
        return backward.apply(this, grad);
    }

    /** Drops the saved values (after a backward without retainGraph). */
    void release() {
        if (released) return;
        released = true;
        for (SavedValue<T> s : saved) if (s != null) s.release();
        saved = List.of();
    }

    /** One entry of {@link #preHooks}. */
    sealed interface PreHook<T extends Differentiable<T>> permits Retain, Hooks {}

    /** {@code retainGrad()}: the tensor keeps the gradient as it is at this point of the hooks. */
    record Retain<T extends Differentiable<T>>(T tensor) implements PreHook<T> {}

    /** A tensor's hooks ({@code registerHook}), run in order; each may return a replacement (null: unchanged). */
    public static final class Hooks<T extends Differentiable<T>> implements PreHook<T> {
        private final List<java.util.function.UnaryOperator<T>> hooks = new ArrayList<>(2);

        /** Adds a hook; the handle removes it. */
        public RemovableHandle add(java.util.function.UnaryOperator<T> hook) {
            hooks.add(hook);
            return new RemovableHandle(() -> hooks.remove(hook));
        }

        boolean isEmpty() { return hooks.isEmpty(); }

        T run(T grad) {
            for (int i = 0; i < hooks.size(); i++) {
                java.util.function.UnaryOperator<T> hook = hooks.get(i);
                T r = hook.apply(grad);
                if (r == null) continue;
                if (!Arrays.equals(r.shape(), grad.shape())) throw new IllegalStateException("hook '" + hookName(hook) + "' has changed the size of value");
                if (r.dtype() != grad.dtype()) {
                    throw new IllegalStateException("hook '" + hookName(hook) + "' has changed the type of value (was " + grad.dtype().tensorTypeName()
                            + " got " + r.dtype().tensorTypeName() + ")");
                }
                grad = r;
            }
            return grad;
        }

        /** Python prints a hook's {@code __name__}; a Java lambda has none: {@code <lambda>} as Python's lambdas. */
        private static String hookName(Object hook) {
            Class<?> c = hook.getClass();
            return c.isSynthetic() || c.isHidden() || c.getSimpleName().isEmpty() ? "<lambda>" : c.getSimpleName();
        }
    }

    /**
     * The group of hooks of this node's output tensor (one output per node): the existing one, or a new
     * one at the end of the pre-hooks, where PyTorch places a tensor's hooks at its first registration.
     */
    public Hooks<T> hooks() {
        if (preHooks != null) for (PreHook<T> p : preHooks) if (p instanceof Hooks<T> h) return h;
        Hooks<T> h = new Hooks<>();
        if (preHooks == null) preHooks = new ArrayList<>(2);
        preHooks.add(h);
        return h;
    }

    /** Whether anything (a hook, a retained gradient) must see this node's incoming gradient first. */
    public boolean hasPreHooks() {
        if (preHooks == null) return false;
        for (PreHook<T> p : preHooks) if (!(p instanceof Hooks<T> h) || !h.isEmpty()) return true;
        return false;
    }

    boolean hasTensorHooks() {
        for (PreHook<T> p : preHooks) if (p instanceof Hooks<T> h && !h.isEmpty()) return true;
        return false;
    }

    /** Runs the pre-hooks on the incoming gradient; returns the gradient the formula then gets. */
    T runPreHooks(T grad) {
        for (int i = 0; i < preHooks.size(); i++) {
            PreHook<T> p = preHooks.get(i);
            if (p instanceof Hooks<T> h) grad = h.run(grad);
            else ((Retain<T>) p).tensor().accumulateRetainedGrad(grad);
        }
        return grad;
    }

    /** Has {@code t} (a non-leaf with this grad_fn) receive its gradient when this node runs. */
    public void addRetainer(T t) {
        if (preHooks == null) preHooks = new ArrayList<>(1);
        for (PreHook<T> p : preHooks) if (p instanceof Retain<T> r && r.tensor() == t) return;
        preHooks.add(new Retain<>(t));
    }

    /** Stops {@code t} receiving its gradient here: its grad_fn changed, and PyTorch moves the retains_grad hook along. */
    public void removeRetainer(T t) {
        if (preHooks != null) preHooks.removeIf(p -> p instanceof Retain<T> r && r.tensor() == t);
    }

    @Override
    public String toString() {
        return name;
    }
}
