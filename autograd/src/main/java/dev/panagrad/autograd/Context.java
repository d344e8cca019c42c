package dev.panagrad.autograd;

import dev.panagrad.Tensor;
import dev.panagrad.graph.Node;
import java.util.HashMap;
import java.util.Map;

/** PyTorch's {@code ctx} for a custom {@link Function}: saved tensors (version-checked) and any other state. */
public final class Context {
    private Tensor[] toSave = new Tensor[0];
    private Node<Tensor> node;
    private boolean[] needsInputGrad;
    private final Map<String, Object> state = new HashMap<>();

    Context(boolean[] needsInputGrad) {
        this.needsInputGrad = needsInputGrad;
    }

    /** Saves tensors for backward; call from forward. Later in-place changes to them make backward fail. */
    public void saveForBackward(Tensor... tensors) {
        if (node != null) throw new IllegalStateException("saveForBackward must be called in forward");
        toSave = tensors.clone();
    }

    Tensor[] toSave() { return toSave; }

    void bind(Node<Tensor> node) { this.node = node; }

    /** The tensors saved in forward; throws if one was changed in place since, or if they were freed. */
    public Tensor[] savedTensors() {
        if (node == null) return toSave.clone();
        Tensor[] out = new Tensor[node.savedCount()];
        for (int i = 0; i < out.length; i++) out[i] = node.saved(i);
        return out;
    }

    /** Whether input {@code i} of forward needs a gradient. */
    public boolean needsInputGrad(int i) {
        return needsInputGrad[i];
    }

    public void put(String key, Object value) { state.put(key, value); }

    @SuppressWarnings("unchecked")
    public <T> T get(String key) { return (T) state.get(key); }
}
