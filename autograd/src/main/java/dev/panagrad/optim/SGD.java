package dev.panagrad.optim;

import dev.panagrad.Tensor;
import dev.panagrad.array.Elementwise;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent as torch 1.13: d = g + wd·p; with momentum, buf = d on the first step,
 * then buf = μ·buf + (1 − dampening)·d, and d = buf (or d + μ·buf, Nesterov); p −= lr·d.
 */
public final class SGD extends Optimizer {
    private final double momentum, dampening;
    private final boolean nesterov;
    private final Tensor[] buffers;

    public SGD(List<Tensor> params, double lr) { this(params, lr, 0, 0, 0, false); }

    public SGD(List<Tensor> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        this(new ParamGroup[] {ParamGroup.of(params)}, lr, momentum, dampening, weightDecay, nesterov);
    }

    private SGD(ParamGroup[] groups, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super(checked(List.of(groups), lr, momentum, dampening, weightDecay, nesterov), lr, weightDecay);
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.buffers = new Tensor[this.params.size()];
    }

    private static List<ParamGroup> checked(List<ParamGroup> groups, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        if (lr < 0 || momentum < 0 || weightDecay < 0) throw new IllegalArgumentException("SGD: invalid lr " + lr + ", momentum " + momentum + " or weight decay " + weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening");
        return groups;
    }

    /** SGD's options by name: {@code SGD.builder(params).lr(0.05).momentum(0.9).build()}; lr is required, the rest default to 0 / false. */
    public static Builder builder(List<Tensor> params) { return new Builder(List.of(ParamGroup.of(params))); }

    /** SGD over parameter groups; options a group does not set come from the builder. */
    public static Builder builderOfGroups(List<ParamGroup> groups) { return new Builder(groups); }

    /** Builds an {@link SGD}. */
    public static final class Builder {
        private final List<ParamGroup> groups;
        private double lr = Double.NaN, momentum, dampening, weightDecay;
        private boolean nesterov;

        private Builder(List<ParamGroup> groups) { this.groups = groups; }

        public Builder lr(double lr) { this.lr = lr; return this; }

        public Builder momentum(double momentum) { this.momentum = momentum; return this; }

        public Builder dampening(double dampening) { this.dampening = dampening; return this; }

        public Builder weightDecay(double weightDecay) { this.weightDecay = weightDecay; return this; }

        public Builder nesterov(boolean nesterov) { this.nesterov = nesterov; return this; }

        public SGD build() {
            if (Double.isNaN(lr)) throw new IllegalArgumentException("SGD: the learning rate is required (builder.lr(...))");
            return new SGD(groups.toArray(ParamGroup[]::new), lr, momentum, dampening, weightDecay, nesterov);
        }
    }

    @Override
    protected Map<String, Tensor[]> slots() { return Map.of("momentum_buffer", buffers); }

    @Override
    protected void update() {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor d = p.grad();
            if (d == null) continue;
            double lr = groupOf(i).lr(), weightDecay = groupOf(i).weightDecay();
            if (weightDecay != 0) d = d.add(p, weightDecay);
            if (momentum != 0 && buffers[i] != null && weightDecay == 0 && dampening == 0 && !nesterov
                    && p.fusableWith(d) && p.fusableWith(buffers[i])) {
                fusedMomentumStep(p, buffers[i], d, lr);   // the two updates below in one pass
                continue;
            }
            if (momentum != 0) {
                if (buffers[i] == null) {
                    buffers[i] = Tensor.zerosWithLifetimeOf(p).copyFrom(d);   // state lives as long as its parameter
                } else {
                    buffers[i].mulInPlace(momentum).addInPlace(d, 1 - dampening);
                }
                d = nesterov ? d.add(buffers[i], momentum) : buffers[i];
            }
            p.addInPlace(d, -lr);
        }
    }

    /**
     * {@code buf = μ·buf + d; p −= lr·buf} in one pass over contiguous float32 tensors outside a graph
     * ({@link Tensor#fusableWith}), rounded as {@code buf.mul_(μ).add_(d); p.add_(buf, alpha=-lr)} round; both
     * version counters move, as the two in-place ops would move them.
     */
    private void fusedMomentumStep(Tensor p, Tensor buf, Tensor d, double lr) {
        Elementwise.sgdMomentumInPlace(p, buf, d, momentum, lr);
        buf.storage().bumpVersion();
        p.storage().bumpVersion();
    }
}
