package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.reshapeRaw;
import static dev.panagrad.ops.Ops.save;

import dev.panagrad.array.Conv;
import dev.panagrad.array.Layout;
import dev.panagrad.array.Shape;
import dev.panagrad.graph.GradMode;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;

/**
 * Convolutions ({@code F.conv2d}, {@code F.conv1d}) with PyTorch's checks and messages, lowered to
 * GEMMs on the BLAS bridge by {@link Conv} (im2col, one GEMM per sample and group, zero-copy slices).
 * One node, ConvolutionBackward0, as PyTorch 1.13 records; in an ordinary backward its formula is raw
 * (the products of {@link Conv#backward} and the bias's sum). Under create_graph (grad mode on while a
 * formula runs) the input's gradient is recorded as a transposed convolution of g with w and the weight's
 * as a convolution of x with g, each a ConvolutionBackward0 node whose own gradients are convolutions
 * again, so a convolution is differentiable any number of times. (PyTorch records one
 * ConvolutionBackwardBackward0 node for both there; the values are the same.)
 */
public final class Convolution {
    private Convolution() {}

    /**
     * {@code F.conv2d(x, w, b, stride, padding, dilation, groups)}: x [N, C, H, W] (or [C, H, W],
     * unbatched), w [Cout, C/groups, kh, kw], b [Cout] or null; each of stride, padding, dilation one
     * value or two (height, width).
     */
    @Op("ConvolutionBackward0")
    public static <T extends Operand<T>> T conv2d(T x, T w, T b, int[] stride, int[] padding, int[] dilation, int groups) {
        if (x.dim() != 3 && x.dim() != 4) {
            throw new IllegalArgumentException("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: " + Shape.str(x.shapeView()));
        }
        if (x.dim() == 3) return Views.squeeze(conv2d(Views.unsqueeze(x, 0), w, b, stride, padding, dilation, groups), 0);
        return convolution(x, w, b, pair(stride, 2, "stride"), pair(padding, 2, "padding"), pair(dilation, 2, "dilation"), groups);
    }

    /** {@code F.conv1d(x, w, b, stride, padding, dilation, groups)}: x [N, C, L] (or [C, L]), w [Cout, C/groups, k]. */
    @Op("ConvolutionBackward0")
    public static <T extends Operand<T>> T conv1d(T x, T w, T b, int stride, int padding, int dilation, int groups) {
        if (x.dim() != 2 && x.dim() != 3) {
            throw new IllegalArgumentException("Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: " + Shape.str(x.shapeView()));
        }
        if (x.dim() == 2) return Views.squeeze(conv1d(Views.unsqueeze(x, 0), w, b, stride, padding, dilation, groups), 0);
        return convolution(x, w, b, new int[] {stride}, new int[] {padding}, new int[] {dilation}, groups);
    }

    private static int[] pair(int[] v, int dims, String what) {
        if (v.length == 1) {
            int[] r = new int[dims];
            Arrays.fill(r, v[0]);
            return r;
        }
        if (v.length != dims) {
            throw new IllegalArgumentException("expected " + what + " to be a single integer value or a list of " + dims + " values to match the convolution dimensions, but got "
                    + what + "=" + Arrays.toString(v));
        }
        return v.clone();
    }

    /** x [N, C, *spatial] with 1 or 2 spatial dimensions; stride, padding, dilation one value per spatial dimension. */
    private static <T extends Operand<T>> T convolution(T x, T w, T b, int[] stride, int[] padding, int[] dilation, int groups) {
        int sd = x.dim() - 2;
        int[] xs = x.shapeView(), ws = w.shapeView();
        if (w.dim() != sd + 2) {
            throw new IllegalArgumentException("expected stride to be a single integer value or a list of " + (w.dim() - 2)
                    + " values to match the convolution dimensions, but got stride=" + Arrays.toString(stride)
                    + " (input " + Shape.str(xs) + ", weight " + Shape.str(ws) + ")");
        }
        if (x.dtype() != w.dtype() || (b != null && b.dtype() != w.dtype())) {
            throw new IllegalArgumentException("expected scalar type " + Ops.typeName(x.dtype()) + " but found " + Ops.typeName(x.dtype() != w.dtype() ? w.dtype() : b.dtype()));
        }
        if (!x.dtype().isFloatingPoint()) throw new IllegalArgumentException("\"slow_conv2d_cpu\" not implemented for '" + Ops.typeName(x.dtype()) + "'");
        for (int s : stride) if (s <= 0) throw new IllegalArgumentException("non-positive stride is not supported");
        for (int p : padding) if (p < 0) throw new IllegalArgumentException("negative padding is not supported");
        for (int d : dilation) if (d <= 0) throw new IllegalArgumentException("dilation should be greater than zero, but got " + Arrays.toString(dilation));
        if (groups <= 0) throw new IllegalArgumentException("non-positive groups is not supported");
        if (ws[0] % groups != 0) {
            throw new IllegalArgumentException("Given groups=" + groups + ", expected weight to be divisible by " + groups + " at dimension 0, but got weight of size ["
                    + Shape.str(ws) + "] instead");
        }
        if (xs[1] != ws[1] * groups) {
            throw new IllegalArgumentException("Given groups=" + groups + ", weight of size " + Shape.str(ws) + ", expected input" + Shape.str(xs) + " to have "
                    + ws[1] * groups + " channels, but got " + xs[1] + " channels instead");
        }
        if (b != null && (b.dim() != 1 || b.shapeView()[0] != ws[0])) {
            throw new IllegalArgumentException("Given weight of size " + Shape.str(ws) + ", expected bias to be 1-dimensional with " + ws[0] + " elements, but got bias of size "
                    + Shape.str(b.shapeView()) + " instead");
        }
        StringBuilder padded = new StringBuilder(), kernel = new StringBuilder();
        boolean tooBig = false;
        for (int d = 0; d < sd; d++) {
            int p = xs[2 + d] + 2 * padding[d], k = dilation[d] * (ws[2 + d] - 1) + 1;
            tooBig |= p < k;
            padded.append(d == 0 ? "" : " x ").append(p);
            kernel.append(d == 0 ? "" : " x ").append(k);
        }
        if (tooBig) {
            throw new IllegalArgumentException("Calculated padded input size per channel: (" + padded + "). Kernel size: (" + kernel
                    + "). Kernel size can't be greater than actual input size");
        }
        // a 1-D convolution is a 2-D one of height 1
        int h = sd == 2 ? xs[2] : 1, wd = xs[sd + 1], kh = sd == 2 ? ws[2] : 1, kw = ws[sd + 1];
        Conv.Geometry g = new Conv.Geometry(xs[0], xs[1], h, wd, ws[0], kh, kw, sd == 2 ? stride[0] : 1, stride[sd - 1], sd == 2 ? padding[0] : 0, padding[sd - 1],
                sd == 2 ? dilation[0] : 1, dilation[sd - 1], groups);
        T xc = Layout.contiguous(x, x.factory()), wc = Layout.contiguous(w, w.factory());
        T out4 = Conv.forward(xc, wc, b, g, x.factory());
        int[] outShape = sd == 2 ? out4.shapeView() : new int[] {xs[0], ws[0], g.ow()};
        T out = sd == 2 ? out4 : reshapeRaw(out4, outShape);
        int[] x4 = {xs[0], xs[1], h, wd}, w4 = {ws[0], ws[1], kh, kw}, out4s = out4.shape();
        return apply("ConvolutionBackward0", out, in(x, w, b), save(x, w), (n, gout) -> {
            if (GradMode.isEnabled()) {   // recorded (create_graph): the gradients as convolutions of their own, differentiable again
                T g4 = as(gout, out4s);
                int[] biasDims = new int[gout.dim() - 1];
                for (int i = 0, k = 0; i < gout.dim(); i++) if (i != 1) biasDims[k++] = i;
                return grads(n.needsInputGrad(0) ? as(inputGrad(g4, as(n.saved(1), w4), g), xs) : null,
                        n.needsInputGrad(1) ? as(weightGrad(as(n.saved(0), x4), g4, g), ws) : null,
                        n.needsInputGrad(2) ? Reductions.sum(gout, biasDims, false) : null);
            }
            T sx = Layout.contiguous(n.saved(0), gout.factory()), sw = Layout.contiguous(n.saved(1), gout.factory());
            T gc = Layout.contiguous(gout, gout.factory());
            T gx = n.needsInputGrad(0) ? sx.factory().empty(sx.dtype(), sx.shape()) : null;
            T gw = n.needsInputGrad(1) ? sw.factory().empty(sw.dtype(), sw.shape()) : null;
            if (gx != null || gw != null) Conv.backward(sx, sw, gc, gx, gw, g);
            T gb = n.needsInputGrad(2) ? Conv.biasGrad(gc, gout.factory()) : null;
            return grads(gx, gw, gb);
        });
    }

    // ---------------------------------------------------------------- the differentiable gradients (create_graph)

    /** {@code v} reshaped to {@code shape} (a differentiable view or copy), itself when it has that shape (1-D convolutions run as 2-D ones of height 1). */
    private static <T extends Operand<T>> T as(T v, int[] shape) {
        return Arrays.equals(v.shapeView(), shape) ? v : Views.reshape(v, shape);
    }

    private static <T extends Operand<T>> T contiguous(T v) { return Layout.contiguous(v, v.factory()); }

    /** The 4-D convolution of geometry {@code g} without bias, recorded with these same differentiable gradients. */
    private static <T extends Operand<T>> T conv(T x, T w, Conv.Geometry g) {
        T out = Conv.forward(contiguous(x), contiguous(w), null, g, x.factory());
        return apply("ConvolutionBackward0", out, in(x, w), save(x, w), (n, gg) -> grads(
                n.needsInputGrad(0) ? inputGrad(gg, n.saved(1), g) : null,
                n.needsInputGrad(1) ? weightGrad(n.saved(0), gg, g) : null));
    }

    /**
     * The input's gradient of a convolution, {@code g} [N, Cout, OH, OW] through w: a transposed convolution,
     * recorded as one (ConvolutionBackward0, as PyTorch's {@code conv_transpose2d} and
     * {@code torch.nn.grad.conv2d_input} record). It is bilinear in g and w: its gradient for g is the
     * convolution of the incoming gradient with w, for w the weight gradient of that convolution.
     */
    private static <T extends Operand<T>> T inputGrad(T g, T w, Conv.Geometry geo) {
        T gx = g.factory().empty(g.dtype(), new int[] {geo.n(), geo.c(), geo.h(), geo.w()});
        Conv.backward(gx, contiguous(w), contiguous(g), gx, null, geo);   // x is not read for the input's gradient
        return apply("ConvolutionBackward0", gx, in(g, w), save(g, w), (n, gg) -> grads(
                n.needsInputGrad(0) ? conv(gg, n.saved(1), geo) : null,
                n.needsInputGrad(1) ? weightGrad(gg, n.saved(0), geo) : null));
    }

    /**
     * The weight's gradient of a convolution of x, {@code g} [N, Cout, OH, OW] correlated with x, recorded as
     * a convolution (ConvolutionBackward0, as {@code torch.nn.grad.conv2d_weight}'s): bilinear in x and g, its
     * gradient for x is the input gradient of g through the incoming gradient, for g the convolution of x with it.
     */
    private static <T extends Operand<T>> T weightGrad(T x, T g, Conv.Geometry geo) {
        T gw = g.factory().empty(g.dtype(), new int[] {geo.cout(), geo.c() / geo.groups(), geo.kh(), geo.kw()});
        Conv.backward(contiguous(x), gw, contiguous(g), null, gw, geo);   // w is not read for the weight's gradient
        return apply("ConvolutionBackward0", gw, in(x, g), save(x, g), (n, gg) -> grads(
                n.needsInputGrad(0) ? inputGrad(n.saved(1), gg, geo) : null,
                n.needsInputGrad(1) ? conv(n.saved(0), gg, geo) : null));
    }
}
