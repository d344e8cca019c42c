package dev.panagrad.memory;

/**
 * bfloat16 ↔ float32, bit for bit as PyTorch 1.13 converts them ({@code c10/util/BFloat16.h}): a
 * bfloat16 is the top 16 bits of a float32 (sign, 8 exponent bits, 7 mantissa bits), so widening is
 * exact and narrowing rounds to nearest, ties to even ({@code round_to_nearest_even}). NaN becomes
 * the quiet NaN {@code 0x7FC0} here ({@link #NAN_OF_FLOAT_TENSOR} in a float32 tensor's conversion, as PyTorch's); infinities and signed zeros are kept; subnormal floats round like any
 * other value (bfloat16 has float32's exponent range, so they stay subnormal or round to zero); a
 * float above the largest bfloat16 ({@code 3.3895e38}, bits {@code 0x7F7F}) by half an ulp or more
 * rounds to infinity. A double narrows through float first, as {@code static_cast<BFloat16>(double)} does.
 */
public final class BFloat16 {
    private BFloat16() {}

    /** The bits PyTorch's scalar conversion stores for a NaN (a double, a number, a fill). */
    public static final short NAN = 0x7FC0;

    /**
     * The bits PyTorch 1.13's vectorised {@code float32 → bfloat16} tensor conversion stores for a NaN
     * ({@code cvtfp32_bf16} blends in {@code 0xFFFF}, a negative quiet NaN): what {@code x.to(torch.bfloat16)}
     * gives for a float32 NaN, and what Panagrad's float32 → bfloat16 tensor conversion gives too.
     */
    public static final short NAN_OF_FLOAT_TENSOR = (short) 0xFFFF;

    /** The bfloat16 nearest {@code f} (ties to even), as its 16 bits. */
    public static short fromFloat(float f) {
        if (f != f) return NAN;
        int u = Float.floatToRawIntBits(f);
        return (short) ((u + (((u >>> 16) & 1) + 0x7FFF)) >>> 16);
    }

    /** The bfloat16 nearest {@code d} through float32 (PyTorch converts a double so). */
    public static short fromDouble(double d) { return fromFloat((float) d); }

    /** The float32 value of bfloat16 bits: exact. */
    public static float toFloat(short bits) { return Float.intBitsToFloat((bits & 0xFFFF) << 16); }

    /** {@code f} rounded to the nearest bfloat16 and back: what a float32 value becomes stored as bfloat16. */
    public static float round(float f) { return toFloat(fromFloat(f)); }
}
