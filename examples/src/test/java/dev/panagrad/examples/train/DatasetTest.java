package dev.panagrad.examples.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import java.io.DataOutputStream;
import java.lang.management.ManagementFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loaders give the tensors the file holds (values, shapes, labels); bad values are named by line; the split is seeded. */
class DatasetTest {
    @TempDir Path dir;

    @Test
    void csvGivesTheFeaturesAndLabelsItHolds() throws IOException {
        Path f = Files.writeString(dir.resolve("d.csv"), "label,a,b,c\n2, 0.5,-1.25,3\n\n0,1e-3,2,-0\n1,7,8,9\n");
        Dataset d = Dataset.csv(f, 0, 3);
        assertArrayEquals(new int[] {3, 3}, d.features().shape());
        assertArrayEquals(new float[] {0.5f, -1.25f, 3, 0.001f, 2, -0f, 7, 8, 9}, d.features().toFloatArray());
        assertArrayEquals(new long[] {2, 0, 1}, d.labels().toLongArray());
        assertEquals("CSV: d.csv (3 x 3)", d.description());

        Dataset last = Dataset.csv(Files.writeString(dir.resolve("l.csv"), "0.25,4,1\n0.75,5,0\n"), -1, 2);   // label in the last column, no header
        assertArrayEquals(new int[] {2, 2}, last.features().shape());
        assertArrayEquals(new float[] {0.25f, 4, 0.75f, 5}, last.features().toFloatArray());
        assertArrayEquals(new long[] {1, 0}, last.labels().toLongArray());
    }

    @Test
    void idxGivesPixelsScaledToOneAndTheLabels() throws IOException {
        Path images = dir.resolve("img.idx.gz"), labels = dir.resolve("lab.idx");
        try (DataOutputStream o = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(images)))) {
            o.writeInt(0x0803);
            o.writeInt(2);
            o.writeInt(2);
            o.writeInt(2);
            o.write(new byte[] {0, (byte) 255, 51, 102, (byte) 204, 1, 2, 3});
        }
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(labels))) {
            o.writeInt(0x0801);
            o.writeInt(2);
            o.write(new byte[] {9, 4});
        }
        Dataset d = Dataset.idx(images, labels, 10);
        assertArrayEquals(new int[] {2, 4}, d.features().shape());
        assertArrayEquals(new float[] {0, 1, 0.2f, 0.4f, 0.8f, 1 / 255f, 2 / 255f, 3 / 255f}, d.features().toFloatArray());
        assertArrayEquals(new long[] {9, 4}, d.labels().toLongArray());
    }

    @Test
    void nonFiniteValuesAreRefusedAtLoadNamingTheLine() throws IOException {
        for (String bad : List.of("NaN", "Infinity", "-Infinity", "1e39")) {
            Path f = Files.writeString(dir.resolve("n.csv"), "1,0.5,2\n0," + bad + ",1\n");
            Dataset.DataException e = assertThrows(Dataset.DataException.class, () -> Dataset.csv(f, 0, 10));
            assertEquals(f + ": line 2, column 1: '" + bad + "' is not a finite float32 number", e.getMessage());
        }
    }

    @Test
    void aDirectoryOrAMissingFileIsNamedWithTheReason() throws IOException {
        Dataset.DataException e = assertThrows(Dataset.DataException.class, () -> Dataset.csv(dir, 0, 10));
        assertEquals("cannot read " + dir + ": it is a directory, not a file", e.getMessage());
        Path missing = dir.resolve("nope.csv");
        e = assertThrows(Dataset.DataException.class, () -> Dataset.csv(missing, 0, 10));
        assertEquals("cannot read " + missing + ": no such file", e.getMessage());
        e = assertThrows(Dataset.DataException.class, () -> Dataset.idx(dir, missing, 10));
        assertEquals("cannot read " + dir + ": it is a directory, not a file", e.getMessage());
    }

    /** 80 rows sorted by label (ten of each class), feature 0 = the row number. */
    private Dataset sortedByLabel() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 80; i++) sb.append(i / 8).append(',').append(i).append(",1\n");
        return Dataset.csv(Files.writeString(dir.resolve("sorted.csv"), sb.toString()), 0, 10);
    }

    private static List<Integer> rows(Dataset d) {
        float[] f = d.features().toFloatArray();
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) r.add((int) f[i * 2]);
        return r;
    }

    @Test
    void theHeldOutRowsAreASeededDrawNotTheTail() throws IOException {
        Dataset all = sortedByLabel();
        Dataset.Split a = all.split(10, 0), again = all.split(10, 0), other = all.split(10, 1);
        assertEquals(70, a.trainRows().length);
        assertEquals(10, a.heldOut().size());
        assertEquals(rows(a.heldOut()), rows(again.heldOut()), "same seed, same split");
        assertArrayEquals(a.trainRows(), again.trainRows());
        assertNotEquals(rows(a.heldOut()), rows(other.heldOut()), "another seed, another split");
        // not the tail: the tail of a file sorted by label is one or two classes
        assertNotEquals(List.of(70, 71, 72, 73, 74, 75, 76, 77, 78, 79), rows(a.heldOut()).stream().sorted().toList());
        assertTrue(Arrays.stream(a.heldOut().labels().toLongArray()).distinct().count() >= 4, Arrays.toString(a.heldOut().labels().toLongArray()));
        // a permutation: every row once, training or held out, each held-out row with its own label
        List<Integer> union = new ArrayList<>();
        for (long r : a.trainRows()) union.add((int) r);
        union.addAll(rows(a.heldOut()));
        assertEquals(java.util.stream.IntStream.range(0, 80).boxed().toList(), union.stream().sorted().toList());
        long[] labels = a.heldOut().labels().toLongArray();
        List<Integer> held = rows(a.heldOut());
        for (int i = 0; i < labels.length; i++) assertEquals(held.get(i) / 8, labels[i], "row " + held.get(i));
        assertEquals("CSV: sorted.csv (80 x 2), held-out rows", a.heldOut().description());
    }

    @Test
    void theSyntheticSetHoldsOutItsTail() {
        Dataset all = Dataset.synthetic(40, 3, 2, 0);
        Dataset.Split s = all.splitTail(8);
        assertArrayEquals(java.util.stream.LongStream.range(0, 32).toArray(), s.trainRows());
        assertArrayEquals(all.features().slice(0, 32, 40).toFloatArray(), s.heldOut().features().toFloatArray());
    }

    /**
     * The synthetic set as it was first written, with tensor ops: centres N(0, 1) x 0.15, a blob per
     * sample, the sample = N(0, 1) noise + its blob's centre. The set written straight into native
     * memory must hold exactly these numbers, so runs and the README's figures stay as they were.
     */
    private static Dataset syntheticWithTensorOps(int samples, int features, int classes, long seed) {
        Generator g = new Generator(seed ^ 0x5EED_DA7AL);
        Tensor centres = g.randn(DType.F32, 2 * classes, features).mul(0.15);
        Tensor mode = g.randint(0, 2 * classes, samples);
        long[] labels = mode.toLongArray();
        for (int i = 0; i < labels.length; i++) labels[i] %= classes;
        Tensor x = g.randn(DType.F32, samples, features).add(centres.indexSelect(0, mode));
        return new Dataset(x, Tensor.fromArray(labels, samples), "");
    }

    @Test
    void theSyntheticSetHoldsTheNumbersOfItsTensorOpDefinition() {
        for (int[] c : new int[][] {{40, 3, 2, 0}, {1000, 784, 10, 0}, {333, 17, 5, 7}}) {
            Dataset expected = syntheticWithTensorOps(c[0], c[1], c[2], c[3]), actual = Dataset.synthetic(c[0], c[1], c[2], c[3]);
            assertArrayEquals(expected.features().shape(), actual.features().shape());
            assertArrayEquals(expected.features().toFloatArray(), actual.features().toFloatArray(), Arrays.toString(c));
            assertArrayEquals(expected.labels().toLongArray(), actual.labels().toLongArray(), Arrays.toString(c));
        }
        assertEquals("synthetic (3 features, 2 classes, seed 0)", Dataset.synthetic(40, 3, 2, 0).description());
    }

    /**
     * The synthetic set is written into native memory as it is drawn: no Java array of the whole set
     * (a double[] is twice its float32 bytes) and no native temporaries beside the features and labels.
     */
    @Test
    void theSyntheticSetIsMadeInPlaceWithoutAJavaCopy() {
        int samples = 4096, features = 784;
        long dataBytes = (long) samples * features * Float.BYTES + samples * Long.BYTES;
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        BufferPool pool = new BufferPool("synthetic-test");
        try (var scope = MemoryScope.open("synthetic", pool)) {
            Dataset.synthetic(16, features, 10, 0);   // classes loaded and initialised outside the count
            pool.resetPeak();
            long heapBefore = threads.getCurrentThreadAllocatedBytes();
            Dataset d = Dataset.synthetic(samples, features, 10, 0);
            long heap = threads.getCurrentThreadAllocatedBytes() - heapBefore;
            long peak = pool.stats().peakBytesInUse();
            assertEquals(samples, d.size());
            assertTrue(heap < dataBytes / 8, "Java heap allocated making " + dataBytes + " bytes of data: " + heap);
            assertTrue(peak < dataBytes * 1.25, "native peak making " + dataBytes + " bytes of data: " + peak);
        }
    }
}
