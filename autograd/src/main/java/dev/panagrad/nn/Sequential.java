package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** Runs its layers in order; they are named "0", "1", ... as in PyTorch. */
public final class Sequential extends Module {
    private final Module[] layers;

    public Sequential(Module... layers) {
        if (layers.length == 0) throw new IllegalArgumentException("Sequential needs at least one layer");
        this.layers = layers.clone();
        for (int i = 0; i < layers.length; i++) registerModule(Integer.toString(i), layers[i]);
    }

    public Module get(int i) { return layers[i]; }

    public int size() { return layers.length; }

    /**
     * Runs the layers; each hidden activation is handed to the graph ({@link Tensor#dropWhenUnused}) once
     * the next layer has consumed it, so backward returns it to the pool after its last use. The input
     * (and any view of it a layer returns) and the output stay the caller's.
     */
    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (int i = 0; i < layers.length; i++) {
            Module m = layers[i];
            Tensor next;
            if (m instanceof Linear linear && i + 1 < layers.length && layers[i + 1] instanceof ReLU && !linear.hasHooks() && !layers[i + 1].hasHooks()) {
                next = linear.forwardRelu(x);   // bias and relu fused into the GEMM's output pass
                i++;
            } else {
                next = m.call(x);   // forward with the layer's hooks
            }
            // storages, not tensor objects: a layer may return a view (of its input, so maybe of the caller's)
            if (x.storage() != input.storage() && next.storage() != x.storage()) x.dropWhenUnused();
            x = next;
        }
        return x;
    }
}
