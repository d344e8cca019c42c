package dev.panagrad.examples.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./panagrad train --model cnn}, {@code --dataset fashion-mnist} and {@code --test-data}, on small
 * IDX files the test writes (CI has no Fashion-MNIST): a data set in Fashion-MNIST's four-file layout,
 * 8×8 images whose class is where a bright 2×2 block sits, plus a little noise.
 */
class CnnTrainTest {
    @TempDir Path dir;

    record Run(int status, String out, String err) {
        List<String> epochs() { return out.lines().filter(l -> l.startsWith("epoch ")).map(l -> l.replaceAll("  [\\d,]+ samples/s.*", "")).toList(); }

        double testAccuracy() {
            Matcher m = Pattern.compile("(?m)^test accuracy (\\d+\\.\\d\\d)%$").matcher(out);
            assertTrue(m.find(), "a 'test accuracy XX.XX%' line: " + out);
            return Double.parseDouble(m.group(1));
        }
    }

    private Run train(String... args) {
        List<String> all = new ArrayList<>(List.of("--no-progress", "--plot", dir.resolve("plot.png").toString()));
        all.addAll(List.of(args));
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status = TrainCommand.main(all.toArray(String[]::new), new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** Writes images [n, 8, 8] and labels [n] as IDX files (gzipped when the name ends in .gz); the label of image i is i % 10. */
    private void writeSet(Path images, Path labels, int n, int salt) throws IOException {
        try (DataOutputStream o = new DataOutputStream(open(images))) {
            o.writeInt(0x0803);
            o.writeInt(n);
            o.writeInt(8);
            o.writeInt(8);
            for (int i = 0; i < n; i++) {
                int label = i % 10, bx = (label % 4) * 2, by = (label / 4) * 2;
                for (int y = 0; y < 8; y++) {
                    for (int x = 0; x < 8; x++) {
                        boolean block = x >= bx && x < bx + 2 && y >= by && y < by + 2;
                        o.write(block ? 230 : ((i * 31 + y * 7 + x * 13 + salt) % 40));
                    }
                }
            }
        }
        try (DataOutputStream o = new DataOutputStream(open(labels))) {
            o.writeInt(0x0801);
            o.writeInt(n);
            for (int i = 0; i < n; i++) o.write(i % 10);
        }
    }

    private static OutputStream open(Path f) throws IOException {
        OutputStream raw = Files.newOutputStream(f);
        return f.toString().endsWith(".gz") ? new GZIPOutputStream(raw) : raw;
    }

    private Path fashionLayout() throws IOException {
        Path d = Files.createDirectories(dir.resolve("fashion"));
        writeSet(d.resolve("train-images-idx3-ubyte.gz"), d.resolve("train-labels-idx1-ubyte.gz"), 320, 0);
        writeSet(d.resolve("t10k-images-idx3-ubyte.gz"), d.resolve("t10k-labels-idx1-ubyte.gz"), 100, 17);
        return d;
    }

    @Test
    void theCnnTrainsOnADataSetsOwnTestFilesDeterministically() throws IOException {
        Path d = fashionLayout();
        String[] args = {"--model", "cnn", "--dataset", "fashion-mnist", "--data-dir", d.toString(), "--batch", "32", "--epochs", "3", "--lr", "0.01"};
        Run a = train(args);
        assertEquals(0, a.status, a.err);
        assertTrue(a.out.contains("model   CNN conv32-BN-ReLU-pool, conv64-BN-ReLU-pool, dropout 0.25, linear 128, linear 10; "), a.out);
        assertTrue(a.out.contains("Adam batch 32, lr 0.01 (cosine decay)"), a.out);
        assertTrue(a.out.contains(": 320 training rows, 100 test rows (Fashion-MNIST test set)"), a.out);
        assertEquals(3, a.epochs().size(), a.out);
        assertTrue(a.testAccuracy() > 60, "the block's position is easy to learn; chance is 10%: " + a.out);
        assertEquals(a.epochs(), train(args).epochs(), "same seed, same numbers (dropout's masks included)");
    }

    @Test
    void aMissingDataSetSaysWhichPackageToInstall() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Run r = train("--dataset", "fashion-mnist", "--data-dir", empty.toString());
        assertEquals(2, r.status, r.out);
        assertEquals(1, r.err.lines().count(), r.err);
        assertTrue(r.err.contains(empty.resolve("train-images-idx3-ubyte.gz") + " not found; install the data set with `apt-get install dataset-fashion-mnist`"), r.err);
    }

    @Test
    void testFilesReplaceTheHeldOutSplitAndTheSplitSaysItsSize() throws IOException {
        writeSet(dir.resolve("tr.idx"), dir.resolve("tr-lab.idx"), 320, 0);
        writeSet(dir.resolve("te.idx.gz"), dir.resolve("te-lab.idx.gz"), 50, 5);
        Run r = train("--data", dir.resolve("tr.idx").toString(), "--labels", dir.resolve("tr-lab.idx").toString(),
                "--test-data", dir.resolve("te.idx.gz").toString(), "--test-labels", dir.resolve("te-lab.idx.gz").toString(), "--batch", "32", "--hidden", "16", "--epochs", "2");
        assertEquals(0, r.status, r.err);
        assertTrue(r.out.contains(": 320 training rows, 50 test rows (IDX: te.idx.gz (50 x 64))"), r.out);
        r.testAccuracy();
        Run held = train("--data", dir.resolve("tr.idx").toString(), "--labels", dir.resolve("tr-lab.idx").toString(), "--batch", "32", "--hidden", "16", "--epochs", "1");
        assertTrue(held.out.contains(": 280 training rows, 40 held out (drawn at random, seed 0)"), held.out);

        Files.writeString(dir.resolve("tr.csv"), "label,a,b\n" + "0,0,1\n1,1,0\n".repeat(40));
        Files.writeString(dir.resolve("te.csv"), "label,a,b\n" + "1,1,0\n0,0,1\n".repeat(5));
        Run csv = train("--data", dir.resolve("tr.csv").toString(), "--test-data", dir.resolve("te.csv").toString(), "--classes", "2", "--batch", "8", "--hidden", "4", "--epochs", "1");
        assertEquals(0, csv.status, csv.err);
        assertTrue(csv.out.contains(": 80 training rows, 10 test rows"), csv.out);
    }

    @Test
    void badCombinationsAreRefusedBeforeTraining() throws IOException {
        for (String[] args : new String[][] {
                {"--model", "rnn"}, {"--dataset", "mnist"}, {"--data-dir", "x"}, {"--test-data", "x.csv"},
                {"--dataset", "fashion-mnist", "--data", "x.csv"}}) {
            Run r = train(args);
            assertEquals(2, r.status, String.join(" ", args) + ": " + r.out);
            assertEquals(1, r.err.lines().count(), r.err);
            assertEquals("", r.out, "nothing trained");
        }
        assertTrue(train("--model", "rnn").err.contains("--model must be one of mlp, cnn, gpt, got 'rnn'"));
        writeSet(dir.resolve("odd.idx"), dir.resolve("odd-lab.idx"), 40, 0);
        Files.writeString(dir.resolve("wide.csv"), "label,a,b,c\n" + "0,0,1,1\n1,1,0,0\n".repeat(20));
        Run notSquare = train("--model", "cnn", "--data", dir.resolve("wide.csv").toString(), "--classes", "2", "--batch", "8");
        assertEquals(2, notSquare.status);
        assertTrue(notSquare.err.contains("--model cnn takes square single-channel images"), notSquare.err);
    }
}
