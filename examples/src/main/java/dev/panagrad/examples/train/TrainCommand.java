package dev.panagrad.examples.train;

import dev.panagrad.Generator;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.examples.output.Charts;
import dev.panagrad.examples.output.Py;
import dev.panagrad.io.AtomicFiles;
import dev.panagrad.io.Checkpoint;
import dev.panagrad.io.FileErrors;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.MemoryBudgetExceededException;
import dev.panagrad.memory.MemoryReport;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.MemoryStats;
import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * {@code ./panagrad train}: the main job. Loads or makes the data, trains, reports per epoch, saves
 * checkpoints and a plot. Exit status 0 on success, 2 on bad input (options, data, checkpoint,
 * a memory budget too small), 1 on anything unexpected.
 */
public final class TrainCommand {
    private final TrainOptions opt;
    private final PrintStream out, err;
    private final boolean progressBar;

    private TrainCommand(TrainOptions opt, PrintStream out, PrintStream err, boolean progressBar) {
        this.opt = opt;
        this.out = out;
        this.err = err;
        this.progressBar = progressBar;
    }

    /** Runs the command; the progress bar goes to {@code err} only if that is this process's stderr and a terminal. */
    public static int main(String[] args, PrintStream out, PrintStream err) {
        return main(args, out, err, err == System.err && stderrIsTerminal());
    }

    /**
     * Runs the command with the progress bar on {@code err} if {@code errIsTerminal} (and not
     * {@code --no-progress}); otherwise the per-epoch lines are all it prints while training, so a
     * log gets no carriage returns or escape sequences.
     */
    public static int main(String[] args, PrintStream out, PrintStream err, boolean errIsTerminal) {
        TrainOptions opt;
        try {
            ModelChoice model = ModelChoice.of(args);   // --model gpt: its own job and options; mlp and cnn share these
            if (model.model().equals("gpt")) return GptCommand.main(model.rest(), out, err, errIsTerminal);
            opt = TrainOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("train: " + e.getMessage());
            return 2;
        }
        if (opt == null) {
            out.print(TrainOptions.help());
            return 0;
        }
        if (opt.spark() != null) {   // dev.panagrad.spark.SparkTrain runs it; this module does not depend on Spark
            err.println("train: --spark needs the panagrad-spark module; ./panagrad train --spark MASTER puts it on the classpath");
            return 2;
        }
        try {
            return new TrainCommand(opt, out, err, errIsTerminal && opt.progress()).run();
        } catch (Dataset.DataException | IllegalArgumentException | IOException e) {
            err.println("train: " + e.getMessage());
            return 2;
        } catch (MemoryBudgetExceededException e) {
            err.println("train: the memory budget is too small: " + e.getMessage());
            err.println("train: raise --memory-budget, or lower --micro-batch to keep fewer activations alive at once");
            return 2;
        }
    }

    private int run() throws IOException {
        checkFiles();
        if (opt.threads() > 0) OpenBlas.get().setThreadCount(opt.threads());
        BufferPool dataPool = new BufferPool("dataset");
        BufferPool pool = new BufferPool("training");
        if (opt.memoryBudget() > 0) pool.setBudgetBytes(opt.memoryBudget());
        try (var dataScope = MemoryScope.open("dataset", dataPool)) {
            DataSources.Loaded named = DataSources.load(opt);
            Dataset all = named == null ? load() : named.train();
            int n = all.size();
            // the synthetic rows are in random order already; a user's file may be sorted (by label, by date)
            Dataset.Split split = named != null && named.test() != null ? new Dataset.Split(java.util.stream.LongStream.range(0, n).toArray(), named.test())
                    : named == null ? all.splitTail(n - opt.samples()) : all.split(n >= 8 ? n / 8 : 0, opt.seed());
            Dataset held = split.heldOut().size() > 0 ? split.heldOut() : null;
            if (split.trainRows().length < opt.batch()) {
                throw new IllegalArgumentException("--batch " + opt.batch() + " is larger than the " + split.trainRows().length + " training samples");
            }
            String description = all.description() + ": " + split.trainRows().length + " training rows, "
                    + (held == null ? "none held out" : named != null && named.test() != null ? held.size() + " test rows (" + held.description() + ")"
                    : held.size() + " held out" + (opt.data() != null ? " (drawn at random, seed " + opt.seed() + ")" : ""));
            try (var training = MemoryScope.open("training", pool)) {
                return train(all, split.trainRows(), description, held, pool);
            }
        }
    }

    /**
     * Before any work: the input files exist and are files, and the outputs can be written (their
     * directory exists or can be made, takes new files, and the name is not a directory's).
     */
    private void checkFiles() throws IOException {
        for (Path input : new Path[] {opt.data(), opt.labels(), opt.testData(), opt.testLabels(), opt.resume()}) {
            if (input != null) FileErrors.checkReadable(input);
        }
        checkOutput("--checkpoint", opt.checkpoint());
        checkOutput("--plot", opt.plot());
    }

    private static void checkOutput(String option, Path file) {
        if (file == null) return;
        try {
            AtomicFiles.checkWritable(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }

    /** The built-in synthetic set (files and named data sets: {@link DataSources}). */
    private Dataset load() {
        return Dataset.synthetic(opt.samples() + opt.samples() / 8, 784, opt.classes(), opt.seed());
    }

    private int train(Dataset all, long[] trainRows, String description, Dataset held, BufferPool pool) throws IOException {
        TrainingJob t = opt.model().equals("cnn") ? new CnnTrainer(all.featureCount(), opt.classes(), opt.lr(), opt.seed())
                : new Trainer(opt.layerSizes(all.featureCount()), opt.lr(), opt.momentum(), opt.seed());
        if (opt.autocast()) {
            if (!(t instanceof Trainer mlp)) throw new IllegalArgumentException("--autocast bf16 is for --model mlp (the CNN's convolutions have no bfloat16 path yet)");
            try {
                mlp.autocast(true);
            } catch (IllegalStateException | dev.panagrad.blas.BlasUnavailableException e) {
                throw new IllegalArgumentException("--autocast bf16: " + e.getMessage());
            }
        }
        int stepsPerEpoch = trainRows.length / opt.batch();
        long maxSteps = opt.steps() > 0 ? opt.steps() : (long) opt.epochs() * stepsPerEpoch;
        int epochs = (int) ((maxSteps + stepsPerEpoch - 1) / stepsPerEpoch);
        int firstEpoch = 1;
        long step = 0;
        if (opt.resume() != null) {
            Map<String, String> meta = Checkpoint.load(opt.resume(), t.model(), t.optimizer());
            if (meta.containsKey("architecture") && !meta.get("architecture").equals(t.architecture())) {
                throw new IllegalArgumentException("checkpoint " + opt.resume() + " is of a " + meta.get("architecture") + " model, this one is " + t.architecture());
            }
            firstEpoch = (int) count(meta, "epoch", Integer.MAX_VALUE - 1) + 1;
            step = count(meta, "step", Long.MAX_VALUE);
            out.println("resumed from " + opt.resume() + " after epoch " + (firstEpoch - 1) + " (step " + step + ")");
            if (step >= maxSteps || firstEpoch > epochs) {
                out.println(finished(firstEpoch - 1, step, maxSteps, stepsPerEpoch));
                return 0;
            }
        }
        int micro = opt.microBatch();
        String memory = null;
        if (opt.memoryBudget() > 0) {
            try (var planner = new MicroBatchPlanner(((Trainer) t).layers(), opt.lr(), opt.momentum(), all.features(), all.labels(), trainRows, opt.batch(), opt.autocast())) {
                micro = fitBudget(planner);
                long peak = planner.peak(micro);
                memory = (opt.microBatchGiven() ? "micro-batch " + micro + " fits" : micro == opt.batch() ? "the whole batch fits"
                        : "micro-batch " + micro + ", the largest that fits")
                        + " --memory-budget " + MemoryStats.formatBytes(opt.memoryBudget()) + ": a step peaks at " + MemoryStats.formatBytes(peak)
                        + " (" + planner.measured() + ")";
            }
        }
        out.println("model   " + t.summary(opt, micro, OpenBlas.get().threadCount()) + (opt.autocast() ? ", " + dev.panagrad.blas.Dnnl.get() : ""));
        out.println("data    " + description);
        if (memory != null) out.println("memory  " + memory);

        TrainingChart chart = new TrainingChart(firstEpoch);
        double testAccuracy = Double.NaN;
        for (int epoch = firstEpoch; epoch <= epochs && step < maxSteps; epoch++) {
            long[] order = new Generator(opt.seed() * 1_000_003L + epoch).permutation(trainRows.length);
            for (int i = 0; i < order.length; i++) order[i] = trainRows[(int) order[i]];
            int steps = (int) Math.min(stepsPerEpoch, maxSteps - step);
            pool.resetPeak();
            double lossSum = 0;
            long correct = 0;
            long t0 = System.nanoTime();
            try (ProgressBar bar = progressBar("epoch " + epoch + "/" + epochs, steps)) {
                for (int i = 0; i < steps; i++) {
                    t.schedule(step, maxSteps);
                    Trainer.StepResult r = t.step(all.features(), all.labels(), order, i * opt.batch(), opt.batch(), micro);
                    if (!Double.isFinite(r.loss())) {
                        throw new IllegalArgumentException("the loss became " + r.loss() + " at step " + (step + 1) + "; lower --lr (now " + opt.lr() + ")");
                    }
                    lossSum += r.loss();
                    correct += r.correct();
                    step++;
                    chart.step(epoch - 1 + (i + 1.0) / stepsPerEpoch, r.loss());
                    if (bar != null) {
                        bar.step();
                        bar.setExtraMessage(" loss " + Py.fixed(r.loss(), 4));
                    }
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long samples = (long) steps * opt.batch();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d  loss %.4f  train acc %.2f%%", epoch, epochs,
                    lossSum / steps, 100.0 * correct / samples));
            if (held != null) {
                Trainer.StepResult ev = t.evaluate(held.features(), held.labels(), MicroBatchPlanner.evaluationRows(micro));
                double acc = 100.0 * ev.correct() / held.size();
                testAccuracy = acc;
                line.append(String.format(Locale.ROOT, "  test loss %.4f  test acc %.2f%%", ev.loss(), acc));
                chart.heldOut(epoch - 1 + (double) steps / stepsPerEpoch, ev.loss(), acc);
            }
            line.append(String.format(Locale.ROOT, "  %,.0f samples/s  peak native %s", samples / seconds, MemoryStats.formatBytes(pool.stats().peakBytesInUse())));
            out.println(line);
            if (opt.checkpoint() != null) {
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("format", "panagrad-train");
                meta.put("architecture", t.architecture());
                meta.put("epoch", Integer.toString(epoch));
                meta.put("step", Long.toString(step));
                meta.put("seed", Long.toString(opt.seed()));
                meta.put("data", description);
                Checkpoint.save(opt.checkpoint(), t.model(), t.optimizer(), meta);
                out.println("checkpoint written to " + opt.checkpoint());
            }
        }
        if (!Double.isNaN(testAccuracy)) out.println(String.format(Locale.ROOT, "test accuracy %.2f%%", testAccuracy));
        if (!chart.isEmpty() && opt.plot() != null) {
            Charts.png(opt.plot(), chart.figure("Training " + t.architecture()));
            out.println("plot written to " + opt.plot().toAbsolutePath());
        }
        if (opt.memoryReport()) out.print(MemoryReport.of(pool));
        return 0;
    }

    /**
     * The micro-batch to train with under --memory-budget: the one asked for if its measured step
     * fits, else the largest that fits; a budget that nothing fits, or that the micro-batch asked for
     * does not, is an error saying what would fit.
     */
    private int fitBudget(MicroBatchPlanner planner) {
        long budget = opt.memoryBudget();
        if (opt.microBatchGiven() && planner.peak(opt.microBatch()) <= budget) return opt.microBatch();
        String over = " over the budget of " + MemoryStats.formatBytes(budget) + " (" + planner.measured() + ")";
        MicroBatchPlanner.Plan largest = planner.largest(budget);
        if (largest.micro() == 0) {
            throw new IllegalArgumentException("the memory budget is too small: not even a micro-batch of 1 fits: its step peaks at "
                    + MemoryStats.formatBytes(largest.peakBytes()) + "," + over + "; raise --memory-budget to at least " + sizeAtLeast(largest.peakBytes()));
        }
        if (!opt.microBatchGiven()) return largest.micro();
        int divisor = planner.largestDivisor(budget);
        throw new IllegalArgumentException("the memory budget is too small for --micro-batch " + opt.microBatch() + ": its step peaks at "
                + MemoryStats.formatBytes(planner.peak(opt.microBatch())) + "," + over + "; --micro-batch " + divisor + " fits"
                + (largest.micro() > divisor ? " (without --micro-batch: " + largest.micro() + ", the largest that fits)" : ""));
    }

    /** A --memory-budget value of at least {@code bytes}, rounded up: "22.7M", "620.6K", "900". */
    static String sizeAtLeast(long bytes) {
        if (bytes < 1024) return Long.toString(bytes);
        String units = "KMGTPE";
        int u = Math.min(units.length() - 1, (63 - Long.numberOfLeadingZeros(bytes)) / 10 - 1);
        double tenths = Math.ceil(bytes * 10.0 / (1L << (10 * (u + 1))));
        return String.format(Locale.ROOT, "%.1f%c", tenths / 10, units.charAt(u));
    }

    /** What to say when a resumed checkpoint has already done all this run asks for. */
    private String finished(int epoch, long step, long maxSteps, int stepsPerEpoch) {
        String asked, more;
        if (opt.steps() > 0) {
            asked = maxSteps + " steps";
            more = "--steps " + (step + stepsPerEpoch);
        } else {
            asked = opt.epochs() + (opt.epochs() == 1 ? " epoch" : " epochs") + " (" + maxSteps + " steps)";
            more = "--epochs " + Math.max(epoch + 1, (step + stepsPerEpoch) / stepsPerEpoch);
        }
        return "nothing to train: " + opt.resume() + " has finished epoch " + epoch + " (step " + step + ") and this run asks for " + asked
                + "; to train further, ask for more, e.g. " + more;
    }

    /** A non-negative whole number from the checkpoint's metadata (0 when absent). */
    private long count(Map<String, String> meta, String key, long max) {
        String v = meta.getOrDefault(key, "0");
        try {
            long n = Long.parseLong(v);
            if (n >= 0 && n <= max) return n;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("checkpoint " + opt.resume() + ": its metadata " + key + " = '" + v + "' is not a count of " + key + "s");
    }

    /**
     * Whether file descriptor 2 is a terminal: on Linux, where /proc/self/fd/2 points (a pseudo-terminal
     * or a tty device); elsewhere, whether the JVM has an interactive console. A dumb terminal
     * ({@code TERM=dumb}) counts as none: it cannot redraw a line.
     */
    static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) return false;
        Path fd = Path.of("/proc/self/fd/2");
        try {
            String target = Files.readSymbolicLink(fd).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            Console console = System.console();
            return console != null && console.isTerminal();
        }
    }

    private ProgressBar progressBar(String task, int steps) {
        if (!progressBar) return null;
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(steps).setUpdateIntervalMillis(250).continuousUpdate()
                .setConsumer(new ConsoleProgressBarConsumer(err)).setUnit(" steps", 1).build();
    }
}
