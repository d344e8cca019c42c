package dev.panagrad.examples.train;

import dev.panagrad.Autocast;
import dev.panagrad.Generator;
import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.CrossEntropyLoss;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.Module;
import dev.panagrad.nn.ReLU;
import dev.panagrad.nn.Sequential;
import dev.panagrad.optim.SGD;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An MLP classifier and its SGD step, with gradient accumulation: a batch of B samples runs as
 * micro-batches of m (the last one smaller when m does not divide B), each in its own MemoryScope, so
 * only one micro-batch's activations are alive at a time; the loss of a micro-batch of k samples is
 * scaled by k/B, which makes the summed gradients those of the whole batch.
 */
public final class Trainer implements TrainingJob {
    private final int[] layers;
    private final Sequential model;
    private final SGD optimizer;
    private final CrossEntropyLoss criterion = new CrossEntropyLoss();
    private Runnable beforeUpdate = () -> { };
    private boolean autocast;

    /** Loss (mean over the batch) and number of correct predictions of one optimizer step. */
    public record StepResult(double loss, long correct) {}

    public Trainer(int[] layers, double lr, double momentum, long seed) {
        if (layers.length < 2) throw new IllegalArgumentException("an MLP needs at least an input and an output size, got " + Arrays.toString(layers));
        this.layers = layers.clone();
        Generator g = new Generator(seed);
        List<Module> modules = new ArrayList<>();
        for (int i = 0; i + 1 < layers.length; i++) {
            if (i > 0) modules.add(new ReLU());
            modules.add(new Linear(layers[i], layers[i + 1], true, DType.F32, g));
        }
        this.model = new Sequential(modules.toArray(Module[]::new));
        this.optimizer = new SGD(model.parameters(), lr, momentum, 0, 0, false);
    }

    public Sequential model() { return model; }

    /**
     * Runs {@code hook} in every {@link #step} after the gradients are complete and before the
     * optimizer reads them: data-parallel training sums the workers' gradients there.
     */
    public void beforeUpdate(Runnable hook) { this.beforeUpdate = hook; }

    /**
     * Runs the forward passes (and so the GEMMs of their backward) in bfloat16 autocast
     * ({@link Autocast#bf16()}) when true; parameters, gradients and momentum stay float32.
     *
     * @throws IllegalStateException or {@code BlasUnavailableException} (at once) if autocast cannot run here
     */
    public Trainer autocast(boolean on) {
        if (on) Autocast.bf16().close();   // fails now, with its reason, rather than at the first step
        this.autocast = on;
        return this;
    }

    public boolean autocast() { return autocast; }

    /** Opens the autocast scope when asked for, else nothing (null is a valid try-with-resources resource). */
    private Autocast amp() { return autocast ? Autocast.bf16() : null; }

    public SGD optimizer() { return optimizer; }

    @Override
    public String summary(TrainOptions opt, int micro, int blasThreads) {
        return architecture() + " MLP, " + String.format(java.util.Locale.ROOT, "%,d", model.parameterCount()) + " parameters, SGD " + opt.describe(micro)
                + ", OpenBLAS " + blasThreads + " threads";
    }

    /** The layer sizes, input first. */
    public int[] layers() { return layers.clone(); }

    /** "784-1024-1024-10". */
    public String architecture() {
        return String.join("-", Arrays.stream(layers).mapToObj(Integer::toString).toList());
    }

    /**
     * One optimizer step over the samples {@code rows[from, from + batch)} of {@code features} [N, D]
     * and {@code labels} [N] (int64 class indices), in micro-batches of {@code microBatch} (the last
     * one smaller if it does not divide the batch). Gradients are zeroed in place first, so after the
     * first step no gradient buffer is allocated again.
     */
    public StepResult step(Tensor features, Tensor labels, long[] rows, int from, int batch, int microBatch) {
        if (batch < 1 || microBatch < 1) throw new IllegalArgumentException("batch " + batch + " and micro-batch " + microBatch + " must be positive");
        model.zeroGrad();
        double loss = 0;
        long correct = 0;
        for (int s = from, end = from + batch; s < end; s += microBatch) {
            int size = Math.min(microBatch, end - s);
            double scale = (double) size / batch;
            try (var micro = MemoryScope.open("micro-batch")) {
                Tensor idx = Tensor.fromArrayRange(rows, s, s + size);
                Tensor x = features.indexSelect(0, idx);
                Tensor y = labels.indexSelect(0, idx);
                Tensor logits, l;
                try (var amp = amp()) {
                    logits = model.forward(x);
                    x.dropWhenUnused();   // the gathered rows: only the first layer's backward still reads them
                    l = criterion.forward(logits, y);
                }
                if (scale != 1) l = l.mul(scale);
                correct += (long) logits.argmax(1).eq(y).sum().item();
                loss += l.item();
                l.backward();
            }
        }
        beforeUpdate.run();
        try (var update = MemoryScope.open("optimizer-step")) {
            optimizer.step();
        }
        return new StepResult(loss, correct);
    }

    /** Mean loss and number correct over the samples, without a graph, {@code batch} rows at a time. */
    public StepResult evaluate(Tensor features, Tensor labels, int batch) {
        double loss = 0;
        long correct = 0;
        int n = features.size(0);
        try (var off = Grad.disabled()) {
            for (int s = 0; s < n; s += batch) {
                int e = Math.min(n, s + batch);
                try (var scope = MemoryScope.open("evaluate")) {
                    Tensor x = features.slice(0, s, e);
                    Tensor y = labels.slice(0, s, e);
                    Tensor logits;
                    try (var amp = amp()) {
                        logits = model.forward(x);
                        loss += criterion.forward(logits, y).item() * (e - s);
                    }
                    correct += (long) logits.argmax(1).eq(y).sum().item();
                }
            }
        }
        return new StepResult(loss / n, correct);
    }
}
