package dev.panagrad.blas;

import java.lang.foreign.MemorySegment;

/**
 * The BLAS routines Panagrad uses, on memory segments, row-major. Two implementations give one
 * answer: {@link OpenBlas} (native, fast) and {@link JavaBlas} (plain Java, the reference).
 *
 * <p>Every matrix argument is a segment that starts at the first element; pass
 * {@code segment.asSlice(byteOffset)} for an operand inside a larger buffer: no bytes are copied.
 * Sizes and leading dimensions are checked against the segments' lengths before any native call,
 * so a wrong leading dimension throws {@link IllegalArgumentException} instead of writing past a
 * buffer.
 */
public interface Blas {

    /**
     * The BLAS Panagrad's tensors use for their products: {@link OpenBlas} (the default, which needs
     * {@code --enable-native-access=ALL-UNNAMED}), or {@link JavaBlas} when the JVM was started with
     * {@code -Dpanagrad.blas=java} (no native library, far slower). The property is read once, at the
     * first call.
     *
     * @throws BlasUnavailableException if OpenBLAS is selected and cannot be loaded (the message says why and what to do)
     * @throws IllegalArgumentException if {@code panagrad.blas} is neither {@code openblas} nor {@code java}
     */
    static Blas selected() {
        return BlasChoice.selected();
    }

    /** C = alpha·op(A)·op(B) + beta·C, float32. op(A) is m×k, op(B) k×n, C m×n. C is modified; A and B are not. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
               MemorySegment b, int ldb, float beta, MemorySegment c, int ldc);

    /**
     * {@code batch} products C_i = alpha·op(A_i)·op(B_i) + beta·C_i, float32, where matrix i of each operand
     * starts {@code i·stride} elements after the segment's start (a stride of 0 reuses one matrix; C's
     * must keep the products apart): a loop of {@link #sgemm} calls, each on zero-copy slices.
     *
     * <p>Not OpenBLAS's own {@code cblas_sgemm_batch_strided}: the bundled 0.3.31 (JavaCPP's DYNAMIC_ARCH
     * build) exports it, but it jumps through a null kernel-table entry on this machine's core and
     * crashes the process (also from C, with one thread and 4×3×2 matrices: {@code sgemm_batch_thread}
     * calls address 0x150), so the bridge does not bind it.
     */
    default void sgemmBatchStrided(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda, long strideA,
                                   MemorySegment b, int ldb, long strideB, float beta, MemorySegment c, int ldc, long strideC, int batch) {
        BlasChecks.batch("sgemmBatchStrided", transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch, 4);
        for (int i = 0; i < batch; i++) {
            sgemm(transA, transB, m, n, k, alpha, a.asSlice(i * strideA * 4), lda, b.asSlice(i * strideB * 4), ldb, beta, c.asSlice(i * strideC * 4), ldc);
        }
    }

    /** {@link #sgemmBatchStrided} in float64 (a loop of {@link #dgemm} calls unless overridden). */
    default void dgemmBatchStrided(boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a, int lda, long strideA,
                                   MemorySegment b, int ldb, long strideB, double beta, MemorySegment c, int ldc, long strideC, int batch) {
        BlasChecks.batch("dgemmBatchStrided", transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch, 8);
        for (int i = 0; i < batch; i++) {
            dgemm(transA, transB, m, n, k, alpha, a.asSlice(i * strideA * 8), lda, b.asSlice(i * strideB * 8), ldb, beta, c.asSlice(i * strideC * 8), ldc);
        }
    }

    /** C = alpha·op(A)·op(B) + beta·C, float64. */
    void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a, int lda,
               MemorySegment b, int ldb, double beta, MemorySegment c, int ldc);

    /** y = alpha·op(A)·x + beta·y, float32. A is m×n as stored; op(A) is n×m when transposed. y is modified. */
    void sgemv(boolean transA, int m, int n, float alpha, MemorySegment a, int lda, MemorySegment x, int incx,
               float beta, MemorySegment y, int incy);

    /** y = alpha·op(A)·x + beta·y, float64. */
    void dgemv(boolean transA, int m, int n, double alpha, MemorySegment a, int lda, MemorySegment x, int incx,
               double beta, MemorySegment y, int incy);

    /** y = alpha·x + y over n elements. y is modified. */
    void saxpy(int n, float alpha, MemorySegment x, int incx, MemorySegment y, int incy);

    void daxpy(int n, double alpha, MemorySegment x, int incx, MemorySegment y, int incy);

    /** Σ x[i]·y[i] over n elements. */
    float sdot(int n, MemorySegment x, int incx, MemorySegment y, int incy);

    double ddot(int n, MemorySegment x, int incx, MemorySegment y, int incy);

    /** x = alpha·x over n elements. x is modified. */
    void sscal(int n, float alpha, MemorySegment x, int incx);

    void dscal(int n, double alpha, MemorySegment x, int incx);

    /** ‖x‖₂ over n elements. */
    float snrm2(int n, MemorySegment x, int incx);

    double dnrm2(int n, MemorySegment x, int incx);

    /** A short name for reports: "OpenBLAS 0.3.31 (Cooperlake, 2 threads)" or "JavaBlas". */
    String describe();
}
