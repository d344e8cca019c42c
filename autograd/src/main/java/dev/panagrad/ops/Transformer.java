package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.save;
import static dev.panagrad.ops.Pointwise.add;
import static dev.panagrad.ops.Pointwise.mul;
import static dev.panagrad.ops.Pointwise.sub;

import dev.panagrad.array.Layout;
import dev.panagrad.array.RowKernels;
import dev.panagrad.array.Shape;
import dev.panagrad.graph.GradMode;
import dev.panagrad.memory.DType;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;

/**
 * The transformer's ops: {@code F.gelu} (the exact erf form), {@code F.layer_norm} (fused: one pass over
 * the rows each way, saving only each row's mean and 1/σ), the attention softmax (scale, causal and
 * boolean masks and softmax in one pass per row, batched over every head) and
 * {@code scaled_dot_product_attention} built from it and two batched matrix products.
 *
 * <p>The formulas of the fused ops run their raw backward kernels in an ordinary backward (grad mode off).
 * Under create_graph (grad mode on while a formula runs) each returns the same gradient composed of the
 * families' differentiable ops instead, so that it is recorded and can be differentiated again: GELU's
 * {@code g·(Φ(x) + x·φ(x))} with {@code erf} and {@code exp}; layer norm's from the mean and 1/σ recomputed
 * from the saved input with {@code mean} and {@code pow}; the attention softmax's as softmax's formula
 * times the scale (masked entries have y = 0, so their gradient is 0 either way).
 */
public final class Transformer {
    private Transformer() {}

    /** x·Φ(x) = x/2·(1 + erf(x/√2)), PyTorch's default {@code F.gelu}; d/dx = Φ(x) + x·φ(x). */
    @Op("GeluBackward0")
    public static <T extends Operand<T>> T gelu(T x) {
        if (!x.dtype().isFloatingPoint()) throw new IllegalArgumentException("\"GeluKernelImpl\" not implemented for '" + Ops.typeName(x.dtype()) + "'");
        return apply("GeluBackward0", RowKernels.gelu(x, x.factory()), in(x), save(x),
                (n, g) -> grads(GradMode.isEnabled() ? geluGrad(g, n.saved(0)) : RowKernels.geluBackward(g, n.saved(0), g.factory())));
    }

    /** {@code g·(Φ(x) + x·φ(x))} with Φ(x) = (1 + erf(x/√2))/2 and φ(x) = e^(−x²/2)/√(2π), of differentiable ops. */
    private static <T extends Operand<T>> T geluGrad(T g, T x) {
        T cdf = mul(add(Pointwise.erf(mul(x, Math.sqrt(0.5))), 1), 0.5);
        T pdf = mul(Pointwise.exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
        return mul(g, add(cdf, mul(x, pdf)));
    }

    /**
     * {@code F.layer_norm(x, normalizedShape, weight, bias, eps)}: each row of the trailing
     * {@code normalizedShape} elements normalised to mean 0 and (biased) variance 1, then scaled by weight
     * and shifted by bias (either may be null). Backward saves x, the rows' means and 1/σ, and the weight.
     */
    @Op("NativeLayerNormBackward0")
    public static <T extends Operand<T>> T layerNorm(T x, int[] normalizedShape, T weight, T bias, double eps) {
        int[] xs = x.shapeView();
        int k = normalizedShape.length;
        boolean fits = k >= 1 && k <= xs.length && Arrays.equals(Arrays.copyOfRange(xs, xs.length - k, xs.length), normalizedShape);
        if (!fits) {
            throw new IllegalArgumentException("Given normalized_shape=" + Shape.str(normalizedShape) + ", expected input with shape [*"
                    + Arrays.stream(normalizedShape).mapToObj(d -> ", " + d).reduce("", String::concat) + "], but got input of size" + Shape.str(xs));
        }
        for (T p : Arrays.asList(weight, bias)) {
            if (p != null && !Arrays.equals(p.shapeView(), normalizedShape)) {
                throw new IllegalArgumentException("Expected " + (p == weight ? "weight" : "bias") + " to be of same shape as normalized_shape, but got "
                        + (p == weight ? "weight" : "bias") + " of shape " + Shape.str(p.shapeView()) + " and normalized_shape = " + Shape.str(normalizedShape));
            }
            if (p != null && p.dtype() != x.dtype()) {
                throw new IllegalArgumentException("layer_norm: expected weight and bias of the input's dtype " + x.dtype().pytorchName() + ", got " + p.dtype().pytorchName());
            }
        }
        if (!x.dtype().isFloatingPoint()) throw new IllegalArgumentException("\"LayerNormKernelImpl\" not implemented for '" + Ops.typeName(x.dtype()) + "'");
        int n = Shape.dimSize(Shape.numel(normalizedShape), "layer_norm");
        Object[] r = RowKernels.layerNorm(x, weight, bias, n, eps, x.factory());
        @SuppressWarnings("unchecked") T out = (T) r[0];
        @SuppressWarnings("unchecked") T mean = (T) r[1];
        @SuppressWarnings("unchecked") T rstd = (T) r[2];
        boolean affine = weight != null || bias != null;
        return apply("NativeLayerNormBackward0", out, in(x, weight, bias), weight == null ? save(x, mean, rstd) : save(x, mean, rstd, weight), (nd, g) -> {
            if (GradMode.isEnabled()) return layerNormGrads(g, nd.saved(0), weight == null ? null : nd.saved(3), k, eps, nd.needsInputGrad(0), nd.needsInputGrad(1), nd.needsInputGrad(2));
            Object[] d = RowKernels.layerNormBackward(g, nd.saved(0), nd.saved(1), nd.saved(2), weight == null ? null : nd.saved(3), n, affine, g.factory());
            @SuppressWarnings("unchecked") T dx = (T) d[0];
            @SuppressWarnings("unchecked") T dw = (T) d[1];
            @SuppressWarnings("unchecked") T db = (T) d[2];
            return grads(nd.needsInputGrad(0) ? dx : null, nd.needsInputGrad(1) ? Ops.reshapeRaw(dw, normalizedShape) : null,
                    nd.needsInputGrad(2) ? Ops.reshapeRaw(db, normalizedShape) : null);
        });
    }

    /**
     * Layer norm's gradients composed of differentiable ops (create_graph): with μ and 1/σ recomputed from x
     * over its last {@code k} dimensions, x̂ = (x − μ)/σ and ĝ = g·w (or g),
     * dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ, dw = Σ g·x̂ and db = Σ g over the leading dimensions.
     */
    private static <T extends Operand<T>> T[] layerNormGrads(T g, T x, T w, int k, double eps, boolean needX, boolean needW, boolean needB) {
        int rank = x.dim(), lead = rank - k;
        int[] normDims = new int[k], leadDims = new int[lead];
        for (int i = 0; i < k; i++) normDims[i] = lead + i;
        for (int i = 0; i < lead; i++) leadDims[i] = i;
        T centered = sub(x, Reductions.mean(x, normDims, true));
        T rstd = Pointwise.pow(add(Reductions.mean(mul(centered, centered), normDims, true), eps), -0.5);
        T xhat = mul(centered, rstd);
        T dx = null;
        if (needX) {
            T gh = w == null ? g : mul(g, w);
            T inner = sub(sub(gh, Reductions.mean(gh, normDims, true)), mul(xhat, Reductions.mean(mul(gh, xhat), normDims, true)));
            dx = mul(inner, rstd);
        }
        T dw = needW ? sumLeading(mul(g, xhat), leadDims) : null;
        T db = needB ? sumLeading(g, leadDims) : null;
        return grads(dx, dw, db);
    }

    private static <T extends Operand<T>> T sumLeading(T v, int[] leadDims) {
        return leadDims.length == 0 ? v : Reductions.sum(v, leadDims, false);
    }

    /**
     * softmax(scale·x) over the last dimension of x [..., L, S], where {@code causal} masks column j > i of
     * every L×S matrix and {@code mask} (bool, broadcastable to x; true = may attend, as in PyTorch's
     * {@code scaled_dot_product_attention}) masks where false; one pass per row over all heads at once. Its
     * graph is one node, the SoftmaxBackward0 that PyTorch's softmax(masked_fill(x·scale)) shows on top;
     * backward is scale·y·(g − Σ g·y).
     */
    @Op("SoftmaxBackward0")
    public static <T extends Operand<T>> T attentionSoftmax(T x, double scale, boolean causal, T mask) {
        if (x.dim() < 2) throw new IllegalArgumentException("attention softmax: expected scores of at least 2 dimensions [..., L, S], got " + Shape.str(x.shapeView()));
        if (!x.dtype().isFloatingPoint()) throw new IllegalArgumentException("\"softmax_lastdim_kernel_impl\" not implemented for '" + Ops.typeName(x.dtype()) + "'");
        T m = null;
        if (mask != null) {
            if (mask.dtype() != DType.BOOL) throw new IllegalArgumentException("attention mask: expected a bool mask (true = may attend), got " + mask.dtype().pytorchName());
            int[] ms = mask.shapeView(), xs = x.shapeView();
            boolean ok = ms.length <= xs.length;
            for (int i = 1; ok && i <= ms.length; i++) ok = ms[ms.length - i] == xs[xs.length - i] || ms[ms.length - i] == 1;
            if (!ok) throw new IllegalArgumentException("attention mask of shape " + Shape.str(ms) + " does not broadcast to the attention scores of shape " + Shape.str(xs) + " [batch..., L, S]");
            m = Ops.broadcastRaw(mask, xs);
        }
        T y = RowKernels.attentionSoftmax(x, scale, causal, m, x.factory());
        return apply("SoftmaxBackward0", y, in(x), save(y), (n, g) -> {
            if (!GradMode.isEnabled()) return grads(RowKernels.attentionSoftmaxBackward(g, n.saved(0), scale, g.factory()));
            T s = n.saved(0), gy = mul(g, s);   // recorded (create_graph): softmax's formula, times the scale
            return grads(mul(sub(gy, mul(s, Reductions.sum(gy, new int[] {s.dim() - 1}, true))), scale));
        });
    }

    /**
     * {@code F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)} (PyTorch 2's, here
     * for PyTorch 1.13's math): softmax(q·kᵀ/√d + mask)·v for q [..., L, d], k [..., S, d], v [..., S, dv]
     * (batch dimensions broadcast), with a boolean mask (true = may attend) and/or the causal mask; the two
     * products are strided-batched GEMMs over every head, the softmax one fused pass. Dropout on the
     * attention weights is not here yet: {@code dropoutP} must be 0.
     */
    public static <T extends Operand<T>> T scaledDotProductAttention(T q, T k, T v, T mask, boolean causal, double dropoutP) {
        if (dropoutP != 0) throw new IllegalArgumentException("scaled_dot_product_attention: dropout_p " + dropoutP + " is not supported yet (use 0)");
        if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2) {
            throw new IllegalArgumentException("scaled_dot_product_attention: expected q, k, v of at least 2 dimensions, got " + Shape.str(q.shapeView()) + ", "
                    + Shape.str(k.shapeView()) + ", " + Shape.str(v.shapeView()));
        }
        int d = q.shapeView()[q.dim() - 1];
        if (k.shapeView()[k.dim() - 1] != d || k.shapeView()[k.dim() - 2] != v.shapeView()[v.dim() - 2]) {
            throw new IllegalArgumentException("scaled_dot_product_attention: q " + Shape.str(q.shapeView()) + ", k " + Shape.str(k.shapeView()) + ", v "
                    + Shape.str(v.shapeView()) + ": expected q [..., L, d], k [..., S, d], v [..., S, dv]");
        }
        if (causal && mask != null) throw new IllegalArgumentException("scaled_dot_product_attention: give either attn_mask or is_causal, not both");
        T scores = LinearAlgebra.matmul(q, Views.transpose(k, -2, -1));
        T weights = attentionSoftmax(scores, 1 / Math.sqrt(d), causal, mask);
        scores.dropWhenUnused();
        T out = LinearAlgebra.matmul(weights, v);
        weights.dropWhenUnused();   // saved by the product for backward; returned to the pool after it (at once without grad)
        return out;
    }
}
