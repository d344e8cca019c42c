package dev.panagrad.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.panagrad.Shape;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import java.io.IOException;
import java.io.StringReader;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (what Hugging Face and PyTorch tools read): an 8-byte little-endian header
 * length N, N bytes of JSON ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
 * "__metadata__": {..}}}), then the raw little-endian tensor bytes, offsets relative to the end of the
 * header. Saving writes a temporary file beside the target, forces it to disk and renames it over the
 * target, so a crash mid-save leaves the old file whole. Loading checks every offset and size before
 * reading a byte, so a truncated or corrupt file is an {@link IOException} that says what is wrong.
 */
public final class SafeTensors {
    private static final long MAX_HEADER = 100L << 20;   // the reference implementation's limit

    static {
        // tensor bytes go to and from the file as they lie in memory
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) throw new ExceptionInInitializerError("safetensors needs a little-endian platform");
    }

    private SafeTensors() {}

    /** What a file holds: tensors in file order, and the string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        Map<String, Tensor> contiguous = new LinkedHashMap<>();
        long offset = 0;
        for (var e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("a tensor can't be named __metadata__");
            Tensor t = e.getValue().contiguous();
            long bytes = t.numel() * t.dtype().byteSize();
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", code(t.dtype()));
            JsonArray shape = new JsonArray();
            for (int d : t.shape()) shape.add(d);
            entry.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + bytes);
            entry.add("data_offsets", offsets);
            header.add(e.getKey(), entry);
            contiguous.put(e.getKey(), t);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;   // pad with spaces so the data starts 8-byte aligned
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, head);
                for (Tensor t : contiguous.values()) {
                    long bytes = t.numel() * t.dtype().byteSize();
                    MemorySegment seg = t.storage().kernelSegment().asSlice(t.storageOffset() * t.dtype().byteSize(), bytes);
                    writeFully(ch, seg.asByteBuffer());
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static void save(Path file, Map<String, Tensor> tensors) throws IOException { save(file, tensors, Map.of()); }

    public static Contents load(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw corrupt(file, "it is " + size + " bytes long, shorter than the 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long n = lenBuf.flip().getLong();
            if (n < 2 || n > MAX_HEADER) throw corrupt(file, "the header length " + n + " is not a plausible size (2 .. " + MAX_HEADER + " bytes)");
            if (8 + n > size) throw corrupt(file, "the header says it is " + n + " bytes but the file has only " + (size - 8) + " after the length (truncated?)");
            ByteBuffer headBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headBuf, 8, file);
            JsonObject header = parseHeader(file, headBuf.array());
            long dataStart = 8 + n, dataSize = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            long expectedEnd = 0;
            for (var e : header.entrySet()) {
                String name = e.getKey();
                if (name.equals("__metadata__")) {
                    if (!e.getValue().isJsonObject()) throw corrupt(file, "__metadata__ is not an object");
                    for (var m : e.getValue().getAsJsonObject().entrySet()) metadata.put(m.getKey(), m.getValue().getAsString());
                    continue;
                }
                Entry entry = parseEntry(file, name, e.getValue());
                long bytes = entry.numel() * entry.dtype().byteSize();
                if (entry.end() - entry.begin() != bytes) {
                    throw corrupt(file, "tensor '" + name + "' is " + entry.dtype() + " " + Shape.str(entry.shape()) + " = " + bytes
                            + " bytes, but its data_offsets span " + (entry.end() - entry.begin()));
                }
                if (entry.end() > dataSize) {
                    throw corrupt(file, "tensor '" + name + "' ends at byte " + entry.end() + " of the data, but the file holds only "
                            + dataSize + " data bytes (truncated?)");
                }
                expectedEnd = Math.max(expectedEnd, entry.end());
                Tensor t = Tensor.empty(entry.dtype(), entry.shape());
                if (bytes > 0) readFully(ch, t.storage().kernelSegment().asSlice(0, bytes).asByteBuffer(), dataStart + entry.begin(), file);
                tensors.put(name, t);
            }
            if (expectedEnd != dataSize) throw corrupt(file, "the tensors cover " + expectedEnd + " data bytes but the file holds " + dataSize);
            return new Contents(tensors, metadata);
        }
    }

    private static JsonObject parseHeader(Path file, byte[] bytes) throws IOException {
        JsonElement parsed;
        boolean trailing;
        try {
            JsonReader reader = new JsonReader(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
            reader.setStrictness(Strictness.STRICT);
            parsed = JsonParser.parseReader(reader);
            trailing = reader.peek() != JsonToken.END_DOCUMENT;
        } catch (JsonParseException | IOException e) {
            throw corrupt(file, "the header is not valid JSON (" + e.getMessage() + ")");
        }
        if (trailing) throw corrupt(file, "the header has bytes after its JSON object");
        if (!parsed.isJsonObject()) throw corrupt(file, "the header is not a JSON object");
        return parsed.getAsJsonObject();
    }

    private record Entry(DType dtype, int[] shape, long numel, long begin, long end) {}

    private static Entry parseEntry(Path file, String name, JsonElement el) throws IOException {
        try {
            JsonObject o = el.getAsJsonObject();
            DType dtype = dtype(file, name, o.get("dtype").getAsString());
            JsonArray s = o.getAsJsonArray("shape");
            int[] shape = new int[s.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                long d = s.get(i).getAsLong();
                if (d < 0 || d > Integer.MAX_VALUE) throw corrupt(file, "tensor '" + name + "' has an invalid dimension " + d);
                shape[i] = (int) d;
                numel = Math.multiplyExact(numel, d);
            }
            JsonArray off = o.getAsJsonArray("data_offsets");
            long begin = off.get(0).getAsLong(), end = off.get(1).getAsLong();
            if (off.size() != 2 || begin < 0 || end < begin) throw corrupt(file, "tensor '" + name + "' has invalid data_offsets " + off);
            return new Entry(dtype, shape, numel, begin, end);
        } catch (IllegalStateException | NullPointerException | UnsupportedOperationException | IndexOutOfBoundsException
                 | NumberFormatException | ArithmeticException e) {
            throw corrupt(file, "the header entry for '" + name + "' is malformed: " + el);
        }
    }

    private static String code(DType d) {
        return switch (d) {
            case F32 -> "F32";
            case F64 -> "F64";
            case I64 -> "I64";
            case BOOL -> "BOOL";
        };
    }

    private static DType dtype(Path file, String name, String code) throws IOException {
        return switch (code) {
            case "F32" -> DType.F32;
            case "F64" -> DType.F64;
            case "I64" -> DType.I64;
            case "BOOL" -> DType.BOOL;
            default -> throw corrupt(file, "tensor '" + name + "' has dtype " + code + ", which Panagrad does not support (F32, F64, I64, BOOL)");
        };
    }

    private static IOException corrupt(Path file, String why) {
        return new IOException("not a valid safetensors file: " + file + ": " + why);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position, Path file) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw corrupt(file, "it ended early at byte " + pos + " (truncated)");
            pos += r;
        }
    }
}
