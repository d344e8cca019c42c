package dev.panagrad.autograd;

import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One recorded operation in the graph: PyTorch's {@code grad_fn}. It knows the nodes its inputs
 * came from ({@code next}, null for inputs that need no gradient), the shapes of its inputs (the
 * engine reduces each gradient to that shape: broadcasting is undone in one place), the tensors it
 * saved, and its backward formula. Every node has one output.
 */
public class Node {
    /** A backward formula: the gradients of the node's inputs (null where not needed) from its output's gradient. */
    @FunctionalInterface
    public interface Backward {
        Tensor[] apply(Node node, Tensor grad);
    }

    private final String name;
    final Node[] next;
    final int[][] inputShapes;
    final DType[] inputDtypes;
    private final Backward backward;
    private SavedTensor[] saved;
    private final boolean savedAnything;
    private boolean released;
    List<Tensor> retainers;
    boolean gradWritable;

    /**
     * @param next   for each input, the node its gradient goes to, or null
     * @param toSave tensors the formula needs; {@code output} is recognised among them
     */
    public Node(String name, Node[] next, int[][] inputShapes, DType[] inputDtypes, Backward backward,
                Tensor output, Tensor[] toSave) {
        this.name = name;
        this.next = next;
        this.inputShapes = inputShapes;
        this.inputDtypes = inputDtypes;
        this.backward = backward;
        this.saved = new SavedTensor[toSave.length];
        for (int i = 0; i < toSave.length; i++) {
            this.saved[i] = toSave[i] == null ? null : new SavedTensor(toSave[i], toSave[i] == output ? this : null);
        }
        this.savedAnything = toSave.length > 0;
    }

    /** PyTorch's name for this node, e.g. {@code MulBackward0}. */
    public String name() { return name; }

    /** Whether input {@code i} needs a gradient (PyTorch's {@code ctx.needs_input_grad}). */
    public boolean needsInputGrad(int i) { return next[i] != null; }

    /** Saved tensor {@code i}, version-checked. */
    public Tensor saved(int i) {
        if (released) throw new IllegalStateException(SavedTensor.FREED);
        return saved[i].unpack();
    }

    public int savedCount() { return saved.length; }

    /**
     * True while this node's backward runs if the gradient it was given is the engine's own temporary
     * that nothing else will read: the formula may then write its result into it (relu's mask, say)
     * instead of leasing another buffer of the same size.
     */
    public boolean canOverwriteGrad() { return gradWritable; }

    /** The nodes this node's gradients flow to, as PyTorch's {@code next_functions} (nulls included). */
    public List<Node> nextFunctions() {
        return Arrays.asList(next.clone());
    }

    /** Input {@code i}'s shape, as recorded. */
    public int[] inputShape(int i) { return inputShapes[i].clone(); }

    Tensor[] apply(Tensor grad) {
        if (released && savedAnything) throw new IllegalStateException(SavedTensor.FREED);
        return backward.apply(this, grad);
    }

    /** Drops the saved tensors (after a backward without retainGraph). */
    void release() {
        if (released) return;
        released = true;
        for (SavedTensor s : saved) if (s != null) s.release();
        saved = new SavedTensor[0];
    }

    /** Has {@code t} (a non-leaf with this grad_fn) receive its gradient when this node runs. */
    public void addRetainer(Tensor t) {
        if (retainers == null) retainers = new ArrayList<>(1);
        for (Tensor r : retainers) if (r == t) return;
        retainers.add(t);
    }

    /** Stops {@code t} receiving its gradient here: its grad_fn changed, and PyTorch moves the retains_grad hook along. */
    public void removeRetainer(Tensor t) {
        if (retainers != null) retainers.removeIf(r -> r == t);
    }

    @Override
    public String toString() {
        return name;
    }
}
