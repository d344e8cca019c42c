package dev.panagrad.nn;

import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import java.util.List;

/** Gradient clipping, PyTorch's {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}. */
public final class ClipGrad {
    private ClipGrad() {}

    /**
     * Scales every gradient by min(1, maxNorm / (total + 1e-6)), total being the norm of all gradients
     * together (normType 2, or {@code Double.POSITIVE_INFINITY} for the largest magnitude).
     *
     * @return the total norm, measured before clipping
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm, double normType) {
        if (!(normType > 0)) throw new IllegalArgumentException("clip_grad_norm: norm type must be positive, got " + normType);
        double total = 0;
        try (var off = Grad.disabled()) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g == null) continue;
                if (Double.isInfinite(normType)) {
                    total = Math.max(total, g.abs().max().item());
                } else {
                    total += g.abs().pow(normType).sum().item();
                }
            }
            if (!Double.isInfinite(normType)) total = Math.pow(total, 1 / normType);
            double coef = Math.min(1.0, maxNorm / (total + 1e-6));
            for (Tensor p : params) if (p.grad() != null) p.grad().mulInPlace(coef);
        }
        return total;
    }

    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        return clipGradNorm(params, maxNorm, 2);
    }

    /** Clamps every gradient element into [−clipValue, clipValue]. */
    public static void clipGradValue(List<Tensor> params, double clipValue) {
        if (clipValue < 0) throw new IllegalArgumentException("clip_grad_value: clip value must be non-negative, got " + clipValue);
        try (var off = Grad.disabled()) {
            for (Tensor p : params) if (p.grad() != null) p.grad().clampInPlace(-clipValue, clipValue);
        }
    }
}
