package dev.panagrad.examples.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code ./panagrad train} options, parsed by picocli (help, typed values, suggestions for misspelt
 * options). {@link #parse} rejects anything malformed with one line that names the option and the value.
 */
@Command(name = "./panagrad train", sortOptions = false, usageHelpWidth = 100,
        synopsisHeading = "usage: ", customSynopsis = "./panagrad train [options]",
        description = {"", "Trains an MLP (input-1024-1024-10, ReLU, cross-entropy, SGD with momentum) on the CPU.",
                "Without --data it uses a built-in deterministic synthetic set (784 features, 10 classes).",
                "--model cnn trains a convolutional network (see --model below); --model gpt trains a character-level GPT",
                "instead: see ./panagrad train --model gpt --help.", ""},
        footer = {"", "Relative paths are relative to the directory you run the command in. --checkpoint and",
                "--plot are checked before training: their directory is made if missing."})
public final class TrainOptions {
    @Option(names = "--batch", paramLabel = "N", converter = PositiveInt.class, order = 1,
            description = "samples per optimizer step (default 1024)")
    private int batch = 1024;

    @Option(names = "--micro-batch", paramLabel = "N", converter = PositiveInt.class, order = 2,
            description = "split each batch into micro-batches of N and accumulate gradients (N must divide the batch;"
                    + " default: the batch, or with --memory-budget the largest that fits, the batch split evenly)")
    private int microBatch;

    @Option(names = "--epochs", paramLabel = "N", converter = PositiveInt.class, order = 3,
            description = "passes over the training data (default 3)")
    private int epochs = 3;

    @Option(names = "--steps", paramLabel = "N", converter = PositiveInt.class, order = 4,
            description = "stop after N optimizer steps instead (overrides --epochs)")
    private int steps;

    @Option(names = "--lr", paramLabel = "X", converter = PositiveNumber.class, order = 5,
            description = "learning rate (default 0.05)")
    private double lr = 0.05;

    @Option(names = "--momentum", paramLabel = "X", converter = Fraction.class, order = 6,
            description = "SGD momentum (default 0.9)")
    private double momentum = 0.9;

    @Option(names = "--threads", paramLabel = "N", converter = PositiveInt.class, order = 7,
            description = "OpenBLAS threads (default: OpenBLAS's own choice)")
    private int threads;

    @Option(names = "--seed", paramLabel = "N", converter = WholeNumber.class, order = 8,
            description = "seed for the data, the initial weights and the shuffling (default 0)")
    private long seed;

    @Option(names = "--memory-budget", paramLabel = "S", converter = Bytes.class, order = 9,
            description = "the most native memory training may use (bytes, or with K/M/G suffix: 512M; the dataset is not"
                    + " counted); without --micro-batch, the largest micro-batch that fits is measured and used")
    private long memoryBudget;

    @Option(names = "--checkpoint", paramLabel = "FILE", order = 10,
            description = "save model and optimizer state (safetensors) after every epoch")
    private Path checkpoint;

    @Option(names = "--resume", paramLabel = "FILE", order = 11,
            description = "continue from a checkpoint written by --checkpoint")
    private Path resume;

    @Option(names = "--plot", paramLabel = "FILE", order = 12,
            description = "where the loss and accuracy chart goes (default out/train.png)")
    private Path plot = Path.of("out", "train.png");

    @Option(names = "--data", paramLabel = "FILE", order = 13,
            description = "a CSV file (one sample per row, numeric; see --label-column), or an IDX images file (MNIST"
                    + " format, may be gzipped) with --labels; 1/8 of the rows, drawn at random with --seed, are held out")
    private Path data;

    @Option(names = "--labels", paramLabel = "FILE", order = 14,
            description = "the IDX labels file that goes with --data")
    private Path labels;

    @Option(names = "--label-column", paramLabel = "N", converter = WholeInt.class, order = 15,
            description = "the CSV column that holds the label (default 0; -1 = last)")
    private int labelColumn;

    @Option(names = "--classes", paramLabel = "N", converter = PositiveInt.class, order = 16,
            description = "number of classes, at least 2 (default 10); a label outside [0, N) is an error")
    private int classes = 10;

    @Option(names = "--hidden", paramLabel = "A,B", converter = Sizes.Converter.class, order = 17,
            description = "hidden layer sizes (default 1024,1024)")
    private Sizes hidden = new Sizes(1024, 1024);

    @Option(names = "--samples", paramLabel = "N", converter = PositiveInt.class, order = 18,
            description = "synthetic training samples (default 32768; 1/8 more are held out)")
    private int samples = 32768;

    @Option(names = "--no-progress", order = 19,
            description = "no progress bar (there is none when stderr is not a terminal)")
    private boolean noProgress;

    @Option(names = "--memory-report", order = 20, description = "print the pool's memory report at the end")
    private boolean memoryReport;

    @Option(names = "--spark", paramLabel = "MASTER", order = 30,
            description = "train data-parallel on Apache Spark: local[2] on this machine, spark://host:7077 for a standalone"
                    + " cluster (the workers sum gradients every step; --batch is the global batch, split evenly between them)")
    private String spark;

    @Option(names = "--workers", paramLabel = "N", converter = PositiveInt.class, order = 31,
            description = "with --spark: the number of workers, each a replica of the model (default 2)")
    private int workers;

    @Option(names = "--checkpoint-every", paramLabel = "K", converter = PositiveInt.class, order = 32,
            description = "with --spark: --checkpoint is a directory all workers can read, and worker 0 writes a"
                    + " checkpoint there every K steps (default 100) and at the end; a rerun resumes from the newest")
    private int checkpointEvery;

    @Option(names = {"--precision", "--autocast"}, paramLabel = "bf16", converter = AutocastChoice.class, order = 20,
            description = "bf16: mixed precision, the GEMMs in bfloat16 on oneDNN with float32 master weights (default f32;"
                    + " --autocast is the same option)")
    private AutocastMode autocast = AutocastMode.OFF;

    /** --autocast's values. */
    enum AutocastMode { OFF, BF16 }


    @Option(names = "--model", paramLabel = "NAME", order = 22,
            description = "mlp (default: the MLP above, SGD) or cnn (two conv-BN-ReLU-pool blocks, dropout, two linear layers, Adam;"
                    + " its defaults: --batch 128 --lr 0.001 --epochs 10 --threads 1, its convolutions using every core)")
    private String model = "mlp";

    @Option(names = "--dataset", paramLabel = "NAME", order = 23,
            description = "a named data set: fashion-mnist (from Debian's dataset-fashion-mnist, or --data-dir); trains on its"
                    + " training files and reports accuracy on its official test files")
    private String dataset;

    @Option(names = "--data-dir", paramLabel = "DIR", order = 24, description = "where --dataset's files are (default /usr/share/datasets/fashion-mnist)")
    private Path dataDir;

    @Option(names = "--test-data", paramLabel = "FILE", order = 25,
            description = "the test split of --data (CSV, or IDX with --test-labels): evaluated instead of a held-out part of --data")
    private Path testData;

    @Option(names = "--test-labels", paramLabel = "FILE", order = 26, description = "the IDX labels file that goes with --test-data")
    private Path testLabels;


    @Option(names = {"-h", "--help"}, usageHelp = true, order = 40, description = "this text")
    private boolean help;

    /** The options given on the command line (their longest names). */
    private final java.util.Set<String> given = new java.util.HashSet<>();

    private TrainOptions() {}

    public static TrainOptions defaults() { return new TrainOptions(); }

    /** The help text, generated from the options above. */
    public static String help() {
        CommandLine cl = command(new TrainOptions());
        cl.setSeparator(" ");   // shown as "--batch N"; parsing takes "--batch N" and "--batch=N"
        return cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    /** Returns null when {@code args} asks for help. */
    public static TrainOptions parse(String[] args) {
        TrainOptions o = new TrainOptions();
        CommandLine cl = command(o);
        try {
            cl.parseArgs(args);
        } catch (ParameterException e) {
            throw new IllegalArgumentException(message(e));
        }
        if (cl.isUsageHelpRequested()) return null;
        for (OptionSpec spec : cl.getParseResult().matchedOptions()) o.given.add(spec.longestName());
        o.check();
        return o;
    }

    private static CommandLine command(TrainOptions o) {
        return new CommandLine(o).setOverwrittenOptionsAllowed(true)   // the last of a repeated option wins
                .setUnmatchedOptionsArePositionalParams(false);
    }

    /** Picocli's error, said the way the rest of the command says errors: the option first. */
    static String message(ParameterException e) {
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().getFirst();
            if (!u.isUnknownOption()) return "unexpected argument '" + arg + "' (options start with --; see --help)";
            List<String> near = u.getSuggestions();
            return "unknown option '" + arg.replaceFirst("=.*", "") + "'" + (near.isEmpty() ? "" : "; did you mean " + String.join(" or ", near) + "?")
                    + " (see --help)";
        }
        if (e instanceof MissingParameterException m && !m.getMissing().isEmpty() && m.getMissing().getFirst() instanceof OptionSpec opt) {
            return opt.longestName() + " needs a value";
        }
        if (e.getArgSpec() instanceof OptionSpec opt) {
            if (e.getCause() instanceof TypeConversionException t) return opt.longestName() + " " + t.getMessage();
            if (e.getMessage().startsWith("Expected parameter for option")) return opt.longestName() + " needs a value";
        }
        return e.getMessage();
    }

    /** What no single option can check. */
    private void check() {
        if (microBatch > batch || (microBatch > 0 && batch % microBatch != 0)) {
            throw new IllegalArgumentException("--micro-batch " + microBatch + " must divide --batch " + batch + " (e.g. --batch 4096 --micro-batch 1024)");
        }
        if (classes < 2) throw new IllegalArgumentException("--classes must be at least 2 (a classifier needs at least 2 classes), got '" + classes + "'");
        if (labels != null && data == null) throw new IllegalArgumentException("--labels needs --data (the IDX images file)");
        if (spark == null && workers > 0) throw new IllegalArgumentException("--workers needs --spark MASTER (e.g. --spark local[2])");
        if (spark == null && checkpointEvery > 0) throw new IllegalArgumentException("--checkpoint-every needs --spark (without it, --checkpoint is written after every epoch)");
        if (!model.equals("mlp") && !model.equals("cnn")) throw new IllegalArgumentException("--model must be mlp or cnn, got '" + model + "'");
        if (dataset != null && !java.util.List.of(DataSources.NAMES).contains(dataset)) {
            throw new IllegalArgumentException("--dataset must be one of " + String.join(", ", DataSources.NAMES) + ", got '" + dataset + "'");
        }
        if (dataset != null && (data != null || testData != null)) throw new IllegalArgumentException("--dataset brings its own files: give it without --data and --test-data");
        if (dataDir != null && dataset == null) throw new IllegalArgumentException("--data-dir needs --dataset (the data set whose files it holds)");
        if (testData != null && data == null) throw new IllegalArgumentException("--test-data needs --data (the training data it goes with)");
        if (testLabels != null && testData == null) throw new IllegalArgumentException("--test-labels needs --test-data (the IDX images file)");
        if (testData != null && (labels == null) != (testLabels == null)) {
            throw new IllegalArgumentException("--data and --test-data must be of one kind: both IDX images with --labels and --test-labels, or both CSV");
        }
        if (model.equals("cnn")) {   // the CNN's own defaults, where the options were not given
            if (!given.contains("--batch")) batch = CnnTrainer.BATCH;
            if (!given.contains("--lr")) lr = CnnTrainer.LR;
            if (!given.contains("--epochs")) epochs = CnnTrainer.EPOCHS;
            // the convolutions split their samples across the cores themselves, each GEMM on one thread: OpenBLAS
            // threading on top would only spin (and switch its thread count with timing, changing the rounding)
            if (!given.contains("--threads")) threads = 1;
            if (microBatch > batch || (microBatch > 0 && batch % microBatch != 0)) {
                throw new IllegalArgumentException("--micro-batch " + microBatch + " must divide --batch " + batch);
            }
            if (memoryBudget > 0) throw new IllegalArgumentException("--memory-budget is measured for --model mlp only; give --micro-batch to bound --model cnn's memory");
        }
    }

    public int batch() { return batch; }

    /** The micro-batch asked for with --micro-batch, else the batch. */
    public int microBatch() { return microBatch > 0 ? microBatch : batch; }

    /** Whether --micro-batch was given (without it and with --memory-budget, the command picks one). */
    public boolean microBatchGiven() { return microBatch > 0; }

    public int epochs() { return epochs; }

    public long steps() { return steps; }

    public double lr() { return lr; }

    public double momentum() { return momentum; }

    public int threads() { return threads; }

    public long seed() { return seed; }

    public long memoryBudget() { return memoryBudget; }

    public Path checkpoint() { return checkpoint; }

    public Path resume() { return resume; }

    public Path plot() { return plot; }

    public Path data() { return data; }

    public Path labels() { return labels; }

    public int labelColumn() { return labelColumn; }

    public int classes() { return classes; }

    public int[] hidden() { return hidden.sizes().clone(); }

    public int samples() { return samples; }

    public boolean progress() { return !noProgress; }

    public boolean memoryReport() { return memoryReport; }

    /** The Spark master of --spark, or null: train in this process. */
    public String spark() { return spark; }

    /** --workers, 2 if not given. */
    public int workers() { return workers > 0 ? workers : 2; }

    /** --checkpoint-every, 100 if not given. */
    public int checkpointEvery() { return checkpointEvery > 0 ? checkpointEvery : 100; }

    /** Whether --autocast bf16 was given. */
    public boolean autocast() { return autocast == AutocastMode.BF16; }
    /** "mlp" or "cnn". */
    public String model() { return model; }

    public String dataset() { return dataset; }

    public Path dataDir() { return dataDir; }

    public Path testData() { return testData; }

    public Path testLabels() { return testLabels; }

    public int[] layerSizes(int inputs) {
        List<Integer> s = new ArrayList<>();
        s.add(inputs);
        for (int h : hidden.sizes()) s.add(h);
        s.add(classes);
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    /** "batch 4096 (4 x 1024), lr 0.05, momentum 0.9, seed 0, hidden [1024, 1024]" when training in micro-batches of {@code micro}. */
    public String describe(int micro) {
        return "batch " + batch + (micro != batch ? " (" + MicroBatchPlanner.split(batch, micro) + ")" : "") + ", lr " + lr + ", momentum "
                + momentum + ", seed " + seed + ", hidden " + Arrays.toString(hidden.sizes()) + (autocast() ? ", autocast bf16" : "");
    }

    @Override
    public String toString() {
        return describe(microBatch());
    }

    // ------------------------------------------------------------------ typed values
    // Each converter's message follows the option's name: "--batch must be a positive integer, got '0'".

    static final class AutocastChoice implements ITypeConverter<AutocastMode> {
        @Override
        public AutocastMode convert(String v) {
            return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "bf16", "bfloat16" -> AutocastMode.BF16;
                case "off", "f32", "float32" -> AutocastMode.OFF;
                default -> throw new TypeConversionException("must be bf16 or f32, got '" + v + "'");
            };
        }
    }

    static final class WholeNumber implements ITypeConverter<Long> {
        @Override
        public Long convert(String v) {
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("must be an integer, got '" + v + "'");
            }
        }
    }

    static final class WholeInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String v) {
            long n = new WholeNumber().convert(v);
            if (n != (int) n) throw new TypeConversionException("must be an integer between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE + ", got '" + v + "'");
            return (int) n;
        }
    }

    static final class PositiveInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String v) {
            long n = new WholeNumber().convert(v);
            if (n <= 0 || n > Integer.MAX_VALUE) throw new TypeConversionException("must be a positive integer, got '" + v + "'");
            return (int) n;
        }
    }

    private static double number(String v) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("must be a number, got '" + v + "'");
        }
    }

    static final class PositiveNumber implements ITypeConverter<Double> {
        @Override
        public Double convert(String v) {
            double d = number(v);
            if (!(d > 0) || Double.isInfinite(d)) throw new TypeConversionException("must be a positive number, got '" + v + "'");
            return d;
        }
    }

    static final class Fraction implements ITypeConverter<Double> {
        @Override
        public Double convert(String v) {
            double d = number(v);
            if (!(d >= 0 && d < 1)) throw new TypeConversionException("must be in [0, 1), got '" + v + "'");
            return d;
        }
    }

    /** Layer sizes, "1024,1024": one value (an array would make picocli collect repeated options). */
    record Sizes(int... sizes) {
        static final class Converter implements ITypeConverter<Sizes> {
            @Override
            public Sizes convert(String v) {
                String[] parts = v.split(",", -1);
                int[] out = new int[parts.length];
                for (int i = 0; i < parts.length; i++) out[i] = new PositiveInt().convert(parts[i]);
                return new Sizes(out);
            }
        }
    }

    /** "4096", "512K", "64M", "1.5G" (powers of 1024; a trailing "B" or "iB" is allowed). */
    static final class Bytes implements ITypeConverter<Long> {
        @Override
        public Long convert(String v) {
            String s = v.trim().toUpperCase(Locale.ROOT).replaceAll("I?B$", "");
            long unit = 1;
            if (!s.isEmpty()) {
                switch (s.charAt(s.length() - 1)) {
                    case 'K' -> unit = 1L << 10;
                    case 'M' -> unit = 1L << 20;
                    case 'G' -> unit = 1L << 30;
                    default -> { }
                }
            }
            if (unit != 1) s = s.substring(0, s.length() - 1);
            try {
                double d = Double.parseDouble(s);
                if (!(d * unit >= 1)) throw new NumberFormatException();   // 0, negative, NaN, or less than a byte
                return (long) Math.min(d * unit, Long.MAX_VALUE);
            } catch (NumberFormatException e) {
                throw new TypeConversionException("must be a size such as 512M or 2G, got '" + v + "'");
            }
        }
    }
}
