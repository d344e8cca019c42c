package dev.panagrad.optim;

import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.array.Shape;
import dev.panagrad.memory.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters from their gradients. {@link #step()} runs without recording a graph. Parameters
 * come in {@link ParamGroup}s (one, for a plain list), each with its own learning rate and weight
 * decay; {@link #setLr} sets every group's, as an LR scheduler does.
 */
public abstract class Optimizer {
    /** Every parameter, group after group (the index of the state dict's "state.{i}" keys). */
    protected final List<Tensor> params;
    private final List<ParamGroup> groups;
    /** The group of each parameter of {@link #params}. */
    private final ParamGroup[] groupOf;

    protected Optimizer(List<Tensor> params) {
        this(List.of(ParamGroup.of(params)), 0, 0);
    }

    /** Groups whose unset options take {@code lr} and {@code weightDecay}. A parameter may be in one group only. */
    protected Optimizer(List<ParamGroup> groups, double lr, double weightDecay) {
        if (groups.isEmpty()) throw new IllegalArgumentException("optimizer got an empty parameter list");
        List<Tensor> all = new ArrayList<>();
        java.util.Set<Tensor> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<ParamGroup> owners = new ArrayList<>();
        for (ParamGroup g : groups) {
            g.defaults(lr, weightDecay);
            for (Tensor p : g.params()) {
                if (!p.isLeaf() || !p.requiresGrad()) throw new IllegalArgumentException("optimizer: can't optimize a non-leaf Tensor or one that does not require grad: " + p);
                if (!seen.add(p)) throw new IllegalArgumentException("some parameters appear in more than one parameter group");
                all.add(p);
                owners.add(g);
            }
        }
        this.params = List.copyOf(all);
        this.groups = List.copyOf(groups);
        this.groupOf = owners.toArray(ParamGroup[]::new);
    }

    /** The parameter groups, PyTorch's {@code optimizer.param_groups}. */
    public List<ParamGroup> paramGroups() { return groups; }

    /** The group parameter {@code i} (of {@link #parameters()}) belongs to. */
    protected final ParamGroup groupOf(int i) { return groupOf[i]; }

    /** The first group's learning rate (every group's, unless they were given their own). */
    public double lr() { return groups.get(0).lr(); }

    /** Sets the learning rate of every group. */
    public void setLr(double lr) {
        for (ParamGroup g : groups) g.setLr(lr);
    }

    /**
     * Zeroes every gradient in place (torch 1.13's default, {@code set_to_none=False}); the buffers are
     * kept, so the next backward accumulates into the same memory. See {@link #zeroGradToNone()}.
     */
    public void zeroGrad() {
        try (var off = Grad.disabled()) {
            for (Tensor p : params) if (p.grad() != null) p.grad().zeroInPlace();
        }
    }

    /** Drops the gradients (torch 2.x's default): the next backward allocates them anew. */
    public void zeroGradToNone() {
        for (Tensor p : params) p.setGrad(null);
    }

    public final void step() {
        try (var off = Grad.disabled()) {
            update();
        }
    }

    protected abstract void update();

    public List<Tensor> parameters() { return params; }

    /**
     * Per-parameter state arrays by name (PyTorch's names: "momentum_buffer", "exp_avg", ...); an entry
     * is null until the first step that needs it. The arrays are live: loading writes into them.
     */
    protected abstract Map<String, Tensor[]> slots();

    /** Steps taken so far, where the update depends on it (Adam's bias correction); 0 otherwise. */
    protected long stepCount() { return 0; }

    protected void setStepCount(long steps) {}

    /**
     * The optimizer's state as flat named tensors: "state.{param index}.{slot}" and, where it matters,
     * "step". The tensors share memory with the optimizer; save them with {@code SafeTensors}.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        slots().forEach((name, arr) -> {
            for (int i = 0; i < arr.length; i++) if (arr[i] != null) out.put("state." + i + "." + name, arr[i].detach());
        });
        if (stepCount() > 0) out.put("step", Tensor.scalar(DType.I64, stepCount()));
        return out;
    }

    /** Restores {@link #stateDict()}; every key, shape and dtype is checked before anything is copied. */
    public final void loadStateDict(Map<String, Tensor> state) {
        Map<String, Tensor[]> slots = slots();
        List<String> errors = new ArrayList<>();
        record Entry(Tensor[] slot, int index, Tensor value) {}
        List<Entry> entries = new ArrayList<>();
        long steps = 0;
        for (var e : state.entrySet()) {
            String key = e.getKey();
            Tensor t = e.getValue();
            if (key.equals("step")) {
                if (t.numel() != 1) errors.add("step must be a scalar, got shape " + Shape.str(t.shape()));
                else steps = (long) t.item();
                continue;
            }
            String[] parts = key.split("\\.");
            Tensor[] slot = parts.length == 3 && parts[0].equals("state") ? slots.get(parts[2]) : null;
            int index = slot == null ? -1 : parseIndex(parts[1]);
            if (slot == null || index < 0 || index >= params.size()) {
                errors.add("unexpected key \"" + key + "\" for " + getClass().getSimpleName() + " over " + params.size() + " parameters (slots " + slots.keySet() + ")");
                continue;
            }
            Tensor p = params.get(index);
            if (!Arrays.equals(t.shape(), p.shape()) || t.dtype() != p.dtype()) {
                errors.add("state for parameter " + index + " (" + key + ") has shape " + Shape.str(t.shape()) + " " + t.dtype().pytorchName()
                        + ", the parameter " + Shape.str(p.shape()) + " " + p.dtype().pytorchName());
                continue;
            }
            entries.add(new Entry(slot, index, t));
        }
        if (!errors.isEmpty()) throw new IllegalArgumentException("Error(s) in loading optimizer state for " + getClass().getSimpleName() + ":\n\t" + String.join("\n\t", errors));
        try (var off = Grad.disabled()) {
            for (Entry e : entries) {
                Tensor p = params.get(e.index());
                if (e.slot()[e.index()] == null) e.slot()[e.index()] = Tensor.zerosWithLifetimeOf(p);
                e.slot()[e.index()].copyFrom(e.value());
            }
        }
        setStepCount(steps);
    }

    private static int parseIndex(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
