package dev.panagrad.optim;

import dev.panagrad.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam as torch 1.13 (and AdamW with decoupled weight decay): m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g²,
 * p −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε). Adam adds wd·p to g; AdamW multiplies p by (1 − lr·wd) first.
 * The learning rate and weight decay are per {@link ParamGroup}.
 *
 * {@snippet :
 * var opt = Adam.builder(model.parameters()).lr(1e-3).betas(0.9, 0.98).build();
 * }
 */
public class Adam extends Optimizer {
    private final double beta1, beta2, eps;
    private final boolean decoupled;
    private final Tensor[] m, v;
    private long t;

    public Adam(List<Tensor> params, double lr) { this(params, lr, 0.9, 0.999, 1e-8, 0); }

    public Adam(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(List.of(ParamGroup.of(params)), lr, beta1, beta2, eps, weightDecay, false);
    }

    Adam(List<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super(checked(groups, lr, beta1, beta2, eps, weightDecay), lr, weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.decoupled = decoupled;
        this.m = new Tensor[this.params.size()];
        this.v = new Tensor[this.params.size()];
    }

    private static List<ParamGroup> checked(List<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay) {
        if (lr < 0 || eps < 0 || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || weightDecay < 0) {
            throw new IllegalArgumentException("Adam: invalid lr " + lr + ", betas (" + beta1 + ", " + beta2 + "), eps " + eps + " or weight decay " + weightDecay);
        }
        return groups;
    }

    /** Adam's options by name, defaults as torch 1.13's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0. */
    public static Builder builder(List<Tensor> params) { return new Builder(List.of(ParamGroup.of(params)), false, 0); }

    /** Adam over parameter groups; options a group does not set come from the builder. */
    public static Builder builderOfGroups(List<ParamGroup> groups) { return new Builder(groups, false, 0); }

    /** Builds an {@link Adam} or an {@link AdamW}. */
    public static final class Builder {
        private final List<ParamGroup> groups;
        private final boolean decoupled;
        private double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay;

        Builder(List<ParamGroup> groups, boolean decoupled, double weightDecay) {
            this.groups = groups;
            this.decoupled = decoupled;
            this.weightDecay = weightDecay;
        }

        public Builder lr(double lr) { this.lr = lr; return this; }

        public Builder betas(double beta1, double beta2) { this.beta1 = beta1; this.beta2 = beta2; return this; }

        public Builder eps(double eps) { this.eps = eps; return this; }

        public Builder weightDecay(double weightDecay) { this.weightDecay = weightDecay; return this; }

        public Adam build() {
            return decoupled ? new AdamW(groups.toArray(ParamGroup[]::new), lr, beta1, beta2, eps, weightDecay) : new Adam(groups, lr, beta1, beta2, eps, weightDecay, false);
        }
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
            double lr = groupOf(i).lr(), weightDecay = groupOf(i).weightDecay();
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
