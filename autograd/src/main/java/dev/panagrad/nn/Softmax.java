package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** PyTorch's {@code nn.Softmax(dim)}: the softmax along {@code dim}. */
public final class Softmax extends Module {
    private final int dim;

    public Softmax(int dim) { this.dim = dim; }

    @Override
    public Tensor forward(Tensor x) { return x.softmax(dim); }

    @Override
    protected String extraRepr() { return "dim=" + dim; }
}
