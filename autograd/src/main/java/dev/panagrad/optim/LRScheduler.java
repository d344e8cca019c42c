package dev.panagrad.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A learning-rate schedule over an optimizer's parameter groups, as PyTorch 1.13's
 * {@code torch.optim.lr_scheduler}: made after the optimizer, it records each group's learning rate
 * as that group's base and sets epoch 0's rate at once; each {@link #step()} (after
 * {@code optimizer.step()}) moves to the next epoch (or step) and sets its rate. Every schedule here is
 * its closed form, lr(base, epoch); PyTorch's recursive updates give the same values up to rounding
 * (the tests hold them to PyTorch's recorded sequences).
 *
 * {@snippet :
 * var opt = AdamW.builder(params).lr(3e-4).build();
 * var sched = new SequentialLR(opt, List.of(new LinearLR(opt, 0.01, 1.0, 100), new CosineAnnealingLR(opt, 900, 3e-5)), List.of(100));
 * for (...) { loss.backward(); opt.step(); sched.step(); }
 * }
 */
public abstract class LRScheduler {
    protected final Optimizer optimizer;
    private final double[] baseLrs;
    private int lastEpoch = -1;

    /**
     * Takes each group's rate before the first scheduler (PyTorch's {@code initial_lr}) as its base. A
     * subclass calls {@link #step()} at the end of its constructor, which sets epoch 0's rates.
     */
    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        List<ParamGroup> groups = optimizer.paramGroups();
        this.baseLrs = new double[groups.size()];
        for (int i = 0; i < baseLrs.length; i++) baseLrs[i] = groups.get(i).initialLr();
    }

    /** The learning rate of a group whose base rate is {@code base}, at {@code epoch} (0, 1, ...). */
    protected abstract double lrAt(double base, int epoch);

    /** Moves to the next epoch and sets every group's learning rate. */
    public void step() {
        lastEpoch++;
        apply();
    }

    private void apply() {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < baseLrs.length; i++) groups.get(i).setLr(lrAt(baseLrs[i], lastEpoch));
    }

    /** The learning rates last set, one per group: PyTorch's {@code get_last_lr()}. */
    public List<Double> lastLr() {
        List<Double> out = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) out.add(g.lr());
        return out;
    }

    /** Epochs stepped since the first ({@code last_epoch}; 0 right after construction). */
    public int lastEpoch() { return lastEpoch; }

    double baseLr(int group) { return baseLrs[group]; }

    /** The schedule's position and bases: {@code last_epoch}, {@code base_lrs.{group}}. */
    public Map<String, Double> stateDict() {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("last_epoch", (double) lastEpoch);
        for (int i = 0; i < baseLrs.length; i++) out.put("base_lrs." + i, baseLrs[i]);
        return out;
    }

    /** Restores {@link #stateDict()} (of a scheduler over as many groups) and sets that epoch's learning rates. */
    public void loadStateDict(Map<String, Double> state) {
        Double epoch = state.get("last_epoch");
        if (epoch == null || state.size() != baseLrs.length + 1) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": expected last_epoch and base_lrs.0 .. base_lrs." + (baseLrs.length - 1) + ", got " + state.keySet());
        }
        double[] bases = new double[baseLrs.length];
        for (int i = 0; i < bases.length; i++) {
            Double b = state.get("base_lrs." + i);
            if (b == null) throw new IllegalArgumentException(getClass().getSimpleName() + ": missing base_lrs." + i + " in " + state.keySet());
            bases[i] = b;
        }
        System.arraycopy(bases, 0, baseLrs, 0, bases.length);
        lastEpoch = (int) (double) epoch;
        apply();
    }
}
