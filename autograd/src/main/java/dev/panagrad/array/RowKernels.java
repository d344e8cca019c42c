package dev.panagrad.array;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panagrad.kernel.Kernels;
import dev.panagrad.kernel.Parallel;
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
            for (long i = 0; i < n; i++) {
                double v = in.getAtIndex(JAVA_FLOAT, base + i);
                o.setAtIndex(JAVA_FLOAT, i, (float) (0.5 * v * (1 + erfFloat(v * SQRT_HALF))));
            }
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
        Strided xc = Layout.contiguousCopy(x, f);
        T out = f.empty(x.dtype, x.shape);
        MemorySegment gs = gc.segment(), xs = xc.segment(), o = out.segment();
        long n = xc.numel(), go = gc.offset;
        boolean f32 = x.dtype == DType.F32;
        for (long i = 0; i < n; i++) {
            double v = f32 ? xs.getAtIndex(JAVA_FLOAT, i) : xs.getAtIndex(JAVA_DOUBLE, i);
            double erf = f32 ? erfFloat(v * SQRT_HALF) : erf(v * SQRT_HALF);
            double d = 0.5 * (1 + erf) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v);
            if (f32) o.setAtIndex(JAVA_FLOAT, i, (float) (gs.getAtIndex(JAVA_FLOAT, go + i) * d));
            else o.setAtIndex(JAVA_DOUBLE, i, gs.getAtIndex(JAVA_DOUBLE, go + i) * d);
        }
        return out;
    }

    /**
     * erf to float32 precision (absolute error below 1.5e-7, Abramowitz and Stegun 7.1.26): the float32
     * path, where it is below float32's rounding of the result, at the cost of one exp.
     */
    static double erfFloat(double x) {
        double a = Math.abs(x);
        double t = 1 / (1 + 0.3275911 * a);
        double y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-a * a);
        return x < 0 ? -y : y;
    }

    /** 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)), the Maclaurin coefficients of erf, enough for |x| ≤ 2.5 to double precision. */
    private static final double[] ERF_SERIES = new double[60];

    static {
        double fact = 1;
        for (int k = 0; k < ERF_SERIES.length; k++) {
            if (k > 0) fact *= k;
            ERF_SERIES[k] = (k % 2 == 0 ? 1 : -1) * 2 / Math.sqrt(Math.PI) / (fact * (2 * k + 1));
        }
    }

    /**
     * erf in double precision (relative error ~1e-15): the Maclaurin series for |x| < 2.5, else
     * 1 − erfc(x) with erfc from its continued fraction, erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + ...)))).
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        if (a < 2.5) {
            double z = a * a, sum = 0;
            for (int k = ERF_SERIES.length - 1; k >= 0; k--) sum = sum * z + ERF_SERIES[k];
            return x < 0 ? -a * sum : a * sum;
        }
        if (a > 6) return x < 0 ? -1 : 1;
        double frac = a;
        for (int k = 80; k >= 1; k--) frac = a + (k / 2.0) / frac;
        double erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / frac;
        return x < 0 ? erfc - 1 : 1 - erfc;
    }

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
        Parallel.forRange(rows, 64, 1, (r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                long o = r * n;
                double sum = 0;
                for (int j = 0; j < n; j++) sum += Kernels.get(xs, t, xo + o + j);
                double mu = sum / n, sq = 0;
                for (int j = 0; j < n; j++) {
                    double d = Kernels.get(xs, t, xo + o + j) - mu;
                    sq += d * d;
                }
                double rsd = 1 / Math.sqrt(sq / n + eps);
                Kernels.set(ms, t, r, mu);
                Kernels.set(rs, t, r, rsd);
                for (int j = 0; j < n; j++) {
                    double y = (Kernels.get(xs, t, xo + o + j) - mu) * rsd;
                    if (ws != null) y *= Kernels.get(ws, t, wo + j);
                    if (bs != null) y += Kernels.get(bs, t, bo + j);
                    Kernels.set(os, t, o + j, y);
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
        T dx = f.empty(t, x.shape);
        T dw = affine ? f.full(t, 0, new int[] {n}) : null, db = affine ? f.full(t, 0, new int[] {n}) : null;
        MemorySegment gs = gc.segment(), xs = xc.segment(), ms = mean.segment(), rs = rstd.segment(), ds = dx.segment();
        MemorySegment ws = wc == null ? null : wc.segment();
        long go = gc.offset, mo = mean.offset, ro = rstd.offset;
        double[] accW = affine ? new double[n] : null, accB = affine ? new double[n] : null;
        for (long r = 0; r < rows; r++) {
            long o = r * n;
            double mu = Kernels.get(ms, t, mo + r), rsd = Kernels.get(rs, t, ro + r);
            double sumG = 0, sumGX = 0;
            for (int j = 0; j < n; j++) {
                double gj = Kernels.get(gs, t, go + o + j), xh = (Kernels.get(xs, t, xo + o + j) - mu) * rsd;
                if (affine) {
                    accW[j] += gj * xh;
                    accB[j] += gj;
                }
                double gh = ws == null ? gj : gj * Kernels.get(ws, t, wo + j);
                sumG += gh;
                sumGX += gh * xh;
            }
            double meanG = sumG / n, meanGX = sumGX / n;
            for (int j = 0; j < n; j++) {
                double gj = Kernels.get(gs, t, go + o + j), xh = (Kernels.get(xs, t, xo + o + j) - mu) * rsd;
                double gh = ws == null ? gj : gj * Kernels.get(ws, t, wo + j);
                Kernels.set(ds, t, o + j, rsd * (gh - meanG - xh * meanGX));
            }
        }
        if (affine) {
            for (int j = 0; j < n; j++) {
                Kernels.set(dw.segment(), t, j, accW[j]);
                Kernels.set(db.segment(), t, j, accB[j]);
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
        Strided xc = Layout.contiguousCopy(x, f);
        int rank = x.shape.length, cols = x.shape[rank - 1], lrows = x.shape[rank - 2];
        long rows = cols == 0 ? 0 : xc.numel() / cols;
        DType t = x.dtype;
        T out = f.empty(t, x.shape);
        MemorySegment xs = xc.segment(), os = out.segment(), mk = mask == null ? null : mask.segment();
        long mo = mask == null ? 0 : mask.offset;
        for (long r = 0; r < rows; r++) {
            long o = r * cols;
            int limit = causal ? Math.min(cols, (int) (r % lrows) + 1) : cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < limit; j++) {
                if (mk != null && mk.get(JAVA_BYTE, mo + o + j) == 0) continue;
                max = Math.max(max, scale * Kernels.get(xs, t, o + j));
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                boolean masked = j >= limit || (mk != null && mk.get(JAVA_BYTE, mo + o + j) == 0);
                double e = masked ? 0 : Math.exp(scale * Kernels.get(xs, t, o + j) - max);
                Kernels.set(os, t, o + j, e);
                sum += e;
            }
            double inv = 1 / sum;   // 0 columns unmasked: 1/0 and 0·inf give NaN, as PyTorch
            for (int j = 0; j < cols; j++) Kernels.set(os, t, o + j, sum == 0 ? Double.NaN : Kernels.get(os, t, o + j) * inv);
        }
        return out;
    }

    /** The backward of {@link #attentionSoftmax} from its output y: scale·y·(g − Σ g·y) per row. */
    public static <T extends Strided> T attentionSoftmaxBackward(T g, Strided y, double scale, Strided.Factory<T> f) {
        T gc = Layout.broadcastData(g, y.shape, f);
        Strided yc = Layout.contiguousCopy(y, f);
        int cols = y.shape[y.shape.length - 1];
        long rows = cols == 0 ? 0 : yc.numel() / cols;
        DType t = y.dtype;
        T out = f.empty(t, y.shape);
        MemorySegment gs = gc.segment(), ys = yc.segment(), os = out.segment();
        long go = gc.offset;
        for (long r = 0; r < rows; r++) {
            long o = r * cols;
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += Kernels.get(gs, t, go + o + j) * Kernels.get(ys, t, o + j);
            for (int j = 0; j < cols; j++) Kernels.set(os, t, o + j, scale * Kernels.get(ys, t, o + j) * (Kernels.get(gs, t, go + o + j) - dot));
        }
        return out;
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
                    double v = Kernels.get(ss, t, from + j);
                    Kernels.set(ts, t, to + j, accumulate ? Kernels.get(ts, t, to + j) + v : v);
                }
            }
        }
    }
}
