package dev.panagrad.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 GELU loops of the transformer, over contiguous segments: Vector API lanes when the
 * vector kernels are on ({@link Kernels#VECTOR}), else scalar. erf is Abramowitz and Stegun's 7.1.26
 * (absolute error below 1.5e-7, one exp), and backward reuses the exp: e^(−x²/2) is both erf's factor
 * and the normal density's.
 */
public final class TransformerKernels {
    private TransformerKernels() {}

    private static final float SQRT_HALF = (float) Math.sqrt(0.5), INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));
    private static final float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    /** out[i] = x·Φ(x) over n float32 elements. */
    public static void gelu(MemorySegment x, long xo, MemorySegment out, long oo, long n) {
        long i = 0;
        if (Kernels.VECTOR) i = Lanes.gelu(x, xo, out, oo, n);
        for (; i < n; i++) {
            float v = x.getAtIndex(JAVA_FLOAT, xo + i);
            out.setAtIndex(JAVA_FLOAT, oo + i, 0.5f * v * (1 + erf(v * SQRT_HALF)));
        }
    }

    /** out[i] = g·(Φ(x) + x·φ(x)) over n float32 elements. */
    public static void geluBackward(MemorySegment g, long go, MemorySegment x, long xo, MemorySegment out, long oo, long n) {
        long i = 0;
        if (Kernels.VECTOR) i = Lanes.geluBackward(g, go, x, xo, out, oo, n);
        for (; i < n; i++) {
            float v = x.getAtIndex(JAVA_FLOAT, xo + i), z = v * SQRT_HALF, a = Math.abs(z);
            float e = (float) Math.exp(-a * a);
            float erfAbs = 1 - poly(1 / (1 + P * a)) * e;
            float cdf = 0.5f * (1 + (z < 0 ? -erfAbs : erfAbs));
            out.setAtIndex(JAVA_FLOAT, oo + i, g.getAtIndex(JAVA_FLOAT, go + i) * (cdf + v * INV_SQRT_2PI * e));
        }
    }

    /**
     * softmax(scale·x) over each row of {@code cols} float32 values, rows contiguous; with {@code causal}, row r
     * (query r % lrows of its matrix) takes columns ≤ that query only and writes 0 beyond.
     */
    public static void attentionSoftmax(MemorySegment x, long xo, MemorySegment out, long oo, long rows, int cols, int lrows, float scale, boolean causal) {
        for (long r = 0; r < rows; r++) {
            long xr = xo + r * cols, or = oo + r * cols;
            int limit = causal ? Math.min(cols, (int) (r % lrows) + 1) : cols;
            int j = 0;
            float max = Float.NEGATIVE_INFINITY, sum = 0;
            if (Kernels.VECTOR) {
                max = Lanes.max(x, xr, limit, scale);
                j = Lanes.bound(limit);
            }
            for (; j < limit; j++) max = Math.max(max, scale * x.getAtIndex(JAVA_FLOAT, xr + j));
            j = 0;
            if (Kernels.VECTOR) {
                sum = Lanes.expSum(x, xr, out, or, limit, scale, max);
                j = Lanes.bound(limit);
            }
            for (; j < limit; j++) {
                float e = (float) Math.exp(scale * x.getAtIndex(JAVA_FLOAT, xr + j) - max);
                out.setAtIndex(JAVA_FLOAT, or + j, e);
                sum += e;
            }
            if (limit < cols) out.asSlice(4 * (or + limit), 4L * (cols - limit)).fill((byte) 0);
            float inv = 1 / sum;
            j = Kernels.VECTOR ? Lanes.scale(out, or, limit, inv) : 0;
            for (; j < limit; j++) out.setAtIndex(JAVA_FLOAT, or + j, out.getAtIndex(JAVA_FLOAT, or + j) * inv);
        }
    }

    /** scale·y·(g − Σ g·y) per row of {@code cols} float32 values (g, y, out contiguous rows). */
    public static void attentionSoftmaxBackward(MemorySegment g, long go, MemorySegment y, long yo, MemorySegment out, long oo, long rows, int cols, float scale) {
        for (long r = 0; r < rows; r++) {
            long gr = go + r * cols, yr = yo + r * cols, or = oo + r * cols;
            int j = 0;
            float dot = 0;
            if (Kernels.VECTOR) {
                dot = Lanes.dot(g, gr, y, yr, cols);
                j = Lanes.bound(cols);
            }
            for (; j < cols; j++) dot += g.getAtIndex(JAVA_FLOAT, gr + j) * y.getAtIndex(JAVA_FLOAT, yr + j);
            j = Kernels.VECTOR ? Lanes.softmaxGrad(g, gr, y, yr, out, or, cols, scale, dot) : 0;
            for (; j < cols; j++) {
                out.setAtIndex(JAVA_FLOAT, or + j, scale * y.getAtIndex(JAVA_FLOAT, yr + j) * (g.getAtIndex(JAVA_FLOAT, gr + j) - dot));
            }
        }
    }

    /**
     * Layer norm over rows of n float32 values: out = (x − mean)·rstd·w + b (w, b null for none), mean and
     * rstd (1/√(biased var + eps)) written per row, accumulated in float over the lanes as PyTorch's CPU kernel.
     */
    public static void layerNorm(MemorySegment x, long xo, MemorySegment w, long wo, MemorySegment b, long bo, MemorySegment out,
                                 MemorySegment mean, MemorySegment rstd, long rows, int n, double eps) {
        int bound = Kernels.VECTOR ? Lanes.bound(n) : 0;
        for (long r = 0; r < rows; r++) {
            long xr = xo + r * n, or = r * n;
            double sum = bound > 0 ? Lanes.sum(x, xr, n) : 0;
            for (int j = bound; j < n; j++) sum += x.getAtIndex(JAVA_FLOAT, xr + j);
            float mu = (float) (sum / n);
            double sq = bound > 0 ? Lanes.squaredDeviation(x, xr, n, mu) : 0;
            for (int j = bound; j < n; j++) {
                float d = x.getAtIndex(JAVA_FLOAT, xr + j) - mu;
                sq += d * d;
            }
            float rs = (float) (1 / Math.sqrt(sq / n + eps));
            mean.setAtIndex(JAVA_FLOAT, r, mu);
            rstd.setAtIndex(JAVA_FLOAT, r, rs);
            if (bound > 0) Lanes.normalize(x, xr, w, wo, b, bo, out, or, n, mu, rs);
            for (int j = bound; j < n; j++) {
                float v = (x.getAtIndex(JAVA_FLOAT, xr + j) - mu) * rs;
                if (w != null) v *= w.getAtIndex(JAVA_FLOAT, wo + j);
                if (b != null) v += b.getAtIndex(JAVA_FLOAT, bo + j);
                out.setAtIndex(JAVA_FLOAT, or + j, v);
            }
        }
    }

    /**
     * Layer norm's backward over rows of n float32 values: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with
     * x̂ = (x − mean)·rstd, ĝ = g·w; and, when dw and db are given (zeroed), dw += g·x̂ and db += g.
     */
    public static void layerNormBackward(MemorySegment g, long go, MemorySegment x, long xo, MemorySegment mean, long mo, MemorySegment rstd, long ro,
                                         MemorySegment w, long wo, MemorySegment dx, MemorySegment dw, MemorySegment db, long rows, int n) {
        int bound = Kernels.VECTOR ? Lanes.bound(n) : 0;
        float[] sums = new float[2];
        for (long r = 0; r < rows; r++) {
            long gr = go + r * n, xr = xo + r * n, dr = r * n;
            float mu = mean.getAtIndex(JAVA_FLOAT, mo + r), rs = rstd.getAtIndex(JAVA_FLOAT, ro + r);
            float sumG = 0, sumGX = 0;
            if (bound > 0) {
                Lanes.layerNormSums(g, gr, x, xr, w, wo, dw, db, n, mu, rs, sums);
                sumG = sums[0];
                sumGX = sums[1];
            }
            for (int j = bound; j < n; j++) {
                float gj = g.getAtIndex(JAVA_FLOAT, gr + j), xh = (x.getAtIndex(JAVA_FLOAT, xr + j) - mu) * rs;
                if (dw != null) {
                    dw.setAtIndex(JAVA_FLOAT, j, dw.getAtIndex(JAVA_FLOAT, j) + gj * xh);
                    db.setAtIndex(JAVA_FLOAT, j, db.getAtIndex(JAVA_FLOAT, j) + gj);
                }
                float gh = w == null ? gj : gj * w.getAtIndex(JAVA_FLOAT, wo + j);
                sumG += gh;
                sumGX += gh * xh;
            }
            float meanG = sumG / n, meanGX = sumGX / n;
            if (bound > 0) Lanes.layerNormDx(g, gr, x, xr, w, wo, dx, dr, n, mu, rs, meanG, meanGX);
            for (int j = bound; j < n; j++) {
                float gj = g.getAtIndex(JAVA_FLOAT, gr + j), xh = (x.getAtIndex(JAVA_FLOAT, xr + j) - mu) * rs;
                float gh = w == null ? gj : gj * w.getAtIndex(JAVA_FLOAT, wo + j);
                dx.setAtIndex(JAVA_FLOAT, dr + j, rs * (gh - meanG - xh * meanGX));
            }
        }
    }

    private static float poly(float t) { return t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))); }

    private static float erf(float z) {
        float a = Math.abs(z), y = 1 - poly(1 / (1 + P * a)) * (float) Math.exp(-a * a);
        return z < 0 ? -y : y;
    }

    /** The Vector API bodies, in a class of their own so that nothing loads the incubator module when the kernels are off. */
    private static final class Lanes {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
        private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

        /** erf(|z|)·e and e = exp(−z²) for the lanes of z: returns {Φ(x), e}. */
        private static FloatVector[] cdf(FloatVector v) {
            FloatVector z = v.mul(SQRT_HALF), a = z.abs(), one = FloatVector.broadcast(S, 1f);
            FloatVector t = one.div(a.mul(P).add(one));
            FloatVector poly = t.mul(A5).add(A4).mul(t).add(A3).mul(t).add(A2).mul(t).add(A1).mul(t);
            FloatVector e = a.mul(a).neg().lanewise(VectorOperators.EXP);
            FloatVector erfAbs = one.sub(poly.mul(e));
            FloatVector erf = erfAbs.blend(erfAbs.neg(), z.compare(VectorOperators.LT, 0f));
            return new FloatVector[] {erf.add(one).mul(0.5f), e};
        }

        /** Where the lane loops over n elements stop: the reductions below cover [0, bound), the caller the tail. */
        static int bound(int n) { return S.loopBound(n); }

        /** The largest of scale·x over the first {@link #bound} elements (−inf if none). */
        static float max(MemorySegment x, long xo, int n, float scale) {
            int i = 0, bound = S.loopBound(n);
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < bound; i += S.length()) m = m.max(FloatVector.fromMemorySegment(S, x, (xo + i) * 4, NATIVE).mul(scale));
            return m.reduceLanes(VectorOperators.MAX);
        }

        /** Writes e^(scale·x − max) for the first {@link #bound} elements; returns their sum. */
        static float expSum(MemorySegment x, long xo, MemorySegment out, long oo, int n, float scale, float max) {
            int i = 0, bound = S.loopBound(n);
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += S.length()) {
                FloatVector e = FloatVector.fromMemorySegment(S, x, (xo + i) * 4, NATIVE).mul(scale).sub(max).lanewise(VectorOperators.EXP);
                e.intoMemorySegment(out, (oo + i) * 4, NATIVE);
                acc = acc.add(e);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        static int scale(MemorySegment out, long oo, int n, float s) {
            int i = 0, bound = S.loopBound(n);
            for (; i < bound; i += S.length()) FloatVector.fromMemorySegment(S, out, (oo + i) * 4, NATIVE).mul(s).intoMemorySegment(out, (oo + i) * 4, NATIVE);
            return i;
        }

        /** Σ a·b over the first {@link #bound} elements. */
        static float dot(MemorySegment a, long ao, MemorySegment b, long bo, int n) {
            int i = 0, bound = S.loopBound(n);
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += S.length()) {
                acc = FloatVector.fromMemorySegment(S, a, (ao + i) * 4, NATIVE).fma(FloatVector.fromMemorySegment(S, b, (bo + i) * 4, NATIVE), acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        static int softmaxGrad(MemorySegment g, long go, MemorySegment y, long yo, MemorySegment out, long oo, int n, float scale, float dot) {
            int i = 0, bound = S.loopBound(n);
            for (; i < bound; i += S.length()) {
                FloatVector gv = FloatVector.fromMemorySegment(S, g, (go + i) * 4, NATIVE), yv = FloatVector.fromMemorySegment(S, y, (yo + i) * 4, NATIVE);
                gv.sub(dot).mul(yv).mul(scale).intoMemorySegment(out, (oo + i) * 4, NATIVE);
            }
            return i;
        }

        private static FloatVector at(MemorySegment s, long i) { return FloatVector.fromMemorySegment(S, s, i * 4, NATIVE); }

        static float sum(MemorySegment x, long xo, int n) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = 0, bound = S.loopBound(n); i < bound; i += S.length()) acc = acc.add(at(x, xo + i));
            return acc.reduceLanes(VectorOperators.ADD);
        }

        static float squaredDeviation(MemorySegment x, long xo, int n, float mu) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = 0, bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector d = at(x, xo + i).sub(mu);
                acc = d.fma(d, acc);
            }
            return acc.reduceLanes(VectorOperators.ADD);
        }

        static void normalize(MemorySegment x, long xo, MemorySegment w, long wo, MemorySegment b, long bo, MemorySegment out, long oo, int n, float mu, float rs) {
            for (int i = 0, bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector v = at(x, xo + i).sub(mu).mul(rs);
                if (w != null) v = v.mul(at(w, wo + i));
                if (b != null) v = v.add(at(b, bo + i));
                v.intoMemorySegment(out, (oo + i) * 4, NATIVE);
            }
        }

        static void layerNormSums(MemorySegment g, long go, MemorySegment x, long xo, MemorySegment w, long wo, MemorySegment dw, MemorySegment db,
                                  int n, float mu, float rs, float[] sums) {
            FloatVector sg = FloatVector.zero(S), sgx = FloatVector.zero(S);
            for (int i = 0, bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector gv = at(g, go + i), xh = at(x, xo + i).sub(mu).mul(rs);
                if (dw != null) {
                    gv.fma(xh, at(dw, i)).intoMemorySegment(dw, i * 4L, NATIVE);
                    gv.add(at(db, i)).intoMemorySegment(db, i * 4L, NATIVE);
                }
                FloatVector gh = w == null ? gv : gv.mul(at(w, wo + i));
                sg = sg.add(gh);
                sgx = gh.fma(xh, sgx);
            }
            sums[0] = sg.reduceLanes(VectorOperators.ADD);
            sums[1] = sgx.reduceLanes(VectorOperators.ADD);
        }

        static void layerNormDx(MemorySegment g, long go, MemorySegment x, long xo, MemorySegment w, long wo, MemorySegment dx, long dxo,
                                int n, float mu, float rs, float meanG, float meanGX) {
            for (int i = 0, bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector gv = at(g, go + i), xh = at(x, xo + i).sub(mu).mul(rs);
                FloatVector gh = w == null ? gv : gv.mul(at(w, wo + i));
                gh.sub(meanG).sub(xh.mul(meanGX)).mul(rs).intoMemorySegment(dx, (dxo + i) * 4, NATIVE);
            }
        }

        static long gelu(MemorySegment x, long xo, MemorySegment out, long oo, long n) {
            long i = 0, bound = S.loopBound(n);
            for (; i < bound; i += S.length()) {
                FloatVector v = FloatVector.fromMemorySegment(S, x, (xo + i) * 4, NATIVE);
                v.mul(cdf(v)[0]).intoMemorySegment(out, (oo + i) * 4, NATIVE);
            }
            return i;
        }

        static long geluBackward(MemorySegment g, long go, MemorySegment x, long xo, MemorySegment out, long oo, long n) {
            long i = 0, bound = S.loopBound(n);
            for (; i < bound; i += S.length()) {
                FloatVector v = FloatVector.fromMemorySegment(S, x, (xo + i) * 4, NATIVE);
                FloatVector[] c = cdf(v);
                FloatVector d = v.mul(INV_SQRT_2PI).mul(c[1]).add(c[0]);
                FloatVector.fromMemorySegment(S, g, (go + i) * 4, NATIVE).mul(d).intoMemorySegment(out, (oo + i) * 4, NATIVE);
            }
            return i;
        }
    }
}
