package dev.panagrad.kernel;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.array.Shape;
import dev.panagrad.memory.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Strided gather/scatter against index arithmetic done the slow, obvious way. */
class KernelsTest {
    /** The storage offset of row-major element {@code linear} of a view: the reference. */
    static long offsetOf(long linear, int[] shape, long[] strides, long offset) {
        long o = offset;
        for (int d = shape.length - 1; d >= 0; d--) {
            o += (linear % shape[d]) * strides[d];
            linear /= shape[d];
        }
        return o;
    }

    record View(int[] shape, long[] strides, long offset) {}

    static View[] views() {
        return new View[] {
                new View(new int[] {}, new long[] {}, 3),                       // scalar
                new View(new int[] {13}, new long[] {1}, 0),                    // contiguous row
                new View(new int[] {7}, new long[] {3}, 2),                     // strided
                new View(new int[] {5, 6}, new long[] {1, 5}, 0),               // transposed
                new View(new int[] {4, 7}, new long[] {0, 1}, 1),               // broadcast rows (stride 0)
                new View(new int[] {3, 1, 4}, new long[] {12, 99, 3}, 5),       // size-1 dim with an odd stride
                new View(new int[] {2, 3, 5}, new long[] {1, 2, 6}, 0),         // permuted
                new View(new int[] {3, 0, 4}, new long[] {4, 4, 1}, 0),         // zero-size
        };
    }

    static long span(View v) {
        long max = v.offset;
        for (int d = 0; d < v.shape.length; d++) max += (long) Math.max(0, v.shape[d] - 1) * v.strides[d];
        return max + 1;
    }

    @Test
    void gatherAndScatterVisitEveryElementInRowMajorOrder() {
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : new DType[] {DType.F32, DType.F64, DType.I64}) {
                for (View v : views()) {
                    long n = Shape.numel(v.shape), span = span(v);
                    MemorySegment src = arena.allocate(span * t.byteSize(), 64);
                    for (long i = 0; i < span; i++) Kernels.set(src, t, i, i * 7 % 1000 - 300);
                    MemorySegment out = arena.allocate(Math.max(1, n + 2) * t.byteSize(), 64);
                    Kernels.gather(src, t, v.shape, v.strides, v.offset, out, t, 2);
                    for (long i = 0; i < n; i++) {
                        assertEquals(Kernels.get(src, t, offsetOf(i, v.shape, v.strides, v.offset)), Kernels.get(out, t, 2 + i),
                                t + " gather " + Shape.str(v.shape) + " element " + i);
                    }
                    if (v.strides.length > 0 && v.strides[v.strides.length - 1] == 0) continue;   // a broadcast view is not a scatter target
                    MemorySegment dst = arena.allocate(span * t.byteSize(), 64);
                    Kernels.scatter(out, t, 2, dst, t, v.shape, v.strides, v.offset);
                    for (long i = 0; i < n; i++) {
                        long o = offsetOf(i, v.shape, v.strides, v.offset);
                        assertEquals(Kernels.get(out, t, 2 + i), Kernels.get(dst, t, o), t + " scatter " + Shape.str(v.shape) + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void int64CopiesAreExactBeyondDoublePrecision() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(8 * 6, 64), out = arena.allocate(8 * 6, 64), back = arena.allocate(8 * 6, 64);
            for (int i = 0; i < 6; i++) src.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, i, Long.MAX_VALUE - i);
            int[] shape = {3, 2};
            long[] transposed = {1, 3};
            Kernels.gather(src, DType.I64, shape, transposed, 0, out, DType.I64, 0);
            Kernels.scatter(out, DType.I64, 0, back, DType.I64, shape, transposed, 0);
            for (int i = 0; i < 6; i++) {
                assertEquals(Long.MAX_VALUE - i, back.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, i), "element " + i);
            }
            assertEquals(Long.MAX_VALUE - 3, out.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, 1));
        }
    }

    @Test
    void gatherConvertsDtypes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(4 * 4, 64), out = arena.allocate(8 * 4, 64);
            for (int i = 0; i < 4; i++) Kernels.set(src, DType.F32, i, i + 0.5);
            Kernels.gather(src, DType.F32, new int[] {2, 2}, new long[] {1, 2}, 0, out, DType.F64, 0);
            assertArrayEquals(new double[] {0.5, 2.5, 1.5, 3.5}, out.toArray(java.lang.foreign.ValueLayout.JAVA_DOUBLE));
        }
    }
}
