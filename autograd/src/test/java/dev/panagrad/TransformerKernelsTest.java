package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.DType;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The float32 lanes of GELU, layer norm and the attention softmax (Vector API bodies plus scalar tails;
 * rows of 40 so both run) against the float64 path on the same values, forward and gradients. The
 * float64 path is the one held to PyTorch by the golden cases and to finite differences by gradcheck.
 */
class TransformerKernelsTest {
    static Tensor values(int... shape) { return new Generator(3).uniform(DType.F64, -3, 3, shape); }

    /** f on float32 and on float64 copies of x (and of the extra inputs): outputs and input gradients within tol. */
    static void sameInBothPrecisions(String what, Function<Tensor[], Tensor> f, double tol, Tensor... inputs) {
        Tensor[] d = new Tensor[inputs.length], s = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            d[i] = inputs[i].detach().requiresGrad(true);
            s[i] = inputs[i].to(DType.F32).detach().requiresGrad(true);
        }
        Tensor g = values(f.apply(d).shape()).mul(0.5);
        Tensor yd = f.apply(d), ys = f.apply(s);
        close(what + " forward", yd, ys, tol);
        yd.mul(g).sum().backward();
        ys.mul(g.to(DType.F32)).sum().backward();
        for (int i = 0; i < inputs.length; i++) close(what + " gradient of input " + i, d[i].grad(), s[i].grad(), tol);
    }

    static void close(String what, Tensor want, Tensor got, double tol) {
        double[] a = want.toDoubleArray(), b = got.toDoubleArray();
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], tol * (1 + Math.abs(a[i])), what + " [" + i + "]");
    }

    @Test
    void vectorKernelsAreOnInTheTests() {
        assertTrue(dev.panagrad.kernel.Kernels.VECTOR, "the Vector API kernels should run here, or this test checks only the scalar tails");
    }

    @Test
    void gelu() {
        sameInBothPrecisions("gelu", in -> in[0].gelu(), 2e-6, values(3, 45));
    }

    @Test
    void layerNormWithAndWithoutAffine() {
        sameInBothPrecisions("layer norm", in -> in[0].layerNorm(new int[] {40}, in[1], in[2], 1e-5), 2e-5, values(6, 40), values(40), values(40));
        sameInBothPrecisions("layer norm, no affine", in -> in[0].layerNorm(new int[] {40}, null, null, 1e-5), 2e-5, values(6, 40));
    }

    @Test
    void causalAndPlainAttentionSoftmax() {
        sameInBothPrecisions("causal softmax", in -> in[0].attentionSoftmax(0.7, true, null), 2e-6, values(2, 40, 40));
        sameInBothPrecisions("plain softmax", in -> in[0].attentionSoftmax(1.3, false, null), 2e-6, values(3, 5, 40));
    }
}
