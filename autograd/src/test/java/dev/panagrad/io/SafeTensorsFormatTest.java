package dev.panagrad.io;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SafeTensors#load} against the format's own rules (huggingface/safetensors, tensor.rs:
 * {@code read_metadata} and {@code Metadata::validate}): u64 LE header length of at most 100 000 000
 * bytes, a UTF-8 JSON object, each tensor {dtype, shape, data_offsets}, offsets that tile the data
 * buffer exactly in offset order, element count times dtype size equal to the span (checked
 * multiplication), {@code __metadata__} a map of strings. Every failure is an IOException naming
 * the file, never a JSON library's message.
 */
class SafeTensorsFormatTest {
    @TempDir Path dir;

    private Path file(String header, byte[] data) throws IOException {
        return file(header.getBytes(StandardCharsets.UTF_8), data);
    }

    private Path file(byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        Path f = dir.resolve("crafted.safetensors");
        Files.write(f, b.array());
        return f;
    }

    /** Loads {@code f}, expects an IOException naming the file, and returns its message. */
    private static String refused(Path f) {
        IOException e = assertThrows(IOException.class, () -> SafeTensors.load(f));
        String m = e.getMessage();
        assertTrue(m.contains(f.toString()), m);
        assertFalse(m.contains("\n"), "one line: " + m);
        String lower = m.toLowerCase();
        for (String leak : List.of("gson", "http", "setstrictness", "malformed", "exception", "jsonreader")) {
            assertFalse(lower.contains(leak), "a library's words in: " + m);
        }
        return m;
    }

    private static void assertMessage(String expectedPart, Path f) {
        String m = refused(f);
        assertTrue(m.contains(expectedPart), "expected '" + expectedPart + "' in: " + m);
    }

    private static String f32(String name, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void tensorsMayBeListedInAnyOrderAsLongAsTheirOffsetsTileTheData() throws IOException {
        byte[] data = new byte[16];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3).putFloat(4);
        Path f = file("{" + f32("b", "[2]", 8, 16) + "," + f32("a", "[2]", 0, 8) + ",\"__metadata__\":{\"k\":\"v\"}}   ", data);
        SafeTensors.Contents c = SafeTensors.load(f);
        assertEquals(List.of("b", "a"), List.copyOf(c.tensors().keySet()));   // the header's order
        assertArrayEquals(new float[] {3, 4}, c.tensors().get("b").toFloatArray());
        assertArrayEquals(new float[] {1, 2}, c.tensors().get("a").toFloatArray());
        assertEquals(Map.of("k", "v"), c.metadata());
    }

    @Test
    void offsetsMustTileTheDataWithoutOverlapOrGap() throws IOException {
        assertMessage("tensor 'b' (data_offsets [4, 12]) overlaps the tensor before it, which ends at 8",
                file("{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[2]", 4, 12) + "}", new byte[12]));
        assertMessage("tensor 'b' (data_offsets [12, 20]) leaves a gap of 4 bytes after the tensor before it, which ends at 8",
                file("{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[2]", 12, 20) + "}", new byte[20]));
        assertMessage("tensor 'a' (data_offsets [4, 12]) leaves a gap of 4 bytes at the start of the data",
                file("{" + f32("a", "[2]", 4, 12) + "}", new byte[12]));
        assertMessage("the tensors cover 8 data bytes but the file holds 12",
                file("{" + f32("a", "[2]", 0, 8) + "}", new byte[12]));
        assertMessage("tensor 'a' has data_offsets [8, 0]: the end is before the beginning",
                file("{" + f32("a", "[2]", 8, 0) + "}", new byte[8]));
        assertMessage("tensor 'a': data_offsets must be [begin, end], got 3 numbers",
                file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", new byte[8]));
        assertMessage("tensor 'a' is F32 [2] = 8 bytes, but its data_offsets [0, 12] span 12",
                file("{" + f32("a", "[2]", 0, 12) + "}", new byte[12]));
    }

    @Test
    void shapesMustBeNonNegativeIntegersWhoseSizeDoesNotOverflow() throws IOException {
        assertMessage("tensor 'a': shape: 2.0 is not a whole number", file("{" + f32("a", "[2.0]", 0, 8) + "}", new byte[8]));
        assertMessage("tensor 'a': shape: 2e0 is not a whole number", file("{" + f32("a", "[2e0]", 0, 8) + "}", new byte[8]));
        assertMessage("tensor 'a': shape: -2 is negative", file("{" + f32("a", "[-2]", 0, 8) + "}", new byte[8]));
        assertMessage("tensor 'a': shape: expected a number, found '\"'", file("{" + f32("a", "[\"2\"]", 0, 8) + "}", new byte[8]));
        assertMessage("tensor 'a': shape: 99999999999999999999 is too large",
                file("{" + f32("a", "[99999999999999999999]", 0, 8) + "}", new byte[8]));
        assertMessage("tensor 'a': shape: dimension 4294967296 is larger than Panagrad's limit of 2147483647",
                file("{" + f32("a", "[4294967296]", 0, 8) + "}", new byte[8]));
        // issue 10: an element count that overflows a long
        assertMessage("tensor 'a': the element count of shape [2147483647, 2147483647, 2147483647] overflows a 64-bit integer",
                file("{" + f32("a", "[2147483647,2147483647,2147483647]", 0, 8) + "}", new byte[8]));
        assertMessage("tensor 'a': the byte size of F64 [2147483647, 2147483647, 2] overflows a 64-bit integer",
                file("{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2],\"data_offsets\":[0,8]}}", new byte[8]));
        assertMessage("tensor 'a': data_offsets: -8 is negative", file("{" + f32("a", "[2]", -8, 0) + "}", new byte[8]));
    }

    @Test
    void namesFieldsAndMetadataKeysMustBeUnique() throws IOException {
        assertMessage("duplicate tensor name 'a'",
                file("{" + f32("a", "[1]", 0, 4) + "," + f32("a", "[1]", 4, 8) + "}", new byte[8]));
        assertMessage("tensor 'a': duplicate field 'shape'",
                file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]));
        assertMessage("__metadata__: duplicate key 'k'", file("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", new byte[0]));
        assertMessage("__metadata__ appears twice", file("{\"__metadata__\":{},\"__metadata__\":{}}", new byte[0]));
        assertMessage("tensor 'a': missing field 'data_offsets'", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]));
        assertMessage("tensor 'a': unknown field 'offsets' (a tensor has dtype, shape and data_offsets)",
                file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"offsets\":[0,4]}}", new byte[4]));
        assertMessage("tensor 'a' has dtype F16, which Panagrad does not support (F32, F64, BF16, I64, BOOL)",
                file("{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[2]));
    }

    @Test
    void metadataValuesMustBeStrings() throws IOException {
        assertMessage("__metadata__: the value of 'epoch' is a number, not a string", file("{\"__metadata__\":{\"epoch\":3}}", new byte[0]));
        assertMessage("__metadata__: the value of 'x' is an object, not a string", file("{\"__metadata__\":{\"x\":{}}}", new byte[0]));
        assertMessage("__metadata__: the value of 'x' is null, not a string", file("{\"__metadata__\":{\"x\":null}}", new byte[0]));
        assertMessage("__metadata__ must be an object of strings, found '['", file("{\"__metadata__\":[]}", new byte[0]));
    }

    @Test
    void theHeaderMustBeValidUtf8JsonWithNothingAfterIt() throws IOException {
        byte[] bad = {'{', '"', 'a', (byte) 0xFF, '"', ':', '{', '}', '}'};
        assertMessage("the header is not valid UTF-8 (byte 3 of the header)", file(bad, new byte[0]));
        byte[] overlong = {'{', '"', (byte) 0xC0, (byte) 0xAF, '"', ':', '{', '}', '}'};   // "/" encoded in two bytes
        assertMessage("the header is not valid UTF-8 (byte 2 of the header)", file(overlong, new byte[0]));
        assertMessage("the header has more after its JSON object, at byte 2: 'x'", file("{}x", new byte[0]));
        assertMessage("the header has more after its JSON object, at byte 3: '{'", file("{} {}", new byte[0]));
        assertMessage("the header must be a JSON object, found '['", file("[]", new byte[0]));
        assertMessage("the header is not valid JSON at byte 20: expected ',' or '}', found ']'",
                file("{\"__metadata__\":{}  ]", new byte[0]));
        assertMessage("the header is not valid JSON at byte 8: the string is not closed",
                file("{\"__meta", new byte[0]));
        assertMessage("the header is not valid JSON at byte 3: \\uD800 is half of a surrogate pair",
                file("{\"a\\uD800\":{}}", new byte[0]));
        assertMessage("the header is not valid JSON at byte 2: a control character (\\u000a) inside a string",
                file("{\"\n\":{}}", new byte[0]));
        // padding: trailing spaces are what writers (this one and the reference) use to align the data
        assertEquals(Map.of(), SafeTensors.load(file("{}      ", new byte[0])).tensors());
    }

    @Test
    void deepNestingIsAnErrorNotAStackOverflow() throws IOException {
        assertMessage("the header must be a JSON object, found '['", file("[".repeat(20_000), new byte[0]));
        assertMessage("tensor 'a' must be an object {dtype, shape, data_offsets}, found '['",
                file("{\"a\":" + "[".repeat(20_000) + "]".repeat(20_000) + "}", new byte[0]));
        assertMessage("tensor 'a': shape: expected a number, found '['",
                file("{\"a\":{\"dtype\":\"F32\",\"shape\":" + "[".repeat(20_000), new byte[0]));
    }

    @Test
    void namesInMessagesStayOnOneLine() throws IOException {
        Path f = file("{\"a\\nb\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        assertMessage("tensor 'a\\nb' is F32 [1] = 4 bytes", f);
    }

    @Test
    void theHeaderLengthIsCheckedBeforeAnythingIsRead() throws IOException {
        Path f = dir.resolve("len.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).putLong(0);   // 2^64 - 1
        Files.write(f, b.array());
        assertMessage("the header length 18446744073709551615 is larger than the format's limit of 100000000 bytes", f);
        b.clear();
        b.putLong(100_000_001L).putLong(0);
        Files.write(f, b.array());
        assertMessage("the header length 100000001 is larger than the format's limit of 100000000 bytes", f);
        b.clear();
        b.putLong(9).putLong(0);
        Files.write(f, b.array());
        assertMessage("the header says it is 9 bytes but the file has only 8 after the length (truncated?)", f);
    }

    @Test
    void filesThatCannotBeReadAreNamedWithTheReason() throws IOException {
        Path missing = dir.resolve("missing.safetensors");
        assertEquals("cannot read " + missing + ": no such file", refused(missing));
        Path relative = Path.of("no-such-dir-" + System.nanoTime(), "x.safetensors");
        assertEquals("cannot read " + relative + ": no such file (" + relative.toAbsolutePath() + ")", refused(relative));
        assertEquals("cannot read " + dir + ": it is a directory, not a file", refused(dir));
    }

    // ------------------------------------------------------------------ fuzzing

    private static Map<String, Tensor> sample(int variant) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w" + variant, Tensor.fromArray(new float[] {1.5f, -2f, Float.NaN, 0f, 7f, -0f}, 2, 3));
        if (variant % 2 == 0) m.put("d", Tensor.fromArray(DType.F64, new double[] {Math.PI, -1e-300}, 2));
        if (variant % 3 == 0) m.put("i", Tensor.fromArray(new long[] {-1, Long.MAX_VALUE, 3}, 3));
        if (variant % 4 == 1) m.put("b.mask", Tensor.of(1, 0, 1, 1).gt(0.5));
        if (variant % 5 == 2) m.put("empty", Tensor.zeros(0, 4));
        if (variant % 3 == 1) m.put("h", Tensor.fromArray(new float[] {1.00390625f, -3e38f, Float.NaN, 1e-40f}, 2, 2).to(DType.BF16));
        return m;
    }

    /** The bytes of a loaded tensor, as it lies in memory. */
    private static byte[] bytesOf(Tensor t) {
        long n = t.numel() * t.dtype().byteSize();
        return t.storage().segment().asSlice(t.storageOffset() * t.dtype().byteSize(), n).toArray(JAVA_BYTE);
    }

    /**
     * Checks a successful load against an independent reading of the same bytes (Gson for the JSON):
     * the same names, dtypes, shapes and metadata, each tensor's bytes those its offsets select.
     */
    private static void assertLoadIsWhatTheBytesSay(byte[] file, SafeTensors.Contents c, String what) {
        long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject header = JsonParser.parseString(new String(file, 8, (int) n, StandardCharsets.UTF_8)).getAsJsonObject();
        Map<String, String> meta = new LinkedHashMap<>();
        if (header.has("__metadata__")) header.getAsJsonObject("__metadata__").entrySet().forEach(e -> meta.put(e.getKey(), e.getValue().getAsString()));
        assertEquals(meta, c.metadata(), what);
        List<String> names = header.keySet().stream().filter(k -> !k.equals("__metadata__")).toList();
        assertEquals(names, List.copyOf(c.tensors().keySet()), what);
        for (String name : names) {
            JsonObject e = header.getAsJsonObject(name);
            Tensor t = c.tensors().get(name);
            assertEquals(e.get("dtype").getAsString(), switch (t.dtype()) { case F32 -> "F32"; case F64 -> "F64"; case BF16 -> "BF16"; case I64 -> "I64"; case BOOL -> "BOOL"; }, what);
            JsonArray shape = e.getAsJsonArray("shape");
            int[] expected = new int[shape.size()];
            for (int i = 0; i < expected.length; i++) expected[i] = shape.get(i).getAsInt();
            assertArrayEquals(expected, t.shape(), what + " " + name);
            JsonArray off = e.getAsJsonArray("data_offsets");
            int begin = (int) (8 + n + off.get(0).getAsLong()), end = (int) (8 + n + off.get(1).getAsLong());
            assertArrayEquals(Arrays.copyOfRange(file, begin, end), bytesOf(t), what + " " + name);
        }
    }

    @Test
    void mutatedFilesLoadAsTheirBytesSayOrFailWithAnIOExceptionNamingTheFile() throws IOException {
        Random rnd = new Random(20240610L);
        Path f = dir.resolve("mutant.safetensors");
        int loaded = 0, refused = 0;
        for (int variant = 0; variant < 6; variant++) {
            Path original = dir.resolve("valid" + variant + ".safetensors");
            Map<String, String> meta = new LinkedHashMap<>();   // ordered: the same file, the same mutants, every run
            if (variant % 2 == 0) {
                meta.put("epoch", "3");
                meta.put("note", "\u00e9t\u00e9");
            }
            SafeTensors.save(original, sample(variant), meta);
            byte[] good = Files.readAllBytes(original);
            int headerEnd = 8 + (int) ByteBuffer.wrap(good, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            for (int i = 0; i < 500; i++) {
                byte[] m = mutate(good, headerEnd, rnd);
                Files.write(f, m);
                String what = "variant " + variant + " mutant " + i;
                try {
                    SafeTensors.Contents c = SafeTensors.load(f);
                    assertLoadIsWhatTheBytesSay(m, c, what);
                    loaded++;
                } catch (IOException e) {
                    assertTrue(e.getMessage().startsWith("not a valid safetensors file: " + f + ": "), what + ": " + e.getMessage());
                    assertFalse(e.getMessage().contains("\n"), what + ": " + e.getMessage());
                    refused++;
                }
            }
        }
        // both outcomes happen often: the mutations reach the header and the data
        assertTrue(loaded > 200 && refused > 1000, "loaded " + loaded + ", refused " + refused);
    }

    /** One random damage: flipped bits, a byte set to a JSON-significant character, a cut, an insertion, a digit change. */
    private static byte[] mutate(byte[] good, int headerEnd, Random rnd) {
        byte[] m = good.clone();
        int at = rnd.nextInt(4) == 0 ? rnd.nextInt(m.length) : rnd.nextInt(headerEnd);   // mostly in the length and header
        byte[] special = "{}[]\",:-.0123456789eE \\u".getBytes(StandardCharsets.US_ASCII);
        return switch (rnd.nextInt(5)) {
            case 0 -> { m[at] ^= (byte) (1 << rnd.nextInt(8)); yield m; }
            case 1 -> { m[at] = special[rnd.nextInt(special.length)]; yield m; }
            case 2 -> Arrays.copyOf(m, at);
            case 3 -> {
                byte[] ins = new byte[1 + rnd.nextInt(3)];
                for (int k = 0; k < ins.length; k++) ins[k] = rnd.nextBoolean() ? special[rnd.nextInt(special.length)] : (byte) rnd.nextInt(256);
                byte[] out = new byte[m.length + ins.length];
                System.arraycopy(m, 0, out, 0, at);
                System.arraycopy(ins, 0, out, at, ins.length);
                System.arraycopy(m, at, out, at + ins.length, m.length - at);
                yield out;
            }
            default -> {   // change a digit in the header, keeping the length: offsets and shapes that still parse
                for (int k = 0; k < 50; k++) {
                    int p = 8 + rnd.nextInt(headerEnd - 8);
                    if (m[p] >= '0' && m[p] <= '9') { m[p] = (byte) ('0' + rnd.nextInt(10)); break; }
                }
                yield m;
            }
        };
    }
}
