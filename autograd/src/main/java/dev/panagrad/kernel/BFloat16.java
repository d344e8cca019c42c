package dev.panagrad.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * float32 ↔ bfloat16 (the upper 16 bits of a float32), for values kept in half the bytes: rounding to
 * nearest, ties to even, as PyTorch's {@code .bfloat16()} rounds; NaN stays NaN.
 */
public final class BFloat16 {
    private BFloat16() {}

    /** The bfloat16 bits of {@code f}, rounded to nearest even. */
    public static short bits(float f) {
        int b = Float.floatToRawIntBits(f);
        if ((b & 0x7fffffff) > 0x7f800000) return (short) ((b >>> 16) | 0x40);   // NaN: keep it a (quiet) NaN, its sign too
        return dev.panagrad.memory.BFloat16.fromFloat(f);   // the dtype's rounding: nearest, ties to even
    }

    /** The float32 value of bfloat16 {@code bits} (exact). */
    public static float value(short bits) {
        return dev.panagrad.memory.BFloat16.toFloat(bits);
    }

    /** Below this many elements the scalar loops run (a vector loop called with short arrays stays in C1: see Kernels). */
    private static final long VECTOR_MIN = 1 << 14;

    /** {@code n} float32 values from {@code src} (element offset {@code from}) into bfloat16 bits at the start of {@code dst}. */
    public static void pack(MemorySegment src, long from, long n, MemorySegment dst) {
        if (Kernels.VECTOR && n >= VECTOR_MIN) {
            VectorKernels.bfloat16Pack(src, from, n, dst);
            return;
        }
        packScalar(src, from, n, dst);
    }

    /** {@link #pack} as a plain loop (the reference the vector loop is tested against). */
    public static void packScalar(MemorySegment src, long from, long n, MemorySegment dst) {
        for (long i = 0; i < n; i++) dst.setAtIndex(JAVA_SHORT_UNALIGNED, i, bits(src.getAtIndex(JAVA_FLOAT_UNALIGNED, from + i)));
    }

    /** {@code n} bfloat16 values from the start of {@code src} into float32 values at the start of {@code dst}. */
    public static void unpack(MemorySegment src, long n, MemorySegment dst) {
        if (Kernels.VECTOR && n >= VECTOR_MIN) {
            VectorKernels.bfloat16Unpack(src, n, dst);
            return;
        }
        unpackScalar(src, n, dst);
    }

    /** {@link #unpack} as a plain loop. */
    public static void unpackScalar(MemorySegment src, long n, MemorySegment dst) {
        for (long i = 0; i < n; i++) dst.setAtIndex(JAVA_FLOAT_UNALIGNED, i, value(src.getAtIndex(JAVA_SHORT_UNALIGNED, i)));
    }
}
