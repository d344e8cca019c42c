package dev.panagrad.examples.train;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.io.FileErrors;
import dev.panagrad.memory.DType;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;

/**
 * Samples as one native float32 matrix [N, features] and int64 labels [N]. Loaders check what they
 * read: a missing, truncated or ragged file, a value that is not a finite float32, or a label outside
 * [0, classes), is a {@link DataException} naming the file, the place and the values.
 */
public record Dataset(Tensor features, Tensor labels, String description) {

    public static final class DataException extends RuntimeException {
        public DataException(String message) { super(message); }
    }

    public int size() { return features.size(0); }

    public int featureCount() { return features.size(1); }

    /** Rows [from, to). */
    public Dataset slice(int from, int to, String what) {
        return new Dataset(features.slice(0, from, to), labels.slice(0, from, to), description + ", " + what);
    }

    /**
     * Training rows, as indices into the dataset (no copy), and the held-out rows, gathered into a
     * dataset of their own.
     */
    public record Split(long[] trainRows, Dataset heldOut) {}

    /** The last {@code heldOut} rows held out: for data whose rows are already in random order (the synthetic set). */
    public Split splitTail(int heldOut) {
        int n = size();
        long[] train = new long[n - heldOut];
        Arrays.setAll(train, i -> i);
        return new Split(train, slice(n - heldOut, n, "held-out rows"));
    }

    /**
     * {@code heldOut} rows drawn at random with {@code seed} (the same seed, the same rows), the
     * rest for training: a file sorted by label still gets a held-out set of every class.
     */
    public Split split(int heldOut, long seed) {
        int n = size();
        long[] order = new Generator(seed ^ 0x5B117L).permutation(n);
        long[] train = Arrays.copyOf(order, n - heldOut);
        Arrays.sort(train);
        Tensor held = Tensor.fromArrayRange(order, n - heldOut, n);
        return new Split(train, new Dataset(features.indexSelect(0, held), labels.indexSelect(0, held), description + ", held-out rows"));
    }

    /**
     * A deterministic synthetic classification set: each class is a mixture of two Gaussian blobs in
     * {@code features} dimensions (so a linear model cannot separate it perfectly), noise σ = 1. As
     * tensor ops, with a {@link Generator} of seed {@code seed ^ 0x5EED_DA7A}: {@code centres =
     * randn(2·classes, features) · 0.15}, {@code mode = randint(0, 2·classes, samples)}, {@code labels =
     * mode % classes}, {@code x = randn(samples, features) + centres[mode]}. The samples are written
     * straight into their native tensor a chunk of rows at a time, with the same numbers (the
     * Generator's stream is its SplittableRandom's): no Java array of the whole set (a double per
     * value) and no temporaries of its size.
     */
    public static Dataset synthetic(int samples, int features, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed ^ 0x5EED_DA7AL);
        double[] gaussians = new double[2 * classes * features];
        for (int i = 0; i < gaussians.length; i++) gaussians[i] = random.nextGaussian();
        float[] centres = Tensor.fromArray(DType.F32, gaussians, 2 * classes, features).mul(0.15).toFloatArray();
        long[] mode = new long[samples];
        for (int i = 0; i < samples; i++) mode[i] = random.nextLong(0, 2 * classes);
        Tensor x = Tensor.empty(DType.F32, samples, features);
        MemorySegment to = x.storage().segment();
        int rowsPerChunk = Math.max(1, 16384 / Math.max(1, features));
        float[] chunk = new float[rowsPerChunk * features];
        for (int row = 0; row < samples; row += rowsPerChunk) {
            int rows = Math.min(rowsPerChunk, samples - row);
            for (int r = 0; r < rows; r++) {
                int centre = (int) mode[row + r] * features;
                for (int j = 0; j < features; j++) chunk[r * features + j] = (float) random.nextGaussian() + centres[centre + j];
            }
            MemorySegment.copy(chunk, 0, to, ValueLayout.JAVA_FLOAT, (long) row * features * Float.BYTES, rows * features);
        }
        for (int i = 0; i < samples; i++) mode[i] %= classes;   // now the labels
        Tensor labels = Tensor.fromArray(mode, samples);
        return new Dataset(x, labels, "synthetic (" + features + " features, " + classes + " classes, seed " + seed + ")");
    }

    /** MNIST-style IDX files: unsigned-byte images [N, rows, cols] (or [N, d]) scaled to [0, 1], labels [N]. */
    public static Dataset idx(Path images, Path labels, int classes) throws IOException {
        Idx img = readIdx(images);
        Idx lab = readIdx(labels);
        if (img.dims.length < 2) throw new DataException(images + ": an images file has at least 2 dimensions, this one has shape " + java.util.Arrays.toString(img.dims));
        if (lab.dims.length != 1) throw new DataException(labels + ": a labels file has 1 dimension, this one has shape " + java.util.Arrays.toString(lab.dims));
        if (img.dims[0] != lab.dims[0]) {
            throw new DataException(images + " holds " + img.dims[0] + " images but " + labels + " holds " + lab.dims[0] + " labels");
        }
        int n = img.dims[0];
        int d = img.data.length / Math.max(1, n);
        float[] x = new float[img.data.length];
        for (int i = 0; i < x.length; i++) x[i] = (img.data[i] & 0xff) / 255f;
        long[] y = new long[n];
        for (int i = 0; i < n; i++) y[i] = checkLabel(lab.data[i] & 0xff, classes, labels, "label " + i);
        return new Dataset(Tensor.fromArray(x, n, d), Tensor.fromArray(y, n), "IDX: " + images.getFileName() + " (" + n + " x " + d + ")");
    }

    private record Idx(int[] dims, byte[] data) {}

    private static Idx readIdx(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(open(file))) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw) : raw;
            DataInputStream din = new DataInputStream(in);
            int magic;
            try {
                magic = din.readInt();
            } catch (EOFException e) {
                throw new DataException(file + ": too short for an IDX header (truncated?)");
            }
            int type = (magic >>> 8) & 0xff, ndims = magic & 0xff;
            if ((magic >>> 16) != 0 || type != 0x08 || ndims < 1 || ndims > 4) {
                throw new DataException(file + ": not an unsigned-byte IDX file (magic 0x" + Integer.toHexString(magic) + ", expected 0x0000080N)");
            }
            int[] dims = new int[ndims];
            long total = 1;
            try {
                for (int i = 0; i < ndims; i++) {
                    dims[i] = din.readInt();
                    if (dims[i] < 0) throw new DataException(file + ": dimension " + i + " is negative (" + dims[i] + ")");
                    total *= dims[i];
                }
            } catch (EOFException e) {
                throw new DataException(file + ": the header ends early (truncated?)");
            }
            if (total > Integer.MAX_VALUE - 16) throw new DataException(file + ": " + total + " values is more than one array holds");
            byte[] data = new byte[(int) total];
            int read = din.readNBytes(data, 0, data.length);
            if (read != data.length) {
                throw new DataException(file + ": the header promises " + total + " values of shape " + java.util.Arrays.toString(dims) + " but the file holds " + read + " (truncated)");
            }
            if (din.read() != -1) throw new DataException(file + ": bytes after the " + total + " values the header describes (wrong shape?)");
            return new Idx(dims, data);
        } catch (IOException e) {
            throw new DataException(FileErrors.cannotRead(file, e).getMessage());
        }
    }

    /**
     * CSV, one sample per row, every field numeric, the label in {@code labelColumn} (negative counts
     * from the end). A first row that is not numeric is taken as a header.
     */
    public static Dataset csv(Path file, int labelColumn, int classes) throws IOException {
        try (BufferedReader r = new BufferedReader(new java.io.InputStreamReader(open(file), StandardCharsets.UTF_8))) {
            FloatList x = new FloatList();
            LongList y = new LongList();
            int columns = -1, lineNo = 0, labelAt = -1;
            String line;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                String[] f = line.split(",", -1);
                if (columns < 0) {
                    if (lineNo == 1 && !isNumber(f[0].trim()) && !isNumber(f[f.length - 1].trim())) continue;   // header
                    columns = f.length;
                    if (columns < 2) throw new DataException(file + ": line " + lineNo + " has " + columns + " column; a sample needs a label and at least one feature");
                    labelAt = labelColumn < 0 ? columns + labelColumn : labelColumn;
                    if (labelAt < 0 || labelAt >= columns) throw new DataException(file + ": label column " + labelColumn + " does not exist; rows have " + columns + " columns");
                }
                if (f.length != columns) throw new DataException(file + ": line " + lineNo + " has " + f.length + " columns, the first row has " + columns);
                for (int c = 0; c < columns; c++) {
                    String s = f[c].trim();
                    if (c == labelAt) {
                        long label;
                        try {
                            double v = Double.parseDouble(s);
                            label = (long) v;
                            if (label != v) throw new NumberFormatException();
                        } catch (NumberFormatException e) {
                            throw new DataException(file + ": line " + lineNo + ": label '" + s + "' is not a whole number");
                        }
                        y.add(checkLabel(label, classes, file, "line " + lineNo));
                    } else {
                        float v;
                        try {
                            v = Float.parseFloat(s);
                        } catch (NumberFormatException e) {
                            throw new DataException(file + ": line " + lineNo + ", column " + c + ": '" + s + "' is not a number");
                        }
                        // NaN, an infinity, or a value past float32's range (1e39) would only show as a loss of NaN later
                        if (!Float.isFinite(v)) throw new DataException(file + ": line " + lineNo + ", column " + c + ": '" + s + "' is not a finite float32 number");
                        x.add(v);
                    }
                }
            }
            if (y.size == 0) throw new DataException(file + ": no samples");
            int n = y.size;
            return new Dataset(Tensor.fromArray(x.toArray(), n, columns - 1), Tensor.fromArray(y.toArray(), n),
                    "CSV: " + file.getFileName() + " (" + n + " x " + (columns - 1) + ")");
        } catch (IOException e) {
            throw new DataException(FileErrors.cannotRead(file, e).getMessage());
        }
    }

    private static long checkLabel(long label, int classes, Path file, String where) {
        if (label < 0 || label >= classes) {
            throw new DataException(file + ": " + where + ": label " + label + " is out of range for " + classes + " classes (expected 0.." + (classes - 1)
                    + "; set --classes if there are more)");
        }
        return label;
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static InputStream open(Path file) throws IOException {
        FileErrors.checkReadable(file);
        return Files.newInputStream(file);
    }

    private static final class FloatList {
        float[] a = new float[1024];
        int size;

        void add(float v) {
            if (size == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
            a[size++] = v;
        }

        float[] toArray() { return java.util.Arrays.copyOf(a, size); }
    }

    private static final class LongList {
        long[] a = new long[256];
        int size;

        void add(long v) {
            if (size == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
            a[size++] = v;
        }

        long[] toArray() { return java.util.Arrays.copyOf(a, size); }
    }
}
