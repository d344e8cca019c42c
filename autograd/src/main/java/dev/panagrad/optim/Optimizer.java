package dev.panagrad.optim;

import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import java.util.List;

/** Updates parameters from their gradients. {@link #step()} runs without recording a graph. */
public abstract class Optimizer {
    protected final List<Tensor> params;

    protected Optimizer(List<Tensor> params) {
        for (Tensor p : params) {
            if (!p.isLeaf() || !p.requiresGrad()) throw new IllegalArgumentException("optimizer: can't optimize a non-leaf Tensor or one that does not require grad: " + p);
        }
        this.params = List.copyOf(params);
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
}
