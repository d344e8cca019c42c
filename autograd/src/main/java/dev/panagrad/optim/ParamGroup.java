package dev.panagrad.optim;

import dev.panagrad.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A parameter group, as PyTorch's {@code param_groups} entries: parameters with their own learning
 * rate and weight decay. An option left unset takes the optimizer's default when the optimizer is
 * built; both stay settable afterwards ({@link #setLr}, what a scheduler does).
 *
 * {@snippet :
 * var groups = ParamGroup.decayAndNoDecay(model.namedParameters(), 0.1);   // no decay on biases and norms
 * var opt = AdamW.builder(groups).lr(3e-4).build();
 * }
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private Double lr, weightDecay;
    /** The rate before any scheduler touched it (PyTorch's {@code initial_lr}): the base of every scheduler made later. */
    private Double initialLr;

    private ParamGroup(List<Tensor> params) {
        if (params.isEmpty()) throw new IllegalArgumentException("optimizer got an empty parameter list");
        this.params = List.copyOf(params);
    }

    /** A group of these parameters with the optimizer's default options. */
    public static ParamGroup of(List<Tensor> params) { return new ParamGroup(params); }

    /** This group's learning rate instead of the optimizer's default. */
    public ParamGroup lr(double lr) {
        checkLr(lr);
        this.lr = lr;
        return this;
    }

    /** This group's weight decay instead of the optimizer's default. */
    public ParamGroup weightDecay(double weightDecay) {
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay);
        this.weightDecay = weightDecay;
        return this;
    }

    public List<Tensor> params() { return params; }

    /** The group's learning rate (the optimizer's default until set). */
    public double lr() { return lr; }

    /** Sets the learning rate of this group: what an LR scheduler does every step. */
    public void setLr(double lr) {
        checkLr(lr);
        this.lr = lr;
    }

    public double weightDecay() { return weightDecay; }

    /** The first scheduler's view of the rate: recorded once, so schedulers made one after another share the same base. */
    double initialLr() {
        if (initialLr == null) initialLr = lr;
        return initialLr;
    }

    public void setWeightDecay(double weightDecay) { weightDecay(weightDecay); }

    /** Fills the options left unset with the optimizer's defaults. */
    void defaults(double lr, double weightDecay) {
        if (this.lr == null) lr(lr);
        if (this.weightDecay == null) weightDecay(weightDecay);
    }

    private static void checkLr(double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("Invalid learning rate: " + lr);
    }

    /**
     * The usual split for transformers (GPT-2's, nanoGPT's): parameters of two or more dimensions (weight
     * matrices, embeddings) decay by {@code weightDecay}; vectors (biases, LayerNorm weights and biases) do
     * not. Groups in that order; one with no parameters is left out.
     */
    public static List<ParamGroup> decayAndNoDecay(Map<String, Tensor> namedParameters, double weightDecay) {
        List<Tensor> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        namedParameters.values().forEach(p -> (p.dim() >= 2 ? decay : noDecay).add(p));
        List<ParamGroup> groups = new ArrayList<>();
        if (!decay.isEmpty()) groups.add(of(decay).weightDecay(weightDecay));
        if (!noDecay.isEmpty()) groups.add(of(noDecay).weightDecay(0));
        return groups;
    }
}
