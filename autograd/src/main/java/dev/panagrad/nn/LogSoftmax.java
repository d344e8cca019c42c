package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** PyTorch's {@code nn.LogSoftmax(dim)}: the log-softmax along {@code dim}. */
public final class LogSoftmax extends Module {
    private final int dim;

    public LogSoftmax(int dim) { this.dim = dim; }

    @Override
    public Tensor forward(Tensor x) { return x.logSoftmax(dim); }

    @Override
    protected String extraRepr() { return "dim=" + dim; }
}
