package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** PyTorch's {@code nn.SiLU}: x·σ(x) element-wise (PyTorch's nn.SiLU). */
public final class SiLU extends Module {
    @Override
    public Tensor forward(Tensor x) { return x.silu(); }
}
