package dev.panagrad.optim;

/**
 * PyTorch's {@code OneCycleLR(optimizer, max_lr, total_steps, pct_start=0.3, anneal_strategy='cos',
 * div_factor=25, final_div_factor=1e4, three_phase=False)}, stepped once per batch: from max_lr/div_factor
 * up to max_lr over the first pct_start of the steps, then down to max_lr/div_factor/final_div_factor
 * (three_phase: back to the start first, then down). The rate only: momentum is not cycled (as
 * {@code cycle_momentum=False}). Stepping past totalSteps fails, as PyTorch's.
 */
public final class OneCycleLR extends LRScheduler {
    private final double maxLr, initialLr, minLr;
    private final int totalSteps;
    private final boolean cosine;
    private final double[] phaseEnds, phaseStarts, phaseEndsAt;

    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps) {
        this(optimizer, maxLr, totalSteps, 0.3, true, 25, 1e4, false);
    }

    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart, boolean cosine, double divFactor, double finalDivFactor, boolean threePhase) {
        super(optimizer);
        if (totalSteps <= 0) throw new IllegalArgumentException("Expected positive integer total_steps, but got " + totalSteps);
        if (pctStart < 0 || pctStart > 1) throw new IllegalArgumentException("Expected float between 0 and 1 pct_start, but got " + pctStart);
        this.maxLr = maxLr;
        this.initialLr = maxLr / divFactor;
        this.minLr = initialLr / finalDivFactor;
        this.totalSteps = totalSteps;
        this.cosine = cosine;
        if (threePhase) {
            phaseEndsAt = new double[] {pctStart * totalSteps - 1, 2 * pctStart * totalSteps - 2, totalSteps - 1};
            phaseStarts = new double[] {initialLr, maxLr, initialLr};
            phaseEnds = new double[] {maxLr, initialLr, minLr};
        } else {
            phaseEndsAt = new double[] {pctStart * totalSteps - 1, totalSteps - 1};
            phaseStarts = new double[] {initialLr, maxLr};
            phaseEnds = new double[] {maxLr, minLr};
        }
        step();
    }

    /** The same for every group (max_lr given once); the group's base is not used. */
    @Override
    protected double lrAt(double base, int step) {
        if (step > totalSteps) {
            throw new IllegalStateException("Tried to step " + step + " times. The specified number of total steps is " + totalSteps);
        }
        double start = 0;
        for (int i = 0; i < phaseEndsAt.length; i++) {
            double end = phaseEndsAt[i];
            if (step <= end || i == phaseEndsAt.length - 1) {
                double pct = (step - start) / (end - start);
                return cosine ? phaseEnds[i] + (phaseStarts[i] - phaseEnds[i]) / 2 * (Math.cos(Math.PI * pct) + 1)
                        : (phaseEnds[i] - phaseStarts[i]) * pct + phaseStarts[i];
            }
            start = end;
        }
        throw new AssertionError();
    }

    public double maxLr() { return maxLr; }
}
