package dev.panagrad.examples.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./panagrad train --model gpt} on tiny models: it learns, it is deterministic, and bad input stops it before anything is written. */
class GptCommandTest {
    @TempDir Path dir;

    record Run(int status, String out, String err) {
        double number(String label) {
            Matcher m = Pattern.compile("(?m)^" + label + " (\\d+\\.\\d{4})$").matcher(out);
            assertTrue(m.find(), "no line '" + label + " X.XXXX' in:\n" + out + err);
            return Double.parseDouble(m.group(1));
        }
    }

    private Run gpt(String... args) {
        List<String> all = new ArrayList<>(List.of("--model", "gpt", "--no-progress", "--plot", dir.resolve("gpt.png").toString()));
        all.addAll(List.of(args));
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int status = TrainCommand.main(all.toArray(String[]::new), new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    private static final String[] TINY = {"--layers", "1", "--width", "32", "--heads", "2", "--context", "16", "--batch", "8", "--lr", "0.01", "--warmup", "5"};

    private Run tiny(String... more) {
        List<String> a = new ArrayList<>(List.of(TINY));
        a.addAll(List.of(more));
        return gpt(a.toArray(String[]::new));
    }

    private Path text(String content) throws Exception {
        Path f = dir.resolve("text.txt");
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void onARepetitiveTextTheValidationLossFallsFarBelowTheUnigramBaseline() throws Exception {
        Path f = text("the cat sat on the mat. ".repeat(60));
        Run r = tiny("--text", f.toString(), "--epochs", "2", "--steps-per-epoch", "30", "--sample", "24");
        assertEquals(0, r.status(), r.err());
        double baseline = r.number("unigram baseline"), val = r.number("validation loss");
        assertTrue(val < 0.5 * baseline, "validation loss " + val + " against the unigram baseline " + baseline + "\n" + r.out());
        assertTrue(r.out().contains("epoch 2/2  train loss "), r.out());
        assertTrue(r.out().matches("(?s).*  [\\d,]+ tokens/s  peak native [\\d.]+ [KMG]iB\n.*"), r.out());
        assertTrue(Files.size(dir.resolve("gpt.png")) > 0);
        String sample = r.out().lines().dropWhile(l -> !l.startsWith("sample (temperature 0.8, seed 0):")).skip(1).findFirst().orElseThrow();
        assertEquals(25, sample.codePointCount(0, sample.length()), "the prompt character and 24 generated: '" + sample + "'");
    }

    @Test
    void theSameSeedGivesTheSameLossesAndSample() {
        Run a = tiny("--epochs", "1", "--steps-per-epoch", "3", "--sample", "30", "--seed", "5");
        Run b = tiny("--epochs", "1", "--steps-per-epoch", "3", "--sample", "30", "--seed", "5");
        assertEquals(0, a.status(), a.err());
        assertEquals(strip(a.out()), strip(b.out()));
        assertTrue(a.out().contains("data    the autograd tutorial (autograd-tutorial.zh.md): "), a.out());
        Run c = tiny("--epochs", "1", "--steps-per-epoch", "3", "--sample", "30", "--seed", "6");
        assertNotEquals(a.number("validation loss"), c.number("validation loss"));
    }

    /** Without the throughput and memory columns, which vary run to run. */
    private static String strip(String out) {
        return out.replaceAll("  [\\d,]+ tokens/s  peak native .*", "");
    }

    @Test
    void anEmptyTextIsRefusedAndNothingIsWritten() throws Exception {
        Path f = text("");
        Run r = tiny("--text", f.toString());
        assertEquals(2, r.status());
        assertEquals("train: " + f + ": the text is empty; give a UTF-8 text file with at least a few hundred characters\n", r.err());
        assertFalse(Files.exists(dir.resolve("gpt.png")));
    }

    @Test
    void aFileThatIsNotUtf8IsRefusedNamingTheByte() throws Exception {
        Path f = dir.resolve("latin1.txt");
        Files.write(f, "caf\u00e9 au lait".getBytes(StandardCharsets.ISO_8859_1));
        Run r = tiny("--text", f.toString());
        assertEquals(2, r.status());
        assertEquals("train: --text " + f + ": not UTF-8 text (an invalid byte sequence at byte offset 3)\n", r.err());
        assertFalse(Files.exists(dir.resolve("gpt.png")));
    }

    @Test
    void badOptionsAreRefusedNamingTheValues() throws Exception {
        assertEquals("train: --heads 3 does not divide --width 32 (each head gets width/heads channels)\n", tiny("--heads", "3").err());
        assertEquals("train: --model must be one of mlp, cnn, gpt, got 'rnn'\n", gpt("--model", "rnn").err());
        Path f = text("short text");
        Run r = tiny("--text", f.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains(": 10 characters is too short for --context 16"), r.err());
        assertTrue(gpt("--help").out().contains("--steps-per-epoch N"));
    }

    @Test
    void aSequenceLongerThanThePositionalTableIsRefused() {
        GptModel m = new GptModel(10, 16, 1, 2, 8, new Generator(0));
        var e = assertThrows(IllegalArgumentException.class, () -> m.forward(Tensor.zeros(dev.panagrad.memory.DType.I64, 1, 9)));
        assertEquals("GPT: a sequence of 9 tokens is longer than the context of 8 (the positional table has 8 rows)", e.getMessage());
    }
}
