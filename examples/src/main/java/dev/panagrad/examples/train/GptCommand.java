package dev.panagrad.examples.train;

import dev.panagrad.blas.OpenBlas;
import dev.panagrad.examples.output.Charts;
import dev.panagrad.examples.output.Py;
import dev.panagrad.io.AtomicFiles;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.MemoryStats;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * {@code ./panagrad train --model gpt}: a character-level GPT on the autograd tutorial (or --text FILE).
 * Per epoch one line (train loss, validation loss, tokens/s, peak native memory); at the end the chart,
 * a generated sample, the unigram baseline and {@code validation loss X.XXXX} on a line of its own.
 * Exit status 0, 2 on bad input (nothing is written then).
 */
public final class GptCommand {
    private final GptOptions opt;
    private final PrintStream out, err;
    private final boolean progressBar;

    private GptCommand(GptOptions opt, PrintStream out, PrintStream err, boolean progressBar) {
        this.opt = opt;
        this.out = out;
        this.err = err;
        this.progressBar = progressBar;
    }

    public static int main(String[] args, PrintStream out, PrintStream err, boolean errIsTerminal) {
        GptOptions opt;
        try {
            opt = GptOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("train: " + e.getMessage());
            return 2;
        }
        if (opt == null) {
            out.print(GptOptions.help());
            return 0;
        }
        try {
            return new GptCommand(opt, out, err, errIsTerminal && !opt.noProgress).run();
        } catch (IllegalArgumentException | IOException e) {
            err.println("train: " + e.getMessage());
            return 2;
        }
    }

    private int run() throws IOException {
        CharText text = opt.text == null ? CharText.tutorial(0.1) : CharText.file(opt.text, 0.1);
        if (opt.plot != null) {
            try {
                AtomicFiles.checkWritable(opt.plot);
            } catch (IOException e) {
                throw new IllegalArgumentException("--plot: " + e.getMessage());
            }
        }
        if (text.trainLength() < opt.context + 2 || text.length() - text.trainLength() < 2) {
            throw new IllegalArgumentException(text.source() + ": " + text.length() + " characters is too short for --context " + opt.context
                    + " (training needs at least " + (opt.context + 2) + " characters in the first 90% of the text, and the last 10% at least 2)");
        }
        OpenBlas.get().setThreadCount(opt.threads);
        BufferPool pool = new BufferPool("gpt");
        try (var training = MemoryScope.open("training", pool)) {
            return train(text, pool);
        }
    }

    private int train(CharText text, BufferPool pool) throws IOException {
        int total = opt.totalSteps();
        GptTrainer t = new GptTrainer(text.vocabSize(), opt.width, opt.layers, opt.heads, opt.context, opt.lr, opt.weightDecay,
                Math.min(opt.warmup, total), total, opt.clip, opt.seed);
        t.model().setCheckpointActivations(opt.checkpointActivations);
        long[] ids = text.ids();
        int trainLength = text.trainLength();
        double baseline = text.unigramBaseline();
        out.println("model   GPT, " + t.model().architecture() + ", " + String.format(Locale.ROOT, "%,d", t.model().parameterCount()) + " parameters; AdamW lr "
                + Py.repr(opt.lr) + " (warm-up " + Math.min(opt.warmup, total) + " steps, cosine to " + Py.repr(Double.parseDouble(String.format(Locale.ROOT, "%.3g", opt.lr / 10))) + "), weight decay " + Py.repr(opt.weightDecay)
                + ", clip " + Py.repr(opt.clip) + ", batch " + opt.batch + " x " + opt.context + ", seed " + opt.seed + (opt.checkpointActivations ? ", activations checkpointed" : "") + ", OpenBLAS " + OpenBlas.get().threadCount() + " threads");
        out.println("data    " + text.source() + ": " + String.format(Locale.ROOT, "%,d", text.length()) + " characters, vocabulary " + text.vocabSize()
                + "; the first " + String.format(Locale.ROOT, "%,d", trainLength) + " train, the last " + String.format(Locale.ROOT, "%,d", text.length() - trainLength) + " are held out");
        Random batches = new Random(opt.seed);
        List<Double> stepX = new ArrayList<>(), stepLoss = new ArrayList<>(), epochX = new ArrayList<>(), valLoss = new ArrayList<>();
        double val = Double.NaN;
        for (int epoch = 1; epoch <= opt.epochs; epoch++) {
            pool.resetPeak();
            double sum = 0;
            long t0 = System.nanoTime();
            try (ProgressBar bar = progressBar("epoch " + epoch + "/" + opt.epochs, opt.stepsPerEpoch)) {
                for (int i = 0; i < opt.stepsPerEpoch; i++) {
                    double loss = t.step(ids, t.randomStarts(batches, opt.batch, trainLength));
                    if (!Double.isFinite(loss)) throw new IllegalArgumentException("the loss became " + loss + " in epoch " + epoch + "; lower --lr (now " + opt.lr + ")");
                    sum += loss;
                    stepX.add(epoch - 1 + (i + 1.0) / opt.stepsPerEpoch);
                    stepLoss.add(loss);
                    if (bar != null) {
                        bar.step();
                        bar.setExtraMessage(" loss " + Py.fixed(loss, 4));
                    }
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            val = t.evaluate(ids, trainLength, ids.length, opt.batch);
            epochX.add((double) epoch);
            valLoss.add(val);
            long tokens = (long) opt.stepsPerEpoch * opt.batch * opt.context;
            out.println(String.format(Locale.ROOT, "epoch %d/%d  train loss %.4f  val loss %.4f  %,.0f tokens/s  peak native %s", epoch, opt.epochs,
                    sum / opt.stepsPerEpoch, val, tokens / seconds, MemoryStats.formatBytes(pool.stats().peakBytesInUse())));
        }
        if (opt.plot != null) {
            Charts.Series train = new Charts.Series("training loss (per step)", array(stepX), array(stepLoss)).drawn(TrainingChart.LOSS, false);
            Charts.Series held = new Charts.Series("validation loss (per epoch)", array(epochX), array(valLoss)).drawn(TrainingChart.HELD_OUT_LOSS, true);
            Charts.Series uni = new Charts.Series("unigram baseline", new double[] {0, opt.epochs}, new double[] {baseline, baseline}).drawn(new Color(150, 150, 150), false);
            Charts.png(opt.plot, new Charts.Figure("Character-level GPT, " + t.model().architecture(), Charts.Axis.fixed("epoch", 0, opt.epochs, null),
                    Charts.Axis.fitted("loss (nats per character)", null, train, held, uni), null));
            out.println("plot written to " + opt.plot.toAbsolutePath());
        }
        if (opt.sample > 0) {
            long[] prompt = {ids[trainLength]};
            long[] gen = t.generate(prompt, opt.sample, opt.temperature, new Random(opt.seed));
            out.println("sample (temperature " + Py.repr(opt.temperature) + ", seed " + opt.seed + "):");
            out.println(text.decode(prompt) + text.decode(gen));
        }
        out.println(String.format(Locale.ROOT, "unigram baseline %.4f", baseline));
        out.println(String.format(Locale.ROOT, "validation loss %.4f", val));
        return 0;
    }

    private static double[] array(List<Double> v) { return v.stream().mapToDouble(Double::doubleValue).toArray(); }

    private ProgressBar progressBar(String task, int steps) {
        if (!progressBar) return null;
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(steps).setUpdateIntervalMillis(250).continuousUpdate()
                .setConsumer(new ConsoleProgressBarConsumer(err)).setUnit(" steps", 1).build();
    }
}
