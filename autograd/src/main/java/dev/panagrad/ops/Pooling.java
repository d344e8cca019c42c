package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.none;
import static dev.panagrad.ops.Ops.save;

import dev.panagrad.array.Layout;
import dev.panagrad.array.Norm;
import dev.panagrad.array.Pool;
import dev.panagrad.array.Shape;
import dev.panagrad.graph.GradMode;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;

/**
 * 2-D pooling over the last two dimensions of a [C, H, W] or [N, C, H, W] input, with PyTorch's
 * node names, checks and tie rules (the loops are {@link Pool}'s). {@code ceil_mode} is not offered
 * (PyTorch's default, floor, always).
 *
 * <p>Backward is one raw pass in an ordinary backward. Under create_graph (grad mode on while a formula runs)
 * the gradients are composed of differentiable ops instead, so they are recorded and twice differentiable:
 * max pooling's as a scatter-add at the saved indices, the averages' as {@code index_select} /
 * {@code index_add} over the index pairs of their windows (divided by the window sizes).
 */
public final class Pooling {
    private Pooling() {}

    private static int[] pair(int[] v, String what) {
        if (v.length == 1) return new int[] {v[0], v[0]};
        if (v.length != 2) throw new IllegalArgumentException("pool2d: " + what + " must either be a single int, or a tuple of two ints, got " + Arrays.toString(v));
        return v.clone();
    }

    private static Pool.Window window(int[] input, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        int[] k = pair(kernel, "kernel_size"), s = stride == null || stride.length == 0 ? k : pair(stride, "stride"), p = pair(padding, "padding"), d = pair(dilation, "dilation");
        if (input.length != 3 && input.length != 4) throw new IllegalArgumentException("non-empty 3D or 4D (batch mode) tensor expected for input");
        if (k[0] <= 0 || k[1] <= 0) throw new IllegalArgumentException("kernel size should be greater than zero, but got kH: " + k[0] + " kW: " + k[1]);
        if (s[0] <= 0 || s[1] <= 0) throw new IllegalArgumentException("stride should be greater than zero, but got dH: " + s[0] + " dW: " + s[1]);
        if (d[0] <= 0 || d[1] <= 0) throw new IllegalArgumentException("dilation should be greater than zero, but got dilationH: " + d[0] + " dilationW: " + d[1]);
        for (int i = 0; i < 2; i++) {
            if (p[i] < 0 || p[i] > k[i] / 2) {
                throw new IllegalArgumentException("pad should be at most half of kernel size, but got pad=" + p[i] + " and kernel_size=" + k[i]);
            }
        }
        Pool.Window w = new Pool.Window(k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1]);
        int h = input[input.length - 2], wd = input[input.length - 1];
        int oh = w.out(h, true), ow = w.out(wd, false);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("Given input size: (" + input[input.length - 3] + "x" + h + "x" + wd + "). Calculated output size: ("
                    + input[input.length - 3] + "x" + oh + "x" + ow + "). Output size is too small");
        }
        return w;
    }

    /**
     * {@code F.max_pool2d(x, kernel, stride, padding, dilation)} (stride null or empty: the kernel). The
     * gradient of each window goes to its first maximum (row-major order), as PyTorch's.
     */
    @Op("MaxPool2DWithIndicesBackward0")
    public static <T extends Operand<T>> T maxPool2d(T x, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        Pool.Window w = window(x.shapeView(), kernel, stride, padding, dilation);
        if (!x.dtype().isFloatingPoint()) throw new IllegalArgumentException("\"max_pool2d\" not implemented for '" + Ops.typeName(x.dtype()) + "'");
        Pool.MaxResult<T> r = Pool.max(Layout.contiguous(x, x.factory()), w, x.factory());
        int[] inShape = x.shape();
        return apply("MaxPool2DWithIndicesBackward0", r.values(), in(x), save(r.indices()), (n, g) -> {
            if (!GradMode.isEnabled()) return grads(Pool.maxBackward(Layout.contiguous(g, g.factory()), n.saved(0), inShape, g.factory()));
            // recorded (create_graph): g scatter-added at the saved flat indices of each [H, W] plane
            int[] gs = g.shapeView();
            int planeOut = gs[gs.length - 2] * gs[gs.length - 1], plane = inShape[inShape.length - 2] * inShape[inShape.length - 1];
            int planes = (int) (g.numel() / Math.max(1, planeOut));
            T idx = Ops.reshapeRaw(n.saved(0), new int[] {planes, planeOut});
            return grads(Views.reshape(Indexing.scatterAddIntoZeros(new int[] {planes, plane}, 1, idx, Views.reshape(g, planes, planeOut)), inShape));
        });
    }

    /** {@code F.avg_pool2d(x, kernel, stride, padding)} with {@code count_include_pad=True} (the window's size divides). */
    @Op("AvgPool2DBackward0")
    public static <T extends Operand<T>> T avgPool2d(T x, int[] kernel, int[] stride, int[] padding) {
        Pool.Window w = window(x.shapeView(), kernel, stride, padding, new int[] {1});
        if (!x.dtype().isFloatingPoint()) throw new IllegalArgumentException("\"avg_pool2d\" not implemented for '" + Ops.typeName(x.dtype()) + "'");
        int[] inShape = x.shape();
        return apply("AvgPool2DBackward0", Pool.avg(Layout.contiguous(x, x.factory()), w, x.factory()), in(x), none(), (n, g) -> {
            if (!GradMode.isEnabled()) return grads(Pool.avgBackward(Layout.contiguous(g, g.factory()), inShape, w, g.factory()));
            int d = inShape.length, oh = g.shapeView()[d - 2], ow = g.shapeView()[d - 1];
            T rows = spread(g, d - 1, Pool.windowPairs(inShape[d - 1], ow, w.kw(), w.sw(), w.pw(), w.dw(), g.factory()), inShape[d - 1]);
            T all = spread(rows, d - 2, Pool.windowPairs(inShape[d - 2], oh, w.kh(), w.sh(), w.ph(), w.dh(), g.factory()), inShape[d - 2]);
            return grads(Pointwise.div(all, (double) w.kh() * w.kw()));
        });
    }

    /**
     * {@code F.adaptive_avg_pool2d(x, (oh, ow))}: window i of n over a size s spans [⌊i·s/n⌋, ⌈(i+1)·s/n⌉).
     * An output of 1×1 is the mean over the last two dimensions (MeanBackward1), as PyTorch computes it.
     */
    @Op("AdaptiveAvgPool2DBackward0")
    public static <T extends Operand<T>> T adaptiveAvgPool2d(T x, int oh, int ow) {
        int[] xs = x.shapeView();
        if (xs.length != 3 && xs.length != 4) throw new IllegalArgumentException("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got " + Shape.str(xs));
        for (int d = 0; d < xs.length; d++) {
            if (xs[d] == 0 && !(xs.length == 4 && d == 0)) {   // only a batch may be empty
                throw new IllegalArgumentException("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
                        + Shape.str(xs) + " with dimension " + d + " being empty");
            }
        }
        if (oh < 0 || ow < 0) throw new IllegalArgumentException("adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {" + oh + ", " + ow + "}");
        if (oh == 1 && ow == 1) return Reductions.mean(x, new int[] {-1, -2}, true);
        int[] inShape = x.shape();
        return apply("AdaptiveAvgPool2DBackward0", Pool.adaptiveAvg(Layout.contiguous(x, x.factory()), oh, ow, x.factory()), in(x), none(), (n, g) -> {
            if (!GradMode.isEnabled()) return grads(Pool.adaptiveAvgBackward(Layout.contiguous(g, g.factory()), inShape, g.factory()));
            int d = inShape.length, h = inShape[d - 2], wd = inShape[d - 1];
            T hs = Ops.reshapeRaw(Norm.vector(Pool.adaptiveSizes(h, oh), g.dtype(), g.factory()), new int[] {oh, 1});
            T ws = Norm.vector(Pool.adaptiveSizes(wd, ow), g.dtype(), g.factory());
            T scaled = Pointwise.div(Pointwise.div(g, hs), ws);
            return grads(spread(spread(scaled, d - 1, Pool.adaptivePairs(wd, ow, g.factory()), wd), d - 2, Pool.adaptivePairs(h, oh, g.factory()), h));
        });
    }

    /**
     * The composed (differentiable) adjoint of a pooling window along {@code dim}: each output position's
     * value added at every input position its window covers, {@code index_add(zeros, dim, to, index_select(v, dim, from))}.
     */
    private static <T extends Operand<T>> T spread(T v, int dim, Pool.Pairs<T> pairs, int size) {
        int[] shape = v.shape();
        shape[dim] = size;
        return Indexing.indexAdd(Ops.zeros(v, v.dtype(), shape), dim, pairs.to(), Indexing.indexSelect(v, dim, pairs.from()));
    }
}
