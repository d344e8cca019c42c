package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.save;

import dev.panagrad.array.Layout;
import dev.panagrad.array.Norm;
import dev.panagrad.array.Shape;
import dev.panagrad.graph.GradMode;
import dev.panagrad.ops.Ops.Op;

/**
 * Batch normalization and dropout, with PyTorch's semantics: {@code F.batch_norm} (batch statistics
 * in training, updating the running ones; the running ones in eval) and {@code F.dropout} (a mask of
 * 0 and 1/(1 − p), saved for backward by the product that applies it).
 *
 * <p>batch_norm's backward is one raw pass in an ordinary backward; under create_graph (grad mode on while
 * a formula runs) its gradients are composed of differentiable ops, so they are twice differentiable.
 * dropout is a product, twice differentiable as it is.
 */
public final class Normalization {
    private Normalization() {}

    /**
     * {@code F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)} over
     * x [N, C, *]: in training the batch's mean and biased variance normalize, and the running
     * statistics (when given) become {@code (1 − momentum)·running + momentum·batch}, with the unbiased
     * variance (×M/(M − 1), M the values per channel), as PyTorch's; in eval the running statistics
     * normalize. weight and bias may be null (1 and 0). One node, NativeBatchNormBackward0, for x,
     * weight and bias.
     */
    @Op("NativeBatchNormBackward0")
    public static <T extends Operand<T>> T batchNorm(T x, T runningMean, T runningVar, T weight, T bias, boolean training, double momentum, double eps) {
        int[] xs = x.shapeView();
        if (xs.length < 2) throw new IllegalArgumentException("batch_norm: expected an input of at least 2 dimensions [N, C, *], got " + Shape.str(xs));
        int c = xs[1];
        long perChannel = x.numel() / Math.max(1, c);
        if (training && perChannel == 1) {
            throw new IllegalArgumentException("Expected more than 1 value per channel when training, got input size torch.Size(" + Shape.str(xs) + ")");
        }
        checkVector("running_mean", runningMean, c);
        checkVector("running_var", runningVar, c);
        checkVector("weight", weight, c);
        checkVector("bias", bias, c);
        if (!x.dtype().isFloatingPoint()) throw new IllegalArgumentException("\"batch_norm\" not implemented for '" + Ops.typeName(x.dtype()) + "'");
        T xc = Layout.contiguous(x, x.factory());
        double[] mean, var;
        if (training || runningMean == null || runningVar == null) {
            double[][] st = Norm.stats(xc);
            mean = st[0];
            var = st[1];
            if (training && runningMean != null) {
                Norm.blend(runningMean, mean, momentum);
                runningMean.storage().bumpVersion();
            }
            if (training && runningVar != null) {
                double[] unbiased = new double[c];
                for (int i = 0; i < c; i++) unbiased[i] = var[i] * perChannel / (perChannel - 1);
                Norm.blend(runningVar, unbiased, momentum);
                runningVar.storage().bumpVersion();
            }
        } else {
            mean = Norm.values(runningMean, c, 0);
            var = Norm.values(runningVar, c, 1);
        }
        double[] invstd = new double[c];
        for (int i = 0; i < c; i++) invstd[i] = 1 / Math.sqrt(var[i] + eps);
        double[] w = Norm.values(weight, c, 1);
        T out = Norm.normalize(xc, mean, invstd, w, Norm.values(bias, c, 0), x.factory());
        boolean batchStats = training || runningMean == null || runningVar == null;
        return apply("NativeBatchNormBackward0", out, in(x, weight, bias), weight == null ? save(x) : save(x, weight), (n, g) -> {
            if (GradMode.isEnabled()) {
                return batchNormGrads(g, n.saved(0), weight == null ? null : n.saved(1), batchStats, mean, invstd, eps, n.needsInputGrad(0), n.needsInputGrad(1), n.needsInputGrad(2));
            }
            T sx = Layout.contiguous(n.saved(0), g.factory()), gc = Layout.contiguous(g, g.factory());
            double[] wv = weight == null ? w : Norm.values(n.saved(1), c, 1);
            double[][] sums = Norm.gradSums(sx, gc, mean, invstd);
            return grads(n.needsInputGrad(0) ? Norm.inputGrad(sx, gc, mean, invstd, wv, sums, batchStats, g.factory()) : null,
                    n.needsInputGrad(1) ? Norm.vector(sums[1], g.dtype(), g.factory()) : null,
                    n.needsInputGrad(2) ? Norm.vector(sums[0], g.dtype(), g.factory()) : null);
        });
    }

    /**
     * Batch norm's gradients composed of differentiable ops (create_graph), over every dimension but the
     * channels': with batch statistics μ and 1/σ recomputed from x (so they are differentiated too),
     * x̂ = (x − μ)/σ, ĝ = g·w, dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ; with the running statistics (eval)
     * they are constants and dx = ĝ/σ. dw = Σ g·x̂, db = Σ g.
     */
    private static <T extends Operand<T>> T[] batchNormGrads(T g, T x, T w, boolean batchStats, double[] mean, double[] invstd, double eps,
            boolean needX, boolean needW, boolean needB) {
        int rank = x.dim(), c = x.shapeView()[1];
        int[] dims = new int[rank - 1], channel = new int[rank];
        java.util.Arrays.fill(channel, 1);
        channel[1] = c;
        for (int i = 0, k = 0; i < rank; i++) if (i != 1) dims[k++] = i;
        T mu, rstd;
        if (batchStats) {
            mu = Reductions.mean(x, dims, true);
            T centered = Pointwise.sub(x, mu);
            rstd = Pointwise.pow(Pointwise.add(Reductions.mean(Pointwise.mul(centered, centered), dims, true), eps), -0.5);
        } else {
            mu = Ops.reshapeRaw(Norm.vector(mean, x.dtype(), x.factory()), channel);
            rstd = Ops.reshapeRaw(Norm.vector(invstd, x.dtype(), x.factory()), channel);
        }
        T xhat = Pointwise.mul(Pointwise.sub(x, mu), rstd);
        T dx = null;
        if (needX) {
            T gh = w == null ? g : Pointwise.mul(g, Views.reshape(w, channel));
            dx = batchStats
                    ? Pointwise.mul(Pointwise.sub(Pointwise.sub(gh, Reductions.mean(gh, dims, true)), Pointwise.mul(xhat, Reductions.mean(Pointwise.mul(gh, xhat), dims, true))), rstd)
                    : Pointwise.mul(gh, rstd);
        }
        return Ops.grads(dx, needW ? Reductions.sum(Pointwise.mul(g, xhat), dims, false) : null, needB ? Reductions.sum(g, dims, false) : null);
    }

    private static void checkVector(String what, Operand<?> v, int c) {
        if (v != null && v.numel() != c) throw new IllegalArgumentException(what + " should contain " + c + " elements not " + v.numel());
        if (v != null && v.dim() != 1) throw new IllegalArgumentException(what + " should be 1-dimensional, got " + Shape.str(v.shapeView()));
    }

    /**
     * {@code F.dropout(x, p, training)} given {@code uniform}, values on [0, 1) of x's shape (the caller's
     * seeded draw): x itself when not training or p = 0, else {@code x · mask} with mask 1/(1 − p) where
     * uniform < 1 − p and 0 elsewhere (PyTorch's {@code bernoulli_(1 − p).div_(1 − p)}); the product
     * (MulBackward0) saves the mask for backward.
     */
    @Op("MulBackward0")
    public static <T extends Operand<T>> T dropout(T x, T uniform, double p, boolean training) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + Double.toString(p));
        if (!training || p == 0 || x.numel() == 0) return x;
        if (p == 1) return Pointwise.mul(x, Ops.zeros(x, x.dtype(), new int[0]));
        if (uniform == null || !java.util.Arrays.equals(uniform.shapeView(), x.shapeView())) {
            throw new IllegalArgumentException("dropout: expected uniform draws of the input's shape " + Shape.str(x.shapeView())
                    + ", got " + (uniform == null ? "none" : Shape.str(uniform.shapeView())));
        }
        T mask = Norm.dropoutMask(uniform, p, x.dtype(), x.factory());
        T out = Pointwise.mul(x, mask);
        mask.dropWhenUnused();   // the graph's alone now: back to the pool after backward
        return out;
    }
}
