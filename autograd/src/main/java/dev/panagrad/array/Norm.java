package dev.panagrad.array;

import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Batch normalization's loops over a contiguous [N, C, S] array (S the product of the spatial sizes,
 * 1 for [N, C]), per channel, accumulating in double; no graph.
 */
public final class Norm {
    private Norm() {}

    private static double at(MemorySegment s, boolean f32, long i) {
        return f32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT, i) : s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
    }

    private static long spatial(Strided x) {
        long s = 1;
        for (int d = 2; d < x.shape.length; d++) s *= x.shape[d];
        return s;
    }

    /** Per channel: {mean, biased variance} over N and the spatial positions. */
    public static double[][] stats(Strided x) {
        int n = x.shape[0], c = x.shape[1];
        long s = spatial(x), m = (long) n * s;
        double[] mean = new double[c], var = new double[c];
        MemorySegment sx = x.segment();
        boolean f32 = x.dtype == DType.F32;
        Pool.forPlanes(c, m, (c0, c1) -> {
            for (int ch = (int) c0; ch < c1; ch++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    long base = x.offset + ((long) i * c + ch) * s;
                    if (f32) for (long j = 0; j < s; j++) sum += sx.getAtIndex(ValueLayout.JAVA_FLOAT, base + j);
                    else for (long j = 0; j < s; j++) sum += sx.getAtIndex(ValueLayout.JAVA_DOUBLE, base + j);
                }
                double mu = sum / m, sq = 0;
                for (int i = 0; i < n; i++) {
                    long base = x.offset + ((long) i * c + ch) * s;
                    for (long j = 0; j < s; j++) {
                        double v = at(sx, f32, base + j) - mu;
                        sq += v * v;
                    }
                }
                mean[ch] = mu;
                var[ch] = sq / m;
            }
        });
        return new double[][] {mean, var};
    }

    /** The values of a 1-D array of C elements (any layout), or {@code fill} when it is null. */
    public static double[] values(Strided v, int c, double fill) {
        double[] out = new double[c];
        for (int i = 0; i < c; i++) out[i] = v == null ? fill : v.valueAt(v.offset + i * v.strides[0]);
        return out;
    }

    /** y = (x − mean)·invstd·w + b per channel, a new contiguous array of x's shape. */
    public static <T extends Strided> T normalize(Strided x, double[] mean, double[] invstd, double[] w, double[] b, Strided.Factory<T> f) {
        int n = x.shape[0], c = x.shape[1];
        long s = spatial(x);
        T out = f.empty(x.dtype, x.shape.clone());
        MemorySegment sx = x.segment(), so = out.segment();
        boolean f32 = x.dtype == DType.F32;
        Pool.forPlanes((long) n * c, s, (q0, q1) -> {
            for (long q = q0; q < q1; q++) {
                int ch = (int) (q % c);
                long base = q * s;
                double scale = invstd[ch] * w[ch], shift = b[ch] - mean[ch] * scale;
                if (f32) {
                    float fs = (float) scale, fb = (float) shift;
                    for (long j = 0; j < s; j++) so.setAtIndex(ValueLayout.JAVA_FLOAT, base + j, sx.getAtIndex(ValueLayout.JAVA_FLOAT, x.offset + base + j) * fs + fb);
                } else {
                    for (long j = 0; j < s; j++) so.setAtIndex(ValueLayout.JAVA_DOUBLE, base + j, sx.getAtIndex(ValueLayout.JAVA_DOUBLE, x.offset + base + j) * scale + shift);
                }
            }
        });
        return out;
    }

    /** Per channel: {Σ g, Σ g·x̂} with x̂ = (x − mean)·invstd. */
    public static double[][] gradSums(Strided x, Strided g, double[] mean, double[] invstd) {
        int n = x.shape[0], c = x.shape[1];
        long s = spatial(x);
        double[] sumG = new double[c], sumGx = new double[c];
        MemorySegment sx = x.segment(), sg = g.segment();
        boolean f32 = x.dtype == DType.F32;
        Pool.forPlanes(c, (long) n * s, (c0, c1) -> {
            for (int ch = (int) c0; ch < c1; ch++) {
                double a = 0, b = 0, mu = mean[ch];
                for (int i = 0; i < n; i++) {
                    long base = ((long) i * c + ch) * s;
                    if (f32) {
                        for (long j = 0; j < s; j++) {
                            double gv = sg.getAtIndex(ValueLayout.JAVA_FLOAT, g.offset + base + j);
                            a += gv;
                            b += gv * (sx.getAtIndex(ValueLayout.JAVA_FLOAT, x.offset + base + j) - mu);
                        }
                    } else {
                        for (long j = 0; j < s; j++) {
                            double gv = sg.getAtIndex(ValueLayout.JAVA_DOUBLE, g.offset + base + j);
                            a += gv;
                            b += gv * (sx.getAtIndex(ValueLayout.JAVA_DOUBLE, x.offset + base + j) - mu);
                        }
                    }
                }
                sumG[ch] = a;
                sumGx[ch] = b * invstd[ch];
            }
        });
        return new double[][] {sumG, sumGx};
    }

    /**
     * The input's gradient, a new contiguous array: {@code w·invstd·(g − Σg/M − x̂·Σg·x̂/M)} with batch
     * statistics ({@code training}), {@code w·invstd·g} with running ones.
     */
    public static <T extends Strided> T inputGrad(Strided x, Strided g, double[] mean, double[] invstd, double[] w, double[][] sums, boolean training,
                                                  Strided.Factory<T> f) {
        int n = x.shape[0], c = x.shape[1];
        long s = spatial(x), m = (long) n * s;
        T out = f.empty(x.dtype, x.shape.clone());
        MemorySegment sx = x.segment(), sg = g.segment(), so = out.segment();
        boolean f32 = x.dtype == DType.F32;
        Pool.forPlanes((long) n * c, s, (q0, q1) -> {
            for (long q = q0; q < q1; q++) {
                int ch = (int) (q % c);
                long base = q * s;
                // k·(g − mg − (x − μ)·invstd·mgx) = a·g + b·x + c0, per channel
                double k = w[ch] * invstd[ch];
                double mg = training ? sums[0][ch] / m : 0, mgx = training ? sums[1][ch] / m : 0;
                double a = k, b = -k * invstd[ch] * mgx, c0 = -k * mg + k * invstd[ch] * mgx * mean[ch];
                if (f32) {
                    float fa = (float) a, fb = (float) b, fc = (float) c0;
                    for (long j = 0; j < s; j++) {
                        so.setAtIndex(ValueLayout.JAVA_FLOAT, base + j, fa * sg.getAtIndex(ValueLayout.JAVA_FLOAT, g.offset + base + j)
                                + fb * sx.getAtIndex(ValueLayout.JAVA_FLOAT, x.offset + base + j) + fc);
                    }
                } else {
                    for (long j = 0; j < s; j++) {
                        so.setAtIndex(ValueLayout.JAVA_DOUBLE, base + j, a * sg.getAtIndex(ValueLayout.JAVA_DOUBLE, g.offset + base + j)
                                + b * sx.getAtIndex(ValueLayout.JAVA_DOUBLE, x.offset + base + j) + c0);
                    }
                }
            }
        });
        return out;
    }

    /** Dropout's mask from uniform draws u: 1/(1 − p) where u < 1 − p, else 0, a new contiguous array in {@code dtype}. */
    public static <T extends Strided> T dropoutMask(Strided u, double p, DType dtype, Strided.Factory<T> f) {
        Strided c = u.isContiguous() ? u : Layout.contiguousCopy(u, f);
        T out = f.empty(dtype, u.shape.clone());
        MemorySegment su = c.segment(), so = out.segment();
        double keep = 1 - p, scale = 1 / keep;
        long n = out.numel();
        if (dtype == DType.F32 && c.dtype == DType.F32) {
            float fk = (float) keep, fs = (float) scale;
            for (long i = 0; i < n; i++) so.setAtIndex(ValueLayout.JAVA_FLOAT, i, su.getAtIndex(ValueLayout.JAVA_FLOAT, c.offset + i) < fk ? fs : 0f);
        } else {
            for (long i = 0; i < n; i++) Kernels.set(so, dtype, i, Kernels.get(su, c.dtype, c.offset + i) < keep ? scale : 0);
        }
        return out;
    }

    /** A new 1-D array of {@code v} in {@code dtype}. */
    public static <T extends Strided> T vector(double[] v, DType dtype, Strided.Factory<T> f) {
        T out = f.empty(dtype, new int[] {v.length});
        for (int i = 0; i < v.length; i++) Kernels.set(out.segment(), dtype, i, v[i]);
        return out;
    }

    /** {@code r = (1 − momentum)·r + momentum·v} for a 1-D array r (the running statistics), in place. */
    public static void blend(Strided r, double[] v, double momentum) {
        for (int i = 0; i < v.length; i++) {
            long o = r.offset + i * r.strides[0];
            Kernels.set(r.segment(), r.dtype, o, (1 - momentum) * r.valueAt(o) + momentum * v[i]);
        }
    }
}
