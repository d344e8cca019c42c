package dev.panagrad.optim;

import java.util.List;

/**
 * PyTorch's {@code SequentialLR(optimizer, schedulers, milestones)}: schedule i runs from milestone i−1
 * (0 for the first) on, counting its epochs from 0 there. Warm-up then cosine decay:
 * {@code new SequentialLR(opt, List.of(new LinearLR(opt, 0.01, 1, w), new CosineAnnealingLR(opt, n - w, 0)), List.of(w))}.
 */
public final class SequentialLR extends LRScheduler {
    private final List<LRScheduler> schedulers;
    private final int[] milestones;

    public SequentialLR(Optimizer optimizer, List<LRScheduler> schedulers, List<Integer> milestones) {
        super(optimizer);
        if (schedulers.isEmpty()) throw new IllegalArgumentException("SequentialLR: no schedulers");
        if (milestones.size() != schedulers.size() - 1) {
            throw new IllegalArgumentException("Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers "
                    + schedulers.size() + " and the number of milestones to be equal to " + milestones.size());
        }
        for (LRScheduler s : schedulers) {
            if (s.optimizer != optimizer) throw new IllegalArgumentException("Sequential Schedulers expects all schedulers to belong to the same optimizer");
        }
        this.schedulers = List.copyOf(schedulers);
        this.milestones = milestones.stream().mapToInt(Integer::intValue).toArray();
        for (int i = 0; i < optimizer.paramGroups().size(); i++) optimizer.paramGroups().get(i).setLr(baseLr(i));   // the others' first steps undone
        step();
    }

    @Override
    protected double lrAt(double base, int epoch) {
        int idx = 0;
        while (idx < milestones.length && milestones[idx] <= epoch) idx++;
        int from = idx == 0 ? 0 : milestones[idx - 1];
        return schedulers.get(idx).lrAt(base, epoch - from);
    }
}
