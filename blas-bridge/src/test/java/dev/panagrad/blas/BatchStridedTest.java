package dev.panagrad.blas;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The strided batch: each product equals its own sgemm (a transposed B, a shared A at stride 0), and overlapping outputs are refused. */
class BatchStridedTest {
    static MemorySegment filled(Arena arena, int n, int salt) {
        MemorySegment s = arena.allocate(4L * n);
        for (int i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, i, ((i * 7 + salt) % 13 - 6) / 4f);
        return s;
    }

    @Test
    void eachProductIsItsOwnGemm() {
        for (Blas blas : new Blas[] {JavaBlas.INSTANCE, OpenBlas.get()}) {
            try (Arena arena = Arena.ofConfined()) {
                int batch = 3, m = 4, n = 5, k = 6;
                MemorySegment a = filled(arena, m * k, 1), b = filled(arena, batch * n * k, 2);   // A shared (stride 0), B transposed [n, k]
                MemorySegment c = arena.allocate(4L * batch * m * n), one = arena.allocate(4L * m * n);
                blas.sgemmBatchStrided(false, true, m, n, k, 1f, a, k, 0, b, k, (long) n * k, 0f, c, n, (long) m * n, batch);
                for (int i = 0; i < batch; i++) {
                    JavaBlas.INSTANCE.sgemm(false, true, m, n, k, 1f, a, k, b.asSlice(4L * i * n * k), k, 0f, one, n);
                    for (int j = 0; j < m * n; j++) {
                        assertEquals(one.getAtIndex(JAVA_FLOAT, j), c.getAtIndex(JAVA_FLOAT, (long) i * m * n + j), 1e-5, blas.describe() + " product " + i + " [" + j + "]");
                    }
                }
            }
        }
    }

    @Test
    void overlappingOutputsAndShortSegmentsAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = filled(arena, 4, 0), c = arena.allocate(4L * 8);
            var e = assertThrows(IllegalArgumentException.class, () -> OpenBlas.get().sgemmBatchStrided(false, false, 2, 2, 1, 1f, a, 1, 2, a, 2, 0, 0f, c, 2, 2, 2));
            assertTrue(e.getMessage().contains("overlap at stride 2"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> OpenBlas.get().sgemmBatchStrided(false, false, 2, 2, 1, 1f, a, 1, 2, a, 2, 0, 0f, c, 2, 4, 3));
            assertTrue(e.getMessage().contains("A is 2x1 with leading dimension 1, which needs 8 bytes, but its segment has 0"), e.getMessage());
        }
    }
}
