package dev.panagrad.array;

import dev.panagrad.blas.Blas;
import dev.panagrad.blas.JavaBlas;
import dev.panagrad.kernel.Kernels;
import dev.panagrad.kernel.Parallel;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.Storage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Convolution on the BLAS bridge, no graph: im2col (a sample's receptive fields laid out as the
 * columns of a [C·kh·kw, OH·OW] matrix) and col2im (its adjoint, adding back), and the three
 * products of a 2-D convolution, each one GEMM per sample and group on zero-copy slices:
 * <pre>
 *   forward      out[n, g]  = W[g] · col(x[n])[g]                 [Cout/g, K] · [K, OH·OW]
 *   grad weight  dW[g]     += gout[n, g] · col(x[n])[g]ᵀ           [Cout/g, OH·OW] · [OH·OW, K]
 *   grad input   x[n]      += col2im(W[g]ᵀ · gout[n, g])           [K, Cout/g] · [Cout/g, OH·OW]
 * </pre>
 * with K = C/g·kh·kw. The column buffer is one sample's (leased from the pool and released as soon
 * as the loop is done with it), so memory does not grow with the batch; backward recomputes the
 * columns instead of keeping a batch of them alive between forward and backward. A 1×1 kernel with
 * stride 1 and no padding needs no columns: the sample is its own column matrix.
 *
 * <p>Arrays here are contiguous (callers pass {@link Layout#contiguous} copies); shapes are checked
 * by the op ({@code ops.Convolution}).
 */
public final class Conv {
    private Conv() {}

    /** Geometry of a 2-D convolution: input [N, C, H, W], weight [Cout, C/groups, kh, kw]. */
    public record Geometry(int n, int c, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
        public int oh() { return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }

        public int ow() { return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }

        /** Rows of one group's column matrix: C/groups·kh·kw. */
        int k() { return c / groups * kh * kw; }

        int p() { return oh() * ow(); }

        boolean pointwise() { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
    }

    /** out = conv(x, w) + b (b may be null), a new contiguous [N, Cout, OH, OW] array. */
    public static <T extends Strided> T forward(Strided x, Strided w, Strided b, Geometry g, Strided.Factory<T> f) {
        T out = f.empty(x.dtype, new int[] {g.n, g.cout, g.oh(), g.ow()});
        int es = x.dtype.byteSize(), p = g.p(), k = g.k(), coutG = g.cout / g.groups;
        MemorySegment so = out.segment(), sx = x.segment(), sw = w.segment();
        if (b != null) {
            for (int n = 0; n < g.n; n++) {
                for (int co = 0; co < g.cout; co++) {
                    Kernels.fill(so, x.dtype, ((long) n * g.cout + co) * p, p, b.valueAt(b.offset + co * b.strides[0]));
                }
            }
        }
        int parts = Parallel.coreParts(g.n);
        Storage[] cols = columns(g, parts, es);
        try {
            // the samples split across the cores, each part with its own columns; its GEMMs run single-threaded
            // (OpenBLAS's thread count drops to 1 while several Java threads are inside a product)
            Parallel.forEachPart(parts, (p0, p1) -> {
                for (int part = (int) p0; part < p1; part++) {
                    for (int n = first(g.n, parts, part); n < first(g.n, parts, part + 1); n++) {
                        long xOff = (x.offset + (long) n * g.c * g.h * g.w) * es;
                        MemorySegment col = cols == null ? sx.asSlice(xOff) : cols[part].kernelSegment();
                        if (cols != null) im2col(sx, xOff, col, g, x.dtype);
                        for (int gr = 0; gr < g.groups; gr++) {
                            gemm(x.dtype, false, false, coutG, p, k,
                                    sw.asSlice((w.offset + (long) gr * coutG * k) * es), k,
                                    col.asSlice((long) gr * k * p * es), p,
                                    b != null, so.asSlice(((long) n * g.cout + (long) gr * coutG) * p * es), p);
                        }
                    }
                }
            });
        } finally {
            release(cols, "conv2d forward, its im2col columns consumed");
        }
        return out;
    }

    /** The first sample of part {@code part} of {@code parts}. */
    private static int first(int n, int parts, int part) { return (int) ((long) n * part / parts); }

    /** One sample's column buffer per part, or null when the input is its own column matrix. */
    private static Storage[] columns(Geometry g, int parts, int es) {
        if (g.pointwise()) return null;
        Storage[] cols = new Storage[parts];
        for (int i = 0; i < parts; i++) cols[i] = Storage.allocate((long) g.c * g.kh * g.kw * g.p() * es, "im2col");
        return cols;
    }

    private static void release(Storage[] buffers, String by) {
        if (buffers != null) for (Storage s : buffers) if (s != null) s.release(by);
    }

    /**
     * The gradients of a convolution: {@code gx} (x's shape, or null when not wanted) and {@code gw}
     * (w's shape, or null), both contiguous and written here; {@code gout} contiguous [N, Cout, OH, OW].
     * One column buffer per part serves both: x's columns for the weight's product, then (overwritten)
     * the columns of the input's gradient for col2im. Each part adds its weight gradient into a buffer
     * of its own (the first part into gw); they are summed at the end.
     */
    public static void backward(Strided x, Strided w, Strided gout, Strided gx, Strided gw, Geometry g) {
        DType dt = x.dtype;
        int es = dt.byteSize(), p = g.p(), k = g.k(), coutG = g.cout / g.groups;
        if (gx != null) Kernels.fill(gx.segment(), dt, gx.offset, gx.numel(), 0);
        if (gw != null) Kernels.fill(gw.segment(), dt, gw.offset, gw.numel(), 0);
        boolean direct = g.pointwise();
        int parts = Parallel.coreParts(g.n);
        Storage[] cols = columns(g, parts, es);
        Storage[] partialW = new Storage[parts];
        try {
            if (gw != null) {
                for (int i = 1; i < parts; i++) {
                    partialW[i] = Storage.allocate(gw.numel() * es, "conv2d weight gradient of a part");
                    Kernels.fill(partialW[i].kernelSegment(), dt, 0, gw.numel(), 0);
                }
            }
            MemorySegment sx = x.segment(), sw = w.segment(), sg = gout.segment();
            Parallel.forEachPart(parts, (p0, p1) -> {
                for (int part = (int) p0; part < p1; part++) {
                    MemorySegment dW = gw == null ? null : part == 0 ? gw.segment().asSlice(gw.offset * es) : partialW[part].kernelSegment();
                    for (int n = first(g.n, parts, part); n < first(g.n, parts, part + 1); n++) {
                        long xOff = (x.offset + (long) n * g.c * g.h * g.w) * es;
                        MemorySegment go = sg.asSlice((gout.offset + (long) n * g.cout * p) * es);
                        if (gw != null) {
                            MemorySegment col = direct ? sx.asSlice(xOff) : cols[part].kernelSegment();
                            if (!direct) im2col(sx, xOff, col, g, dt);
                            for (int gr = 0; gr < g.groups; gr++) {
                                gemm(dt, false, true, coutG, k, p, go.asSlice((long) gr * coutG * p * es), p,
                                        col.asSlice((long) gr * k * p * es), p, true, dW.asSlice((long) gr * coutG * k * es), k);
                            }
                        }
                        if (gx != null) {
                            long gxOff = (gx.offset + (long) n * g.c * g.h * g.w) * es;
                            MemorySegment col = direct ? gx.segment().asSlice(gxOff) : cols[part].kernelSegment();
                            for (int gr = 0; gr < g.groups; gr++) {
                                gemm(dt, true, false, k, p, coutG, sw.asSlice((w.offset + (long) gr * coutG * k) * es), k,
                                        go.asSlice((long) gr * coutG * p * es), p, false, col.asSlice((long) gr * k * p * es), p);
                            }
                            if (!direct) col2im(col, gx.segment(), gxOff, g, dt);
                        }
                    }
                }
            });
            if (gw != null) {
                for (int i = 1; i < parts; i++) Kernels.addScaled(dt, gw.segment(), gw.offset, partialW[i].kernelSegment(), 0, 1, gw.numel());
            }
        } finally {
            release(cols, "conv2d backward, its im2col columns consumed");
            release(partialW, "conv2d backward, the parts' weight gradients summed");
        }
    }

    /** The bias's gradient: gout [N, Cout, OH, OW] summed over N, OH, OW, into a new [Cout]. */
    public static <T extends Strided> T biasGrad(Strided gout, Strided.Factory<T> f) {
        int n = gout.shape[0], c = gout.shape[1];
        long p = gout.numel() / Math.max(1, (long) n * c);
        T out = f.empty(gout.dtype, new int[] {c});
        MemorySegment s = gout.segment();
        boolean f32 = gout.dtype == DType.F32;
        for (int co = 0; co < c; co++) {
            double acc = 0;
            for (int i = 0; i < n; i++) {
                long base = gout.offset + ((long) i * c + co) * p;
                if (f32) for (long j = 0; j < p; j++) acc += s.getAtIndex(ValueLayout.JAVA_FLOAT, base + j);
                else for (long j = 0; j < p; j++) acc += s.getAtIndex(ValueLayout.JAVA_DOUBLE, base + j);
            }
            Kernels.set(out.segment(), out.dtype, co, acc);
        }
        return out;
    }

    /** C = op(A)·op(B) (+ C when accumulate), row-major; small products on the Java BLAS. */
    private static void gemm(DType dt, boolean ta, boolean tb, int m, int n, int k, MemorySegment a, int lda, MemorySegment b, int ldb,
                             boolean accumulate, MemorySegment c, int ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) for (int r = 0; r < m; r++) Kernels.fill(c, dt, (long) r * ldc, n, 0);
            return;
        }
        Blas blas = (long) m * n * k <= Gemm.SMALL_MATMUL ? JavaBlas.INSTANCE : Blas.selected();
        if (dt == DType.F32) blas.sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, accumulate ? 1f : 0f, c, ldc);
        else blas.dgemm(ta, tb, m, n, k, 1.0, a, lda, b, ldb, accumulate ? 1.0 : 0.0, c, ldc);
    }

    /** One sample's columns: row (c, i, j) of {@code col} holds x[c, oh·sh − ph + i·dh, ow·sw − pw + j·dw] (0 outside). */
    static void im2col(MemorySegment x, long xByteOff, MemorySegment col, Geometry g, DType dt) {
        int oh = g.oh(), ow = g.ow(), es = dt.byteSize();
        long row = 0;
        for (int c = 0; c < g.c; c++) {
            long plane = xByteOff + (long) c * g.h * g.w * es;
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    long dst = row * oh * ow * es;
                    int w0 = j * g.dw - g.pw;
                    for (int y = 0; y < oh; y++, dst += (long) ow * es) {
                        int ih = y * g.sh - g.ph + i * g.dh;
                        if (ih < 0 || ih >= g.h) {
                            col.asSlice(dst, (long) ow * es).fill((byte) 0);
                            continue;
                        }
                        long src = plane + (long) ih * g.w * es;
                        if (g.sw == 1) {
                            // a run: zeros left of the image, the row's values, zeros right of it
                            int lo = Math.max(0, -w0), hi = Math.min(ow, g.w - w0);
                            if (hi <= lo) { col.asSlice(dst, (long) ow * es).fill((byte) 0); continue; }
                            if (lo > 0) col.asSlice(dst, (long) lo * es).fill((byte) 0);
                            MemorySegment.copy(x, src + (long) (w0 + lo) * es, col, dst + (long) lo * es, (long) (hi - lo) * es);
                            if (hi < ow) col.asSlice(dst + (long) hi * es, (long) (ow - hi) * es).fill((byte) 0);
                        } else if (es == 4) {
                            for (int xo = 0; xo < ow; xo++) {
                                int iw = w0 + xo * g.sw;
                                float v = iw < 0 || iw >= g.w ? 0f : x.get(ValueLayout.JAVA_FLOAT, src + (long) iw * 4);
                                col.set(ValueLayout.JAVA_FLOAT, dst + (long) xo * 4, v);
                            }
                        } else {
                            for (int xo = 0; xo < ow; xo++) {
                                int iw = w0 + xo * g.sw;
                                double v = iw < 0 || iw >= g.w ? 0 : x.get(ValueLayout.JAVA_DOUBLE, src + (long) iw * 8);
                                col.set(ValueLayout.JAVA_DOUBLE, dst + (long) xo * 8, v);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2col}: each column value added back to the input position it was read from. */
    static void col2im(MemorySegment col, MemorySegment x, long xByteOff, Geometry g, DType dt) {
        int oh = g.oh(), ow = g.ow();
        boolean f32 = dt == DType.F32;
        long row = 0;
        for (int c = 0; c < g.c; c++) {
            long plane = xByteOff / dt.byteSize() + (long) c * g.h * g.w;
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    long src = row * oh * ow;
                    int w0 = j * g.dw - g.pw;
                    int lo = g.sw == 1 ? Math.max(0, -w0) : 0, hi = g.sw == 1 ? Math.min(ow, g.w - w0) : ow;
                    for (int y = 0; y < oh; y++, src += ow) {
                        int ih = y * g.sh - g.ph + i * g.dh;
                        if (ih < 0 || ih >= g.h) continue;
                        long dstRow = plane + (long) ih * g.w;
                        if (g.sw == 1) {   // a run: vectorized add
                            if (hi > lo) Kernels.addScaled(dt, x, dstRow + w0 + lo, col, src + lo, 1, hi - lo);
                            continue;
                        }
                        for (int xo = 0; xo < ow; xo++) {
                            int iw = w0 + xo * g.sw;
                            if (iw < 0 || iw >= g.w) continue;
                            long d = dstRow + iw;
                            if (f32) {
                                x.setAtIndex(ValueLayout.JAVA_FLOAT, d, x.getAtIndex(ValueLayout.JAVA_FLOAT, d) + col.getAtIndex(ValueLayout.JAVA_FLOAT, src + xo));
                            } else {
                                x.setAtIndex(ValueLayout.JAVA_DOUBLE, d, x.getAtIndex(ValueLayout.JAVA_DOUBLE, d) + col.getAtIndex(ValueLayout.JAVA_DOUBLE, src + xo));
                            }
                        }
                    }
                }
            }
        }
    }
}
