package dev.panagrad.optim;

import dev.panagrad.Tensor;
import java.util.List;

/**
 * Adam with decoupled weight decay (default 0.01), as torch 1.13's AdamW.
 *
 * {@snippet :
 * var opt = AdamW.builder(ParamGroup.decayAndNoDecay(model.namedParameters(), 0.1)).lr(3e-4).betas(0.9, 0.95).build();
 * }
 */
public final class AdamW extends Adam {
    public AdamW(List<Tensor> params, double lr, double weightDecay) {
        this(params, lr, 0.9, 0.999, 1e-8, weightDecay);
    }

    public AdamW(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(new ParamGroup[] {ParamGroup.of(params)}, lr, beta1, beta2, eps, weightDecay);
    }

    AdamW(ParamGroup[] groups, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(List.of(groups), lr, beta1, beta2, eps, weightDecay, true);
    }

    /** AdamW's options by name, defaults as torch 1.13's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static Builder builder(List<Tensor> params) { return new Builder(List.of(ParamGroup.of(params)), true, 0.01); }

    /** AdamW over parameter groups (say {@link ParamGroup#decayAndNoDecay}); options a group does not set come from the builder. */
    public static Builder builderOfGroups(List<ParamGroup> groups) { return new Builder(groups, true, 0.01); }
}
