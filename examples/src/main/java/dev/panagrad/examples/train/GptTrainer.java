package dev.panagrad.examples.train;

import dev.panagrad.Grad;
import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.ClipGrad;
import dev.panagrad.nn.Functional;
import dev.panagrad.nn.Reduction;
import dev.panagrad.optim.Adam;
import dev.panagrad.optim.AdamW;
import dev.panagrad.optim.CosineAnnealingLR;
import dev.panagrad.optim.LRScheduler;
import dev.panagrad.optim.LinearLR;
import dev.panagrad.optim.ParamGroup;
import dev.panagrad.optim.SequentialLR;
import java.util.List;
import java.util.Random;

/**
 * The character-level GPT's training step, evaluation and sampling: AdamW over two parameter groups
 * (weight decay on matrices and embeddings only), a linear warm-up then cosine decay to a tenth of the
 * peak rate, and the gradients' total norm clipped before each update. Each step runs in a
 * {@link MemoryScope} of its own, so after the first its tensors come from the pool's free lists.
 */
public final class GptTrainer {
    private final GptModel model;
    private final Adam optimizer;
    private final LRScheduler schedule;
    private final double clip;
    private final int context;

    public GptTrainer(int vocab, int width, int layers, int heads, int context, double lr, double weightDecay, int warmup, int totalSteps,
                      double clip, long seed) {
        this.model = new GptModel(vocab, width, layers, heads, context, new Generator(seed));
        this.context = context;
        this.optimizer = AdamW.builderOfGroups(ParamGroup.decayAndNoDecay(model.namedParameters(), weightDecay)).lr(lr).betas(0.9, 0.95).build();
        int decay = Math.max(1, totalSteps - warmup);
        LRScheduler cosine = new CosineAnnealingLR(optimizer, decay, lr / 10);
        this.schedule = warmup == 0 ? cosine
                : new SequentialLR(optimizer, List.of(new LinearLR(optimizer, 1.0 / warmup, 1.0, warmup), cosine), List.of(warmup));
        this.clip = clip;
    }

    public GptModel model() { return model; }

    public Adam optimizer() { return optimizer; }

    public double lr() { return optimizer.lr(); }

    /** One optimizer step on the windows of {@code text} starting at {@code starts} (context + 1 characters each); returns the loss. */
    public double step(long[] text, int[] starts) {
        int b = starts.length;
        try (var scope = MemoryScope.open("gpt step")) {
            optimizer.zeroGrad();
            Tensor[] xy = windows(text, starts, context);
            Tensor logits = model.forward(xy[0]);
            Tensor loss = Functional.crossEntropy(logits.view(b * context, -1), xy[1].view(b * context));
            logits.dropWhenUnused();
            loss.backward();
            double value = loss.item();
            if (clip > 0) ClipGrad.clipGradNorm(model.parameters(), clip);
            optimizer.step();
            schedule.step();
            return value;
        }
    }

    /** Inputs [b, t] and next-character targets [b, t] for windows of t + 1 characters. */
    static Tensor[] windows(long[] text, int[] starts, int t) {
        long[] x = new long[starts.length * t], y = new long[starts.length * t];
        for (int i = 0; i < starts.length; i++) {
            System.arraycopy(text, starts[i], x, i * t, t);
            System.arraycopy(text, starts[i] + 1, y, i * t, t);
        }
        return new Tensor[] {Tensor.fromArray(x, starts.length, t), Tensor.fromArray(y, starts.length, t)};
    }

    /** {@code batch} window starts drawn uniformly from [0, trainLength − context − 1]. */
    int[] randomStarts(Random random, int batch, int trainLength) {
        int[] s = new int[batch];
        for (int i = 0; i < batch; i++) s[i] = random.nextInt(trainLength - context);
        return s;
    }

    /**
     * The mean cross-entropy (nats per character) of predicting every character of text[from, to) from
     * the characters before it (at most the context, starting at text[from − 1]): windows of the context,
     * without a graph.
     */
    public double evaluate(long[] text, int from, int to, int batch) {
        double sum = 0;
        long count = 0;
        try (var off = Grad.disabled(); var scope = MemoryScope.open("gpt evaluate")) {
            int start = Math.max(0, from - 1);
            int full = (to - 1 - start) / context;
            for (int w = 0; w < full; w += batch) {
                int n = Math.min(batch, full - w);
                int[] starts = new int[n];
                for (int i = 0; i < n; i++) starts[i] = start + (w + i) * context;
                sum += nll(text, starts, context);
                count += (long) n * context;
            }
            int tail = to - 1 - (start + full * context);
            if (tail > 0) {
                sum += nll(text, new int[] {start + full * context}, tail);
                count += tail;
            }
        }
        return sum / count;
    }

    private double nll(long[] text, int[] starts, int t) {
        try (var scope = MemoryScope.open("window")) {
            Tensor[] xy = windows(text, starts, t);
            Tensor logits = model.forward(xy[0]);
            return Functional.crossEntropy(logits.view(starts.length * t, -1), xy[1].view(starts.length * t), Reduction.SUM).item();
        }
    }

    /** {@code n} characters sampled after {@code prompt}, at {@code temperature}, with {@code random} (same seed, same text). */
    public long[] generate(long[] prompt, int n, double temperature, Random random) {
        long[] seq = java.util.Arrays.copyOf(prompt, prompt.length + n);
        try (var off = Grad.disabled()) {
            for (int k = prompt.length; k < seq.length; k++) {
                try (var scope = MemoryScope.open("sample")) {
                    int from = Math.max(0, k - context);
                    Tensor x = Tensor.fromArray(java.util.Arrays.copyOfRange(seq, from, k), 1, k - from);
                    Tensor last = model.forward(x).select(0, 0).select(0, k - from - 1).div(temperature).softmax(0);
                    double[] p = last.toDoubleArray();
                    double u = random.nextDouble(), acc = 0;
                    int pick = p.length - 1;
                    for (int i = 0; i < p.length; i++) {
                        acc += p[i];
                        if (u < acc) {
                            pick = i;
                            break;
                        }
                    }
                    seq[k] = pick;
                }
            }
        }
        return java.util.Arrays.copyOfRange(seq, prompt.length, seq.length);
    }
}
