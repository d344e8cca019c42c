package dev.panagrad.graph;

import dev.panagrad.memory.DType;
import java.util.List;

/** Where a leaf's gradient ends: added into the leaf's {@code .grad}, in place once it exists. */
public final class AccumulateGrad<T extends Differentiable<T>> extends Node<T> {
    private final T leaf;

    public AccumulateGrad(T leaf) {
        super("AccumulateGrad", List.of(), new int[0][], new DType[0], (n, g) -> null, null, null);
        this.leaf = leaf;
    }

    public T variable() { return leaf; }

    @Override
    T[] apply(T grad) {
        if (grad != null && leaf.requiresGrad()) leaf.accumulateGrad(grad);   // requires_grad_(False) after the graph was built: dropped, as PyTorch does
        return null;
    }
}
