package dev.panagrad.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.panagrad.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (what Hugging Face and PyTorch tools read): an 8-byte little-endian header
 * length N, N bytes of JSON ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
 * "__metadata__": {..}}}), then the raw little-endian tensor bytes, offsets relative to the end of the
 * header. Saving goes through {@link AtomicFiles} (a temporary beside the target, forced to disk,
 * renamed over it), so a crash mid-save leaves the old file whole. Loading checks the whole header
 * before reading a byte of data, so a truncated or corrupt file is an {@link IOException} that says
 * what is wrong.
 */
public final class SafeTensors {
    private static final long MAX_HEADER = 100_000_000;   // the reference implementation's limit (MAX_HEADER_SIZE)

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
            entry.addProperty("dtype", SafeTensorsHeader.code(t.dtype()));
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

        AtomicFiles.write(file, ch -> {
            writeFully(ch, head);
            for (Tensor t : contiguous.values()) {
                long bytes = t.numel() * t.dtype().byteSize();
                MemorySegment seg = t.storage().kernelSegment().asSlice(t.storageOffset() * t.dtype().byteSize(), bytes);
                writeFully(ch, seg.asByteBuffer());
            }
        });
    }

    public static void save(Path file, Map<String, Tensor> tensors) throws IOException { save(file, tensors, Map.of()); }

    /**
     * Reads {@code file} by the format's rules (those of huggingface/safetensors): a header length of
     * at most 100 000 000 bytes; a UTF-8 JSON object whose entries are {dtype, shape, data_offsets} with
     * unique names and an optional {@code __metadata__} map of strings; offsets that, sorted, tile the
     * data after the header exactly (no overlap, no gap, nothing after the last tensor); each span equal
     * to the element count times the dtype's size, computed without overflow. Anything else is an
     * {@link IOException} naming the file and what is wrong; nothing is read past the header until the
     * whole header checks out.
     *
     * @return the tensors in the header's order, and the metadata
     */
    public static Contents load(Path file) throws IOException {
        FileErrors.checkReadable(file);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw FileErrors.cannotRead(file, e);
        }
        try (ch) {
            long size = ch.size();
            if (size < 8) throw corrupt(file, "it is " + size + " bytes long, shorter than the 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long n = lenBuf.flip().getLong();   // unsigned
            if (Long.compareUnsigned(n, MAX_HEADER) > 0) {
                throw corrupt(file, "the header length " + Long.toUnsignedString(n) + " is larger than the format's limit of " + MAX_HEADER + " bytes");
            }
            if (n > size - 8) throw corrupt(file, "the header says it is " + n + " bytes but the file has only " + (size - 8) + " after the length (truncated?)");
            ByteBuffer headBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headBuf, 8, file);
            SafeTensorsHeader.Parsed header;
            try {
                header = SafeTensorsHeader.parse(utf8(file, headBuf.array()));
            } catch (SafeTensorsHeader.Invalid e) {
                throw corrupt(file, e.getMessage());
            }
            long dataStart = 8 + n, dataSize = size - dataStart;
            checkLayout(file, header.entries(), dataSize);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (SafeTensorsHeader.Entry e : header.entries()) {
                Tensor t = Tensor.empty(e.dtype(), e.shape());
                if (e.byteSize() > 0) readFully(ch, t.storage().kernelSegment().asSlice(0, e.byteSize()).asByteBuffer(), dataStart + e.begin(), file);
                tensors.put(e.name(), t);
            }
            return new Contents(tensors, header.metadata());
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains(file.toString())) throw e;
            throw FileErrors.cannotRead(file, e);
        }
    }

    /** The data offsets, in offset order, must tile [0, dataSize) exactly, as the reference implementation requires. */
    private static void checkLayout(Path file, List<SafeTensorsHeader.Entry> entries, long dataSize) throws IOException {
        for (SafeTensorsHeader.Entry e : entries) {
            if (e.end() > dataSize) {
                throw corrupt(file, "tensor " + SafeTensorsHeader.quote(e.name()) + " ends at byte " + e.end() + " of the data, but the file holds only "
                        + dataSize + " data bytes (truncated?)");
            }
        }
        List<SafeTensorsHeader.Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(SafeTensorsHeader.Entry::begin).thenComparingLong(SafeTensorsHeader.Entry::end));
        long covered = 0;
        for (SafeTensorsHeader.Entry e : sorted) {
            String t = "tensor " + SafeTensorsHeader.quote(e.name()) + " (data_offsets [" + e.begin() + ", " + e.end() + "])";
            if (e.begin() < covered) throw corrupt(file, t + " overlaps the tensor before it, which ends at " + covered);
            if (e.begin() > covered) {
                throw corrupt(file, t + " leaves a gap of " + (e.begin() - covered) + " bytes "
                        + (covered == 0 ? "at the start of the data" : "after the tensor before it, which ends at " + covered));
            }
            covered = e.end();
        }
        if (covered != dataSize) throw corrupt(file, "the tensors cover " + covered + " data bytes but the file holds " + dataSize);
    }

    private static String utf8(Path file, byte[] bytes) throws IOException {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, true);
        if (!r.isError()) r = d.flush(out);
        if (r.isError()) throw corrupt(file, "the header is not valid UTF-8 (byte " + in.position() + " of the header)");
        return out.flip().toString();
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
