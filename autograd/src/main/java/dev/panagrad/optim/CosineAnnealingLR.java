package dev.panagrad.optim;

/** PyTorch's {@code CosineAnnealingLR(optimizer, T_max, eta_min=0)}: lr = η_min + (base − η_min)·(1 + cos(π·epoch/T_max))/2. */
public final class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax <= 0) throw new IllegalArgumentException("CosineAnnealingLR: T_max must be positive, got " + tMax);
        this.tMax = tMax;
        this.etaMin = etaMin;
        step();
    }

    @Override
    protected double lrAt(double base, int epoch) { return etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2; }
}
