package dev.panagrad.graph;

import dev.panagrad.memory.DType;
import dev.panagrad.memory.Storage;

/**
 * What the graph core knows of a value: the whole of it. {@code Tensor} implements it; the engine's
 * own test implements it with a scalar. As PyTorch's autograd reaches tensors through its hooks
 * interface, {@link Node}, {@link Engine} and {@link SavedValue} see values only through these
 * methods, so nothing in this package depends on the tensor side.
 *
 * <p>The engine calls the arithmetic ({@link #add}, {@link #sumTo}, {@link #to}, {@link #onesLike})
 * with grad mode off ({@link GradMode}): the results are plain values, recorded nowhere; under
 * create_graph with grad mode on, and then they must record as any op does.
 *
 * @param <T> the value type itself
 */
public interface Differentiable<T extends Differentiable<T>> {
    int[] shape();

    DType dtype();

    /** Whether gradients flow to this value (a leaf that asked for them, or a value with a grad_fn). */
    boolean requiresGrad();

    /** The node that made this value, or null for a leaf. */
    Node<T> gradFn();

    /** For a leaf that requires grad: the {@link AccumulateGrad} its gradient goes to (made once, kept); null otherwise. */
    Node<T> gradAccumulator();

    /**
     * The bytes behind the value, shared with its views: their version counter is what a
     * {@link SavedValue} checks, a save holds them, and the memory policy returns the buffers the
     * engine made by this identity.
     */
    Storage storage();

    /** Whether any element is NaN (anomaly detection's check of each node's gradients). */
    boolean anyNaN();

    /** {@code this + other}, a new value: gradients that reach the same node add up. */
    T add(T other);

    /**
     * This gradient summed down to {@code shape}, undoing broadcasting (this value when the shapes are
     * equal); recorded when grad mode is on (create_graph).
     */
    T sumTo(int[] shape);

    /** This value converted to {@code dtype}. */
    T to(DType dtype);

    /** Ones of this value's shape and dtype: the seed of a backward from a one-element value. */
    T onesLike();

    /**
     * Adds {@code grad} into this leaf's {@code .grad} (the end of a backward, {@link AccumulateGrad}).
     * A buffer it leases must live as long as the leaf ({@code BufferPool.allocateLike}, which
     * {@code AllocationLog} does not record): the engine returns to the pool every buffer recorded
     * while a node runs, and does not read {@code grad} again.
     */
    void accumulateGrad(T grad);

    /** Adds {@code grad} into this non-leaf's {@code .grad}, after {@code retainGrad()}; keeps its own copy. */
    void accumulateRetainedGrad(T grad);
}
