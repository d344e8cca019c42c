package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** PyTorch's {@code nn.Sigmoid}: the logistic function 1/(1 + e^−x) element-wise. */
public final class Sigmoid extends Module {
    @Override
    public Tensor forward(Tensor x) { return x.sigmoid(); }
}
