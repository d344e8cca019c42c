package dev.panagrad.optim;

/**
 * PyTorch's {@code LinearLR(optimizer, start_factor=1/3, end_factor=1.0, total_iters=5)}: the factor of
 * the base rate goes linearly from startFactor to endFactor over totalIters epochs, then stays. With
 * startFactor small and endFactor 1 it is the usual linear warm-up.
 */
public final class LinearLR extends LRScheduler {
    private final double startFactor, endFactor;
    private final int totalIters;

    public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
        super(optimizer);
        if (startFactor > 1.0 || startFactor <= 0) {
            throw new IllegalArgumentException("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
        }
        if (endFactor > 1.0 || endFactor < 0) throw new IllegalArgumentException("Ending multiplicative factor expected to be between 0 and 1.");
        if (totalIters <= 0) throw new IllegalArgumentException("LinearLR: total_iters must be positive, got " + totalIters);
        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = totalIters;
        step();
    }

    @Override
    protected double lrAt(double base, int epoch) {
        return base * (startFactor + (endFactor - startFactor) * Math.min(totalIters, epoch) / totalIters);
    }
}
