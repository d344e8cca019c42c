package dev.panagrad.kernel;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every Vector API kernel ({@link VectorKernels}) against the scalar loop {@link Kernels} runs for
 * short arrays: at the lengths around the vector width and the 16K threshold where {@link Kernels}
 * switches to the vector code (0, 1, 15, 16, 17, 16383, 16384, 16385, 100003), at unaligned offsets,
 * over data laced with NaN, ±inf, ±0.0, subnormals and the largest floats. The vector side is called
 * directly (every length) and through {@link Kernels} (from 16K, the dispatch the engine uses); the
 * reference is {@link Kernels} called in chunks below the threshold, so the scalar loop computes it.
 *
 * <p>What "the same" means: + − × ÷ (tensor and scalar), sqrt, neg, abs, relu, relu's backward,
 * {@code a += α·b} and the SGD-momentum step are the same IEEE float operations lane by lane, so
 * every bit must match (NaN matches any NaN); exp, log and tanh (the JDK's vector math) within 1 ulp,
 * with NaN, ±inf and signed zeros exact; sums and bias-style row sums, accumulated in float blocks
 * where the scalar loop adds in double, within (64 + 8)·2⁻²⁴·Σ|aᵢ| + 1 ulp (the block length bounds
 * the float error). Nothing is written outside the output range.
 */
class VectorKernelsDifferentialTest {
    static final int[] LENGTHS = {0, 1, 15, 16, 17, 16383, 16384, 16385, 100003};
    /** Element offsets of the operands and of the output: unaligned, and different from each other. */
    static final int IN_OFFSET = 3, OUT_OFFSET = 1, PAD = 19;
    /** Reference chunks stay well below Kernels' vector threshold (1 << 14), so they run the scalar loops. */
    static final int CHUNK = 4096;
    static final float SENTINEL = 1234.5678f;

    static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.0f, 0.0f,
            Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -3e-39f, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
            1f, -1f, 88.72f, 89f, -87.3f, -103.9f, -120f, 0.5f, 1e-7f, 20f, -9.5f};

    @Test
    void theJvmRunsTheVectorKernels() {
        assertTrue(Kernels.VECTOR, "the tests run with --add-modules jdk.incubator.vector, so the vector code is what runs");
        assertEquals(EnumSet.of(UnaryOp.EXP, UnaryOp.LOG, UnaryOp.TANH, UnaryOp.SQRT, UnaryOp.NEG, UnaryOp.ABS), vectorUnaryOps(),
                "the vector map covers these ops; a new one needs its case below");
    }

    static Set<UnaryOp> vectorUnaryOps() {
        Set<UnaryOp> s = EnumSet.noneOf(UnaryOp.class);
        for (UnaryOp op : UnaryOp.values()) if (VectorKernels.supports(op)) s.add(op);
        return s;
    }

    /** Values for length n: specials at the head, in the vector body and in the tail, random floats elsewhere. */
    static float[] data(int n, long seed, boolean specials, boolean huge) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            if (specials && (i % 7 == 3 || i < 3 || i >= n - 3)) {
                float s = SPECIALS[r.nextInt(SPECIALS.length)];
                v[i] = !huge && Math.abs(s) == Float.MAX_VALUE ? 1e30f : s;
            } else {
                v[i] = (float) (r.nextDouble(-1, 1) * Math.pow(10, r.nextInt(-3, 4)));
            }
        }
        return v;
    }

    static float[] positive(int n, long seed) {
        float[] v = data(n, seed, true, true);
        for (int i = 0; i < n; i++) if (i % 7 != 3) v[i] = Math.abs(v[i]);
        return v;
    }

    // ------------------------------------------------------------------------------ the kernels

    @TestFactory
    Stream<DynamicContainer> everyKernelAgainstItsScalarLoop() {
        List<DynamicContainer> kernels = new ArrayList<>();
        for (BinaryOp op : BinaryOp.values()) {
            if (!Kernels.isArithmetic(op)) continue;
            kernels.add(perLength("zip " + op, (n, reps) -> zip(op, n, reps)));
            kernels.add(perLength("zipScalar " + op, (n, reps) -> zipScalar(op, n, reps)));
        }
        for (UnaryOp op : vectorUnaryOps()) kernels.add(perLength("map " + op, (n, reps) -> map(op, n, reps)));
        kernels.add(perLength("relu", VectorKernelsDifferentialTest::relu));
        kernels.add(perLength("reluBackward", VectorKernelsDifferentialTest::reluBackward));
        kernels.add(perLength("addScaled", VectorKernelsDifferentialTest::addScaled));
        kernels.add(perLength("sgdMomentum", VectorKernelsDifferentialTest::sgdMomentum));
        kernels.add(perLength("sum", VectorKernelsDifferentialTest::sum));
        kernels.add(DynamicContainer.dynamicContainer("sumRows", Stream.concat(Stream.of(new int[][] {{0, 5}, {3, 15}, {2, 16}, {5, 17}, {1, 16385},
                {64, 257}, {65, 256}, {1000, 17}, {130, 129}, {1, 100003}}).map(rc -> DynamicTest.dynamicTest(rc[0] + " x " + rc[1], () -> sumRows(rc[0], rc[1], 1))),
                Stream.of(DynamicTest.dynamicTest("65 x 257, " + HOT_REPS + " calls (interpreter, C1, C2)", () -> sumRows(65, 257, HOT_REPS))))));
        return kernels.stream();
    }

    interface LengthCase {
        void run(int n, int reps);
    }

    /**
     * The lengths, then the same comparison repeated {@link #HOT_REPS} times at 16385: the first calls of a
     * loop run in the interpreter and C1, where the Vector API computes lane by lane in Java; only C2
     * compiles it to vector instructions (and exp, log, tanh to the JDK's SVML stubs), after some hundred
     * calls. Every call is compared, so each tier's code is.
     */
    static DynamicContainer perLength(String name, LengthCase c) {
        Stream<DynamicTest> lengths = java.util.Arrays.stream(LENGTHS).mapToObj(n -> DynamicTest.dynamicTest("n=" + n, () -> c.run(n, 1)));
        return DynamicContainer.dynamicContainer(name, Stream.concat(lengths,
                Stream.of(DynamicTest.dynamicTest("n=16385, " + HOT_REPS + " calls (interpreter, C1, C2)", () -> c.run(16385, HOT_REPS)))));
    }

    static final int HOT_REPS = 150;

    static void zip(BinaryOp op, int n, int reps) {
        float[] a = data(n, 1, true, true), b = data(n, 2, true, true);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = segment(arena, a), sb = segment(arena, b);
            MemorySegment ref = output(arena, n), vec = output(arena, n), via = output(arena, n);
            chunks(n, (from, len) -> Kernels.zip(op, DType.F32, sa, IN_OFFSET + from, DType.F32, sb, IN_OFFSET + from, DType.F32, ref, OUT_OFFSET + from, len));
            for (int rep = 0; rep < reps; rep++) {
                VectorKernels.zip(op, sa, IN_OFFSET, sb, IN_OFFSET, vec, OUT_OFFSET, n);
                if (rep == reps - 1) Kernels.zip(op, DType.F32, sa, IN_OFFSET, DType.F32, sb, IN_OFFSET, DType.F32, via, OUT_OFFSET, n);
                assertSame("zip " + op + call(rep, reps), n, ref, vec, rep == reps - 1 ? via : null, 0, i -> a[i] + ", " + b[i]);
            }
        }
    }

    static void zipScalar(BinaryOp op, int n, int reps) {
        float[] a = data(n, 3, true, true);
        float[] scalars = reps == 1 ? new float[] {0.3f, -0.0f, Float.POSITIVE_INFINITY, Float.NaN, 3e-39f} : new float[] {0.3f};
        for (float s : scalars) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sa = segment(arena, a);
                MemorySegment ref = output(arena, n), vec = output(arena, n), via = output(arena, n);
                chunks(n, (from, len) -> Kernels.zipScalar(op, DType.F32, sa, IN_OFFSET + from, s, DType.F32, ref, OUT_OFFSET + from, len));
                for (int rep = 0; rep < reps; rep++) {
                    VectorKernels.zipScalar(op, sa, IN_OFFSET, s, vec, OUT_OFFSET, n);
                    if (rep == reps - 1) Kernels.zipScalar(op, DType.F32, sa, IN_OFFSET, s, DType.F32, via, OUT_OFFSET, n);
                    assertSame("zipScalar " + op + " " + s + call(rep, reps), n, ref, vec, rep == reps - 1 ? via : null, 0, i -> a[i] + ", " + s);
                }
            }
        }
    }

    static void map(UnaryOp op, int n, int reps) {
        float[] a = op == UnaryOp.LOG || op == UnaryOp.SQRT ? positive(n, 4) : data(n, 4, true, true);
        int ulps = op == UnaryOp.EXP || op == UnaryOp.LOG || op == UnaryOp.TANH ? 1 : 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = segment(arena, a);
            MemorySegment ref = output(arena, n), vec = output(arena, n), via = output(arena, n);
            chunks(n, (from, len) -> Kernels.map(op, DType.F32, sa, IN_OFFSET + from, ref, OUT_OFFSET + from, len));
            for (int rep = 0; rep < reps; rep++) {
                VectorKernels.map(op, sa, IN_OFFSET, vec, OUT_OFFSET, n);
                if (rep == reps - 1) Kernels.map(op, DType.F32, sa, IN_OFFSET, via, OUT_OFFSET, n);
                assertSame("map " + op + call(rep, reps), n, ref, vec, rep == reps - 1 ? via : null, ulps, i -> Float.toString(a[i]));
            }
        }
    }

    static void relu(int n, int reps) {
        float[] a = data(n, 5, true, true);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = segment(arena, a);
            MemorySegment ref = output(arena, n), vec = output(arena, n), via = output(arena, n);
            chunks(n, (from, len) -> Kernels.map(UnaryOp.RELU, DType.F32, sa, IN_OFFSET + from, ref, OUT_OFFSET + from, len));
            for (int rep = 0; rep < reps; rep++) {
                VectorKernels.relu(sa, IN_OFFSET, vec, OUT_OFFSET, n);
                if (rep == reps - 1) Kernels.map(UnaryOp.RELU, DType.F32, sa, IN_OFFSET, via, OUT_OFFSET, n);
                assertSame("relu" + call(rep, reps), n, ref, vec, rep == reps - 1 ? via : null, 0, i -> Float.toString(a[i]));
            }
        }
    }

    static void reluBackward(int n, int reps) {
        float[] g = data(n, 6, true, true), y = data(n, 7, true, true);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sg = segment(arena, g), sy = segment(arena, y);
            MemorySegment ref = output(arena, n), vec = output(arena, n), via = output(arena, n);
            chunks(n, (from, len) -> Kernels.reluBackward(DType.F32, sg, IN_OFFSET + from, sy, IN_OFFSET + from, ref, OUT_OFFSET + from, len));
            for (int rep = 0; rep < reps; rep++) {
                VectorKernels.reluBackward(sg, IN_OFFSET, sy, IN_OFFSET, vec, OUT_OFFSET, n);
                if (rep == reps - 1) Kernels.reluBackward(DType.F32, sg, IN_OFFSET, sy, IN_OFFSET, via, OUT_OFFSET, n);
                assertSame("reluBackward" + call(rep, reps), n, ref, vec, rep == reps - 1 ? via : null, 0, i -> "g " + g[i] + ", y " + y[i]);
            }
        }
    }

    /** a += α·b in place: three copies of a, one per path. */
    static void addScaled(int n, int reps) {
        float[] a = data(n, 8, true, true), b = data(n, 9, true, true);
        for (int rep = 0; rep < reps; rep++) for (float alpha : new float[] {1f, -0.05f}) {
            String call = call(rep, reps);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sb = segment(arena, b);
                MemorySegment ref = segmentAt(arena, a, OUT_OFFSET), vec = segmentAt(arena, a, OUT_OFFSET), via = segmentAt(arena, a, OUT_OFFSET);
                chunks(n, (from, len) -> Kernels.addScaled(DType.F32, ref, OUT_OFFSET + from, sb, IN_OFFSET + from, alpha, len));
                VectorKernels.addScaled(vec, OUT_OFFSET, sb, IN_OFFSET, alpha, n);
                Kernels.addScaled(DType.F32, via, OUT_OFFSET, sb, IN_OFFSET, alpha, n);
                assertSame("addScaled alpha=" + alpha + call, n, ref, vec, via, 0, i -> a[i] + " + " + alpha + "·" + b[i]);
            }
        }
    }

    /** buf = μ·buf + d; p += −lr·buf: p and buf both checked. */
    static void sgdMomentum(int n, int reps) {
        float[] p = data(n, 10, true, true), buf = data(n, 11, true, true), d = data(n, 12, true, true);
        for (int rep = 0; rep < reps; rep++) try (Arena arena = Arena.ofConfined()) {
            String call = call(rep, reps);
            MemorySegment sd = segment(arena, d);
            MemorySegment[] ps = new MemorySegment[3], bs = new MemorySegment[3];
            for (int k = 0; k < 3; k++) {
                ps[k] = segmentAt(arena, p, OUT_OFFSET);
                bs[k] = segmentAt(arena, buf, IN_OFFSET);
            }
            chunks(n, (from, len) -> Kernels.sgdMomentum(ps[0], OUT_OFFSET + from, bs[0], IN_OFFSET + from, sd, IN_OFFSET + from, 0.9, 0.05, len));
            VectorKernels.sgdMomentum(ps[1], OUT_OFFSET, bs[1], IN_OFFSET, sd, IN_OFFSET, 0.9f, -0.05f, n);
            Kernels.sgdMomentum(ps[2], OUT_OFFSET, bs[2], IN_OFFSET, sd, IN_OFFSET, 0.9, 0.05, n);
            assertSame("sgdMomentum p" + call, n, ps[0], ps[1], ps[2], 0, i -> "p " + p[i] + ", buf " + buf[i] + ", d " + d[i]);
            assertSameAt("sgdMomentum buf" + call, n, IN_OFFSET, bs[0], bs[1], bs[2], 0, i -> "buf " + buf[i] + ", d " + d[i]);
        }
    }

    /** Σ aᵢ: no huge values (a float partial sum may overflow where the scalar loop's double does not; see the class comment). */
    static void sum(int n, int reps) {
        for (boolean specials : new boolean[] {false, true}) {
            float[] a = data(n, 13, specials, false);
            float ref = referenceSum(a);
            double bound = sumBound(a, 0, 1, n, ref);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sa = segment(arena, a), out = output(arena, 1);
                for (int rep = 0; rep < reps; rep++) {
                    float vec = (float) VectorKernels.sum(sa, IN_OFFSET, n);
                    Kernels.reduceRows(Kernels.Reduce.SUM, DType.F32, sa, IN_OFFSET, 1, n, DType.F32, out, OUT_OFFSET, null);
                    float via = out.getAtIndex(JAVA_FLOAT, OUT_OFFSET);
                    for (float got : new float[] {vec, via}) {
                        assertTrue(sameSum(ref, got, bound), "sum of " + n + " floats" + (specials ? " with NaN/inf" : "") + call(rep, reps) + ": scalar loop " + ref
                                + ", vector " + got + " (bound " + bound + ")");
                    }
                }
            }
        }
    }

    /** out[j] = Σ_r a[r, j]: the bias gradient. */
    static void sumRows(int rows, int cols, int reps) {
        for (boolean specials : new boolean[] {false, true}) {
            int n = rows * cols;
            float[] a = data(n, 14 + cols, specials, false);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment sa = segment(arena, a);
                MemorySegment a64 = arena.allocate(8L * Math.max(1, n), 64), ref64 = arena.allocate(8L * cols, 64);
                for (int i = 0; i < n; i++) a64.setAtIndex(JAVA_DOUBLE, i, a[i]);
                Kernels.sumRows(DType.F64, a64, 0, rows, cols, ref64, 0);   // the scalar loop; float32's rounds the same double total
                float[] ref = new float[cols];
                double[] bound = new double[cols];
                for (int j = 0; j < cols; j++) {
                    ref[j] = (float) ref64.getAtIndex(JAVA_DOUBLE, j);
                    bound[j] = sumBound(a, j, cols, rows, ref[j]);
                }
                MemorySegment vec = output(arena, cols), via = output(arena, cols);
                for (int rep = 0; rep < reps; rep++) {
                    VectorKernels.sumRows(sa, IN_OFFSET, rows, cols, vec, OUT_OFFSET);
                    Kernels.sumRows(DType.F32, sa, IN_OFFSET, rows, cols, via, OUT_OFFSET);
                    List<String> bad = new ArrayList<>();
                    for (int j = 0; j < cols; j++) {
                        for (MemorySegment s : new MemorySegment[] {vec, via}) {
                            float got = s.getAtIndex(JAVA_FLOAT, OUT_OFFSET + j);
                            if (!sameSum(ref[j], got, bound[j]) && bad.size() < 4) bad.add("column " + j + ": scalar loop " + ref[j] + ", vector " + got + " (bound " + bound[j] + ")");
                        }
                    }
                    assertTrue(bad.isEmpty(), "sumRows " + rows + " x " + cols + (specials ? " with NaN/inf" : "") + call(rep, reps) + ": " + bad);
                }
                assertUntouched("sumRows", vec, OUT_OFFSET, cols);
                assertUntouched("sumRows via Kernels", via, OUT_OFFSET, cols);
            }
        }
    }

    // ------------------------------------------------------------------------------ helpers

    static String call(int rep, int reps) {
        return reps == 1 ? "" : " (call " + (rep + 1) + " of " + reps + ")";
    }

    interface Chunk {
        void run(long from, long len);
    }

    static void chunks(int n, Chunk c) {
        for (int from = 0; from < n; from += CHUNK) c.run(from, Math.min(CHUNK, n - from));
    }

    static MemorySegment segment(Arena arena, float[] v) {
        return segmentAt(arena, v, IN_OFFSET);
    }

    static MemorySegment segmentAt(Arena arena, float[] v, int offset) {
        MemorySegment s = output(arena, v.length, offset);
        MemorySegment.copy(v, 0, s, JAVA_FLOAT, 4L * offset, v.length);
        return s;
    }

    static MemorySegment output(Arena arena, int n) {
        return output(arena, n, OUT_OFFSET);
    }

    /** n floats at {@code offset}, surrounded by sentinels (to catch writes past either end). */
    static MemorySegment output(Arena arena, int n, int offset) {
        MemorySegment s = arena.allocate(4L * (offset + n + PAD), 64);
        for (long i = 0; i < offset + n + PAD; i++) s.setAtIndex(JAVA_FLOAT, i, SENTINEL);
        return s;
    }

    static void assertUntouched(String what, MemorySegment s, int offset, int n) {
        for (long i = 0; i < offset + n + PAD; i++) {
            if (i >= offset && i < offset + n) continue;
            assertEquals(Float.floatToRawIntBits(SENTINEL), Float.floatToRawIntBits(s.getAtIndex(JAVA_FLOAT, i)),
                    what + ": element " + (i - offset) + " outside the " + n + " outputs was written");
        }
    }

    interface Inputs {
        String at(int i);
    }

    static void assertSame(String what, int n, MemorySegment ref, MemorySegment vec, MemorySegment via, int ulps, Inputs in) {
        assertSameAt(what, n, OUT_OFFSET, ref, vec, via, ulps, in);
    }

    /** The vector results (called directly, and through Kernels unless {@code via} is null) against the scalar loop's, element by element. */
    static void assertSameAt(String what, int n, int offset, MemorySegment ref, MemorySegment vec, MemorySegment via, int ulps, Inputs in) {
        List<String> bad = new ArrayList<>();
        int count = 0;
        for (int i = 0; i < n; i++) {
            float r = ref.getAtIndex(JAVA_FLOAT, offset + i);
            float v = vec.getAtIndex(JAVA_FLOAT, offset + i), k = via == null ? v : via.getAtIndex(JAVA_FLOAT, offset + i);
            for (float got : new float[] {v, k}) {
                if (same(r, got, ulps)) continue;
                count++;
                if (bad.size() < 4) bad.add("[" + i + "] of (" + in.at(i) + "): scalar " + r + " (0x" + Integer.toHexString(Float.floatToRawIntBits(r))
                        + "), " + (got == v && !same(r, v, ulps) ? "vector " : "via Kernels ") + got + " (0x" + Integer.toHexString(Float.floatToRawIntBits(got)) + ")");
            }
        }
        assertTrue(bad.isEmpty(), what + ", n=" + n + ": " + count + " results differ from the scalar loop" + (ulps > 0 ? " by more than " + ulps + " ulp" : "") + ": " + bad);
        assertUntouched(what + " (vector)", vec, offset, n);
        if (via != null) assertUntouched(what + " (via Kernels)", via, offset, n);
    }

    /** Bit for bit (any NaN matches any NaN); with ulps > 0, finite nonzero results may differ by that many ulps. */
    static boolean same(float want, float got, int ulps) {
        if (Float.isNaN(want) || Float.isNaN(got)) return Float.isNaN(want) && Float.isNaN(got);
        if (Float.floatToRawIntBits(want) == Float.floatToRawIntBits(got)) return true;
        if (ulps == 0 || want == 0 || got == 0 || Float.isInfinite(want) || Float.isInfinite(got)) return false;
        return Math.abs((double) got - want) <= ulps * (double) Math.ulp(want);
    }

    /** The scalar loop's sum: in double, rounded to float once. */
    static float referenceSum(float[] a) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a64 = arena.allocate(8L * Math.max(1, a.length), 64), out = arena.allocate(4, 64);
            for (int i = 0; i < a.length; i++) a64.setAtIndex(JAVA_DOUBLE, i, a[i]);
            Kernels.reduceRows(Kernels.Reduce.SUM, DType.F64, a64, 0, 1, a.length, DType.F32, out, 0, null);
            return out.getAtIndex(JAVA_FLOAT, 0);
        }
    }

    /** (64 + 8)·2⁻²⁴·Σ|a| over the summed elements (start, start + stride, ...) plus one ulp of the result. */
    static double sumBound(float[] a, int start, int stride, int count, float ref) {
        double abs = 0;
        for (int k = 0; k < count; k++) abs += Math.abs(a[start + k * stride]);
        return 72 * 0x1p-24 * abs + Math.ulp(ref);
    }

    static boolean sameSum(float ref, float got, double bound) {
        if (Float.isNaN(ref) || Float.isNaN(got)) return Float.isNaN(ref) && Float.isNaN(got);
        if (Float.isInfinite(ref) || Float.isInfinite(got)) return ref == got;
        return Math.abs((double) got - ref) <= bound;
    }
}
