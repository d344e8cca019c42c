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
    private final double lr, momentum, dampening, weightDecay;
    private final boolean nesterov;
    private final Tensor[] buffers;

    public SGD(List<Tensor> params, double lr) { this(params, lr, 0, 0, 0, false); }

    public SGD(List<Tensor> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super(params);
        if (lr < 0 || momentum < 0 || weightDecay < 0) throw new IllegalArgumentException("SGD: invalid lr " + lr + ", momentum " + momentum + " or weight decay " + weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening");
        this.lr = lr;
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.buffers = new Tensor[this.params.size()];
    }

    @Override
    protected Map<String, Tensor[]> slots() { return Map.of("momentum_buffer", buffers); }

    @Override
    protected void update() {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor d = p.grad();
            if (d == null) continue;
            if (weightDecay != 0) d = d.add(p, weightDecay);
            if (momentum != 0 && buffers[i] != null && weightDecay == 0 && dampening == 0 && !nesterov
                    && p.fusableWith(d) && p.fusableWith(buffers[i])) {
                fusedMomentumStep(p, buffers[i], d);   // the two updates below in one pass
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
    private void fusedMomentumStep(Tensor p, Tensor buf, Tensor d) {
        Elementwise.sgdMomentumInPlace(p, buf, d, momentum, lr);
        buf.storage().bumpVersion();
        p.storage().bumpVersion();
    }
}
