package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.none;
import static dev.panagrad.ops.Ops.save;

import dev.panagrad.array.Layout;
import dev.panagrad.array.Pool;
import dev.panagrad.array.Shape;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;

/**
 * 2-D pooling over the last two dimensions of a [C, H, W] or [N, C, H, W] input, with PyTorch's
 * node names, checks and tie rules (the loops are {@link Pool}'s). {@code ceil_mode} is not offered
 * (PyTorch's default, floor, always).
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
        return apply("MaxPool2DWithIndicesBackward0", r.values(), in(x), save(r.indices()),
                (n, g) -> grads(Pool.maxBackward(Layout.contiguous(g, g.factory()), n.saved(0), inShape, g.factory())));
    }

    /** {@code F.avg_pool2d(x, kernel, stride, padding)} with {@code count_include_pad=True} (the window's size divides). */
    @Op("AvgPool2DBackward0")
    public static <T extends Operand<T>> T avgPool2d(T x, int[] kernel, int[] stride, int[] padding) {
        Pool.Window w = window(x.shapeView(), kernel, stride, padding, new int[] {1});
        if (!x.dtype().isFloatingPoint()) throw new IllegalArgumentException("\"avg_pool2d\" not implemented for '" + Ops.typeName(x.dtype()) + "'");
        int[] inShape = x.shape();
        return apply("AvgPool2DBackward0", Pool.avg(Layout.contiguous(x, x.factory()), w, x.factory()), in(x), none(),
                (n, g) -> grads(Pool.avgBackward(Layout.contiguous(g, g.factory()), inShape, w, g.factory())));
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
        return apply("AdaptiveAvgPool2DBackward0", Pool.adaptiveAvg(Layout.contiguous(x, x.factory()), oh, ow, x.factory()), in(x), none(),
                (n, g) -> grads(Pool.adaptiveAvgBackward(Layout.contiguous(g, g.factory()), inShape, g.factory())));
    }
}
