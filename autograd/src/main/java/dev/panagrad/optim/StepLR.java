package dev.panagrad.optim;

/** PyTorch's {@code StepLR(optimizer, step_size, gamma=0.1)}: lr = base · gamma^⌊epoch / stepSize⌋. */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize <= 0) throw new IllegalArgumentException("StepLR: step_size must be positive, got " + stepSize);
        this.stepSize = stepSize;
        this.gamma = gamma;
        step();
    }

    @Override
    protected double lrAt(double base, int epoch) { return base * Math.pow(gamma, epoch / stepSize); }
}
