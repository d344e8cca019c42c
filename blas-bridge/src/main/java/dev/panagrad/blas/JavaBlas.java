package dev.panagrad.blas;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * The plain-Java reference {@link Blas}: the textbook loops, accumulating in double. Slow on
 * purpose-free simplicity; the tests hold {@link OpenBlas} to its answers.
 */
public final class JavaBlas implements Blas {
    public static final JavaBlas INSTANCE = new JavaBlas();

    private JavaBlas() {}

    private static long at(boolean trans, int row, int col, int ld) {
        return trans ? (long) col * ld + row : (long) row * ld + col;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                      MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        BlasChecks.gemm("sgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc, 4);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    acc += (double) a.getAtIndex(JAVA_FLOAT, at(transA, i, p, lda)) * b.getAtIndex(JAVA_FLOAT, at(transB, p, j, ldb));
                }
                long ci = (long) i * ldc + j;
                double old = beta == 0 ? 0 : beta * (double) c.getAtIndex(JAVA_FLOAT, ci);   // beta = 0 ignores C, even NaN
                c.setAtIndex(JAVA_FLOAT, ci, (float) (alpha * acc + old));
            }
        }
    }

    @Override
    public void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a, int lda,
                      MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        BlasChecks.gemm("dgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc, 8);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    acc += a.getAtIndex(JAVA_DOUBLE, at(transA, i, p, lda)) * b.getAtIndex(JAVA_DOUBLE, at(transB, p, j, ldb));
                }
                long ci = (long) i * ldc + j;
                double old = beta == 0 ? 0 : beta * c.getAtIndex(JAVA_DOUBLE, ci);
                c.setAtIndex(JAVA_DOUBLE, ci, alpha * acc + old);
            }
        }
    }

    @Override
    public void sgemv(boolean transA, int m, int n, float alpha, MemorySegment a, int lda, MemorySegment x, int incx,
                      float beta, MemorySegment y, int incy) {
        BlasChecks.gemv("sgemv", transA, m, n, a, lda, x, incx, y, incy, 4);
        int rows = transA ? n : m, cols = transA ? m : n;
        for (int i = 0; i < rows; i++) {
            double acc = 0;
            for (int j = 0; j < cols; j++) {
                acc += (double) a.getAtIndex(JAVA_FLOAT, at(transA, i, j, lda)) * x.getAtIndex(JAVA_FLOAT, index(j, cols, incx));
            }
            long yi = index(i, rows, incy);
            double old = beta == 0 ? 0 : beta * (double) y.getAtIndex(JAVA_FLOAT, yi);
            y.setAtIndex(JAVA_FLOAT, yi, (float) (alpha * acc + old));
        }
    }

    @Override
    public void dgemv(boolean transA, int m, int n, double alpha, MemorySegment a, int lda, MemorySegment x, int incx,
                      double beta, MemorySegment y, int incy) {
        BlasChecks.gemv("dgemv", transA, m, n, a, lda, x, incx, y, incy, 8);
        int rows = transA ? n : m, cols = transA ? m : n;
        for (int i = 0; i < rows; i++) {
            double acc = 0;
            for (int j = 0; j < cols; j++) {
                acc += a.getAtIndex(JAVA_DOUBLE, at(transA, i, j, lda)) * x.getAtIndex(JAVA_DOUBLE, index(j, cols, incx));
            }
            long yi = index(i, rows, incy);
            double old = beta == 0 ? 0 : beta * y.getAtIndex(JAVA_DOUBLE, yi);
            y.setAtIndex(JAVA_DOUBLE, yi, alpha * acc + old);
        }
    }

    /** BLAS's rule for negative increments: element i of an n-vector sits at (n-1-i)·|inc|. */
    private static long index(int i, int n, int inc) {
        return inc > 0 ? (long) i * inc : (long) (n - 1 - i) * -inc;
    }

    @Override
    public void saxpy(int n, float alpha, MemorySegment x, int incx, MemorySegment y, int incy) {
        BlasChecks.vector("saxpy", "x", x, n, incx, 4);
        BlasChecks.vector("saxpy", "y", y, n, incy, 4);
        for (int i = 0; i < n; i++) {
            long yi = index(i, n, incy);
            y.setAtIndex(JAVA_FLOAT, yi, y.getAtIndex(JAVA_FLOAT, yi) + alpha * x.getAtIndex(JAVA_FLOAT, index(i, n, incx)));
        }
    }

    @Override
    public void daxpy(int n, double alpha, MemorySegment x, int incx, MemorySegment y, int incy) {
        BlasChecks.vector("daxpy", "x", x, n, incx, 8);
        BlasChecks.vector("daxpy", "y", y, n, incy, 8);
        for (int i = 0; i < n; i++) {
            long yi = index(i, n, incy);
            y.setAtIndex(JAVA_DOUBLE, yi, y.getAtIndex(JAVA_DOUBLE, yi) + alpha * x.getAtIndex(JAVA_DOUBLE, index(i, n, incx)));
        }
    }

    @Override
    public float sdot(int n, MemorySegment x, int incx, MemorySegment y, int incy) {
        BlasChecks.vector("sdot", "x", x, n, incx, 4);
        BlasChecks.vector("sdot", "y", y, n, incy, 4);
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += (double) x.getAtIndex(JAVA_FLOAT, index(i, n, incx)) * y.getAtIndex(JAVA_FLOAT, index(i, n, incy));
        }
        return (float) acc;
    }

    @Override
    public double ddot(int n, MemorySegment x, int incx, MemorySegment y, int incy) {
        BlasChecks.vector("ddot", "x", x, n, incx, 8);
        BlasChecks.vector("ddot", "y", y, n, incy, 8);
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += x.getAtIndex(JAVA_DOUBLE, index(i, n, incx)) * y.getAtIndex(JAVA_DOUBLE, index(i, n, incy));
        }
        return acc;
    }

    @Override
    public void sscal(int n, float alpha, MemorySegment x, int incx) {
        BlasChecks.vector("sscal", "x", x, n, incx, 4);
        if (incx < 0) return;   // reference BLAS: a non-positive increment leaves x alone
        for (int i = 0; i < n; i++) x.setAtIndex(JAVA_FLOAT, (long) i * incx, alpha * x.getAtIndex(JAVA_FLOAT, (long) i * incx));
    }

    @Override
    public void dscal(int n, double alpha, MemorySegment x, int incx) {
        BlasChecks.vector("dscal", "x", x, n, incx, 8);
        if (incx < 0) return;
        for (int i = 0; i < n; i++) x.setAtIndex(JAVA_DOUBLE, (long) i * incx, alpha * x.getAtIndex(JAVA_DOUBLE, (long) i * incx));
    }

    @Override
    public float snrm2(int n, MemorySegment x, int incx) {
        BlasChecks.vector("snrm2", "x", x, n, incx, 4);
        if (incx < 0) return 0;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            double v = x.getAtIndex(JAVA_FLOAT, (long) i * incx);
            acc += v * v;
        }
        return (float) Math.sqrt(acc);
    }

    @Override
    public double dnrm2(int n, MemorySegment x, int incx) {
        BlasChecks.vector("dnrm2", "x", x, n, incx, 8);
        if (incx < 0) return 0;
        double scale = 0, ssq = 1;   // scaled sum of squares: no overflow for large elements
        for (int i = 0; i < n; i++) {
            double v = Math.abs(x.getAtIndex(JAVA_DOUBLE, (long) i * incx));
            if (v == 0) continue;
            if (scale < v) {
                ssq = 1 + ssq * (scale / v) * (scale / v);
                scale = v;
            } else {
                ssq += (v / scale) * (v / scale);
            }
        }
        return scale * Math.sqrt(ssq);
    }

    @Override
    public String describe() {
        return "JavaBlas (plain Java reference)";
    }
}
