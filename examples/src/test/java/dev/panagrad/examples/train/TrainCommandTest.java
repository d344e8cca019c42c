package dev.panagrad.examples.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.Tensor;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.MemoryStats;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./panagrad train} end to end on small settings: results, determinism, resume, and every bad input. */
class TrainCommandTest {
    @TempDir Path dir;

    record Run(int status, String out, String err) {
        /** The epoch lines without the timing and memory columns, which vary run to run. */
        List<String> epochs() {
            return out.lines().filter(l -> l.startsWith("epoch ")).map(l -> l.replaceAll("  [\\d,]+ samples/s.*", "")).toList();
        }
    }

    private Run train(String... args) {
        List<String> all = new ArrayList<>(List.of("--no-progress", "--plot", dir.resolve("plot.png").toString()));
        all.addAll(List.of(args));
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status = TrainCommand.main(all.toArray(String[]::new), new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private static final String[] SMALL = {"--samples", "2048", "--batch", "256", "--hidden", "64", "--lr", "0.05"};

    private Run small(String... more) {
        List<String> a = new ArrayList<>(List.of(SMALL));
        a.addAll(List.of(more));
        return train(a.toArray(String[]::new));
    }

    @Test
    void trainsLearnsAndIsDeterministic() throws IOException {
        Run a = small("--epochs", "3");
        assertEquals(0, a.status, a.err);
        assertEquals(3, a.epochs().size(), a.out);
        assertTrue(a.out.contains("model   784-64-10 MLP, 50,890 parameters"), a.out);
        double firstLoss = Double.parseDouble(a.epochs().get(0).split("loss ")[1].split(" ")[0]);
        double lastLoss = Double.parseDouble(a.epochs().get(2).split("loss ")[1].split(" ")[0]);
        double testAcc = Double.parseDouble(a.epochs().get(2).split("test acc ")[1].replace("%", ""));
        assertTrue(lastLoss < firstLoss * 0.7, "loss " + firstLoss + " -> " + lastLoss);
        assertTrue(testAcc > 50, "held-out accuracy " + testAcc + "% (chance is 10%)");
        BufferedImage plot = ImageIO.read(dir.resolve("plot.png").toFile());
        assertEquals(800, plot.getWidth());
        assertEquals(500, plot.getHeight());
        assertEquals(a.epochs(), small("--epochs", "3").epochs(), "same seed, same numbers");
        assertNotEquals(a.epochs(), small("--epochs", "3", "--seed", "1").epochs());
    }

    /** --autocast bf16: the same run in bfloat16 GEMMs learns as float32 does, to within a point of held-out accuracy; deterministic too. */
    @Test
    void autocastBf16TrainsAsFloat32DoesWithinAPoint() {
        Run f32 = small("--epochs", "3"), bf16 = small("--epochs", "3", "--autocast", "bf16");
        assertEquals(0, bf16.status, bf16.err);
        assertTrue(bf16.out.contains("hidden [64], autocast bf16, OpenBLAS "), bf16.out);
        assertTrue(bf16.out.matches("(?s).*, oneDNN 3\\.11\\.\\d+ \\([a-z0-9_ ()]+\\)\n.*"), bf16.out);
        double accF32 = Double.parseDouble(f32.epochs().get(2).split("test acc ")[1].replace("%", ""));
        double accBf16 = Double.parseDouble(bf16.epochs().get(2).split("test acc ")[1].replace("%", ""));
        assertTrue(Math.abs(accF32 - accBf16) <= 1.0, "held-out accuracy float32 " + accF32 + "%, bf16 " + accBf16 + "%");
        assertNotEquals(f32.epochs(), bf16.epochs(), "bfloat16 GEMMs give other losses");
        assertEquals(bf16.epochs(), small("--epochs", "3", "--autocast", "bf16").epochs(), "same seed, same numbers");
        Run planned = small("--autocast", "bf16", "--memory-budget", "64M", "--steps", "2");   // the planner measures autocast steps
        assertEquals(0, planned.status, planned.err);
        assertTrue(planned.out.contains("memory  the whole batch fits --memory-budget 64.0 MiB"), planned.out);
        assertEquals(bf16.epochs(), small("--epochs", "3", "--precision", "bf16").epochs(), "--precision is --autocast's name in the issue");
        Run bad = small("--autocast", "fp8");
        assertEquals(2, bad.status);
        assertEquals("train: --precision must be bf16 or f32, got 'fp8'\n", bad.err);
    }

    /** Two steps of 256 samples, one trainer whole, the other in micro-batches of {@code micro}: same losses, same parameters. */
    private static void assertSameSteps(Trainer whole, Trainer parts, Dataset data, long[] rows, int micro) {
        for (int step = 0; step < 2; step++) {
            Trainer.StepResult w = whole.step(data.features(), data.labels(), rows, step * 256, 256, 256);
            Trainer.StepResult p = parts.step(data.features(), data.labels(), rows, step * 256, 256, micro);
            assertEquals(w.loss(), p.loss(), 1e-5);
            assertEquals(w.correct(), p.correct());
        }
        List<Tensor> a = whole.model().parameters(), b = parts.model().parameters();
        for (int i = 0; i < a.size(); i++) {
            float[] x = a.get(i).toFloatArray(), y = b.get(i).toFloatArray();
            for (int j = 0; j < x.length; j++) assertEquals(x[j], y[j], 1e-5, "micro-batch " + micro + ": parameter " + i + "[" + j + "]");
        }
    }

    @Test
    void microBatchesGiveTheSameStepAsTheWholeBatch() {
        for (int micro : new int[] {64, 100}) {   // 4 x 64, and 100 + 100 + 56
            try (var scope = MemoryScope.open("test")) {
                Dataset data = Dataset.synthetic(512, 784, 10, 3);
                long[] rows = new long[512];
                Arrays.setAll(rows, i -> i);
                Trainer whole = new Trainer(new int[] {784, 32, 10}, 0.1, 0.9, 5), parts = new Trainer(new int[] {784, 32, 10}, 0.1, 0.9, 5);
                assertSameSteps(whole, parts, data, rows, micro);
            }
        }
    }

    @Test
    void resumeContinuesExactlyWhereTheCheckpointLeftOff() {
        Run straight = small("--epochs", "2");
        Path ck = dir.resolve("ck.safetensors");
        Run first = small("--epochs", "1", "--checkpoint", ck.toString());
        assertEquals(0, first.status, first.err);
        assertTrue(first.out.contains("checkpoint written to " + ck), first.out);
        Run resumed = small("--epochs", "2", "--resume", ck.toString());
        assertEquals(0, resumed.status, resumed.err);
        assertTrue(resumed.out.contains("resumed from " + ck + " after epoch 1 (step 8)"), resumed.out);
        assertEquals(straight.epochs().get(0).replace("epoch 1/2", "epoch 1/1"), first.epochs().get(0));
        assertEquals(List.of(straight.epochs().get(1)), resumed.epochs());
    }

    @Test
    void aCheckpointOfADifferentModelIsRefused() {
        Path ck = dir.resolve("ck.safetensors");
        assertEquals(0, small("--epochs", "1", "--checkpoint", ck.toString()).status);
        Run r = train("--samples", "2048", "--batch", "256", "--hidden", "32", "--resume", ck.toString());
        assertEquals(2, r.status);
        assertTrue(r.err.contains("does not fit this model: Error(s) in loading state_dict for Sequential:"), r.err);
        assertTrue(r.err.contains("size mismatch for 0.weight: copying a param with shape torch.Size([64, 784]) from checkpoint, the shape in current model is torch.Size([32, 784])."), r.err);
    }

    @Test
    void aBudgetTooSmallForOneSampleSaysWhatItNeedsAndWritesNoCheckpoint() {
        Path ck = dir.resolve("ck.safetensors");
        Run r = small("--memory-budget", "300K", "--checkpoint", ck.toString());
        assertEquals(2, r.status, r.out);
        assertTrue(r.err.startsWith("train: the memory budget is too small: not even a micro-batch of 1 fits: its step peaks at "), r.err);
        // 784-64-10: weights of 200 704 bytes in a 229 376-byte size class, biases and the output layer in
        // 256 + 2 560 + 64; parameters, gradients and momentum three times that, 696 768 bytes
        assertTrue(r.err.contains(", over the budget of 300.0 KiB (measured: 680.4 KiB held between steps (parameters, gradients, optimizer state) + "), r.err);
        assertTrue(r.err.contains("; raise --memory-budget to at least "), r.err);
        assertEquals(1, r.err.lines().count(), r.err);
        assertEquals("", r.out, "nothing trained");
        assertFalse(Files.exists(ck));
        String enough = r.err.strip().replaceFirst(".* to at least ", "");
        Run fits = small("--memory-budget", enough, "--steps", "1");
        assertEquals(0, fits.status, "the budget it names is enough: " + fits.err);
        assertTrue(fits.out.contains("memory  micro-batch "), fits.out);
        assertEquals(0, small("--memory-budget", "64M", "--steps", "2").status, "the same run fits in 64 MiB");
    }

    @Test
    void aSuggestedBudgetIsRoundedUp() {
        assertEquals("900", TrainCommand.sizeAtLeast(900));
        assertEquals("1.0K", TrainCommand.sizeAtLeast(1024));
        assertEquals("1.1K", TrainCommand.sizeAtLeast(1025));
        assertEquals("22.7M", TrainCommand.sizeAtLeast(23_760_000));   // 22.659 MiB
        assertEquals("22.6M", TrainCommand.sizeAtLeast(23_697_817));   // 22.6 MiB is 23 697 817.6 bytes
        assertEquals("22.7M", TrainCommand.sizeAtLeast(23_697_818));   // 22.6M would be short of it
        assertEquals("1.5G", TrainCommand.sizeAtLeast(3L << 29));
    }

    private static long[] smallPeaks;

    /** The peaks of a step of the small model at micro-batches 64 and 128, measured as the command measures them. */
    private static synchronized long[] smallPeaks() {
        if (smallPeaks != null) return smallPeaks.clone();
        try (var data = MemoryScope.open("test data")) {
            Dataset d = Dataset.synthetic(2048 + 256, 784, 10, 0);
            long[] rows = new long[2048];
            Arrays.setAll(rows, i -> i);
            try (var planner = new MicroBatchPlanner(new int[] {784, 64, 10}, 0.05, 0.9, d.features(), d.labels(), rows, 256)) {
                smallPeaks = new long[] {planner.peak(64), planner.peak(128)};
                return smallPeaks.clone();
            }
        }
    }

    @Test
    void aBudgetBetweenThePeaksOfTwoMicroBatchesPicksTheSmallerAndTrainsWithTheWholeBatchsGradients() {
        long[] peaks = smallPeaks();
        assertTrue(peaks[0] < peaks[1], Arrays.toString(peaks));
        long budget = (peaks[0] + peaks[1]) / 2;
        Run r = small("--memory-budget", Long.toString(budget), "--steps", "2");
        assertEquals(0, r.status, r.err);
        String line = r.out.lines().filter(l -> l.startsWith("memory  micro-batch ")).findFirst().orElseThrow(() -> new AssertionError(r.out));
        int micro = Integer.parseInt(line.split(" ")[3].replace(",", ""));
        assertTrue(micro >= 64 && micro < 128, line);
        assertTrue(line.contains(", the largest that fits --memory-budget "), line);
        assertTrue(r.out.contains("SGD batch 256 (" + MicroBatchPlanner.split(256, micro) + ")"), r.out);
        assertEquals(1, r.epochs().size(), r.out);

        // the micro-batches it chose add up to the whole batch's gradients
        try (var scope = MemoryScope.open("test")) {
            Dataset data = Dataset.synthetic(512, 784, 10, 3);
            long[] rows = new long[512];
            Arrays.setAll(rows, i -> i);
            Trainer whole = new Trainer(new int[] {784, 64, 10}, 0.05, 0.9, 5), parts = new Trainer(new int[] {784, 64, 10}, 0.05, 0.9, 5);
            assertSameSteps(whole, parts, data, rows, micro);
        }
    }

    @Test
    void aMicroBatchThatDoesNotFitTheBudgetSaysWhichOneWould() {
        long[] peaks = smallPeaks();
        long budget = (peaks[0] + peaks[1]) / 2;
        Run r = small("--memory-budget", Long.toString(budget), "--micro-batch", "128");
        assertEquals(2, r.status, r.out);
        assertTrue(r.err.startsWith("train: the memory budget is too small for --micro-batch 128: its step peaks at " + MemoryStats.formatBytes(peaks[1])
                + ", over the budget of " + MemoryStats.formatBytes(budget) + " (measured: "), r.err);
        assertTrue(r.err.contains("; --micro-batch 64 fits"), r.err);
        assertEquals(1, r.err.lines().count(), r.err);
        assertEquals("", r.out, "nothing trained");
        Run ok = small("--memory-budget", Long.toString(budget), "--micro-batch", "64", "--steps", "1");
        assertEquals(0, ok.status, ok.err);
        assertTrue(ok.out.contains("memory  micro-batch 64 fits --memory-budget " + MemoryStats.formatBytes(budget) + ": a step peaks at "
                + MemoryStats.formatBytes(peaks[0]) + " ("), ok.out);
    }

    @Test
    void badOptionsAreNamed() {
        assertEquals(2, train("--batch", "0").status);
        assertTrue(train("--batch", "0").err.contains("--batch must be a positive integer, got '0'"));
        assertTrue(train("--batch", "1000", "--micro-batch", "300").err.contains("--micro-batch 300 must divide --batch 1000"));
        assertTrue(train("--frobnicate").err.contains("unknown option '--frobnicate'"));
        assertTrue(train("--lr").err.contains("--lr needs a value"));
        assertTrue(train("--memory-budget", "lots").err.contains("--memory-budget must be a size such as 512M or 2G, got 'lots'"));
        assertTrue(small("--batch", "4096").err.contains("--batch 4096 is larger than the 2048 training samples"));
        Run help = train("--help");
        assertEquals(0, help.status);
        assertTrue(help.out.contains("--micro-batch N"));
    }

    /** A run with the progress bar left on; {@code terminal} says whether stderr is a terminal. */
    private Run withProgress(Boolean terminal, String... args) {
        List<String> all = new ArrayList<>(List.of("--plot", dir.resolve("plot.png").toString()));
        all.addAll(List.of(SMALL));
        all.addAll(List.of(args));
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(o, true, StandardCharsets.UTF_8), err = new PrintStream(e, true, StandardCharsets.UTF_8);
        int status = terminal == null ? TrainCommand.main(all.toArray(String[]::new), out, err)
                : TrainCommand.main(all.toArray(String[]::new), out, err, terminal);
        return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withoutATerminalThereIsNoProgressBarOnlyPlainEpochLines() {
        Run log = withProgress(null, "--steps", "3");   // stderr here is a buffer, as in a log file or a CI job
        assertEquals(0, log.status, log.err);
        assertEquals(1, log.epochs().size(), log.out);
        for (String text : List.of(log.out, log.err)) {
            assertFalse(text.contains("\r"), "a carriage return in " + text);
            assertFalse(text.contains("\u001b"), "an escape sequence in " + text);
        }
        assertEquals("", log.err);
        // the same run on a terminal draws the bar: the detection is what keeps it out of logs
        Run tty = withProgress(true, "--steps", "3");
        assertEquals(0, tty.status, tty.err);
        assertTrue(tty.err.contains("\r") && tty.err.contains("epoch 1/1"), tty.err);
        assertEquals(log.epochs(), tty.epochs());
    }

    @Test
    void misspeltOptionsGetASuggestionAndEveryValueIsTyped() {
        Run bach = train("--bach", "4096");
        assertEquals(2, bach.status);
        assertEquals("train: unknown option '--bach'; did you mean --batch? (see --help)\n", bach.err);
        assertEquals("train: unknown option '--no-progres'; did you mean --no-progress? (see --help)\n", train("--no-progres").err);
        assertEquals("train: unexpected argument 'extra' (options start with --; see --help)\n", train("extra").err);
        assertEquals("train: --batch must be an integer, got 'many'\n", train("--batch=many").err);
        assertEquals("train: --seed must be an integer, got '1.5'\n", train("--seed", "1.5").err);
        assertEquals("train: --momentum must be in [0, 1), got '1'\n", train("--momentum", "1").err);
        assertEquals("train: --hidden must be a positive integer, got '-3'\n", train("--hidden", "64,-3").err);
        assertEquals("train: --memory-budget must be a size such as 512M or 2G, got '0.1'\n", train("--memory-budget", "0.1").err);
        assertEquals("train: --plot needs a value\n", train("--plot").err);
        Run last = small("--steps", "1", "--batch", "128", "--batch=256");
        assertEquals(0, last.status, last.err);
        assertTrue(last.out.contains("SGD batch 256,"), "the last of a repeated option wins: " + last.out);
    }

    @Test
    void theHelpListsEveryOption() {
        Run help = train("-h");
        assertEquals(0, help.status);
        assertEquals("", help.err);
        assertTrue(help.out.startsWith("usage: ./panagrad train [options]\n"), help.out);
        for (String option : List.of("--batch N", "--micro-batch N", "--epochs N", "--steps N", "--lr X", "--momentum X", "--threads N", "--seed N",
                "--memory-budget S", "--checkpoint FILE", "--resume FILE", "--plot FILE", "--data FILE", "--labels FILE", "--label-column N",
                "--classes N", "--hidden A,B", "--samples N", "--no-progress", "--memory-report", "-h, --help")) {
            assertTrue(help.out.contains("  " + option + " "), option + " in\n" + help.out);
        }
    }

    @Test
    void oneClassIsRefused() {
        Run r = train("--classes", "1");
        assertEquals(2, r.status);
        assertEquals("train: --classes must be at least 2 (a classifier needs at least 2 classes), got '1'\n", r.err);
        assertEquals("", r.out, "nothing trained");
    }

    @Test
    void theDataLineCountsTrainingAndHeldOutRowsSeparately() {
        Run r = small("--epochs", "1");
        assertEquals(0, r.status, r.err);
        // --samples 2048 trains on 2048 rows (8 steps of 256) and holds out 2048 / 8 more
        assertTrue(r.out.contains("data    synthetic (784 features, 10 classes, seed 0): 2048 training rows, 256 held out\n"), r.out);
        assertTrue(r.epochs().get(0).startsWith("epoch 1/1"), r.out);
    }

    // ------------------------------------------------------------------ user data

    private Path csv(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        return f;
    }

    private static String csvRows(int n, int features, int classes) {
        StringBuilder sb = new StringBuilder("label");
        for (int j = 0; j < features; j++) sb.append(",f").append(j);
        sb.append('\n');
        for (int i = 0; i < n; i++) {
            int label = i % classes;
            sb.append(label);
            for (int j = 0; j < features; j++) sb.append(',').append((j == label ? 1.0 : 0.0) + (i % 7 == j ? 0.25 : 0));
            sb.append('\n');
        }
        return sb.toString();
    }

    @Test
    void trainsOnACsvFile() throws IOException {
        Path f = csv("d.csv", csvRows(400, 6, 3));
        Run r = train("--data", f.toString(), "--classes", "3", "--batch", "50", "--hidden", "16", "--epochs", "5", "--lr", "0.1");
        assertEquals(0, r.status, r.err);
        assertTrue(r.out.contains("data    CSV: d.csv (400 x 6): 350 training rows, 50 held out (drawn at random, seed 0)"), r.out);
        assertTrue(r.out.contains("model   6-16-3 MLP"), r.out);
    }

    @Test
    void badCsvFilesAreNamedWithTheLine() throws IOException {
        Run missing = train("--data", dir.resolve("nope.csv").toString());
        assertEquals(2, missing.status);
        assertEquals("train: cannot read " + dir.resolve("nope.csv") + ": no such file\n", missing.err);

        Run ragged = train("--data", csv("r.csv", "1,0.5,0.5\n0,0.1\n").toString());
        assertEquals(2, ragged.status);
        assertTrue(ragged.err.contains("r.csv: line 2 has 2 columns, the first row has 3"), ragged.err);

        Run label = train("--data", csv("l.csv", "1,0.5\n10,0.25\n").toString());
        assertEquals(2, label.status);
        assertTrue(label.err.contains("l.csv: line 2: label 10 is out of range for 10 classes (expected 0..9"), label.err);

        Run text = train("--data", csv("t.csv", "1,0.5\n2,abc\n").toString());
        assertTrue(text.err.contains("t.csv: line 2, column 1: 'abc' is not a number"), text.err);
    }

    @Test
    void aNonFiniteValueInTheDataIsNamedAtLoadNotAsALossProblem() throws IOException {
        Path f = csv("nan.csv", csvRows(400, 6, 3).replaceFirst("\n2,0.0,", "\n2,NaN,"));
        Run r = train("--data", f.toString(), "--classes", "3", "--batch", "50", "--hidden", "8", "--epochs", "1");
        assertEquals(2, r.status);
        assertEquals("train: " + f + ": line 4, column 1: 'NaN' is not a finite float32 number\n", r.err);
        assertFalse(r.out.contains("epoch "), r.out);
    }

    @Test
    void outputPathsAreCheckedBeforeTraining() throws IOException {
        Path file = csv("afile", "x");
        Path plot = file.resolve("x.png");
        Run r = small("--epochs", "1", "--plot", plot.toString());
        assertEquals(2, r.status);
        assertEquals("train: --plot: cannot write " + plot + ": " + file + " is not a directory\n", r.err);
        assertEquals("", r.out, "nothing trained");

        Run d = small("--epochs", "1", "--checkpoint", dir.toString());
        assertEquals(2, d.status);
        assertEquals("train: --checkpoint: cannot write " + dir + ": it is a directory\n", d.err);
        assertEquals("", d.out, "nothing trained");

        Path fresh = dir.resolve("new").resolve("sub").resolve("ck.safetensors");
        Run ok = small("--steps", "1", "--checkpoint", fresh.toString());
        assertEquals(0, ok.status, ok.err);
        assertTrue(Files.isRegularFile(fresh));
    }

    @Test
    void fileErrorsNameThePathAndTheReasonInOneLine() throws IOException {
        Path missing = dir.resolve("missing.safetensors");
        Run r = small("--resume", missing.toString());
        assertEquals(2, r.status);
        assertEquals("train: cannot read " + missing + ": no such file\n", r.err);

        Run d = small("--resume", dir.toString());
        assertEquals(2, d.status);
        assertEquals("train: cannot read " + dir + ": it is a directory, not a file\n", d.err);

        Run data = train("--data", dir.toString());
        assertEquals(2, data.status);
        assertEquals("train: cannot read " + dir + ": it is a directory, not a file\n", data.err);

        Path garbage = csv("garbage.safetensors", "\u0010\0\0\0\0\0\0\0{\"w\": tru, \"x\": 1}");
        Run g = small("--resume", garbage.toString());
        assertEquals(2, g.status);
        assertEquals("train: not a valid safetensors file: " + garbage + ": tensor 'w' must be an object {dtype, shape, data_offsets}, found 't'\n", g.err);
    }

    @Test
    void resumingAFinishedRunSaysSoAndHowToTrainFurther() {
        Path ck = dir.resolve("ck.safetensors");
        assertEquals(0, small("--epochs", "1", "--checkpoint", ck.toString()).status);
        Run r = small("--epochs", "1", "--resume", ck.toString());
        assertEquals(0, r.status, r.err);
        assertTrue(r.out.contains("nothing to train: " + ck + " has finished epoch 1 (step 8) and this run asks for 1 epoch (8 steps);"
                + " to train further, ask for more, e.g. --epochs 2"), r.out);
        assertTrue(r.epochs().isEmpty(), r.out);
        Run steps = small("--steps", "8", "--resume", ck.toString());
        assertTrue(steps.out.contains("nothing to train: " + ck + " has finished epoch 1 (step 8) and this run asks for 8 steps;"
                + " to train further, ask for more, e.g. --steps 16"), steps.out);
        Run more = small("--epochs", "2", "--resume", ck.toString());
        assertEquals(1, more.epochs().size(), more.out);
    }

    private Path idx(String name, int[] dims, int values, int magicType) throws IOException {
        Path f = dir.resolve(name);
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(f))) {
            o.writeInt((magicType << 8) | dims.length);
            for (int d : dims) o.writeInt(d);
            for (int i = 0; i < values; i++) o.write((i * 37) % 256);
        }
        return f;
    }

    @Test
    void trainsOnIdxFilesAndRefusesBrokenOnes() throws IOException {
        Path images = idx("img.idx", new int[] {320, 4, 4}, 320 * 16, 0x08);
        Path labels = dir.resolve("lab.idx");
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(labels))) {
            o.writeInt(0x0801);
            o.writeInt(320);
            for (int i = 0; i < 320; i++) o.write(i % 10);
        }
        Run ok = train("--data", images.toString(), "--labels", labels.toString(), "--batch", "40", "--hidden", "8", "--epochs", "1");
        assertEquals(0, ok.status, ok.err);
        assertTrue(ok.out.contains("model   16-8-10 MLP"), ok.out);

        Path truncated = idx("trunc.idx", new int[] {320, 4, 4}, 320 * 16 - 5, 0x08);
        Run t = train("--data", truncated.toString(), "--labels", labels.toString());
        assertEquals(2, t.status);
        assertTrue(t.err.contains("the header promises 5120 values of shape [320, 4, 4] but the file holds 5115 (truncated)"), t.err);

        Path fewer = idx("fewer.idx", new int[] {300, 4, 4}, 300 * 16, 0x08);
        Run f = train("--data", fewer.toString(), "--labels", labels.toString());
        assertTrue(f.err.contains("holds 300 images but " + labels + " holds 320 labels"), f.err);

        Path floats = idx("float.idx", new int[] {320, 4, 4}, 0, 0x0D);
        Run fl = train("--data", floats.toString(), "--labels", labels.toString());
        assertTrue(fl.err.contains("not an unsigned-byte IDX file"), fl.err);

        Run lab = train("--data", images.toString(), "--labels", labels.toString(), "--classes", "5");
        assertTrue(lab.err.contains("label 5: label 5 is out of range for 5 classes"), lab.err);
    }
}
