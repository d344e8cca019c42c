package dev.panagrad.io;

import dev.panagrad.Tensor;
import dev.panagrad.nn.Module;
import dev.panagrad.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training checkpoint in one safetensors file: the module's state dict under its own names (so
 * {@code safetensors.torch.load_file} gives PyTorch a state dict for the same model), the optimizer's
 * state under "optimizer.", and string metadata (epoch, step, seed, the model's description).
 */
public final class Checkpoint {
    static final String OPTIMIZER_PREFIX = "optimizer.";

    private Checkpoint() {}

    public static void save(Path file, Module model, Optimizer optimizer, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>(model.stateDict());
        if (optimizer != null) optimizer.stateDict().forEach((k, v) -> all.put(OPTIMIZER_PREFIX + k, v));
        SafeTensors.save(file, all, metadata);
    }

    /**
     * Loads {@code file} into {@code model} (and {@code optimizer}, if not null), strictly: a checkpoint
     * of a different model fails with the list of differences and changes nothing in the model. The
     * model and the optimizer are each loaded all-or-nothing, the model first.
     *
     * @return the file's metadata
     */
    public static Map<String, String> load(Path file, Module model, Optimizer optimizer) throws IOException {
        SafeTensors.Contents c = SafeTensors.load(file);
        Map<String, Tensor> modelState = new LinkedHashMap<>(), optState = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> {
            if (k.startsWith(OPTIMIZER_PREFIX)) optState.put(k.substring(OPTIMIZER_PREFIX.length()), v);
            else modelState.put(k, v);
        });
        try {
            model.loadStateDict(modelState);
            if (optimizer != null) optimizer.loadStateDict(optState);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint " + file + " does not fit this model: " + e.getMessage(), e);
        }
        return c.metadata();
    }
}
