package dev.panagrad.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** float32 ↔ bfloat16: PyTorch's rounding on known values, and the vector loops bit for bit against the scalar ones. */
class BFloat16Test {
    @Test
    void roundsToNearestEvenAsPyTorch() {
        // torch.tensor([1.00390625, 1.01171875, 3.1415927, -2.5e-40, inf, 65504.]).bfloat16().float()
        // -> [1.0, 1.015625, 3.140625, -2.7550648847397363e-40 (bits 0x80030000), inf, 65536.]   (1 + 2^-8 is a tie: to even, 1.0)
        float[] in = {1.00390625f, 1.01171875f, 3.1415927f, -2.5e-40f, Float.POSITIVE_INFINITY, 65504f};
        float[] want = {1.0f, 1.015625f, 3.140625f, Float.intBitsToFloat(0x80030000), Float.POSITIVE_INFINITY, 65536f};
        for (int i = 0; i < in.length; i++) assertEquals(want[i], BFloat16.value(BFloat16.bits(in[i])), "element " + i);
        assertTrue(Float.isNaN(BFloat16.value(BFloat16.bits(Float.NaN))));
        assertTrue(Float.isNaN(BFloat16.value(BFloat16.bits(Float.intBitsToFloat(0x7f800001)))), "a NaN whose payload rounds up stays NaN");
    }

    @Test
    void vectorLoopsEqualScalarLoopsBitForBit() {
        Random r = new Random(5);
        for (int n : new int[] {1 << 14, (1 << 14) + 7, 100_003}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment f = arena.allocate(4L * (n + 3), 64), a = arena.allocate(2L * n, 64), b = arena.allocate(2L * n, 64);
                MemorySegment x = arena.allocate(4L * n, 64), y = arena.allocate(4L * n, 64);
                for (int i = 0; i < n + 3; i++) {
                    int kind = r.nextInt(10);
                    float v = kind == 0 ? Float.intBitsToFloat(r.nextInt()) : kind == 1 ? Float.NaN : kind == 2 ? Float.intBitsToFloat(r.nextInt(1 << 23)) : (float) r.nextGaussian() * 100;
                    f.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
                }
                BFloat16.pack(f, 3, n, a);   // an offset start: the vector loads are unaligned
                BFloat16.packScalar(f, 3, n, b);
                assertEquals(-1, a.mismatch(b), "pack, n = " + n);
                BFloat16.unpack(a, n, x);
                BFloat16.unpackScalar(a, n, y);
                assertEquals(-1, x.mismatch(y), "unpack, n = " + n);
            }
        }
    }
}
