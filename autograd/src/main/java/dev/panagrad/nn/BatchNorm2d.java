package dev.panagrad.nn;

import dev.panagrad.memory.DType;

/** PyTorch's {@code nn.BatchNorm2d(num_features)} over [N, C, H, W] (eps 1e-5, momentum 0.1). */
public final class BatchNorm2d extends BatchNorm {
    public BatchNorm2d(int features) { this(features, 1e-5, 0.1, DType.F32); }

    public BatchNorm2d(int features, double eps, double momentum, DType dtype) { super(features, eps, momentum, dtype); }

    @Override
    protected String checkRank(int dims) { return dims == 4 ? null : "expected 4D input (got " + dims + "D input)"; }
}
