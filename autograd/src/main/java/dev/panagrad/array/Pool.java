package dev.panagrad.array;

import dev.panagrad.kernel.Parallel;
import dev.panagrad.memory.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 2-D pooling over the last two dimensions of a contiguous [..., H, W] array, plane by plane, no
 * graph: max (with the flat index h·W + w of each window's maximum, as PyTorch returns it; the first
 * maximum wins a tie and a NaN wins over any number), average (windows over the zero-padded input,
 * divided by the window's size: {@code count_include_pad=True}), and adaptive average (window i of n
 * over a size s spans [⌊i·s/n⌋, ⌈(i+1)·s/n⌉)). Arithmetic in double, stored in the array's dtype.
 */
public final class Pool {
    private Pool() {}

    /** Window geometry: kernel, stride, padding, dilation per dimension. */
    public record Window(int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw) {
        public int out(int size, boolean height) {
            int k = height ? kh : kw, s = height ? sh : sw, p = height ? ph : pw, d = height ? dh : dw;
            return (size + 2 * p - d * (k - 1) - 1) / s + 1;
        }
    }

    private static int[] outShape(int[] in, int oh, int ow) {
        int[] s = in.clone();
        s[s.length - 2] = oh;
        s[s.length - 1] = ow;
        return s;
    }

    private static double at(MemorySegment s, boolean f32, long i) {
        return f32 ? s.getAtIndex(ValueLayout.JAVA_FLOAT, i) : s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
    }

    private static void put(MemorySegment s, boolean f32, long i, double v) {
        if (f32) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
        else s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
    }

    /** A max pool's values and the flat index (h·W + w, I64) each came from. */
    public record MaxResult<T>(T values, T indices) {}

    /** max_pool2d of a contiguous x; planes split across the cores. */
    public static <T extends Strided> MaxResult<T> max(Strided x, Window k, Strided.Factory<T> f) {
        int d = x.shape.length, h = x.shape[d - 2], w = x.shape[d - 1];
        int oh = k.out(h, true), ow = k.out(w, false);
        long planes = x.numel() / Math.max(1, (long) h * w);
        int[] os = outShape(x.shape, oh, ow);
        T out = f.empty(x.dtype, os), idx = f.empty(DType.I64, os);
        MemorySegment sx = x.segment(), so = out.segment(), si = idx.segment();
        boolean f32 = x.dtype == DType.F32;
        if (f32 && k.equals(new Window(2, 2, 2, 2, 0, 0, 1, 1))) {
            forPlanes(planes, (long) h * w, (q0, q1) -> max2x2(sx, x.offset, h, w, oh, ow, so, si, q0, q1));
            return new MaxResult<>(out, idx);
        }
        forPlanes(planes, (long) h * w, (q0, q1) -> {
            for (long pl = q0; pl < q1; pl++) {
                long in0 = x.offset + pl * h * w, o0 = pl * oh * ow;
                for (int y = 0; y < oh; y++) {
                    for (int xo = 0; xo < ow; xo++) {
                        double best = Double.NEGATIVE_INFINITY;
                        long bestAt = -1;
                        window:
                        for (int i = 0; i < k.kh; i++) {
                            int ih = y * k.sh - k.ph + i * k.dh;
                            if (ih < 0 || ih >= h) continue;
                            long row = in0 + (long) ih * w;
                            for (int j = 0; j < k.kw; j++) {
                                int iw = xo * k.sw - k.pw + j * k.dw;
                                if (iw < 0 || iw >= w) continue;
                                double v = f32 ? sx.getAtIndex(ValueLayout.JAVA_FLOAT, row + iw) : sx.getAtIndex(ValueLayout.JAVA_DOUBLE, row + iw);
                                if (bestAt < 0 || v > best || v != v) {   // the first maximum; a NaN wins and ends the window
                                    best = v;
                                    bestAt = (long) ih * w + iw;
                                    if (v != v) break window;
                                }
                            }
                        }
                        long o = o0 + (long) y * ow + xo;
                        if (f32) so.setAtIndex(ValueLayout.JAVA_FLOAT, o, (float) best);
                        else so.setAtIndex(ValueLayout.JAVA_DOUBLE, o, best);
                        si.setAtIndex(ValueLayout.JAVA_LONG, o, bestAt);
                    }
                }
            }
        });
        return new MaxResult<>(out, idx);
    }

    /** The common case, 2×2 windows at stride 2 in float32: four reads per output, the first maximum (NaN wins). */
    private static void max2x2(MemorySegment sx, long xOff, int h, int w, int oh, int ow, MemorySegment so, MemorySegment si, long q0, long q1) {
        for (long pl = q0; pl < q1; pl++) {
            long in0 = xOff + pl * h * w, o0 = pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                long r0 = in0 + 2L * y * w, r1 = r0 + w, o = o0 + (long) y * ow;
                int rowAt = 2 * y * w;
                for (int xo = 0; xo < ow; xo++, o++) {
                    int c = 2 * xo;
                    float a = sx.getAtIndex(ValueLayout.JAVA_FLOAT, r0 + c), b = sx.getAtIndex(ValueLayout.JAVA_FLOAT, r0 + c + 1);
                    float d = sx.getAtIndex(ValueLayout.JAVA_FLOAT, r1 + c), e = sx.getAtIndex(ValueLayout.JAVA_FLOAT, r1 + c + 1);
                    float best = a;
                    int at = rowAt + c;
                    if (a == a) {   // a NaN first wins; else the first of b, d, e that is larger or NaN
                        if (b > best || b != b) { best = b; at = rowAt + c + 1; }
                        if (best == best && (d > best || d != d)) { best = d; at = rowAt + w + c; }
                        if (best == best && (e > best || e != e)) { best = e; at = rowAt + w + c + 1; }
                    }
                    so.setAtIndex(ValueLayout.JAVA_FLOAT, o, best);
                    si.setAtIndex(ValueLayout.JAVA_LONG, o, at);
                }
            }
        }
    }

    /** Planes split across the cores when there is enough work ({@code planeSize} elements each). */
    static void forPlanes(long planes, long planeSize, Parallel.Range body) {
        int parts = planes * planeSize < (1 << 16) ? 1 : Parallel.coreParts(planes);
        if (parts == 1) {
            body.run(0, planes);
            return;
        }
        Parallel.forEachPart(parts, (p0, p1) -> {
            for (long part = p0; part < p1; part++) body.run(planes * part / parts, planes * (part + 1) / parts);
        });
    }

    /** max_pool2d's backward: each output gradient added at its window's maximum, into a new array of the input's shape. */
    public static <T extends Strided> T maxBackward(Strided gout, Strided indices, int[] inShape, Strided.Factory<T> f) {
        int d = inShape.length, h = inShape[d - 2], w = inShape[d - 1];
        int oh = gout.shape[d - 2], ow = gout.shape[d - 1];
        T gx = f.full(gout.dtype, 0, inShape);
        long planes = gx.numel() / Math.max(1, (long) h * w);
        MemorySegment sg = gout.segment(), si = indices.segment(), sx = gx.segment();
        boolean f32 = gout.dtype == DType.F32;
        forPlanes(planes, (long) h * w, (q0, q1) -> {
            for (long pl = q0; pl < q1; pl++) {
                long o0 = pl * oh * ow, i0 = pl * h * w;
                for (long o = 0; o < (long) oh * ow; o++) {
                    long at = i0 + si.getAtIndex(ValueLayout.JAVA_LONG, indices.offset + o0 + o);
                    if (f32) sx.setAtIndex(ValueLayout.JAVA_FLOAT, at, sx.getAtIndex(ValueLayout.JAVA_FLOAT, at) + sg.getAtIndex(ValueLayout.JAVA_FLOAT, gout.offset + o0 + o));
                    else sx.setAtIndex(ValueLayout.JAVA_DOUBLE, at, sx.getAtIndex(ValueLayout.JAVA_DOUBLE, at) + sg.getAtIndex(ValueLayout.JAVA_DOUBLE, gout.offset + o0 + o));
                }
            }
        });
        return gx;
    }

    /** avg_pool2d (count_include_pad) of a contiguous x. */
    public static <T extends Strided> T avg(Strided x, Window k, Strided.Factory<T> f) {
        int d = x.shape.length, h = x.shape[d - 2], w = x.shape[d - 1];
        int oh = k.out(h, true), ow = k.out(w, false);
        T out = f.empty(x.dtype, outShape(x.shape, oh, ow));
        long planes = x.numel() / Math.max(1, (long) h * w);
        MemorySegment sx = x.segment(), so = out.segment();
        boolean f32 = x.dtype == DType.F32;
        double div = (double) k.kh * k.kw;
        for (long pl = 0; pl < planes; pl++) {
            long in0 = x.offset + pl * h * w, o0 = pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int xo = 0; xo < ow; xo++) {
                    double sum = 0;
                    for (int ih = Math.max(0, y * k.sh - k.ph); ih < Math.min(h, y * k.sh - k.ph + k.kh); ih++) {
                        for (int iw = Math.max(0, xo * k.sw - k.pw); iw < Math.min(w, xo * k.sw - k.pw + k.kw); iw++) sum += at(sx, f32, in0 + (long) ih * w + iw);
                    }
                    put(so, f32, o0 + (long) y * ow + xo, sum / div);
                }
            }
        }
        return out;
    }

    /** avg_pool2d's backward: each output gradient spread evenly over its window. */
    public static <T extends Strided> T avgBackward(Strided gout, int[] inShape, Window k, Strided.Factory<T> f) {
        int d = inShape.length, h = inShape[d - 2], w = inShape[d - 1];
        int oh = gout.shape[d - 2], ow = gout.shape[d - 1];
        T gx = f.full(gout.dtype, 0, inShape);
        long planes = gx.numel() / Math.max(1, (long) h * w);
        MemorySegment sg = gout.segment(), sx = gx.segment();
        boolean f32 = gout.dtype == DType.F32;
        double div = (double) k.kh * k.kw;
        for (long pl = 0; pl < planes; pl++) {
            long i0 = pl * h * w, o0 = gout.offset + pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                for (int xo = 0; xo < ow; xo++) {
                    double v = at(sg, f32, o0 + (long) y * ow + xo) / div;
                    for (int ih = Math.max(0, y * k.sh - k.ph); ih < Math.min(h, y * k.sh - k.ph + k.kh); ih++) {
                        for (int iw = Math.max(0, xo * k.sw - k.pw); iw < Math.min(w, xo * k.sw - k.pw + k.kw); iw++) {
                            long at = i0 + (long) ih * w + iw;
                            put(sx, f32, at, at(sx, f32, at) + v);
                        }
                    }
                }
            }
        }
        return gx;
    }

    private static int start(int i, int in, int out) { return (int) ((long) i * in / out); }

    private static int end(int i, int in, int out) { return (int) (((long) (i + 1) * in + out - 1) / out); }

    /** adaptive_avg_pool2d of a contiguous x to [oh, ow]. */
    public static <T extends Strided> T adaptiveAvg(Strided x, int oh, int ow, Strided.Factory<T> f) {
        int d = x.shape.length, h = x.shape[d - 2], w = x.shape[d - 1];
        T out = f.empty(x.dtype, outShape(x.shape, oh, ow));
        long planes = x.numel() / Math.max(1, (long) h * w);
        MemorySegment sx = x.segment(), so = out.segment();
        boolean f32 = x.dtype == DType.F32;
        for (long pl = 0; pl < planes; pl++) {
            long in0 = x.offset + pl * h * w, o0 = pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                int h0 = start(y, h, oh), h1 = end(y, h, oh);
                for (int xo = 0; xo < ow; xo++) {
                    int w0 = start(xo, w, ow), w1 = end(xo, w, ow);
                    double sum = 0;
                    for (int ih = h0; ih < h1; ih++) for (int iw = w0; iw < w1; iw++) sum += at(sx, f32, in0 + (long) ih * w + iw);
                    put(so, f32, o0 + (long) y * ow + xo, sum / ((double) (h1 - h0) * (w1 - w0)));
                }
            }
        }
        return out;
    }

    /** adaptive_avg_pool2d's backward. */
    public static <T extends Strided> T adaptiveAvgBackward(Strided gout, int[] inShape, Strided.Factory<T> f) {
        int d = inShape.length, h = inShape[d - 2], w = inShape[d - 1];
        int oh = gout.shape[d - 2], ow = gout.shape[d - 1];
        T gx = f.full(gout.dtype, 0, inShape);
        long planes = gx.numel() / Math.max(1, (long) h * w);
        MemorySegment sg = gout.segment(), sx = gx.segment();
        boolean f32 = gout.dtype == DType.F32;
        for (long pl = 0; pl < planes; pl++) {
            long i0 = pl * h * w, o0 = gout.offset + pl * oh * ow;
            for (int y = 0; y < oh; y++) {
                int h0 = start(y, h, oh), h1 = end(y, h, oh);
                for (int xo = 0; xo < ow; xo++) {
                    int w0 = start(xo, w, ow), w1 = end(xo, w, ow);
                    double v = at(sg, f32, o0 + (long) y * ow + xo) / ((double) (h1 - h0) * (w1 - w0));
                    for (int ih = h0; ih < h1; ih++) {
                        for (int iw = w0; iw < w1; iw++) {
                            long at = i0 + (long) ih * w + iw;
                            put(sx, f32, at, at(sx, f32, at) + v);
                        }
                    }
                }
            }
        }
        return gx;
    }

    // ---------------------------------------------------------------- the windows as index pairs (for the composed backward)

    /** Output positions {@code from} and the input positions {@code to} their windows cover along one dimension: two int64 vectors of one length. */
    public record Pairs<T>(T from, T to) {}

    /** The pairs of a window k with stride s, padding p, dilation d over {@code in} positions, {@code out} windows; padding positions left out. */
    public static <T extends Strided> Pairs<T> windowPairs(int in, int out, int k, int s, int p, int d, Strided.Factory<T> f) {
        java.util.List<long[]> pairs = new java.util.ArrayList<>();
        for (int j = 0; j < k; j++) {
            for (int o = 0; o < out; o++) {
                int at = o * s - p + j * d;
                if (at >= 0 && at < in) pairs.add(new long[] {o, at});
            }
        }
        return pairs(pairs, f);
    }

    /** The pairs of adaptive windows: window i of {@code out} over {@code in} positions covers [⌊i·in/out⌋, ⌈(i+1)·in/out⌉). */
    public static <T extends Strided> Pairs<T> adaptivePairs(int in, int out, Strided.Factory<T> f) {
        java.util.List<long[]> pairs = new java.util.ArrayList<>();
        for (int o = 0; o < out; o++) for (int at = start(o, in, out); at < end(o, in, out); at++) pairs.add(new long[] {o, at});
        return pairs(pairs, f);
    }

    /** The sizes of the adaptive windows along one dimension. */
    public static double[] adaptiveSizes(int in, int out) {
        double[] v = new double[out];
        for (int o = 0; o < out; o++) v[o] = end(o, in, out) - start(o, in, out);
        return v;
    }

    private static <T extends Strided> Pairs<T> pairs(java.util.List<long[]> pairs, Strided.Factory<T> f) {
        T from = f.empty(DType.I64, new int[] {pairs.size()}), to = f.empty(DType.I64, new int[] {pairs.size()});
        for (int i = 0; i < pairs.size(); i++) {
            from.segment().setAtIndex(ValueLayout.JAVA_LONG, i, pairs.get(i)[0]);
            to.segment().setAtIndex(ValueLayout.JAVA_LONG, i, pairs.get(i)[1]);
        }
        return new Pairs<>(from, to);
    }
}
