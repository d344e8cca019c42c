package dev.panagrad.autograd;

import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;

/** Where a leaf's gradient ends: added into {@code leaf.grad()}, in place once it exists. */
public final class AccumulateGrad extends Node {
    private final Tensor leaf;

    public AccumulateGrad(Tensor leaf) {
        super("AccumulateGrad", new Node[0], new int[0][], new DType[0], (n, g) -> new Tensor[0], null, new Tensor[0]);
        this.leaf = leaf;
    }

    public Tensor variable() { return leaf; }

    @Override
    Tensor[] apply(Tensor grad) {
        if (grad != null && leaf.requiresGrad()) leaf.accumulateGrad(grad);   // requires_grad_(False) after the graph was built: dropped, as PyTorch does
        return new Tensor[0];
    }
}
