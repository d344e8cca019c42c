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
    List<T> retainers;
    boolean gradWritable;
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
            saved.add(toSave[i] == null ? null : new SavedValue<>(toSave[i], toSave[i] == output ? this : null));
        }
        this.savedAnything = count > 0;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Differentiable<T>> Node<T>[] edges(List<Node<T>> next) {
        return next.toArray(new Node[0]);
    }

    /** PyTorch's name for this node, e.g. {@code MulBackward0}. */
    public String name() { return name; }

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

    /** Has {@code t} (a non-leaf with this grad_fn) receive its gradient when this node runs. */
    public void addRetainer(T t) {
        if (retainers == null) retainers = new ArrayList<>(1);
        for (T r : retainers) if (r == t) return;
        retainers.add(t);
    }

    /** Stops {@code t} receiving its gradient here: its grad_fn changed, and PyTorch moves the retains_grad hook along. */
    public void removeRetainer(T t) {
        if (retainers != null) retainers.removeIf(r -> r == t);
    }

    @Override
    public String toString() {
        return name;
    }
}
