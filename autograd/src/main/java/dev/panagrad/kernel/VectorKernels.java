package dev.panagrad.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.panagrad.memory.BFloat16;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 loops on the Vector API (jdk.incubator.vector), the widest the CPU has (16 lanes with
 * AVX-512). Same results as the scalar loops in {@link Kernels}, element for element: each lane does
 * the one IEEE float operation the scalar code does. Offsets are in elements. Only reached through
 * {@link Kernels} when the module is present ({@link Kernels#VECTOR}).
 */
final class VectorKernels {
    private VectorKernels() {}

    /** Per-thread scratch arrays, grown on demand, so a warm training step allocates no heap here. */
    private static final class Scratch {
        private static final ThreadLocal<float[][]> FLOATS = ThreadLocal.withInitial(() -> new float[1][0]);
        private static final ThreadLocal<double[][]> DOUBLES = ThreadLocal.withInitial(() -> new double[1][0]);

        static float[] floats(int n) {
            float[][] h = FLOATS.get();
            if (h[0].length < n) h[0] = new float[n];
            return h[0];
        }

        static double[] doubles(int n) {
            double[][] h = DOUBLES.get();
            if (h[0].length < n) h[0] = new double[n];
            return h[0];
        }
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    /** As many shorts as SI has ints (half SI's bytes). */
    private static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, jdk.incubator.vector.VectorShape.forBitSize(SI.vectorBitSize() / 2));

    static {
        // Run every loop once, vector body and tail, before any of it is hot: C2 then finds every Vector API
        // class loaded and initialised when it compiles them, and intrinsifies them (a background compile
        // that meets an unloaded mask or vector class falls back to boxed Java code that allocates per lane).
        MemorySegment a = java.lang.foreign.Arena.global().allocate(4 * 67, 64), b = java.lang.foreign.Arena.global().allocate(4 * 67, 64);
        MemorySegment o = java.lang.foreign.Arena.global().allocate(4 * 67, 64);
        for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV}) {
            zip(op, a, 0, b, 0, o, 0, 67);
            zipScalar(op, a, 0, 1f, o, 0, 67);
        }
        relu(a, 0, o, 0, 67);
        for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.LOG, UnaryOp.TANH, UnaryOp.SQRT, UnaryOp.NEG, UnaryOp.ABS}) map(op, a, 0, o, 0, 67);
        reluBackward(a, 0, b, 0, o, 0, 67);
        addScaled(o, 0, b, 0, 0.5f, 67);
        sgdMomentum(o, 0, a, 0, b, 0, 0.9f, -0.1f, 67);
        sumRows(a, 0, 1, 67, o, 0);
        sum(a, 0, 67);
        toBf16(a, 0, o, 0, 67);
        fromBf16(o, 0, a, 0, 67);
    }


    /** float32 → bfloat16 (round to nearest even, NaN → 0xFFFF as PyTorch's vectorised conversion), as {@link BFloat16#fromFloat} lane by lane. */
    static void toBf16(MemorySegment src, long so, MemorySegment dst, long dOff, long n) {
        int lanes = SI.length();
        long i = 0, bound = n - lanes;
        IntVector one = IntVector.broadcast(SI, 1), bias = IntVector.broadcast(SI, 0x7FFF), nan = IntVector.broadcast(SI, BFloat16.NAN_OF_FLOAT_TENSOR);
        for (; i <= bound; i += lanes) {
            FloatVector f = FloatVector.fromMemorySegment(S, src, (so + i) * 4, NATIVE);
            IntVector u = f.reinterpretAsInts();
            IntVector r = u.add(u.lanewise(VectorOperators.LSHR, 16).and(one)).add(bias).lanewise(VectorOperators.LSHR, 16);
            r = r.blend(nan, f.test(VectorOperators.IS_NAN).cast(SI));
            r.convertShape(VectorOperators.I2S, SS, 0).reinterpretAsShorts().intoMemorySegment(dst, (dOff + i) * 2, NATIVE);
        }
        for (; i < n; i++) {
            float f = src.getAtIndex(JAVA_FLOAT, so + i);
            dst.setAtIndex(JAVA_SHORT, dOff + i, f != f ? BFloat16.NAN_OF_FLOAT_TENSOR : BFloat16.fromFloat(f));
        }
    }

    /** bfloat16 → float32, exact. */
    static void fromBf16(MemorySegment src, long so, MemorySegment dst, long dOff, long n) {
        int lanes = SI.length();
        long i = 0, bound = n - lanes;
        for (; i <= bound; i += lanes) {
            ShortVector h = ShortVector.fromMemorySegment(SS, src, (so + i) * 2, NATIVE);
            IntVector u = ((IntVector) h.convertShape(VectorOperators.S2I, SI, 0)).lanewise(VectorOperators.LSHL, 16);
            u.reinterpretAsFloats().intoMemorySegment(dst, (dOff + i) * 4, NATIVE);
        }
        for (; i < n; i++) dst.setAtIndex(JAVA_FLOAT, dOff + i,
                BFloat16.toFloat(src.getAtIndex(JAVA_SHORT, so + i)));
    }

    private static FloatVector load(MemorySegment s, long i) {
        return FloatVector.fromMemorySegment(S, s, i * 4, NATIVE);
    }



    /** out = a op b (op one of + − × ÷; each has its own loop so C2 compiles the lanes to single instructions). */
    static void zip(BinaryOp op, MemorySegment a, long ao, MemorySegment b, long bo, MemorySegment out, long oo, long n) {
        long i = 0, bound = n - L;
        switch (op) {
            case ADD -> { for (; i <= bound; i += L) load(a, ao + i).add(load(b, bo + i)).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case SUB -> { for (; i <= bound; i += L) load(a, ao + i).sub(load(b, bo + i)).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case MUL -> { for (; i <= bound; i += L) load(a, ao + i).mul(load(b, bo + i)).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case DIV -> { for (; i <= bound; i += L) load(a, ao + i).div(load(b, bo + i)).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            default -> throw new IllegalArgumentException(op.name());
        }
        for (; i < n; i++) {
            float x = a.getAtIndex(JAVA_FLOAT, ao + i), y = b.getAtIndex(JAVA_FLOAT, bo + i);
            out.setAtIndex(JAVA_FLOAT, oo + i, scalar(op, x, y));
        }
    }

    /** out = a op s, s rounded to float first (as PyTorch does for a float tensor and a Python number). */
    static void zipScalar(BinaryOp op, MemorySegment a, long ao, float s, MemorySegment out, long oo, long n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        long i = 0, bound = n - L;
        switch (op) {
            case ADD -> { for (; i <= bound; i += L) load(a, ao + i).add(vs).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case SUB -> { for (; i <= bound; i += L) load(a, ao + i).sub(vs).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case MUL -> { for (; i <= bound; i += L) load(a, ao + i).mul(vs).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case DIV -> { for (; i <= bound; i += L) load(a, ao + i).div(vs).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            default -> throw new IllegalArgumentException(op.name());
        }
        for (; i < n; i++) out.setAtIndex(JAVA_FLOAT, oo + i, scalar(op, a.getAtIndex(JAVA_FLOAT, ao + i), s));
    }

    private static float scalar(BinaryOp op, float x, float y) { return Kernels.floatArithmetic(op, x, y); }

    static boolean supports(UnaryOp op) {
        return switch (op) {
            case EXP, LOG, TANH, SQRT, NEG, ABS -> true;
            default -> false;
        };
    }

    /**
     * out = op(a). SQRT, NEG and ABS are exact; EXP, LOG and TANH use the JDK's vector math (SVML on
     * x86), within 1 ulp of {@code (float) Math.exp(x)} and the like, where the scalar loop rounds the
     * double result.
     */
    static void map(UnaryOp op, MemorySegment a, long ao, MemorySegment out, long oo, long n) {
        long i = 0, bound = n - L;
        switch (op) {
            case EXP -> { for (; i <= bound; i += L) load(a, ao + i).lanewise(VectorOperators.EXP).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case LOG -> { for (; i <= bound; i += L) load(a, ao + i).lanewise(VectorOperators.LOG).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case TANH -> { for (; i <= bound; i += L) load(a, ao + i).lanewise(VectorOperators.TANH).intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case SQRT -> { for (; i <= bound; i += L) load(a, ao + i).sqrt().intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case NEG -> { for (; i <= bound; i += L) load(a, ao + i).neg().intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            case ABS -> { for (; i <= bound; i += L) load(a, ao + i).abs().intoMemorySegment(out, (oo + i) * 4, NATIVE); }
            default -> throw new IllegalArgumentException(op.name());
        }
        for (; i < n; i++) out.setAtIndex(JAVA_FLOAT, oo + i, (float) op.apply(a.getAtIndex(JAVA_FLOAT, ao + i)));
    }

    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> HS = VectorSpecies.of(short.class, VectorShape.forBitSize(IS.vectorBitSize() / 2));   // as many lanes as IS

    /** {@link dev.panagrad.kernel.BFloat16#pack} on whole vectors: the same integer rounding per lane, then the low 16 bits of each int. */
    static void bfloat16Pack(MemorySegment src, long from, long n, MemorySegment dst) {
        int l = IS.length();
        long i = 0;
        for (long bound = n - l; i <= bound; i += l) {
            IntVector b = IntVector.fromMemorySegment(IS, src, (from + i) * 4, NATIVE);
            IntVector high = b.lanewise(VectorOperators.LSHR, 16);
            IntVector rounded = b.add(0x7fff).add(high.and(1)).lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = b.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000);
            IntVector r = rounded.blend(high.or(0x40), nan);
            ((ShortVector) r.convertShape(VectorOperators.I2S, HS, 0)).intoMemorySegment(dst, i * 2, NATIVE);
        }
        for (; i < n; i++) dst.setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, dev.panagrad.kernel.BFloat16.bits(src.getAtIndex(JAVA_FLOAT, from + i)));
    }

    /** {@link dev.panagrad.kernel.BFloat16#unpack} on whole vectors: each short widened, shifted into the float's upper half. */
    static void bfloat16Unpack(MemorySegment src, long n, MemorySegment dst) {
        int l = IS.length();
        long i = 0;
        for (long bound = n - l; i <= bound; i += l) {
            ShortVector h = ShortVector.fromMemorySegment(HS, src, i * 2, NATIVE);
            ((IntVector) h.convertShape(VectorOperators.S2I, IS, 0)).lanewise(VectorOperators.LSHL, 16).intoMemorySegment(dst, i * 4, NATIVE);
        }
        for (; i < n; i++) dst.setAtIndex(JAVA_FLOAT, i, dev.panagrad.kernel.BFloat16.value(src.getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i)));
    }

    /** out = x < 0 ? 0 : x (NaN and -0.0 pass through): {@link UnaryOp#RELU}. */
    static void relu(MemorySegment a, long ao, MemorySegment out, long oo, long n) {
        FloatVector zero = FloatVector.zero(S);
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            FloatVector x = load(a, ao + i);
            x.blend(zero, x.compare(VectorOperators.LT, 0f)).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        for (; i < n; i++) {
            float x = a.getAtIndex(JAVA_FLOAT, ao + i);
            out.setAtIndex(JAVA_FLOAT, oo + i, x < 0 ? 0f : x);
        }
    }

    /** out = y <= 0 ? 0 : g, the gradient of relu from its output y (PyTorch's threshold_backward: g where y is NaN). */
    static void reluBackward(MemorySegment g, long go, MemorySegment y, long yo, MemorySegment out, long oo, long n) {
        FloatVector zero = FloatVector.zero(S);
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            VectorMask<Float> stop = load(y, yo + i).compare(VectorOperators.LE, 0f);
            load(g, go + i).blend(zero, stop).intoMemorySegment(out, (oo + i) * 4, NATIVE);
        }
        for (; i < n; i++) out.setAtIndex(JAVA_FLOAT, oo + i, y.getAtIndex(JAVA_FLOAT, yo + i) <= 0 ? 0f : g.getAtIndex(JAVA_FLOAT, go + i));
    }

    /**
     * SGD with momentum in one pass: buf = μ·buf + d, then p = p + (−lr)·buf, each product and sum
     * rounded to float as the separate in-place ops round them.
     */
    static void sgdMomentum(MemorySegment p, long po, MemorySegment buf, long bo, MemorySegment d, long doff, float mu, float negLr, long n) {
        FloatVector vmu = FloatVector.broadcast(S, mu), vlr = FloatVector.broadcast(S, negLr);
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            FloatVector b = load(buf, bo + i).mul(vmu).add(load(d, doff + i));
            b.intoMemorySegment(buf, (bo + i) * 4, NATIVE);
            load(p, po + i).add(b.mul(vlr)).intoMemorySegment(p, (po + i) * 4, NATIVE);
        }
        for (; i < n; i++) {
            float b = buf.getAtIndex(JAVA_FLOAT, bo + i) * mu + d.getAtIndex(JAVA_FLOAT, doff + i);
            buf.setAtIndex(JAVA_FLOAT, bo + i, b);
            p.setAtIndex(JAVA_FLOAT, po + i, p.getAtIndex(JAVA_FLOAT, po + i) + b * negLr);
        }
    }

    /**
     * Σ a[i] over n floats: four vector accumulators in float over blocks of 4096 elements, each block's
     * total added up in double (a block sum rounds ~64 times per lane, not n times).
     */
    static double sum(MemorySegment a, long ao, long n) {
        double total = 0;
        long i = 0;
        for (long block = 4096; i + L * 4 <= n; ) {
            long end = Math.min(n - L * 4 + 1, i + block);
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (; i < end; i += 4L * L) {
                s0 = s0.add(load(a, ao + i));
                s1 = s1.add(load(a, ao + i + L));
                s2 = s2.add(load(a, ao + i + 2L * L));
                s3 = s3.add(load(a, ao + i + 3L * L));
            }
            total += (double) s0.reduceLanes(VectorOperators.ADD) + s1.reduceLanes(VectorOperators.ADD)
                    + (double) s2.reduceLanes(VectorOperators.ADD) + s3.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) total += a.getAtIndex(JAVA_FLOAT, ao + i);
        return total;
    }

    /** a += (float) (alpha · b), then rounded: {@code a.add_(b, alpha=alpha)}. */
    static void addScaled(MemorySegment a, long ao, MemorySegment b, long bo, float alpha, long n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        long i = 0;
        for (long bound = n - L; i <= bound; i += L) {
            FloatVector scaled = alpha == 1f ? load(b, bo + i) : load(b, bo + i).mul(va);
            load(a, ao + i).add(scaled).intoMemorySegment(a, (ao + i) * 4, NATIVE);
        }
        for (; i < n; i++) {
            float scaled = alpha == 1f ? b.getAtIndex(JAVA_FLOAT, bo + i) : b.getAtIndex(JAVA_FLOAT, bo + i) * alpha;
            a.setAtIndex(JAVA_FLOAT, ao + i, a.getAtIndex(JAVA_FLOAT, ao + i) + scaled);
        }
    }

    /**
     * out[j] = Σ_r a[r, j] over a contiguous [rows, cols] block: the gradient of a broadcast bias.
     * Sums run in float over 64 rows at a time, and the partial sums add up in double.
     */
    static void sumRows(MemorySegment a, long ao, long rows, int cols, MemorySegment out, long oo) {
        double[] total = Scratch.doubles(cols);
        float[] part = Scratch.floats(cols);
        java.util.Arrays.fill(total, 0, cols, 0);
        for (long r0 = 0; r0 < rows; r0 += 64) {
            long r1 = Math.min(rows, r0 + 64);
            java.util.Arrays.fill(part, 0, cols, 0f);
            for (long r = r0; r < r1; r++) {
                long row = ao + r * cols;
                int j = 0;
                for (int bound = cols - L; j <= bound; j += L) {
                    FloatVector.fromArray(S, part, j).add(load(a, row + j)).intoArray(part, j);
                }
                for (; j < cols; j++) part[j] += a.getAtIndex(JAVA_FLOAT, row + j);
            }
            for (int j = 0; j < cols; j++) total[j] += part[j];
        }
        for (int j = 0; j < cols; j++) out.setAtIndex(JAVA_FLOAT, oo + j, (float) total[j]);
    }
}
