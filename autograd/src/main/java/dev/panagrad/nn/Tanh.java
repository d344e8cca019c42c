package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** PyTorch's {@code nn.Tanh}: tanh element-wise. */
public final class Tanh extends Module {
    @Override
    public Tensor forward(Tensor x) { return x.tanh(); }
}
