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

    @Override
    public Tensor forward(Tensor x) {
        for (Module m : layers) x = m.forward(x);
        return x;
    }
}
