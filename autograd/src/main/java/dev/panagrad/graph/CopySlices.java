package dev.panagrad.graph;

import dev.panagrad.memory.DType;

/**
 * PyTorch's {@code CopySlices}: the grad_fn a base gets when one of its views is modified in place.
 * The in-place op's own node ({@code fn}, whose input 0 was the view) moves inside it: the base's
 * gradient passes through unchanged except under the view, where fn's gradient for the view's former
 * value replaces it; fn's other inputs keep their edges. Input 0 is the base, its edge the base's
 * former one. The layout work (the base-shaped buffer, the window of the view in it) is the
 * {@code backward} formula the tensor side supplies; it calls {@link #applyFn}.
 */
public final class CopySlices<T extends Differentiable<T>> extends Node<T> {
    private Node<T> fn;

    public CopySlices(Node<T> baseEdge, int[] baseShape, DType baseDtype, Node<T> fn, Backward<T> backward) {
        super("CopySlices", withFirst(fn.next, baseEdge), withFirst(fn.inputShapes, baseShape), withFirst(fn.inputDtypes, baseDtype),
                backward, null, null);
        this.fn = fn;
    }

    private static <E> E[] withFirst(E[] values, E first) {
        E[] out = values.clone();
        out[0] = first;
        return out;
    }

    /** The in-place op's gradients (one per input of fn) from the gradient of its output, the view. */
    public T[] applyFn(T viewGrad) {
        Node<T> f = fn;
        if (f == null) throw new IllegalStateException(SavedValue.FREED);   // released by an earlier backward
        return f.apply(viewGrad);
    }

    /** Drops fn with its saved values, as PyTorch does: a second backward then fails even if fn saved nothing. */
    @Override
    void release() {
        super.release();
        if (fn != null) fn.release();
        fn = null;
    }
}
