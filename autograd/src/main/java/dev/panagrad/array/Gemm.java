package dev.panagrad.array;

import dev.panagrad.blas.Blas;
import dev.panagrad.blas.Dnnl;
import dev.panagrad.blas.JavaBlas;
import dev.panagrad.kernel.Kernels;
import dev.panagrad.kernel.Parallel;
import dev.panagrad.memory.DType;
import java.lang.foreign.MemorySegment;

/**
 * Matrix products on the BLAS bridge, zero-copy: a 2-D view whose rows or columns are contiguous
 * goes to BLAS as it is (a transposed view is a flag), anything else is copied first. Below
 * {@link #SMALL_MATMUL} multiply-adds the plain-Java BLAS runs (a native call costs more than the
 * work); large products split their rows across Java threads when {@code panagrad.threads} asks.
 */
public final class Gemm {
    private Gemm() {}

    /** Below this many multiply-adds a Java loop beats a BLAS call (docs/benchmarking.md: ~8x8x8). */
    public static final long SMALL_MATMUL = 512;

    /** Multiply-adds per thread below which a GEMM is not split (~0.3 ms of work at 100 GFLOP/s, against a ~40 µs hand-off). */
    private static final long PARALLEL_GEMM_FLOPS = 1L << 24;

    /** {transposed (0 or 1), leading dimension} of a 2-D view as BLAS reads it, or null if it needs a copy. */
    public static long[] blasLayout(Strided t) {
        int rows = t.shape[0], cols = t.shape[1];
        long s0 = t.strides[0], s1 = t.strides[1];
        if ((s1 == 1 || cols == 1) && (s0 >= Math.max(1, cols) || rows == 1)) return new long[] {0, rows == 1 ? Math.max(1, cols) : s0};
        if ((s0 == 1 || rows == 1) && (s1 >= Math.max(1, rows) || cols == 1)) return new long[] {1, cols == 1 ? Math.max(1, rows) : s1};
        return null;
    }

    /** C = A·B for 2-D arrays of one floating dtype: a new contiguous [m, n] array of that dtype. */
    public static <T extends Strided> T mm(Strided a, Strided b, Strided.Factory<T> f) {
        T c = f.empty(a.dtype, new int[] {a.shape[0], b.shape[1]});
        mmInto(a, b, c, false, f);
        return c;
    }

    /** C = A·B for bfloat16 A and B, accumulated and returned in float32 (oneDNN's {@code gemm_bf16bf16f32}): the mixed-precision GEMM. */
    public static <T extends Strided> T mmMixed(Strided a, Strided b, Strided.Factory<T> f) {
        T c = f.empty(DType.F32, new int[] {a.shape[0], b.shape[1]});
        mmInto(a, b, c, false, f);
        return c;
    }

    /**
     * c = a·b, or c += a·b when {@code accumulate}, into a contiguous [m, n] c: one GEMM. a and b share
     * a dtype; c has it too, or is float32 for bfloat16 a and b (the mixed-precision product).
     */
    public static <T extends Strided> void mmInto(Strided a, Strided b, Strided c, boolean accumulate, Strided.Factory<T> f) {
        int m = a.shape[0], k = a.shape[1], n = b.shape[1];
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) Kernels.fill(c.segment(), c.dtype, c.offset, c.numel(), 0);
            return;
        }
        if (a.dtype == DType.BF16) {
            mmBf16(a, b, c, accumulate, f);
            return;
        }
        long[] la = blasLayout(a), lb = blasLayout(b);
        if (la == null) { a = Layout.contiguousCopy(a, f); la = new long[] {0, k}; }
        if (lb == null) { b = Layout.contiguousCopy(b, f); lb = new long[] {0, n}; }
        int es = a.dtype.byteSize();
        MemorySegment sa = a.segment().asSlice(a.offset * es), sb = b.segment().asSlice(b.offset * es), sc = c.segment().asSlice(c.offset * es);
        Blas blas = (long) m * n * k <= SMALL_MATMUL ? JavaBlas.INSTANCE : Blas.selected();
        boolean ta = la[0] == 1, tb = lb[0] == 1;
        int lda = (int) la[1], ldb = (int) lb[1];
        boolean f32 = a.dtype == DType.F32;
        if ((m == 1 || n == 1) && blas != JavaBlas.INSTANCE) {   // one row or one column: a GEMV, ~9x faster than a one-row GEMM
            gemv(blas, f32, m, n, k, sa, ta, lda, sb, tb, ldb, accumulate, sc);
            return;
        }
        // rows of C split across Java threads (each a single-threaded GEMM on a zero-copy slice) when big enough
        long grain = Math.max(1, PARALLEL_GEMM_FLOPS / ((long) n * k));
        Parallel.forRange(m, Math.max(grain, 16), 16, (r0, r1) -> {
            int rows = (int) (r1 - r0);
            MemorySegment pa = sa.asSlice(r0 * (ta ? 1 : lda) * es), pc = sc.asSlice(r0 * n * es);
            if (f32) blas.sgemm(ta, tb, rows, n, k, 1f, pa, lda, sb, ldb, accumulate ? 1f : 0f, pc, n);
            else blas.dgemm(ta, tb, rows, n, k, 1.0, pa, lda, sb, ldb, accumulate ? 1.0 : 0.0, pc, n);
        });
    }

    /**
     * c = a·b (c += a·b when accumulating) for a one-row a (m = 1) or a one-column b (n = 1) as one matrix-vector
     * product over the same memory: one BLAS call instead of a GEMM that packs a whole panel for one row. c is
     * contiguous, so its elements are consecutive either way.
     */
    private static void gemv(Blas blas, boolean f32, int m, int n, int k, MemorySegment sa, boolean ta, int lda,
                             MemorySegment sb, boolean tb, int ldb, boolean accumulate, MemorySegment sc) {
        MemorySegment mat, vec;
        boolean trans;
        int rows, cols, ld, inc;
        if (m == 1) {   // c[1, n] = a[1, k]·B[k, n]: c = Bᵀ·aᵀ
            mat = sb; ld = ldb; vec = sa; inc = ta ? lda : 1;
            trans = !tb; rows = tb ? n : k; cols = tb ? k : n;
        } else {        // c[m, 1] = A[m, k]·b[k, 1]
            mat = sa; ld = lda; vec = sb; inc = tb ? 1 : ldb;
            trans = ta; rows = ta ? k : m; cols = ta ? m : k;
        }
        if (f32) blas.sgemv(trans, rows, cols, 1f, mat, ld, vec, inc, accumulate ? 1f : 0f, sc, 1);
        else blas.dgemv(trans, rows, cols, 1.0, mat, ld, vec, inc, accumulate ? 1.0 : 0.0, sc, 1);
    }

    /**
     * bfloat16 a·b into float32 c (or into bfloat16 c through a float32 temporary, rounded once at the end):
     * one call of oneDNN's {@code gemm_bf16bf16f32}, which threads it itself (OpenMP), so it is not split
     * across Java threads. Without oneDNN the operands are widened to float32 and the BLAS runs the
     * product: the same values up to float32 rounding order, slower.
     */
    private static <T extends Strided> void mmBf16(Strided a, Strided b, Strided c, boolean accumulate, Strided.Factory<T> f) {
        if (b.dtype != DType.BF16) throw new IllegalArgumentException("mm: bfloat16 " + Shape.str(a.shape) + " times " + b.dtype.pytorchName() + " " + Shape.str(b.shape));
        if (c.dtype == DType.BF16) {
            T wide = accumulate ? Layout.converted(c, DType.F32, f) : f.empty(DType.F32, c.shape);
            mmBf16(a, b, wide, accumulate, f);
            Kernels.convert(wide.segment(), DType.F32, wide.offset, c.segment(), DType.BF16, c.offset, c.numel());
            return;
        }
        if (!Dnnl.isAvailable()) {
            mmInto(Layout.converted(a, DType.F32, f), Layout.converted(b, DType.F32, f), c, accumulate, f);
            return;
        }
        int m = a.shape[0], k = a.shape[1], n = b.shape[1];
        long[] la = blasLayout(a), lb = blasLayout(b);
        if (la == null) { a = Layout.contiguousCopy(a, f); la = new long[] {0, k}; }
        if (lb == null) { b = Layout.contiguousCopy(b, f); lb = new long[] {0, n}; }
        Dnnl.get().gemmBf16(la[0] == 1, lb[0] == 1, m, n, k, 1f, a.segment().asSlice(a.offset * 2), (int) la[1],
                b.segment().asSlice(b.offset * 2), (int) lb[1], accumulate ? 1f : 0f, c.segment().asSlice(c.offset * 4), n);
    }

    /**
     * C_i = A_i·B_i for 3-D arrays [batch, m, k] and [batch, k, n] of one floating dtype: a new contiguous
     * [batch, m, n] array, computed as one strided-batched GEMM of the bridge ({@code Blas.sgemmBatchStrided}:
     * a loop of zero-copy GEMMs, since the bundled OpenBLAS's own batch call crashes) when each operand's
     * matrices are laid out alike at a constant distance (a stride of 0 for a broadcast operand): transposed matrices and slices of a larger buffer go as they are, zero-copy;
     * anything else is copied contiguous first. Small products run on the plain-Java BLAS, as in {@link #mmInto}.
     */
    public static <T extends Strided> T bmm(Strided a, Strided b, Strided.Factory<T> f) {
        int batch = a.shape[0], m = a.shape[1], k = a.shape[2], n = b.shape[2];
        T c = f.empty(a.dtype, new int[] {batch, m, n});
        if (batch == 0 || m == 0 || n == 0) return c;
        if (k == 0) {
            Kernels.fill(c.segment(), c.dtype, 0, c.numel(), 0);
            return c;
        }
        if (a.dtype == DType.BF16) {   // oneDNN's bfloat16 GEMM has no strided batch here: one mixed-precision product per matrix
            for (int i = 0; i < batch; i++) mmInto(Layout.select(a, 0, i, f), Layout.select(b, 0, i, f), Layout.select(c, 0, i, f), false, f);
            return c;
        }
        long[] la = matrixLayout(a), lb = matrixLayout(b);
        Strided copyA = la == null ? Layout.contiguousCopy(a, f) : null, copyB = lb == null ? Layout.contiguousCopy(b, f) : null;
        if (copyA != null) { a = copyA; la = matrixLayout(a); }
        if (copyB != null) { b = copyB; lb = matrixLayout(b); }
        int es = a.dtype.byteSize();
        MemorySegment sa = a.segment().asSlice(a.offset * es), sb = b.segment().asSlice(b.offset * es), sc = c.segment();
        Blas blas = (long) m * n * k <= SMALL_MATMUL ? JavaBlas.INSTANCE : Blas.selected();
        boolean ta = la[0] == 1, tb = lb[0] == 1;
        if (a.dtype == DType.F32) {
            blas.sgemmBatchStrided(ta, tb, m, n, k, 1f, sa, (int) la[1], la[2], sb, (int) lb[1], lb[2], 0f, sc, n, (long) m * n, batch);
        } else {
            blas.dgemmBatchStrided(ta, tb, m, n, k, 1.0, sa, (int) la[1], la[2], sb, (int) lb[1], lb[2], 0.0, sc, n, (long) m * n, batch);
        }
        for (Strided copy : new Strided[] {copyA, copyB}) if (copy != null) copy.storage().release("Gemm.bmm: a contiguous copy of an operand, after the product");
        return c;
    }

    /** {transposed, leading dimension, batch stride} of a 3-D array's matrices as BLAS reads them, or null if they need a copy. */
    private static long[] matrixLayout(Strided t) {
        long[] inner = blasLayout2(t.shape[1], t.shape[2], t.strides[1], t.strides[2]);
        if (inner == null) return null;
        long stride = t.shape[0] == 1 ? 0 : t.strides[0];
        if (stride < 0) return null;
        return new long[] {inner[0], inner[1], stride};
    }

    private static long[] blasLayout2(int rows, int cols, long s0, long s1) {
        if ((s1 == 1 || cols == 1) && (s0 >= Math.max(1, cols) || rows == 1)) return new long[] {0, rows == 1 ? Math.max(1, cols) : s0};
        if ((s0 == 1 || rows == 1) && (s1 >= Math.max(1, rows) || cols == 1)) return new long[] {1, cols == 1 ? Math.max(1, rows) : s1};
        return null;
    }

    /** Every row of the contiguous [rows, cols] {@code out} set to the 1-D {@code bias} (the start of x·wᵀ + b with β = 1). */
    public static <T extends Strided> void fillRows(Strided out, T bias, Strided.Factory<T> f) {
        int rows = out.shape[0];
        if (rows == 0) return;
        T bc = bias.dtype == out.dtype ? Layout.contiguous(bias, f) : Layout.converted(bias, out.dtype, f);
        long rowBytes = (long) out.shape[1] * out.dtype.byteSize();
        MemorySegment src = bc.segment().asSlice(bc.offset * out.dtype.byteSize(), rowBytes), dst = out.segment();
        for (int r = 0; r < rows; r++) MemorySegment.copy(src, 0, dst, r * rowBytes, rowBytes);
    }
}
