package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** max(x, 0) element-wise; the gradient at 0 is 0, as PyTorch's. */
public final class ReLU extends Module {
    @Override
    public Tensor forward(Tensor x) { return x.relu(); }
}
