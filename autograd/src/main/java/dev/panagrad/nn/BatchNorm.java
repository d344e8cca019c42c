package dev.panagrad.nn;

import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;

/**
 * What {@link BatchNorm1d} and {@link BatchNorm2d} share (PyTorch's {@code _BatchNorm}): weight (1s) and
 * bias (0s) as parameters, and the buffers {@code running_mean} (0s), {@code running_var} (1s) and
 * {@code num_batches_tracked} (int64, 0) under PyTorch's names, so a state dict loads into the same
 * PyTorch model. In training the batch's statistics normalize and the running ones move toward them
 * by {@code momentum} (unbiased variance) and the batch count grows by one; in eval the running ones
 * normalize.
 */
public abstract class BatchNorm extends Module {
    private final int features;
    private final double eps, momentum;
    private final Tensor weight, bias, runningMean, runningVar, numBatchesTracked;

    protected BatchNorm(int features, double eps, double momentum, DType dtype) {
        if (features <= 0) throw new IllegalArgumentException(getClass().getSimpleName() + "(" + features + "): num_features must be positive");
        this.features = features;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = registerParameter("weight", Parameter.of(Tensor.ones(dtype, features)));
        this.bias = registerParameter("bias", Parameter.of(Tensor.zeros(dtype, features)));
        this.runningMean = registerBuffer("running_mean", Tensor.zeros(dtype, features));
        this.runningVar = registerBuffer("running_var", Tensor.ones(dtype, features));
        this.numBatchesTracked = registerBuffer("num_batches_tracked", Tensor.zeros(DType.I64));
    }

    /** PyTorch's message for an input of the wrong rank, or null when it fits. */
    protected abstract String checkRank(int dims);

    public Tensor weight() { return weight; }

    public Tensor bias() { return bias; }

    public Tensor runningMean() { return runningMean; }

    public Tensor runningVar() { return runningVar; }

    public Tensor numBatchesTracked() { return numBatchesTracked; }

    @Override
    public Tensor forward(Tensor x) {
        String bad = checkRank(x.dim());
        if (bad != null) throw new IllegalArgumentException(bad);
        if (isTraining()) {
            try (var off = Grad.disabled()) {
                numBatchesTracked.addInPlace(1);
            }
        }
        return Tensor.batchNorm(x, runningMean, runningVar, weight, bias, isTraining(), momentum, eps);
    }

    @Override
    protected String extraRepr() {
        return features + ", eps=" + pyFloat(eps) + ", momentum=" + pyFloat(momentum) + ", affine=True, track_running_stats=True";
    }

    /** Python's repr of a float: 0.1, 1e-05. */
    static String pyFloat(double v) {
        if (v == 0 || Math.abs(v) >= 1e-4) return Double.toString(v);
        java.math.BigDecimal d = new java.math.BigDecimal(Double.toString(Math.abs(v))).stripTrailingZeros();
        String digits = d.unscaledValue().toString();
        int exp = digits.length() - 1 - d.scale();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (v < 0 ? "-" : "") + mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }
}
