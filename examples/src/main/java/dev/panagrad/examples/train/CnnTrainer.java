package dev.panagrad.examples.train;

import dev.panagrad.Generator;
import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.BatchNorm2d;
import dev.panagrad.nn.Conv2d;
import dev.panagrad.nn.CrossEntropyLoss;
import dev.panagrad.nn.Dropout;
import dev.panagrad.nn.Flatten;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.MaxPool2d;
import dev.panagrad.nn.ReLU;
import dev.panagrad.nn.Sequential;
import dev.panagrad.optim.Adam;
import java.util.Locale;

/**
 * {@code --model cnn}: a small convolutional network for single-channel square images (Fashion-MNIST's
 * 28×28), trained with Adam:
 * <pre>
 *   conv 3×3 → 32, BatchNorm, ReLU, max-pool 2   [N, 32, 14, 14]
 *   conv 3×3 → 64, BatchNorm, ReLU, max-pool 2   [N, 64, 7, 7]
 *   flatten, dropout 0.25, linear → 128, ReLU, linear → classes
 * </pre>
 * The learning rate decays along a cosine from --lr to 0 over the run's steps.
 * Samples come as rows of H·W pixels and are viewed as [N, 1, H, W]. Training runs the model in
 * training mode (batch statistics, dropout), evaluation in eval mode (running statistics, no dropout).
 */
public final class CnnTrainer implements TrainingJob {
    /** The defaults of --model cnn where the options were not given. */
    public static final int BATCH = 128, EPOCHS = 10;
    public static final double LR = 1e-3;

    private final int side, classes;
    private final double lr;
    private final Sequential model;
    private final Adam optimizer;
    private final CrossEntropyLoss criterion = new CrossEntropyLoss();

    /** For samples of {@code features} = side² pixels. */
    public CnnTrainer(int features, int classes, double lr, long seed) {
        int s = (int) Math.round(Math.sqrt(features));
        if (s * s != features || s < 4) {
            throw new IllegalArgumentException("--model cnn takes square single-channel images (H·W pixels per row, at least 4x4), but the data has "
                    + features + " features per row");
        }
        this.side = s;
        this.classes = classes;
        Generator g = new Generator(seed);
        int pooled = s / 2 / 2;
        this.model = new Sequential(
                new Conv2d(1, 32, 3, 1, g), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, 1, g), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Dropout(0.25, g),
                new Linear(64 * pooled * pooled, 128, true, DType.F32, g), new ReLU(), new Linear(128, classes, true, DType.F32, g));
        this.lr = lr;
        this.optimizer = new Adam(model.parameters(), lr);
    }

    /** Cosine decay of the learning rate from lr to 0 over the run: {@code lr·(1 + cos(π·step/total))/2}. */
    @Override
    public void schedule(long step, long total) {
        optimizer.setLr(lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(step, total) / Math.max(1, total))));
    }

    @Override
    public Sequential model() { return model; }

    @Override
    public Adam optimizer() { return optimizer; }

    @Override
    public String architecture() { return "cnn 1x" + side + "x" + side + "-c32-c64-128-" + classes; }

    @Override
    public String summary(TrainOptions opt, int micro, int blasThreads) {
        return "CNN conv32-BN-ReLU-pool, conv64-BN-ReLU-pool, dropout 0.25, linear 128, linear " + classes + "; "
                + String.format(Locale.ROOT, "%,d", model.parameterCount()) + " parameters, Adam batch " + opt.batch()
                + (micro != opt.batch() ? " (" + MicroBatchPlanner.split(opt.batch(), micro) + ")" : "")
                + ", lr " + opt.lr() + " (cosine decay), seed " + opt.seed() + ", OpenBLAS " + blasThreads + (blasThreads == 1 ? " thread" : " threads") + " (convolutions: samples split across " + Runtime.getRuntime().availableProcessors() + " cores)";
    }

    private Tensor images(Tensor rows) { return rows.view(rows.size(0), 1, side, side); }

    @Override
    public Trainer.StepResult step(Tensor features, Tensor labels, long[] rows, int from, int batch, int microBatch) {
        model.train();
        model.zeroGrad();
        double loss = 0;
        long correct = 0;
        for (int s = from, end = from + batch; s < end; s += microBatch) {
            int size = Math.min(microBatch, end - s);
            double scale = (double) size / batch;
            try (var micro = MemoryScope.open("micro-batch")) {
                Tensor idx = Tensor.fromArrayRange(rows, s, s + size);
                Tensor x = images(features.indexSelect(0, idx));
                Tensor y = labels.indexSelect(0, idx);
                Tensor logits = model.forward(x);
                Tensor l = criterion.forward(logits, y);
                if (scale != 1) l = l.mul(scale);
                try (var off = Grad.disabled()) {
                    correct += (long) logits.argmax(1).eq(y).sum().item();
                }
                loss += l.item();
                l.backward();
            }
        }
        try (var update = MemoryScope.open("optimizer-step")) {
            optimizer.step();
        }
        return new Trainer.StepResult(loss, correct);
    }

    @Override
    public Trainer.StepResult evaluate(Tensor features, Tensor labels, int batch) {
        double loss = 0;
        long correct = 0;
        int n = features.size(0);
        model.eval();
        try (var off = Grad.disabled()) {
            for (int s = 0; s < n; s += batch) {
                int e = Math.min(n, s + batch);
                try (var scope = MemoryScope.open("evaluate")) {
                    Tensor y = labels.slice(0, s, e);
                    Tensor logits = model.forward(images(features.slice(0, s, e).contiguous()));
                    loss += criterion.forward(logits, y).item() * (e - s);
                    correct += (long) logits.argmax(1).eq(y).sum().item();
                }
            }
        } finally {
            model.train();
        }
        return new Trainer.StepResult(loss / n, correct);
    }
}
