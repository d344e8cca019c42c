package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.panagrad.memory.DType;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * PyTorch 1.13's semantics at the edges (issue 10): NaN and ±inf, integer dtypes, element counts
 * that overflow, 0-dim and empty tensors, overlapping in-place writes. The PyTorch that gives each
 * expected value or message is in a comment beside it (or, for the value sweeps, in
 * {@code src/test/python/edge_values.py}, which generated {@link EdgeValues}).
 */
class EdgeSemanticsTest {

    // ---------------------------------------------------------------- NaN, ±inf, ±0 (item 7)

    /** Incoming gradients are laid out three ways: contiguous, every other element of a wider buffer, and ≥ 16K long (the vector kernels). */
    enum Layout { CONTIGUOUS, STRIDED_GRAD, LONG }

    /** Repetitions of a case's inputs that take a float32 op past the Vector API threshold (16 384 elements). */
    private static int longReps(int n) {
        return (1 << 14) / n + 1;
    }

    @TestFactory
    Stream<DynamicTest> elementWiseOpsMatchPyTorchAtNaNInfAndSignedZero() {
        return EdgeValues.UNARY.stream().flatMap(c -> Stream.of(
                dynamicTest(c.name() + " float32", () -> checkUnary(c, DType.F32, Layout.CONTIGUOUS)),
                dynamicTest(c.name() + " float32, strided gradient", () -> checkUnary(c, DType.F32, Layout.STRIDED_GRAD)),
                dynamicTest(c.name() + " float32, 16K elements", () -> checkUnary(c, DType.F32, Layout.LONG)),
                dynamicTest(c.name() + " float64", () -> checkUnary(c, DType.F64, Layout.CONTIGUOUS))));
    }

    private static void checkUnary(EdgeValues.Unary c, DType dtype, Layout layout) {
        int reps = layout == Layout.LONG ? longReps(EdgeValues.X.length) : 1;
        Tensor x = input(dtype, tile(EdgeValues.X, reps));
        Tensor y = c.op().apply(x);
        assertValues(c.name() + " forward", tile(c.y(), reps), y);
        y.backward(gradient(dtype, y.shape(), EdgeValues.X.length, layout == Layout.STRIDED_GRAD));
        assertValues(c.name() + " gradient", tile(c.dx(), reps), x.grad());
    }

    @TestFactory
    Stream<DynamicTest> binaryOpsMatchPyTorchOnEveryPairOfNaNInfAndSignedZero() {
        return EdgeValues.BINARY.stream().flatMap(c -> Stream.of(
                dynamicTest(c.name() + " float32", () -> checkBinary(c, DType.F32, Layout.CONTIGUOUS)),
                dynamicTest(c.name() + " float32, strided gradient", () -> checkBinary(c, DType.F32, Layout.STRIDED_GRAD)),
                dynamicTest(c.name() + " float32, 16K elements", () -> checkBinary(c, DType.F32, Layout.LONG)),
                dynamicTest(c.name() + " float64", () -> checkBinary(c, DType.F64, Layout.CONTIGUOUS))));
    }

    private static void checkBinary(EdgeValues.Binary c, DType dtype, Layout layout) {
        int reps = layout == Layout.LONG ? longReps(EdgeValues.A.length) : 1;
        Tensor a = input(dtype, tile(EdgeValues.A, reps)), b = input(dtype, tile(EdgeValues.B, reps));
        Tensor y = c.op().apply(a, b);
        assertValues(c.name() + " forward", tile(c.y(), reps), y);
        if (c.da() == null) {
            assertFalse(y.requiresGrad(), c.name() + " records no graph");
            return;
        }
        y.backward(gradient(dtype, y.shape(), EdgeValues.A.length, layout == Layout.STRIDED_GRAD));
        assertValues(c.name() + " gradient of a", tile(c.da(), reps), a.grad());
        assertValues(c.name() + " gradient of b", tile(c.db(), reps), b.grad());
    }

    @TestFactory
    Stream<DynamicTest> reductionsMatchPyTorchWithNaNAndInf() {
        return EdgeValues.REDUCTIONS.stream().map(c -> dynamicTest(c.name() + " of " + java.util.Arrays.toString(c.x()), () -> {
            Tensor x = input(DType.F32, c.x());
            Tensor y = c.op().apply(x);
            assertValues(c.name() + " forward", c.y(), y);
            if (c.dx() == null) {
                assertFalse(y.requiresGrad(), c.name() + " records no graph");
                return;
            }
            y.backward(gradient(DType.F32, y.shape(), (int) y.numel(), false));
            assertValues(c.name() + " gradient", c.dx(), x.grad());
        }));
    }

    /**
     * The fused Linear + ReLU (what {@code Sequential} runs) passes the gradient at a NaN output, with the
     * incoming gradient contiguous, expanded, or the engine's own temporary (overwritten in place).
     * <pre>
     * x = torch.tensor([[1., 2.]], requires_grad=True); b = torch.zeros(4, requires_grad=True)
     * w = torch.tensor([[nan, 0.], [1., 0.], [-1., 0.], [0., -0.]], requires_grad=True)
     * y = torch.relu(F.linear(x, w, b))   # [[nan, 1., 0., 0.]]
     * y.backward(torch.ones(1, 4))        # x.grad [[nan, 0.]], w.grad [[1, 2], [1, 2], [0, 0], [0, 0]], b.grad [1, 1, 0, 0]
     * </pre>
     */
    @TestFactory
    Stream<DynamicTest> fusedLinearReluPassesTheGradientAtNaN() {
        java.util.Map<String, java.util.function.Consumer<Tensor>> backwards = new java.util.LinkedHashMap<>();
        backwards.put("backward(ones)", y -> y.backward(Tensor.ones(1, 4)));
        backwards.put("sum().backward()", y -> y.sum().backward());
        backwards.put("mul(ones).sum().backward()", y -> y.mul(Tensor.ones(1, 4)).sum().backward());
        return backwards.entrySet().stream().map(e -> dynamicTest(e.getKey(), () -> {
            Tensor x = Tensor.fromArray(DType.F32, new double[] {1, 2}, 1, 2).requiresGrad(true);
            Tensor w = Tensor.fromArray(DType.F32, new double[] {Double.NaN, 0, 1, 0, -1, 0, 0, -0.0}, 4, 2).requiresGrad(true);
            Tensor b = Tensor.zeros(4).requiresGrad(true);
            Tensor y = Tensor.linear(x, w, b, true);
            assertValues("forward", new double[] {Double.NaN, 1, 0, 0}, y);
            e.getValue().accept(y);
            assertValues("x.grad", new double[] {Double.NaN, 0}, x.grad());
            assertValues("w.grad", new double[] {1, 2, 1, 2, 0, 0, 0, 0}, w.grad());
            assertValues("b.grad", new double[] {1, 1, 0, 0}, b.grad());
        }));
    }

    private static Tensor input(DType dtype, double[] values) {
        return Tensor.fromArray(dtype, values, values.length).requiresGrad(true);
    }

    /**
     * 1, 2, 3, ..., period, 1, 2, ... shaped {@code shape} (the gradient PyTorch's values were taken with,
     * repeated as the inputs are): contiguous, or the even elements of a buffer twice as long.
     */
    private static Tensor gradient(DType dtype, int[] shape, int period, boolean strided) {
        int n = (int) Shape.numel(shape);
        double[] g = new double[strided ? 2 * n : n];
        for (int i = 0; i < n; i++) g[strided ? 2 * i : i] = i % period + 1;
        if (!strided) return Tensor.fromArray(dtype, g, shape);
        Tensor wide = Tensor.fromArray(dtype, g, n, 2).select(1, 0);
        assertFalse(wide.isContiguous());
        return wide.view(shape);
    }

    private static double[] tile(double[] values, int reps) {
        double[] out = new double[values.length * reps];
        for (int r = 0; r < reps; r++) System.arraycopy(values, 0, out, r * values.length, values.length);
        return out;
    }

    /** Element by element: NaN for NaN, the same infinity, a zero of the same sign, else within float32 rounding. */
    static void assertValues(String what, double[] expected, Tensor actual) {
        assertNotNull(actual, what + ": no tensor");
        double[] got = actual.toDoubleArray();
        assertEquals(expected.length, got.length, what + ": element count");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = got[i];
            boolean same = Double.isNaN(e) ? Double.isNaN(a)
                    : e == 0 ? a == 0 && Double.doubleToRawLongBits(a) == Double.doubleToRawLongBits(e)
                    : Double.isInfinite(e) ? a == e
                    : Math.abs(a - e) <= 1e-6 * Math.abs(e);
            if (!same) fail(what + ": element " + i + " is " + a + ", PyTorch gives " + e);
        }
    }
}
