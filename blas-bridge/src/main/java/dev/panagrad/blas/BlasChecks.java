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

    /**
     * A strided batch: the last matrix of each operand must fit its segment, strides must be non-negative,
     * and C's matrices must not overlap (a stride of 0 is allowed for A and B, which are only read).
     */
    static void batch(String routine, boolean transA, boolean transB, int m, int n, int k, MemorySegment a, int lda, long strideA,
                      MemorySegment b, int ldb, long strideB, MemorySegment c, int ldc, long strideC, int batch, int elementBytes) {
        if (batch < 0 || strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException(routine + ": negative batch " + batch + " or stride (A " + strideA + ", B " + strideB + ", C " + strideC + ")");
        }
        if (batch == 0) return;
        if (batch > 1 && m > 0 && n > 0 && strideC < (long) (m - 1) * ldc + n) {
            throw new IllegalArgumentException(routine + ": C's matrices (" + m + "x" + n + ", leading dimension " + ldc + ") overlap at stride " + strideC);
        }
        long last = batch - 1L;
        gemm(routine, transA, transB, m, n, k, a.asSlice(Math.min(a.byteSize(), last * strideA * elementBytes)), lda,
                b.asSlice(Math.min(b.byteSize(), last * strideB * elementBytes)), ldb, c.asSlice(Math.min(c.byteSize(), last * strideC * elementBytes)), ldc, elementBytes);
    }
}
