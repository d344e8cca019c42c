package dev.panagrad.array;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panagrad.kernel.Erf;
import dev.panagrad.kernel.Kernels;
import dev.panagrad.kernel.Parallel;
import dev.panagrad.kernel.TransformerKernels;
import dev.panagrad.memory.DType;
import java.lang.foreign.MemorySegment;

/**
 * The transformer's raw loops, without a graph: GELU and its derivative, layer norm forward and
 * backward (one pass over the rows each way, saving only each row's mean and 1/σ), the attention
 * softmax (scale, causal and boolean mask, softmax in one pass per row, batched over every head), and
 * the integer-index row copies behind {@code embedding}, {@code x[idx]} and {@code index_put}.
 * float32 and float64; float32 values are read and written as float and computed in double.
 */
public final class RowKernels {
    private RowKernels() {}

    private static final double SQRT_HALF = Math.sqrt(0.5), INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    // ---------------------------------------------------------------- GELU

    /** x·Φ(x) = x/2·(1 + erf(x/√2)), PyTorch's default (exact) GELU, into a new contiguous array. */
    public static <T extends Strided> T gelu(T x, Strided.Factory<T> f) {
        T c = Layout.contiguous(x, f);
        T out = f.empty(x.dtype, x.shape);
        MemorySegment in = c.segment(), o = out.segment();
        long base = c.offset, n = c.numel();
        if (x.dtype == DType.F32) {
            TransformerKernels.gelu(in, base, o, 0, n);
        } else {
            for (long i = 0; i < n; i++) {
                double v = in.getAtIndex(JAVA_DOUBLE, base + i);
                o.setAtIndex(JAVA_DOUBLE, i, 0.5 * v * (1 + erf(v * SQRT_HALF)));
            }
        }
        return out;
    }

    /** g·(Φ(x) + x·φ(x)): GELU's backward, into a new contiguous array shaped like x. */
    public static <T extends Strided> T geluBackward(T g, Strided x, Strided.Factory<T> f) {
        T gc = Layout.broadcastData(g, x.shape, f);
        Strided xc = contiguous(x, f);
        T out = f.empty(x.dtype, x.shape);
        MemorySegment gs = gc.segment(), xs = xc.segment(), o = out.segment();
        long n = xc.numel(), go = gc.offset, xo = xc.offset;
        boolean f32 = x.dtype == DType.F32;
        if (f32) {
            TransformerKernels.geluBackward(gs, go, xs, xo, o, 0, n);
            return out;
        }
        for (long i = 0; i < n; i++) {
            double v = xs.getAtIndex(JAVA_DOUBLE, xo + i);
            double erf = erf(v * SQRT_HALF);
            double d = 0.5 * (1 + erf) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v);
            o.setAtIndex(JAVA_DOUBLE, i, gs.getAtIndex(JAVA_DOUBLE, go + i) * d);
        }
        return out;
    }

    /** erf in double precision: {@link Erf#erf}. */
    public static double erf(double x) { return Erf.erf(x); }

    // ---------------------------------------------------------------- layer norm

    /**
     * Layer norm over the last {@code n} elements of each row of x: out = (x − mean)·rstd·w + b (w, b may be
     * null), rstd = 1/√(var + eps) with the biased variance. Returns {out (x's shape), mean [rows], rstd [rows]}.
     */
    public static <T extends Strided> Object[] layerNorm(Strided x, Strided w, Strided b, int n, double eps, Strided.Factory<T> f) {
        Strided xc = contiguous(x, f), wc = w == null ? null : contiguous(w, f), bc = b == null ? null : contiguous(b, f);
        long rows = n == 0 ? 0 : xc.numel() / n, xo = xc.offset, wo = wc == null ? 0 : wc.offset, bo = bc == null ? 0 : bc.offset;
        T out = f.empty(x.dtype, x.shape);
        T mean = f.empty(x.dtype, new int[] {(int) rows}), rstd = f.empty(x.dtype, new int[] {(int) rows});
        MemorySegment xs = xc.segment(), os = out.segment(), ms = mean.segment(), rs = rstd.segment();
        MemorySegment ws = wc == null ? null : wc.segment(), bs = bc == null ? null : bc.segment();
        DType t = x.dtype;
        boolean f32 = t == DType.F32;
        if (f32) {
            TransformerKernels.layerNorm(xs, xo, ws, wo, bs, bo, os, ms, rs, rows, n, eps);
            return new Object[] {out, mean, rstd};
        }
        Parallel.forRange(rows, 64, 1, (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                long o = r * n;
                double sum = 0;
                for (int j = 0; j < n; j++) sum += rd(xs, f32, xo + o + j);
                double mu = sum / n, sq = 0;
                for (int j = 0; j < n; j++) {
                    double d = rd(xs, f32, xo + o + j) - mu;
                    sq += d * d;
                }
                double rsd = 1 / Math.sqrt(sq / n + eps);
                wr(ms, f32, r, mu);
                wr(rs, f32, r, rsd);
                for (int j = 0; j < n; j++) {
                    double y = (rd(xs, f32, xo + o + j) - mu) * rsd;
                    if (ws != null) y *= rd(ws, f32, wo + j);
                    if (bs != null) y += rd(bs, f32, bo + j);
                    wr(os, f32, o + j, y);
                }
            }
        });
        return new Object[] {out, mean, rstd};
    }

    /**
     * Layer norm's backward in one pass over the rows: with x̂ = (x − mean)·rstd and ĝ = g·w,
     * dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dw = Σ_rows g·x̂, db = Σ_rows g. Returns {dx, dw, db}
     * (dw and db null when {@code affine} is false).
     */
    public static <T extends Strided> Object[] layerNormBackward(T g, Strided x, Strided mean, Strided rstd, Strided w, int n, boolean affine,
                                                                 Strided.Factory<T> f) {
        T gc = Layout.broadcastData(g, x.shape, f);
        Strided xc = contiguous(x, f), wc = w == null ? null : contiguous(w, f);
        long rows = n == 0 ? 0 : xc.numel() / n, xo = xc.offset, wo = wc == null ? 0 : wc.offset;
        DType t = x.dtype;
        boolean f32 = t == DType.F32;
        T dx = f.empty(t, x.shape);
        T dw = affine ? f.full(t, 0, new int[] {n}) : null, db = affine ? f.full(t, 0, new int[] {n}) : null;
        MemorySegment gs = gc.segment(), xs = xc.segment(), ms = mean.segment(), rs = rstd.segment(), ds = dx.segment();
        MemorySegment ws = wc == null ? null : wc.segment();
        long go = gc.offset, mo = mean.offset, ro = rstd.offset;
        if (f32) {
            TransformerKernels.layerNormBackward(gs, go, xs, xo, ms, mo, rs, ro, ws, wo, ds, affine ? dw.segment() : null, affine ? db.segment() : null, rows, n);
            return new Object[] {dx, dw, db};
        }
        double[] accW = affine ? new double[n] : null, accB = affine ? new double[n] : null;
        for (long r = 0; r < rows; r++) {
            long o = r * n;
            double mu = rd(ms, f32, mo + r), rsd = rd(rs, f32, ro + r);
            double sumG = 0, sumGX = 0;
            for (int j = 0; j < n; j++) {
                double gj = rd(gs, f32, go + o + j), xh = (rd(xs, f32, xo + o + j) - mu) * rsd;
                if (affine) {
                    accW[j] += gj * xh;
                    accB[j] += gj;
                }
                double gh = ws == null ? gj : gj * rd(ws, f32, wo + j);
                sumG += gh;
                sumGX += gh * xh;
            }
            double meanG = sumG / n, meanGX = sumGX / n;
            for (int j = 0; j < n; j++) {
                double gj = rd(gs, f32, go + o + j), xh = (rd(xs, f32, xo + o + j) - mu) * rsd;
                double gh = ws == null ? gj : gj * rd(ws, f32, wo + j);
                wr(ds, f32, o + j, rsd * (gh - meanG - xh * meanGX));
            }
        }
        if (affine) {
            for (int j = 0; j < n; j++) {
                wr(dw.segment(), f32, j, accW[j]);
                wr(db.segment(), f32, j, accB[j]);
            }
        }
        return new Object[] {dx, dw, db};
    }

    // ---------------------------------------------------------------- attention softmax

    /**
     * softmax(scale·x + mask) over the last dimension of x [..., L, S], in one pass per row: {@code causal}
     * masks column j > i of each L×S matrix; {@code mask} (bool, True = may attend; already broadcast to x's
     * shape, or null) masks where false. A row with every column masked is NaN, as PyTorch's softmax of −inf.
     */
    public static <T extends Strided> T attentionSoftmax(Strided x, double scale, boolean causal, Strided mask, Strided.Factory<T> f) {
        Strided xc = contiguous(x, f);
        long xo = xc.offset;
        int rank = x.shape.length, cols = x.shape[rank - 1], lrows = x.shape[rank - 2];
        long rows = cols == 0 ? 0 : xc.numel() / cols;
        DType t = x.dtype;
        boolean f32 = t == DType.F32;
        T out = f.empty(t, x.shape);
        MemorySegment xs = xc.segment(), os = out.segment(), mk = mask == null ? null : mask.segment();
        long mo = mask == null ? 0 : mask.offset;
        if (f32 && mask == null) {   // the lanes' pass
            TransformerKernels.attentionSoftmax(xs, xo, os, 0, rows, cols, lrows, (float) scale, causal);
            releaseCopy(xc, x);
            return out;
        }
        for (long r = 0; r < rows; r++) {
            long o = r * cols;
            int limit = causal ? Math.min(cols, (int) (r % lrows) + 1) : cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < limit; j++) {
                if (mk != null && mk.get(JAVA_BYTE, mo + o + j) == 0) continue;
                max = Math.max(max, scale * rd(xs, f32, xo + o + j));
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                boolean masked = j >= limit || (mk != null && mk.get(JAVA_BYTE, mo + o + j) == 0);
                double e = masked ? 0 : Math.exp(scale * rd(xs, f32, xo + o + j) - max);
                wr(os, f32, o + j, e);
                sum += e;
            }
            double inv = 1 / sum;   // 0 columns unmasked: 1/0 and 0·inf give NaN, as PyTorch
            for (int j = 0; j < cols; j++) wr(os, f32, o + j, sum == 0 ? Double.NaN : rd(os, f32, o + j) * inv);
        }
        releaseCopy(xc, x);
        return out;
    }

    /** The backward of {@link #attentionSoftmax} from its output y: scale·y·(g − Σ g·y) per row. */
    public static <T extends Strided> T attentionSoftmaxBackward(T g, Strided y, double scale, Strided.Factory<T> f) {
        T gc = Layout.broadcastData(g, y.shape, f);
        Strided yc = contiguous(y, f);
        long yo = yc.offset;
        int cols = y.shape[y.shape.length - 1];
        long rows = cols == 0 ? 0 : yc.numel() / cols;
        DType t = y.dtype;
        boolean f32 = t == DType.F32;
        T out = f.empty(t, y.shape);
        MemorySegment gs = gc.segment(), ys = yc.segment(), os = out.segment();
        long go = gc.offset;
        if (f32) {
            TransformerKernels.attentionSoftmaxBackward(gs, go, ys, yo, os, 0, rows, cols, (float) scale);
            releaseCopy(yc, y);
            return out;
        }
        for (long r = 0; r < rows; r++) {
            long o = r * cols;
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += rd(gs, f32, go + o + j) * rd(ys, f32, yo + o + j);
            for (int j = 0; j < cols; j++) wr(os, f32, o + j, scale * rd(ys, f32, yo + o + j) * (rd(gs, f32, go + o + j) - dot));
        }
        releaseCopy(yc, y);
        return out;
    }

    private static double rd(MemorySegment s, boolean f32, long i) { return f32 ? s.getAtIndex(JAVA_FLOAT, i) : s.getAtIndex(JAVA_DOUBLE, i); }

    private static void wr(MemorySegment s, boolean f32, long i, double v) {
        if (f32) s.setAtIndex(JAVA_FLOAT, i, (float) v);
        else s.setAtIndex(JAVA_DOUBLE, i, v);
    }

    /** Gives a contiguous copy made by {@link #contiguous} back to the pool at once (nothing else holds it). */
    private static void releaseCopy(Strided copy, Strided original) {
        if (copy != original) copy.storage().release("RowKernels: a contiguous copy of an input, after its pass");
    }

    /** {@code a} itself when contiguous, else a contiguous copy. */
    private static Strided contiguous(Strided a, Strided.Factory<?> f) {
        return a.isContiguous() ? a : Layout.contiguousCopy(a, f);
    }

    // ---------------------------------------------------------------- rows by integer index

    /**
     * The int64 {@code index} (any shape) as a contiguous 1-D int64 array of row numbers in [0, size):
     * negative entries wrap once when {@code wrap}; an entry out of range throws {@code message(value)}.
     */
    public static <T extends Strided> T rowIds(Strided index, int size, boolean wrap, java.util.function.LongFunction<String> message, Strided.Factory<T> f) {
        Strided ic = contiguous(index, f);
        long n = ic.numel();
        T out = f.empty(DType.I64, new int[] {Shape.dimSize(n, "index")});
        MemorySegment is = ic.segment(), os = out.segment();
        for (long i = 0; i < n; i++) {
            long v = is.getAtIndex(JAVA_LONG, ic.offset + i), w = wrap && v < 0 ? v + size : v;
            if (w < 0 || w >= size) throw new IndexOutOfBoundsException(message.apply(v));
            os.setAtIndex(JAVA_LONG, i, w);
        }
        return out;
    }

    /**
     * For each i: {@code target[ids[i]] += src[i]} (or {@code =} without {@code accumulate}) over rows of
     * {@code rowLength} elements, target and src contiguous, rows equal to {@code skip} left alone (pass −1
     * for none).
     */
    public static void putRows(Strided target, Strided ids, Strided src, long rowLength, long skip, boolean accumulate) {
        MemorySegment ts = target.segment(), is = ids.segment(), ss = src.segment();
        DType t = target.dtype;
        boolean f32 = t == DType.F32;
        long n = ids.numel();
        for (long i = 0; i < n; i++) {
            long row = is.getAtIndex(JAVA_LONG, ids.offset + i);
            if (row == skip) continue;
            long to = target.offset + row * rowLength, from = src.offset + i * rowLength;
            if (t == DType.F32) {
                for (long j = 0; j < rowLength; j++) {
                    float v = ss.getAtIndex(JAVA_FLOAT, from + j);
                    ts.setAtIndex(JAVA_FLOAT, to + j, accumulate ? ts.getAtIndex(JAVA_FLOAT, to + j) + v : v);
                }
            } else {
                for (long j = 0; j < rowLength; j++) {
                    double v = rd(ss, f32, from + j);
                    wr(ts, f32, to + j, accumulate ? rd(ts, f32, to + j) + v : v);
                }
            }
        }
    }
}
