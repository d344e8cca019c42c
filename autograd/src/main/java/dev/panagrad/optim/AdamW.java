package dev.panagrad.optim;

import dev.panagrad.Tensor;
import java.util.List;

/** Adam with decoupled weight decay (default 0.01), as torch 1.13's AdamW. */
public final class AdamW extends Adam {
    public AdamW(List<Tensor> params, double lr, double weightDecay) {
        this(params, lr, 0.9, 0.999, 1e-8, weightDecay);
    }

    public AdamW(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr, beta1, beta2, eps, weightDecay, true);
    }
}
