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
