package dev.panagrad.examples.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** {@code ./panagrad train} options; {@link #parse} rejects anything malformed with a message that names it. */
public record TrainOptions(
        int batch, int microBatch, int epochs, long steps, double lr, double momentum, int threads, long seed,
        long memoryBudget, Path checkpoint, Path resume, Path plot, Path data, Path labels, int labelColumn,
        int classes, int[] hidden, int samples, boolean progress, boolean memoryReport) {

    public static final String HELP = """
            usage: ./panagrad train [options]

            Trains an MLP (input-1024-1024-10, ReLU, cross-entropy, SGD with momentum) on the CPU.
            Without --data it uses a built-in deterministic synthetic set (784 features, 10 classes).

              --batch N           samples per optimizer step (default 1024)
              --micro-batch N     split each batch into micro-batches of N and accumulate gradients
                                  (default: the batch; N must divide the batch)
              --epochs N          passes over the training data (default 3)
              --steps N           stop after N optimizer steps instead (overrides --epochs)
              --lr X              learning rate (default 0.05)
              --momentum X        SGD momentum (default 0.9)
              --threads N         OpenBLAS threads (default: OpenBLAS's own choice)
              --seed N            seed for the data, the initial weights and the shuffling (default 0)
              --memory-budget S   fail, naming the holders, if training needs more native memory
                                  than S (bytes, or with K/M/G suffix: 512M); the dataset is not counted
              --checkpoint FILE   save model and optimizer state (safetensors) after every epoch
              --resume FILE       continue from a checkpoint written by --checkpoint
              --plot FILE         where the loss and accuracy chart goes (default out/train.png)
              --data FILE         a CSV file (one sample per row, numeric; see --label-column),
                                  or an IDX images file (MNIST format, may be gzipped) with --labels;
                                  1/8 of the rows, drawn at random with --seed, are held out
              --labels FILE       the IDX labels file that goes with --data
              --label-column N    the CSV column that holds the label (default 0; -1 = last)
              --classes N         number of classes (default 10); a label outside [0, N) is an error
              --hidden A,B        hidden layer sizes (default 1024,1024)
              --samples N         synthetic training samples (default 32768; 1/8 more are held out)
              --no-progress       no progress bar
              --memory-report     print the pool's memory report at the end
              -h, --help          this text

            Relative paths are relative to the directory you run the command in. --checkpoint and
            --plot are checked before training: their directory is made if missing.
            """;

    private static final java.util.Set<String> VALUE_OPTIONS = java.util.Set.of("--batch", "--micro-batch", "--epochs", "--steps", "--lr",
            "--momentum", "--threads", "--seed", "--memory-budget", "--checkpoint", "--resume", "--plot", "--data", "--labels", "--label-column",
            "--classes", "--hidden", "--samples");

    public static TrainOptions defaults() {
        return new TrainOptions(1024, 0, 3, 0, 0.05, 0.9, 0, 0, 0, null, null, Path.of("out", "train.png"), null, null, 0, 10,
                new int[] {1024, 1024}, 32768, true, false);
    }

    /** Returns null when {@code args} asks for help. */
    public static TrainOptions parse(String[] args) {
        TrainOptions o = defaults();
        int batch = o.batch, micro = o.microBatch, epochs = o.epochs, threads = o.threads, labelColumn = o.labelColumn, classes = o.classes, samples = o.samples;
        long steps = o.steps, seed = o.seed, budget = o.memoryBudget;
        double lr = o.lr, momentum = o.momentum;
        Path checkpoint = null, resume = null, plot = o.plot, data = null, labels = null;
        int[] hidden = o.hidden;
        boolean progress = true, report = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = null;
            if (a.startsWith("--") && a.contains("=")) {
                v = a.substring(a.indexOf('=') + 1);
                a = a.substring(0, a.indexOf('='));
            }
            switch (a) {
                case "-h", "--help" -> { return null; }
                case "--no-progress" -> progress = false;
                case "--memory-report" -> report = true;
                default -> {
                    if (!VALUE_OPTIONS.contains(a)) throw new IllegalArgumentException("unknown option '" + a + "' (see --help)");
                    if (v == null) {
                        if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                        v = args[++i];
                    }
                    switch (a) {
                        case "--batch" -> batch = positiveInt(a, v);
                        case "--micro-batch" -> micro = positiveInt(a, v);
                        case "--epochs" -> epochs = positiveInt(a, v);
                        case "--steps" -> steps = positiveInt(a, v);
                        case "--lr" -> lr = positiveDouble(a, v);
                        case "--momentum" -> momentum = fraction(a, v);
                        case "--threads" -> threads = positiveInt(a, v);
                        case "--seed" -> seed = parseLong(a, v);
                        case "--memory-budget" -> budget = parseBytes(a, v);
                        case "--checkpoint" -> checkpoint = Path.of(v);
                        case "--resume" -> resume = Path.of(v);
                        case "--plot" -> plot = Path.of(v);
                        case "--data" -> data = Path.of(v);
                        case "--labels" -> labels = Path.of(v);
                        case "--label-column" -> labelColumn = (int) parseLong(a, v);
                        case "--classes" -> classes = positiveInt(a, v);
                        case "--hidden" -> hidden = parseSizes(a, v);
                        case "--samples" -> samples = positiveInt(a, v);
                        default -> throw new IllegalArgumentException("unknown option '" + a + "' (see --help)");
                    }
                }
            }
        }
        if (micro == 0) micro = batch;
        if (micro > batch || batch % micro != 0) {
            throw new IllegalArgumentException("--micro-batch " + micro + " must divide --batch " + batch + " (e.g. --batch 4096 --micro-batch 1024)");
        }
        if (classes < 2) throw new IllegalArgumentException("--classes must be at least 2 (a classifier needs at least 2 classes), got '" + classes + "'");
        if (labels != null && data == null) throw new IllegalArgumentException("--labels needs --data (the IDX images file)");
        return new TrainOptions(batch, micro, epochs, steps, lr, momentum, threads, seed, budget, checkpoint, resume, plot, data, labels,
                labelColumn, classes, hidden, samples, progress, report);
    }

    public int[] layerSizes(int inputs) {
        List<Integer> s = new ArrayList<>();
        s.add(inputs);
        for (int h : hidden) s.add(h);
        s.add(classes);
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String toString() {
        return "batch " + batch + (microBatch != batch ? " (" + batch / microBatch + " x " + microBatch + ")" : "") + ", lr " + lr + ", momentum "
                + momentum + ", seed " + seed + ", hidden " + Arrays.toString(hidden);
    }

    private static int positiveInt(String opt, String v) {
        long n = parseLong(opt, v);
        if (n <= 0 || n > Integer.MAX_VALUE) throw new IllegalArgumentException(opt + " must be a positive integer, got '" + v + "'");
        return (int) n;
    }

    private static long parseLong(String opt, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be an integer, got '" + v + "'");
        }
    }

    private static double positiveDouble(String opt, String v) {
        double d = parseDouble(opt, v);
        if (!(d > 0) || Double.isInfinite(d)) throw new IllegalArgumentException(opt + " must be a positive number, got '" + v + "'");
        return d;
    }

    private static double fraction(String opt, String v) {
        double d = parseDouble(opt, v);
        if (!(d >= 0 && d < 1)) throw new IllegalArgumentException(opt + " must be in [0, 1), got '" + v + "'");
        return d;
    }

    private static double parseDouble(String opt, String v) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be a number, got '" + v + "'");
        }
    }

    static int[] parseSizes(String opt, String v) {
        String[] parts = v.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = positiveInt(opt, parts[i]);
        return out;
    }

    /** "4096", "512K", "64M", "1.5G" (powers of 1024; a trailing "B" or "iB" is allowed). */
    static long parseBytes(String opt, String v) {
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
            if (!(d > 0)) throw new NumberFormatException();
            return (long) (d * unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be a size such as 512M or 2G, got '" + v + "'");
        }
    }
}
