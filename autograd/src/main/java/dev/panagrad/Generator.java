package dev.panagrad;

import dev.panagrad.array.Shape;
import dev.panagrad.memory.DType;
import java.util.SplittableRandom;

/**
 * A seeded source of random tensors. The same seed gives the same numbers (Panagrad's own stream;
 * PyTorch's Mersenne Twister values are not reproduced). Methods are synchronized: one generator
 * may be shared by threads, in an order they choose.
 */
public final class Generator {
    private static final Generator GLOBAL = new Generator(0x5EED);

    private SplittableRandom random;

    public Generator(long seed) {
        random = new SplittableRandom(seed);
    }

    /** The generator behind {@link Tensor#rand}, {@link Tensor#randn}, {@link Tensor#randint}. */
    public static Generator global() { return GLOBAL; }

    public synchronized void manualSeed(long seed) {
        random = new SplittableRandom(seed);
    }

    /** Uniform on [0, 1). */
    public synchronized Tensor rand(DType dtype, int... shape) {
        double[] v = new double[Math.toIntExact(Shape.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = random.nextDouble();
        return Tensor.fromArray(dtype, v, shape);
    }

    /** Uniform on [low, high). */
    public synchronized Tensor uniform(DType dtype, double low, double high, int... shape) {
        double[] v = new double[Math.toIntExact(Shape.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = low + (high - low) * random.nextDouble();
        return Tensor.fromArray(dtype, v, shape);
    }

    /** Standard normal. */
    public synchronized Tensor randn(DType dtype, int... shape) {
        double[] v = new double[Math.toIntExact(Shape.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = random.nextGaussian();
        return Tensor.fromArray(dtype, v, shape);
    }

    /** Integers on [low, high), as I64. */
    public synchronized Tensor randint(long low, long high, int... shape) {
        if (high <= low) throw new IllegalArgumentException("randint: low (" + low + ") must be below high (" + high + ")");
        long[] v = new long[Math.toIntExact(Shape.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = random.nextLong(low, high);
        return Tensor.fromArray(v, shape);
    }

    /** A permutation of 0..n-1, as I64. */
    public synchronized long[] permutation(int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
