package dev.panagrad.examples.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * A text as a sequence of character ids for the character-level GPT: the vocabulary is the text's
 * distinct characters (Unicode code points, sorted), the last {@code heldOutFraction} of the text is
 * held out for validation. The default text is the Chinese PyTorch autograd tutorial shipped with the
 * examples ({@code autograd-tutorial.zh.md}).
 */
public final class CharText {
    /** The resource the job trains on without {@code --text}. */
    public static final String TUTORIAL = "/dev/panagrad/examples/tutorial/autograd-tutorial.zh.md";

    private final String source;
    private final int[] vocab;     // id -> code point
    private final long[] ids;       // the text, one id per code point
    private final int trainLength;

    private CharText(String source, String text, double heldOutFraction) {
        this.source = source;
        int[] cps = text.codePoints().toArray();
        TreeSet<Integer> distinct = new TreeSet<>();
        for (int c : cps) distinct.add(c);
        this.vocab = distinct.stream().mapToInt(Integer::intValue).toArray();
        this.ids = new long[cps.length];
        for (int i = 0; i < cps.length; i++) ids[i] = Arrays.binarySearch(vocab, cps[i]);
        this.trainLength = (int) Math.round(cps.length * (1 - heldOutFraction));
    }

    /** The tutorial text shipped in the examples' resources. */
    public static CharText tutorial(double heldOutFraction) throws IOException {
        try (InputStream in = CharText.class.getResourceAsStream(TUTORIAL)) {
            if (in == null) throw new IOException("the resource " + TUTORIAL + " is missing from the class path");
            return of("the autograd tutorial (autograd-tutorial.zh.md)", decode(in.readAllBytes(), TUTORIAL), heldOutFraction);
        }
    }

    /** A UTF-8 text file; empty, non-UTF-8 or unreadable files are refused naming the file. */
    public static CharText file(Path file, double heldOutFraction) throws IOException {
        if (!Files.exists(file)) throw new IllegalArgumentException("--text " + file + ": no such file");
        if (Files.isDirectory(file)) throw new IllegalArgumentException("--text " + file + ": is a directory, not a text file");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--text " + file + ": cannot be read (" + e.getMessage() + ")");
        }
        return of(file.toString(), decode(bytes, "--text " + file), heldOutFraction);
    }

    static CharText of(String source, String text, double heldOutFraction) {
        if (text.isEmpty()) throw new IllegalArgumentException(source + ": the text is empty; give a UTF-8 text file with at least a few hundred characters");
        return new CharText(source, text, heldOutFraction);
    }

    private static String decode(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            int at = firstBadByte(bytes);
            throw new IllegalArgumentException(what + ": not UTF-8 text (an invalid byte sequence at byte offset " + at + ")");
        }
    }

    /** The offset of the first byte where UTF-8 decoding fails. */
    private static int firstBadByte(byte[] bytes) {
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        var out = java.nio.CharBuffer.allocate(bytes.length + 1);
        var r = decoder.decode(in, out, true);
        return r.isError() ? in.position() : bytes.length;
    }

    public String source() { return source; }

    public int vocabSize() { return vocab.length; }

    public long[] ids() { return ids; }

    public int length() { return ids.length; }

    /** Characters [0, trainLength) train; the rest are held out. */
    public int trainLength() { return trainLength; }

    public String decode(long[] tokens) {
        StringBuilder b = new StringBuilder();
        for (long t : tokens) b.appendCodePoint(vocab[(int) t]);
        return b.toString();
    }

    /**
     * The unigram baseline: the cross-entropy (nats per character) of the held-out characters under the
     * training characters' frequencies (add-one smoothed over the vocabulary), what a model that ignores
     * context can reach.
     */
    public double unigramBaseline() {
        double[] counts = new double[vocab.length];
        Arrays.fill(counts, 1);
        for (int i = 0; i < trainLength; i++) counts[(int) ids[i]]++;
        double total = trainLength + vocab.length, nll = 0;
        for (int i = trainLength; i < ids.length; i++) nll -= Math.log(counts[(int) ids[i]] / total);
        return nll / Math.max(1, ids.length - trainLength);
    }
}
