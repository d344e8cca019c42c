package dev.panagrad.blas;

import java.lang.foreign.MemorySegment;

/** Argument checks shared by every {@link Blas}: what a native call would otherwise turn into a crash. */
final class BlasChecks {
    private BlasChecks() {}

    /** Checks a row-major rows×cols matrix (as stored) with leading dimension ld fits in the segment. */
    static void matrix(String routine, String name, MemorySegment s, int rows, int cols, int ld, int elementBytes) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException(routine + ": " + name + " has negative size " + rows + "x" + cols);
        }
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(routine + ": leading dimension of " + name + " is " + ld
                    + " but its rows (as stored) have " + cols + " columns; it must be at least max(1, " + cols + ")");
        }
        if (rows == 0 || cols == 0) return;
        long needed = ((long) (rows - 1) * ld + cols) * elementBytes;
        if (s.byteSize() < needed) {
            throw new IllegalArgumentException(routine + ": " + name + " is " + rows + "x" + cols + " with leading dimension "
                    + ld + ", which needs " + needed + " bytes, but its segment has " + s.byteSize());
        }
    }

    static void gemm(String routine, boolean transA, boolean transB, int m, int n, int k, MemorySegment a, int lda,
                     MemorySegment b, int ldb, MemorySegment c, int ldc, int elementBytes) {
        matrix(routine, "A", a, transA ? k : m, transA ? m : k, lda, elementBytes);
        matrix(routine, "B", b, transB ? n : k, transB ? k : n, ldb, elementBytes);
        matrix(routine, "C", c, m, n, ldc, elementBytes);
    }

    static void vector(String routine, String name, MemorySegment s, int n, int inc, int elementBytes) {
        if (n < 0) throw new IllegalArgumentException(routine + ": negative length " + n);
        if (inc == 0) throw new IllegalArgumentException(routine + ": increment of " + name + " is 0");
        if (n == 0) return;
        long needed = ((long) (n - 1) * Math.abs(inc) + 1) * elementBytes;
        if (s.byteSize() < needed) {
            throw new IllegalArgumentException(routine + ": " + name + " has " + n + " elements with increment " + inc
                    + ", which needs " + needed + " bytes, but its segment has " + s.byteSize());
        }
    }

    static void gemv(String routine, boolean transA, int m, int n, MemorySegment a, int lda, MemorySegment x, int incx,
                     MemorySegment y, int incy, int elementBytes) {
        matrix(routine, "A", a, m, n, lda, elementBytes);
        vector(routine, "x", x, transA ? m : n, incx, elementBytes);
        vector(routine, "y", y, transA ? n : m, incy, elementBytes);
    }
}
