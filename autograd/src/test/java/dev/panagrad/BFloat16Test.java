package dev.panagrad;

import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panagrad.io.SafeTensors;
import dev.panagrad.memory.BFloat16;
import dev.panagrad.memory.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bfloat16 dtype against PyTorch 1.13: the rounding of float32 to bfloat16 bit for bit (ties to
 * even, NaN, infinities, subnormals, the largest finite value and past it), the way back, printing,
 * promotion, safetensors, and PyTorch's refusals. Every expected value below was printed by PyTorch
 * 1.13 (the snippet is beside it).
 */
class BFloat16Test {
    /*
     * t = torch.tensor(VALUES, dtype=torch.float32); b = t.to(torch.bfloat16)
     * [hex(x & 0xffff) for x in b.view(torch.int16).tolist()], b.float().tolist()
     */
    private static final float[] VALUES = {1.0f, 1.00390625f, 1.01171875f, 1.0078125f, 1.0078125f + 0x1p-30f, 1.0f - 0x1p-9f, -1.00390625f,
            3.0e38f, 3.3895313892515355e38f, 3.3961775292304e38f, 3.4e38f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            1e-40f, 1.4e-45f, -1e-39f, 0.0f, -0.0f, 0.1f, 3.14159265f, 65504.0f, 1.17549435e-38f, 9.18355e-41f};
    private static final int[] BITS = {0x3f80, 0x3f80, 0x3f82, 0x3f81, 0x3f81, 0x3f80, 0xbf80,
            0x7f62, 0x7f7f, 0x7f80, 0x7f80, 0x7f80, 0xff80, 0xffff,
            0x1, 0x0, 0x800b, 0x0, 0x8000, 0x3dcd, 0x4049, 0x4780, 0x80, 0x1};
    private static final double[] BACK = {1.0, 1.0, 1.015625, 1.0078125, 1.0078125, 1.0, -1.0,
            3.00405527047391e+38, 3.3895313892515355e+38, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, Double.NaN, 9.183549615799121e-41, 0.0, -1.0101904577379033e-39, 0.0, -0.0, 0.10009765625, 3.140625,
            65536.0, 1.1754943508222875e-38, 9.183549615799121e-41};

    private static int bits(Tensor t, int i) {
        return t.storage().segment().getAtIndex(JAVA_SHORT, t.storageOffset() + i) & 0xFFFF;
    }

    @Test
    void float32RoundsToBfloat16AsPyTorchDoesBitForBit() {
        // short (scalar loop) and long (the vectorised loop over 5 copies plus a tail) conversions give the same bits
        for (int copies : new int[] {1, 5}) {
            float[] v = new float[VALUES.length * copies];
            for (int c = 0; c < copies; c++) System.arraycopy(VALUES, 0, v, c * VALUES.length, VALUES.length);
            Tensor b = Tensor.fromArray(v, v.length).to(DType.BF16);
            assertEquals(DType.BF16, b.dtype());
            double[] back = b.to(DType.F32).toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                int j = i % VALUES.length;
                assertEquals(BITS[j], bits(b, i), () -> "bits of " + VALUES[j]);
                assertEquals(Double.doubleToLongBits(BACK[j]), Double.doubleToLongBits(Double.isNaN(back[i]) ? Double.NaN : back[i]), "value of " + VALUES[j]);
            }
        }
    }

    @Test
    void theVectorisedConversionMatchesTheScalarRoundingForEveryKindOfFloat() {
        Random rnd = new Random(17);
        float[] v = new float[100_003];
        for (int i = 0; i < v.length; i++) v[i] = Float.intBitsToFloat(rnd.nextInt());
        Tensor b = Tensor.fromArray(v, v.length).to(DType.BF16);
        double[] back = b.to(DType.F32).toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            int expected = Float.isNaN(v[i]) ? 0xFFFF : BFloat16.fromFloat(v[i]) & 0xFFFF;
            assertEquals(expected, bits(b, i), "bits of " + Float.floatToRawIntBits(v[i]));
            if (!Float.isNaN(v[i])) assertEquals(BFloat16.toFloat((short) expected), (float) back[i]);
        }
    }

    @Test
    void doublesAndNumbersRoundThroughFloat32AndNaNIsTheQuietNaN() {
        // torch.tensor(1.00390625 + 1e-12, dtype=torch.float64).to(torch.bfloat16).float().item() -> 1.0 (to float first: a tie, to even)
        assertEquals(1.0, Tensor.of(DType.F64, 1.00390625 + 1e-12).to(DType.BF16).item());
        // torch.tensor([float('nan')], dtype=torch.bfloat16).view(torch.int16) -> 32704 (0x7FC0)
        assertEquals(0x7FC0, bits(Tensor.of(DType.BF16, Double.NaN), 0));
        assertEquals(0x7FC0, bits(Tensor.of(DType.F64, Double.NaN).to(DType.BF16), 0));
        assertEquals(0x7FC0, BFloat16.fromFloat(Float.intBitsToFloat(0xFFC00001)) & 0xFFFF);
    }

    @Test
    void printsAsPyTorchPrintsBfloat16() {
        // print(torch.tensor(VALUES).to(torch.bfloat16))
        assertEquals("""
                tensor([ 1.0000e+00,  1.0000e+00,  1.0156e+00,  1.0078e+00,  1.0078e+00,
                         1.0000e+00, -1.0000e+00,  3.0041e+38,  3.3895e+38,         inf,
                                inf,         inf,        -inf,         nan,  9.1835e-41,
                         0.0000e+00, -1.0102e-39,  0.0000e+00, -0.0000e+00,  1.0010e-01,
                         3.1406e+00,  6.5536e+04,  1.1755e-38,  9.1835e-41],
                       dtype=torch.bfloat16)""", Tensor.fromArray(VALUES, VALUES.length).to(DType.BF16).toString());
        // print(torch.tensor([0.1, 0.2, 1000.5], dtype=torch.bfloat16)); print(torch.tensor([1., 2.]).to(torch.bfloat16))
        assertEquals("tensor([1.0010e-01, 2.0020e-01, 1.0000e+03], dtype=torch.bfloat16)", Tensor.of(DType.BF16, 0.1, 0.2, 1000.5).toString());
        assertEquals("tensor([1., 2.], dtype=torch.bfloat16)", Tensor.of(1, 2).to(DType.BF16).toString());
    }

    @Test
    void promotesAsPyTorch() {
        Tensor x = Tensor.of(DType.BF16, 1, 2, 3);
        // (x + torch.ones(3)).dtype -> float32; (x + torch.ones(3, dtype=torch.float64)).dtype -> float64; (x + 1.5).dtype -> bfloat16
        assertEquals(DType.F32, x.add(Tensor.ones(3)).dtype());
        assertEquals(DType.F64, x.add(Tensor.ones(DType.F64, 3)).dtype());
        assertEquals(DType.BF16, x.add(1.5).dtype());
        // (torch.ones(3, dtype=torch.int64) + x).dtype -> bfloat16; (x + torch.tensor(2.0)).dtype -> bfloat16 (a 0-dim float32 does not widen)
        assertEquals(DType.BF16, Tensor.ones(DType.I64, 3).add(x).dtype());
        assertEquals(DType.BF16, x.add(Tensor.scalar(2.0)).dtype());
        // x = torch.tensor([1., 2., 3., 5.], dtype=torch.bfloat16); x * 1.1, x + 1.1, x / 1.1 (the number is rounded to bfloat16 first:
        // 3 * 1.1015625 = 3.3046875, a tie, to even 3.3125)
        Tensor y = Tensor.of(DType.BF16, 1, 2, 3, 5);
        assertEquals("tensor([1.1016, 2.2031, 3.3125, 5.5000], dtype=torch.bfloat16)", y.mul(1.1).toString());
        assertEquals("tensor([2.0938, 3.0938, 4.0938, 6.0938], dtype=torch.bfloat16)", y.add(1.1).toString());
        assertEquals("tensor([0.9062, 1.8125, 2.7188, 4.5312], dtype=torch.bfloat16)", y.div(1.1).toString());
    }

    @Test
    void toBfloat16IsDifferentiableAndTheGradientComesBackInFloat32() {
        // x = torch.tensor([1.5, -2.25], requires_grad=True); y = x.to(torch.bfloat16); (y * 3).sum().backward()
        // y.grad_fn -> <ToCopyBackward0>; x.grad -> tensor([3., 3.])
        Tensor x = Tensor.of(1.5, -2.25).requiresGrad(true);
        Tensor y = x.to(DType.BF16);
        assertEquals("ToCopyBackward0", y.gradFn().name());
        y.mul(3).sum().backward();
        assertEquals(DType.F32, x.grad().dtype());
        assertEquals("tensor([3., 3.])", x.grad().toString());
    }

    @Test
    void refusesWherePyTorchHasNoBfloat16Kernel() {
        // F.mse_loss(x, x) for bfloat16 x -> RuntimeError: "mse_cpu" not implemented for 'BFloat16'
        Tensor x = Tensor.of(DType.BF16, 1, 2, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> dev.panagrad.nn.Functional.mseLoss(x, x));
        assertEquals("\"mse_cpu\" not implemented for 'BFloat16'", e.getMessage());
        // F.mse_loss(x, x.float()) -> tensor(0.): promoted to float32, allowed
        assertEquals(0.0, dev.panagrad.nn.Functional.mseLoss(x, x.to(DType.F32)).item());
    }

    @Test
    void safetensorsStoresBf16AsPyTorchsSafetensorsDoes(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("w.safetensors");
        Tensor w = Tensor.fromArray(VALUES, 4, 6).to(DType.BF16);
        SafeTensors.save(f, Map.of("w", w), Map.of());
        String header = new String(Files.readAllBytes(f), 8, 80, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.contains("\"dtype\":\"BF16\""), header);
        Tensor back = SafeTensors.load(f).tensors().get("w");
        assertEquals(DType.BF16, back.dtype());
        for (int i = 0; i < VALUES.length; i++) assertEquals(BITS[i], bits(back, i));
    }

    @Test
    void aBfloat16MatmulOutsideAutocastIsBfloat16AsInPyTorch() {
        // a = torch.tensor([[1.1, 2.3, 0.5], [0.7, -1.9, 3.3]], dtype=torch.bfloat16, requires_grad=True)
        // b = torch.tensor([[0.3, 1.7], [2.2, -0.4], [1.25, 0.6]], dtype=torch.bfloat16); y = a @ b; y.sum().backward()
        Tensor a = Tensor.fromArray(DType.BF16, new double[] {1.1, 2.3, 0.5, 0.7, -1.9, 3.3}, 2, 3).requiresGrad(true);
        Tensor b = Tensor.fromArray(DType.BF16, new double[] {0.3, 1.7, 2.2, -0.4, 1.25, 0.6}, 3, 2);
        Tensor y = a.matmul(b);
        // PyTorch prints [[6.0312, 1.2578], [0.1406, 3.9375]]: its small bf16 kernel rounds between steps; Panagrad accumulates
        // in float32 and rounds once, as (a.float() @ b.float()).bfloat16() does: [[6.0312, 1.2578], [0.1484, 3.9375]]
        // (exactly 0.14879..., so 0.1484 is the nearest bfloat16). One bfloat16 ulp apart.
        assertEquals("tensor([[6.0312, 1.2578],\n        [0.1484, 3.9375]], dtype=torch.bfloat16, grad_fn=<MmBackward0>)", y.toString());
        y.sum().backward();
        assertEquals("tensor([[2.0000, 1.8047, 1.8516],\n        [2.0000, 1.8047, 1.8516]], dtype=torch.bfloat16)", a.grad().toString());
    }

    @Test
    void gradientsOfABfloat16LeafAccumulateInBfloat16AndAddWithAlphaRoundsAsPyTorch() {
        // x = torch.tensor([1.5, -2.0, 0.3], dtype=torch.bfloat16, requires_grad=True); (x * 2.1 + x * x).sum().backward()
        // x.grad -> tensor([ 5.0938, -1.9062,  2.6875], dtype=torch.bfloat16)
        Tensor x = Tensor.of(DType.BF16, 1.5, -2.0, 0.3).requiresGrad(true);
        x.mul(2.1).add(x.mul(x)).sum().backward();
        assertEquals("tensor([ 5.0938, -1.9062,  2.6875], dtype=torch.bfloat16)", x.grad().toString());
        // a = torch.tensor([1., 2., 3.], dtype=torch.bfloat16); a.add_(torch.tensor([0.1, 0.2, 0.3], dtype=torch.bfloat16), alpha=0.3)
        // -> tensor([1.0312, 2.0625, 3.0938], dtype=torch.bfloat16)
        Tensor a = Tensor.of(DType.BF16, 1, 2, 3);
        a.addInPlace(Tensor.of(DType.BF16, 0.1, 0.2, 0.3), 0.3);
        assertEquals("tensor([1.0312, 2.0625, 3.0938], dtype=torch.bfloat16)", a.toString());
    }
}
