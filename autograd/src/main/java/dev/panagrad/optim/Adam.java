package dev.panagrad.optim;

import dev.panagrad.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam as torch 1.13 (and AdamW with decoupled weight decay): m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g²,
 * p −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε). Adam adds wd·p to g; AdamW multiplies p by (1 − lr·wd) first.
 */
public class Adam extends Optimizer {
    private final double beta1, beta2, eps, weightDecay;
    private double lr;
    private final boolean decoupled;
    private final Tensor[] m, v;
    private long t;

    public Adam(List<Tensor> params, double lr) { this(params, lr, 0.9, 0.999, 1e-8, 0); }

    public Adam(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(params, lr, beta1, beta2, eps, weightDecay, false);
    }

    Adam(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super(params);
        if (lr < 0 || eps < 0 || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || weightDecay < 0) {
            throw new IllegalArgumentException("Adam: invalid lr " + lr + ", betas (" + beta1 + ", " + beta2 + "), eps " + eps + " or weight decay " + weightDecay);
        }
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
        this.m = new Tensor[this.params.size()];
        this.v = new Tensor[this.params.size()];
    }

    public double lr() { return lr; }

    /** Sets the learning rate of the next steps (a schedule; PyTorch's {@code param_groups[0]["lr"] = lr}). */
    public void setLr(double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("Adam: invalid lr " + lr);
        this.lr = lr;
    }

    @Override
    protected Map<String, Tensor[]> slots() {
        Map<String, Tensor[]> s = new LinkedHashMap<>();
        s.put("exp_avg", m);
        s.put("exp_avg_sq", v);
        return s;
    }

    @Override
    protected long stepCount() { return t; }

    @Override
    protected void setStepCount(long steps) { t = steps; }

    @Override
    protected void update() {
        t++;
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor g = p.grad();
            if (g == null) continue;
            if (m[i] == null) {
                m[i] = Tensor.zerosWithLifetimeOf(p);   // state lives as long as its parameter
                v[i] = Tensor.zerosWithLifetimeOf(p);
            }
            if (decoupled) p.mulInPlace(1 - lr * weightDecay);
            else if (weightDecay != 0) g = g.add(p, weightDecay);
            m[i].mulInPlace(beta1).addInPlace(g, 1 - beta1);
            v[i].mulInPlace(beta2).addInPlace(g.mul(g), 1 - beta2);
            Tensor denom = v[i].sqrt().div(Math.sqrt(bc2)).add(eps);
            p.addInPlace(m[i].div(denom), -lr / bc1);
        }
    }
}
