package dev.panagrad.nn;

import dev.panagrad.memory.DType;

/** PyTorch's {@code nn.BatchNorm1d(num_features)} over [N, C] or [N, C, L] (eps 1e-5, momentum 0.1). */
public final class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(int features) { this(features, 1e-5, 0.1, DType.F32); }

    public BatchNorm1d(int features, double eps, double momentum, DType dtype) { super(features, eps, momentum, dtype); }

    @Override
    protected String checkRank(int dims) { return dims == 2 || dims == 3 ? null : "expected 2D or 3D input (got " + dims + "D input)"; }
}
