package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** x·Φ(x), the exact (erf) form: PyTorch's {@code nn.GELU()} with its default {@code approximate='none'}. */
public final class GELU extends Module {
    @Override
    public Tensor forward(Tensor x) { return x.gelu(); }
}
