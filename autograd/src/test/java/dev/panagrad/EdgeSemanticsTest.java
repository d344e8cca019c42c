package dev.panagrad;

import dev.panagrad.array.Shape;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.panagrad.memory.DType;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
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

    // ---------------------------------------------------------------- integers (item 8)

    static Tensor longs(long... values) {
        return Tensor.fromArray(values, values.length);
    }

    static Tensor bools(boolean... values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) d[i] = values[i] ? 1 : 0;
        return Tensor.fromArray(DType.BOOL, d, d.length);
    }

    static void assertLongs(String what, long[] expected, Tensor actual) {
        assertEquals(DType.I64, actual.dtype(), what + ": dtype");
        assertArrayEquals(expected, actual.toLongArray(), what);
    }

    static void assertFloats(String what, double[] expected, Tensor actual) {
        assertEquals(DType.F32, actual.dtype(), what + ": dtype");
        assertValues(what, expected, actual);
    }

    @Test
    void integerDivisionIsTrueDivisionToFloat32() {
        // torch.tensor([1, 2, 5]) / torch.tensor([2, 2, 2])   -> tensor([0.5000, 1.0000, 2.5000]) (float32)
        assertFloats("[1, 2, 5] / [2, 2, 2]", new double[] {0.5, 1, 2.5}, longs(1, 2, 5).div(longs(2, 2, 2)));
        // torch.tensor([1, -1, 0]) / torch.tensor([0, 0, 0])  -> tensor([inf, -inf, nan])
        assertFloats("x / 0", new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN}, longs(1, -1, 0).div(longs(0, 0, 0)));
        // torch.tensor([7, -7]) / 2                           -> tensor([ 3.5000, -3.5000])
        assertFloats("[7, -7] / 2", new double[] {3.5, -3.5}, longs(7, -7).div(2));
        // torch.tensor([True, False]) / torch.tensor([True, False]) -> tensor([1., nan])
        assertFloats("bool / bool", new double[] {1, Double.NaN}, bools(true, false).div(bools(true, false)));
        // torch.tensor([2, 3]) / torch.tensor([True, True])   -> tensor([2., 3.])
        assertFloats("int64 / bool", new double[] {2, 3}, longs(2, 3).div(bools(true, true)));
    }

    @Test
    void int64SumIsExactAndWrapsAsPyTorch() {
        long big = 1L << 53;
        // torch.tensor([2**53, 1]).sum()        -> tensor(9007199254740993)
        assertLongs("sum", new long[] {big + 1}, longs(big, 1).sum());
        assertLongs("sum(0)", new long[] {big + 1}, longs(big, 1).sum(0));
        // torch.tensor([2**62, 2**62, 2**62]).sum() -> tensor(-4611686018427387904)
        assertLongs("sum that overflows", new long[] {-4611686018427387904L}, longs(1L << 62, 1L << 62, 1L << 62).sum());
        // torch.tensor([[2**53, 1], [1, 2**53]]).sum(1) -> tensor([9007199254740993, 9007199254740993])
        assertLongs("row sums", new long[] {big + 1, big + 1}, Tensor.fromArray(new long[] {big, 1, 1, big}, 2, 2).sum(1));
        // torch.tensor([True, False, True]).sum() -> tensor(2) (int64)
        assertLongs("bool sum", new long[] {2}, bools(true, false, true).sum());
        // torch.tensor([], dtype=torch.long).sum() -> tensor(0)
        assertLongs("empty sum", new long[] {0}, Tensor.zeros(DType.I64, 0).sum());
    }

    @Test
    void meanOfIntegersRefusesAsPyTorch() {
        // torch.tensor([1, 2]).mean()  -> RuntimeError: mean(): could not infer output dtype. ... Got: Long
        String msg = "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ";
        assertEquals(msg + "Long", assertThrows(IllegalArgumentException.class, () -> longs(1, 2).mean()).getMessage());
        assertEquals(msg + "Long", assertThrows(IllegalArgumentException.class, () -> longs(1, 2).mean(0)).getMessage());
        assertEquals(msg + "Bool", assertThrows(IllegalArgumentException.class, () -> bools(true).mean()).getMessage());
    }

    @Test
    void int64ElementWiseOpsAndMaxAreExactBeyond2To53() {
        long big = (1L << 53) + 1;
        // torch.tensor([2**53 + 1]) + 0, * 1, + torch.tensor([0])  -> tensor([9007199254740993])
        assertLongs("+ 0", new long[] {big}, longs(big).add(0));
        assertLongs("* 1", new long[] {big}, longs(big).mul(1));
        assertLongs("+ [0]", new long[] {big}, longs(big).add(longs(0)));
        assertLongs("- [1]", new long[] {big - 1}, longs(big).sub(longs(1)));
        // torch.tensor([2**53 + 1]) == torch.tensor([2**53])  -> tensor([False])
        assertArrayEquals(new double[] {0}, longs(big).eq(longs(big - 1)).toDoubleArray());
        // torch.tensor([2**53 + 1, 2**53]).max(0) -> values 9007199254740993, indices 0; argmax of [2**53, 2**53 + 1] -> 1
        var m = longs(big, big - 1).max(0);
        assertLongs("max(0).values", new long[] {big}, m.values());
        assertLongs("max(0).indices", new long[] {0}, m.indices());
        assertLongs("argmax", new long[] {1}, longs(big - 1, big).argmax());
        assertLongs("max()", new long[] {big}, longs(big - 1, big).max());
        // torch.tensor([3]).pow(40) -> tensor([-6289078614652622815]) (wraps, as C's int64)
        assertLongs("pow(40)", new long[] {-6289078614652622815L}, longs(3).pow(40));
        // torch.tensor([2, 1, -1, 0]).pow(torch.tensor([-1, -2, -3, -1])) -> tensor([0, 1, -1, 0])
        assertLongs("pow(negative tensor)", new long[] {0, 1, -1, 0}, longs(2, 1, -1, 0).pow(longs(-1, -2, -3, -1)));
    }

    @Test
    void integerScalarOpsFollowPyTorchsTypePromotion() {
        // a = torch.tensor([1, -2, 5]); a whole Java double acts as a Python int (as arange does)
        assertLongs("a + 2", new long[] {3, 0, 7}, longs(1, -2, 5).add(2));
        assertLongs("a - 2", new long[] {-1, -4, 3}, longs(1, -2, 5).sub(2));
        assertLongs("a * 2", new long[] {2, -4, 10}, longs(1, -2, 5).mul(2));
        assertLongs("2 - a", new long[] {1, 4, -3}, longs(1, -2, 5).rsub(2));
        assertFloats("a * 2.5", new double[] {2.5, -5, 12.5}, longs(1, -2, 5).mul(2.5));
        assertFloats("a - 1.5", new double[] {-0.5, -3.5, 3.5}, longs(1, -2, 5).sub(1.5));
        assertFloats("a / 2", new double[] {0.5, -1, 2.5}, longs(1, -2, 5).div(2));
        assertLongs("a.pow(2)", new long[] {1, 4, 25}, longs(1, -2, 5).pow(2));
        assertLongs("a.pow(0)", new long[] {1, 1, 1}, longs(1, -2, 5).pow(0));
        assertFloats("a.pow(0.5)", new double[] {1, Double.NaN, Math.sqrt(5)}, longs(1, -2, 5).pow(0.5));
        // torch.tensor([1]).pow(-1) -> RuntimeError: Integers to negative integer powers are not allowed.
        assertEquals("Integers to negative integer powers are not allowed.",
                assertThrows(IllegalArgumentException.class, () -> longs(1, -2, 5).pow(-1)).getMessage());
        assertLongs("a.neg()", new long[] {-1, 2, -5}, longs(1, -2, 5).neg());
        assertLongs("a.abs()", new long[] {1, 2, 5}, longs(1, -2, 5).abs());
        assertLongs("a.relu()", new long[] {1, 0, 5}, longs(1, -2, 5).relu());
        assertLongs("a.clamp(0, 3)", new long[] {1, 0, 3}, longs(1, -2, 5).clamp(0, 3));
        assertFloats("a.clamp(0.5, 3.5)", new double[] {1, 0.5, 3.5}, longs(1, -2, 5).clamp(0.5, 3.5));
        assertFloats("a.exp()", new double[] {Math.E, Math.exp(-2), Math.exp(5)}, longs(1, -2, 5).exp());
    }

    @Test
    void boolArithmeticFollowsPyTorch() {
        // b = torch.tensor([True, False])
        assertLongs("b + 1", new long[] {2, 1}, bools(true, false).add(1));
        assertLongs("b * 2", new long[] {2, 0}, bools(true, false).mul(2));
        assertFloats("b * 2.5", new double[] {2.5, 0}, bools(true, false).mul(2.5));
        assertLongs("b.pow(2)", new long[] {1, 0}, bools(true, false).pow(2));
        assertEquals(DType.BOOL, bools(true, false).add(bools(true, false)).dtype(), "b + b is bool");
        assertEquals(DType.BOOL, bools(true, false).max().dtype(), "b.max() is bool");
        String minus = "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.";
        assertEquals(minus, assertThrows(IllegalArgumentException.class, () -> bools(true).sub(1)).getMessage());
        assertEquals(minus, assertThrows(IllegalArgumentException.class, () -> bools(true).rsub(1)).getMessage());
        assertEquals(minus, assertThrows(IllegalArgumentException.class, () -> longs(1).sub(bools(true))).getMessage());
        assertEquals("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
                assertThrows(IllegalArgumentException.class, () -> bools(true).sub(bools(true))).getMessage());
        assertEquals("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
                assertThrows(IllegalArgumentException.class, () -> bools(true).neg()).getMessage());
    }

    @Test
    void inPlaceOpsRefuseAResultTheTensorsDtypeCannotHold() {
        // a = torch.tensor([1, -2, 5]); a.add_(1) -> tensor([ 2, -1,  6]); a.mul_(2.5) -> RuntimeError
        Tensor a = longs(1, -2, 5);
        assertLongs("add_(1)", new long[] {2, -1, 6}, a.addInPlace(1));
        String msg = "result type Float can't be cast to the desired output type Long";
        assertEquals(msg, assertThrows(IllegalArgumentException.class, () -> a.mulInPlace(2.5)).getMessage());
        assertEquals(msg, assertThrows(IllegalArgumentException.class, () -> a.divInPlace(2)).getMessage());
        assertEquals(msg, assertThrows(IllegalArgumentException.class, () -> a.addInPlace(Tensor.of(0.5, 0.5, 0.5))).getMessage());
        assertLongs("unchanged after the refusals", new long[] {2, -1, 6}, a);
        assertEquals(1, a.storageVersion(), "only add_ bumped the version");
        // torch.tensor([True]).mul_(2) -> RuntimeError: result type Long can't be cast to the desired output type Bool
        assertEquals("result type Long can't be cast to the desired output type Bool",
                assertThrows(IllegalArgumentException.class, () -> bools(true).mulInPlace(2)).getMessage());
        // torch.tensor([2., 3.]).add_(torch.tensor([1, 1])) -> tensor([3., 4.])
        assertValues("float += int64", new double[] {3, 4}, Tensor.of(2, 3).addInPlace(longs(1, 1)));
    }

    @Test
    void softmaxOfIntegersRefusesAsPyTorch() {
        // torch.tensor([[1, -2], [5, 3]]).softmax(1) -> RuntimeError: "softmax_lastdim_kernel_impl" not implemented for 'Long'
        Tensor a = Tensor.fromArray(new long[] {1, -2, 5, 3}, 2, 2);
        assertEquals("\"softmax_lastdim_kernel_impl\" not implemented for 'Long'", assertThrows(IllegalArgumentException.class, () -> a.softmax(1)).getMessage());
        // .softmax(0) and .log_softmax(0) -> "softmax_kernel_impl" not implemented for 'Long'
        assertEquals("\"softmax_kernel_impl\" not implemented for 'Long'", assertThrows(IllegalArgumentException.class, () -> a.softmax(0)).getMessage());
        assertEquals("\"softmax_kernel_impl\" not implemented for 'Long'", assertThrows(IllegalArgumentException.class, () -> a.logSoftmax(0)).getMessage());
        assertEquals("\"softmax_lastdim_kernel_impl\" not implemented for 'Bool'", assertThrows(IllegalArgumentException.class, () -> bools(true).softmax(0)).getMessage());
    }

    // ---------------------------------------------------------------- sizes that overflow (item 10)

    static void assertRefuses(String message, org.junit.jupiter.api.function.Executable op) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, op).getMessage());
    }

    @Test
    void creatingATensorWhoseSizeOverflowsRefusesNamingTheSizes() {
        // torch.zeros(65537, 65535, 641, 6700417, 65537, 65535, 641, 6700417, 3): the product wraps to 3
        // -> RuntimeError: Storage size calculation overflowed with sizes=[65537, 65535, 641, 6700417, 65537, 65535, 641, 6700417, 3]
        assertRefuses("Storage size calculation overflowed with sizes=[65537, 65535, 641, 6700417, 65537, 65535, 641, 6700417, 3]",
                () -> Tensor.zeros(65537, 65535, 641, 6700417, 65537, 65535, 641, 6700417, 3));
        // torch.empty(5, 5581, 8681, 49477, 384773, dtype=torch.float64): 2^62 + 1 elements, 8 bytes each
        assertRefuses("Storage size calculation overflowed with sizes=[5, 5581, 8681, 49477, 384773]",
                () -> Tensor.empty(DType.F64, 5, 5581, 8681, 49477, 384773));
        int big = Integer.MAX_VALUE;
        assertRefuses("Storage size calculation overflowed with sizes=[2147483647, 2147483647, 2147483647, 0]",
                () -> Tensor.full(DType.F32, 1, big, big, big, 0));
        assertRefuses("Storage size calculation overflowed with sizes=[2147483647, 2147483647, 2147483647]",
                () -> Tensor.fromArray(DType.F32, new double[3], big, big, big));
        assertRefuses("Storage size calculation overflowed with sizes=[2147483647, 2147483647, 2147483647]",
                () -> Tensor.fromArray(new float[3], big, big, big));
        assertRefuses("Storage size calculation overflowed with sizes=[2147483647, 2147483647, 2147483647]",
                () -> Tensor.fromArray(new long[3], big, big, big));
        // torch.zeros(-2, 3) -> RuntimeError: Trying to create tensor with negative dimension -2: [-2, 3]
        assertRefuses("Trying to create tensor with negative dimension -2: [-2, 3]", () -> Tensor.zeros(-2, 3));
        assertRefuses("Trying to create tensor with negative dimension -1: [-1, -3]", () -> Tensor.fromArray(DType.F32, new double[3], -1, -3));
    }

    @Test
    void arangeRefusesARangeItCannotHold() {
        // torch.arange(0, 2**62) -> RuntimeError: Storage size calculation overflowed with sizes=[4611686018427387904]
        // (a dimension here holds at most 2^31 - 1 elements)
        assertRefuses("arange: 4611686018427387904 elements do not fit one dimension (at most 2147483647)", () -> Tensor.arange(0, 0x1p62, 1));
        // torch.arange(0, float('inf')) -> RuntimeError: unsupported range: 0 -> inf
        assertRefuses("unsupported range: 0 -> inf", () -> Tensor.arange(0, Double.POSITIVE_INFINITY, 1));
        assertRefuses("unsupported range: nan -> 3", () -> Tensor.arange(Double.NaN, 3, 1));
    }

    @Test
    void expandRefusesNegativeSizesAndOverflowingCounts() {
        // torch.ones(1).expand(-1, 3) -> RuntimeError: The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0
        assertRefuses("The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0", () -> Tensor.ones(1).expand(-1, 3));
        // torch.ones(3).expand(-2) -> The expanded size of the tensor (-2) must match the existing size (3) at non-singleton dimension 0. ...
        assertRefuses("The expanded size of the tensor (-2) must match the existing size (3) at non-singleton dimension 0.  Target sizes: [-2].  Tensor sizes: [3]",
                () -> Tensor.ones(3).expand(-2));
        // torch.ones(3, 1).expand(3, -2) -> RuntimeError (PyTorch's words here: "numel: integer multiplication overflow")
        assertRefuses("expand: the size -2 at dimension 1 is negative (only -1, keeping the size, is allowed).  Target sizes: [3, -2].  Tensor sizes: [3, 1]",
                () -> Tensor.ones(3, 1).expand(3, -2));
        assertArrayEquals(new int[] {3, 1}, Tensor.ones(3, 1).expand(3, -1).shape(), "-1 keeps the size");
        // torch.ones(1).expand(2**20, 2**20, 2**20, 2**20) -> RuntimeError: numel: integer multiplication overflow
        assertRefuses("numel: integer multiplication overflow: sizes [1048576, 1048576, 1048576, 1048576]",
                () -> Tensor.ones(1).expand(1 << 20, 1 << 20, 1 << 20, 1 << 20));
    }

    @Test
    void viewAndReshapeRefuseShapesTheyCannotHold() {
        // torch.ones(0).view(-1, 0) -> RuntimeError: cannot reshape tensor of 0 elements into shape [-1, 0] because ...
        assertRefuses("cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified dimension size -1 can be any value and is ambiguous",
                () -> Tensor.ones(0).view(-1, 0));
        // torch.ones(1).expand(2**31 - 1, 2**31 - 1).reshape(-1): PyTorch makes one dimension of 2^62 elements; here a dimension is an int
        assertRefuses("reshape: shape [-1] would need a dimension of 4611686014132420609 elements (at most 2147483647) for input of shape [2147483647, 2147483647]",
                () -> Tensor.ones(1).expand(Integer.MAX_VALUE, Integer.MAX_VALUE).reshape(-1));
        assertRefuses("reshape: shape [-1, 2] would need a dimension of 549755813888 elements (at most 2147483647) for input of shape [1048576, 1048576]",
                () -> Tensor.ones(1).expand(1 << 20, 1 << 20).reshape(-1, 2));
        assertRefuses("view: shape [-1, 2] would need a dimension of 549755813888 elements (at most 2147483647) for input of shape [1048576, 1048576]",
                () -> Tensor.ones(1).expand(1 << 20, 1 << 20).view(-1, 2));
    }

    @Test
    void catSliceAndCopiesOutCheckTheirSizes() {
        // torch.cat of [2^31 - 1] and [1]: PyTorch makes 2^31 elements; a dimension here is an int
        assertRefuses("cat: the size 2147483648 of dimension 0 does not fit an int (at most 2147483647); shapes [2147483647], [1]",
                () -> Tensor.cat(0, Tensor.ones(1).expand(Integer.MAX_VALUE), Tensor.ones(1)));
        // torch.ones(5)[0:3:2**62].shape -> torch.Size([1])
        assertArrayEquals(new int[] {1}, Tensor.ones(5).slice(0, 0, 3, 1L << 62).shape());
        Tensor huge = Tensor.ones(1).expand(1 << 16, 1 << 16);
        assertRefuses("toDoubleArray: 4294967296 elements do not fit a Java array (shape [65536, 65536])", huge::toDoubleArray);
        assertRefuses("toLongArray: 4294967296 elements do not fit a Java array (shape [65536, 65536])", huge::toLongArray);
        assertRefuses("argmax: 4294967296 elements do not fit one dimension (at most 2147483647); shape [65536, 65536]", huge::argmax);
    }

    // ---------------------------------------------------------------- 0-dim and empty tensors (item 11)

    static void assertIndexError(String message, org.junit.jupiter.api.function.Executable op) {
        assertEquals(message, assertThrows(IndexOutOfBoundsException.class, op).getMessage());
    }

    static String dimOutOfRange(int lo, int hi, int got) {
        return "Dimension out of range (expected to be in range of [" + lo + ", " + hi + "], but got " + got + ")";
    }

    @Test
    void zeroDimTensorsRefuseSelectSliceAndCatWithPyTorchsMessages() {
        Tensor s = Tensor.scalar(1.5f);
        // torch.tensor(1.5).select(0, 0) -> IndexError: select() cannot be applied to a 0-dim tensor.
        assertIndexError("select() cannot be applied to a 0-dim tensor.", () -> s.select(0, 0));
        // torch.tensor(1.5)[0:1] -> IndexError: slice() cannot be applied to a 0-dim tensor.
        assertIndexError("slice() cannot be applied to a 0-dim tensor.", () -> s.slice(0, 0, 1));
        assertIndexError("slice() cannot be applied to a 0-dim tensor.", () -> s.index("0:1"));
        // torch.tensor(1.5)[0] -> IndexError: invalid index of a 0-dim tensor. Use `tensor.item()` ...
        assertIndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number",
                () -> s.index("0"));
        // torch.cat([torch.tensor([1., 2.]), torch.tensor(1.5)]) -> RuntimeError: zero-dimensional tensor (at position 1) cannot be concatenated
        assertRefuses("zero-dimensional tensor (at position 0) cannot be concatenated", () -> Tensor.cat(0, s, s));
        assertRefuses("zero-dimensional tensor (at position 1) cannot be concatenated", () -> Tensor.cat(0, Tensor.of(1, 2), s));
        // torch.tensor(1.5).size(0) -> IndexError: Dimension specified as 0 but tensor has no dimensions
        assertIndexError("Dimension specified as 0 but tensor has no dimensions", () -> s.size(0));
        // torch.tensor([1., 2., 3.]).select(0, 3) -> IndexError: select(): index 3 out of range for tensor of size [3] at dimension 0
        assertIndexError("select(): index 3 out of range for tensor of size [3] at dimension 0", () -> Tensor.of(1, 2, 3).select(0, 3));
    }

    @Test
    void zeroDimTensorsReduceAndIndexAlongDimZeroAsPyTorch() {
        Tensor s = Tensor.scalar(1.5f).requiresGrad(true);
        // torch.tensor(1.5).max(0) -> values tensor(1.5000), indices tensor(0); .max(-1) the same; .max(1) -> IndexError
        var m = s.max(0);
        assertEquals(0, m.values().dim());
        assertEquals(1.5, m.values().item());
        assertEquals(0, m.indices().dim());
        assertLongs("max(0).indices", new long[] {0}, m.indices());
        assertEquals(1.5, s.max(-1).values().item());
        assertIndexError(dimOutOfRange(-1, 0, 1), () -> s.max(1));
        assertIndexError(dimOutOfRange(-1, 0, -2), () -> s.max(-2));
        m.values().mul(3).backward();
        assertEquals(3.0, s.grad().item(), "the gradient flows back through max(0) of a 0-dim tensor");
        // torch.tensor(1.5).argmax(0) -> tensor(0); .argmax(1) -> IndexError
        assertLongs("argmax(0)", new long[] {0}, s.argmax(0));
        assertEquals(0, s.argmax(0).dim());
        assertIndexError(dimOutOfRange(-1, 0, 1), () -> s.argmax(1));
        // .sum(0), .sum(-1), .mean(0), .amax(0), .softmax(0) -> 0-dim: 1.5, 1.5, 1.5, 1.5, 1.0
        assertEquals(1.5, s.sum(0).item());
        assertEquals(1.5, s.sum(-1).item());
        assertEquals(1.5, s.mean(0).item());
        assertEquals(1.5, s.amax(0).item());
        assertEquals(1.0, s.softmax(0).item());
        assertIndexError(dimOutOfRange(-1, 0, 1), () -> s.sum(1));
        // torch.tensor(1.5).gather(0, torch.tensor(0)) -> tensor(1.5000); with torch.tensor([0]) -> tensor([1.5000])
        Tensor g0 = s.gather(0, Tensor.scalar(DType.I64, 0));
        assertEquals(0, g0.dim());
        assertEquals(1.5, g0.item());
        assertArrayEquals(new int[] {1}, s.gather(0, Tensor.of(DType.I64, 0)).shape());
        assertIndexError(dimOutOfRange(-1, 0, 1), () -> s.gather(1, Tensor.scalar(DType.I64, 0)));
        // .gather(0, torch.tensor([1])) -> RuntimeError: index 1 is out of bounds for dimension 0 with size 1
        assertIndexError("gather(): index 1 is out of bounds for dimension 0 with size 1", () -> s.gather(0, Tensor.of(DType.I64, 1)));
        // torch.tensor(1.5).index_select(0, torch.tensor([0])) -> tensor(1.5000) (0-dim); index [1] -> IndexError: index out of range in self
        Tensor i0 = s.indexSelect(0, Tensor.of(DType.I64, 0));
        assertEquals(0, i0.dim());
        assertEquals(1.5, i0.item());
        assertEquals(0, s.indexSelect(0, Tensor.scalar(DType.I64, 0)).dim());
        assertIndexError("index out of range in self", () -> s.indexSelect(0, Tensor.of(DType.I64, 1)));
        assertIndexError(dimOutOfRange(-1, 0, 1), () -> s.indexSelect(1, Tensor.of(DType.I64, 0)));
    }

    @Test
    void indexRefusesWhatIsNotAnIndexClearly() {
        Tensor v = Tensor.of(1, 2, 3);
        assertRefuses("index: 'a' is not an integer or a slice (start:stop:step), in 'a'", () -> v.index("a"));
        assertRefuses("index: '1.5' is not an integer or a slice (start:stop:step), in '1.5'", () -> v.index("1.5"));
        assertRefuses("index: '99999999999999999999' is not an integer or a slice (start:stop:step), in '99999999999999999999'", () -> v.index("99999999999999999999"));
        assertRefuses("index: '' is not an integer or a slice (start:stop:step), in ''", () -> v.index(""));
        assertRefuses("index: 'x:2' is not an integer or a slice (start:stop:step), in 'x:2'", () -> v.index("x:2"));
        // torch.tensor([1., 2., 3.])[0, 0] -> IndexError: too many indices for tensor of dimension 1
        assertIndexError("too many indices for tensor of dimension 1", () -> v.index("0, 0"));
    }

    @Test
    void reductionsOfEmptyTensorsFollowPyTorch() {
        Tensor e = Tensor.zeros(0), e2 = Tensor.zeros(2, 0);
        // torch.ones(0).sum() -> tensor(0.); .mean() -> tensor(nan); torch.ones(2, 0).sum(1) -> tensor([0., 0.]); .mean(1) -> [nan, nan]
        assertValues("sum()", new double[] {0}, e.sum());
        assertValues("mean()", new double[] {Double.NaN}, e.mean());
        assertValues("sum(1)", new double[] {0, 0}, e2.sum(1));
        assertValues("mean(1)", new double[] {Double.NaN, Double.NaN}, e2.mean(1));
        // torch.ones(0).max() -> RuntimeError: max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.
        assertRefuses("max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.", e::max);
        assertRefuses("amax(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
                () -> e.amax(new int[0], false));
        // torch.ones(0).argmax() -> IndexError: argmax(): Expected reduction dim to be specified for input.numel() == 0.
        assertIndexError("argmax(): Expected reduction dim to be specified for input.numel() == 0.", e::argmax);
        // torch.ones(2, 0).max(1) -> IndexError: max(): Expected reduction dim 1 to have non-zero size.
        assertIndexError("max(): Expected reduction dim 1 to have non-zero size.", () -> e2.max(1));
        assertIndexError("amax(): Expected reduction dim 1 to have non-zero size.", () -> e2.amax(1));
        assertIndexError("argmax(): Expected reduction dim 1 to have non-zero size.", () -> e2.argmax(1));
        assertIndexError("max(): Expected reduction dim 0 to have non-zero size.", () -> e.max(0));
        // torch.ones(2, 0).max(0) -> values tensor([]), indices tensor([]); .amax(0) -> tensor([]); softmax(1) -> shape [2, 0]
        assertArrayEquals(new int[] {0}, e2.max(0).values().shape());
        assertArrayEquals(new int[] {0}, e2.max(0).indices().shape());
        assertArrayEquals(new int[] {0}, e2.amax(0).shape());
        assertArrayEquals(new int[] {2, 0}, e2.softmax(1).shape());
        assertArrayEquals(new int[] {0}, e.softmax(0).shape());
    }

    // ---------------------------------------------------------------- overlapping in-place writes, setGrad, where (item 13)

    static final String INTERNAL_OVERLAP = "unsupported operation: more than one element of the written-to tensor refers to a single memory location."
            + " Please clone() the tensor before performing the operation.";
    static final String PARTIAL_OVERLAP = "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location."
            + " Please clone() the tensor before performing the operation.";

    @Test
    void inPlaceWritesIntoAnExpandedTensorRefuse() {
        // torch.ones(3, 1).expand(3, 2).add_(1) -> RuntimeError: unsupported operation: more than one element of the written-to tensor ...
        Tensor base = Tensor.ones(3, 1);
        Tensor e = base.expand(3, 2);
        assertRefuses(INTERNAL_OVERLAP, () -> e.addInPlace(1));
        assertRefuses(INTERNAL_OVERLAP, () -> e.mulInPlace(Tensor.ones(3, 2)));
        assertRefuses(INTERNAL_OVERLAP, () -> e.subInPlace(2));
        assertRefuses(INTERNAL_OVERLAP, () -> e.divInPlace(Tensor.ones(2)));
        assertRefuses(INTERNAL_OVERLAP, () -> e.clampInPlace(0, 0.5));
        assertRefuses(INTERNAL_OVERLAP, () -> e.copyFrom(Tensor.zeros(3, 2)));
        assertArrayEquals(new double[] {1, 1, 1}, base.toDoubleArray(), "nothing written");
        assertEquals(0, base.storageVersion(), "no version bump");
        // the autograd refusal comes first: torch.ones(1, requires_grad=True).expand(3).add_(1)
        // -> RuntimeError: a view of a leaf Variable that requires grad is being used in an in-place operation.
        Tensor leaf = Tensor.ones(1).requiresGrad(true);
        var first = assertThrows(IllegalStateException.class, () -> leaf.expand(3).addInPlace(1));
        assertEquals("a view of a leaf Variable that requires grad is being used in an in-place operation.", first.getMessage());
        try (var off = Grad.disabled()) {   // without grad mode only the overlap is wrong
            assertRefuses(INTERNAL_OVERLAP, () -> leaf.expand(3).addInPlace(1));
        }
        // torch.ones(1).expand(3).zero_() and .fill_(2) are allowed: every element gets the same value
        assertArrayEquals(new double[] {2, 2, 2}, Tensor.ones(1).expand(3).fillInPlace(2).toDoubleArray());
    }

    @Test
    void inPlaceOpsRefuseAnOperandThatPartlyOverlapsTheWrittenTensor() {
        // x = torch.arange(4.).reshape(2, 2); x.add_(x.t()) -> RuntimeError: unsupported operation: some elements of the input tensor ...
        Tensor x = Tensor.arange(4).to(DType.F32).reshape(2, 2);
        assertRefuses(PARTIAL_OVERLAP, () -> x.addInPlace(x.t()));
        assertRefuses(PARTIAL_OVERLAP, () -> x.t().addInPlace(x));
        // x = torch.arange(4.); x[1:].add_(x[:-1]), x[1:].copy_(x[:-1]), x.sub_(x[0]) -> the same
        Tensor v = Tensor.arange(4).to(DType.F32);
        assertRefuses(PARTIAL_OVERLAP, () -> v.slice(0, 1, 4).addInPlace(v.slice(0, 0, 3)));
        assertRefuses(PARTIAL_OVERLAP, () -> v.slice(0, 1, 4).copyFrom(v.slice(0, 0, 3)));
        assertRefuses(PARTIAL_OVERLAP, () -> v.subInPlace(v.select(0, 0)));
        assertArrayEquals(new double[] {0, 1, 2, 3}, v.toDoubleArray(), "nothing written");
        assertArrayEquals(new double[] {0, 1, 2, 3}, x.toDoubleArray(), "nothing written");
        // allowed: the same memory with the same strides (x.add_(x), x.add_(x.detach())), disjoint halves (x[:2].add_(x[2:]) -> [2., 4.]),
        // and layouts PyTorch does not check (x[::2].add_(x[1::2]): [24., 20.] here)
        assertArrayEquals(new double[] {0, 2, 4, 6}, v.addInPlace(v).toDoubleArray());
        assertArrayEquals(new double[] {0, 4, 8, 12}, v.addInPlace(v.detach()).toDoubleArray());
        assertArrayEquals(new double[] {8, 16}, v.slice(0, 0, 2).addInPlace(v.slice(0, 2, 4)).toDoubleArray());
        assertArrayEquals(new double[] {24, 20}, v.slice(0, 0, 4, 2).addInPlace(v.slice(0, 1, 4, 2)).toDoubleArray());
    }

    @Test
    void setGradRefusesAnotherDtypeOrSizeAsPyTorch() {
        // x = torch.ones(3, requires_grad=True); x.grad = torch.ones(3, dtype=torch.float64) -> RuntimeError: assigned grad has data of a different type
        Tensor x = Tensor.ones(3).requiresGrad(true);
        assertRefuses("assigned grad has data of a different type", () -> x.setGrad(Tensor.ones(DType.F64, 3)));
        assertRefuses("assigned grad has data of a different type", () -> x.setGrad(Tensor.ones(DType.I64, 3)));
        assertRefuses("assigned grad has data of a different type", () -> x.setGrad(Tensor.ones(DType.F64, 2)));
        // x.grad = torch.ones(2) -> RuntimeError: assigned grad has data of a different size
        assertRefuses("assigned grad has data of a different size", () -> x.setGrad(Tensor.ones(2)));
        assertRefuses("assigned grad has data of a different size", () -> x.setGrad(Tensor.ones(1, 3)));
        assertNull(x.grad(), "the grad stays unset");
        x.setGrad(Tensor.of(1, 2, 3));
        assertArrayEquals(new double[] {1, 2, 3}, x.grad().toDoubleArray());
    }

    @Test
    void whereRefusesANonBooleanCondition() {
        // torch.where(torch.tensor([1., 0., 1.]), torch.ones(3), torch.zeros(3))
        // -> RuntimeError: where expected condition to be a boolean tensor, but got a tensor with dtype Float
        assertRefuses("where expected condition to be a boolean tensor, but got a tensor with dtype Float",
                () -> Tensor.where(Tensor.of(1, 0, 1), Tensor.ones(3), Tensor.zeros(3)));
        assertRefuses("where expected condition to be a boolean tensor, but got a tensor with dtype Long",
                () -> Tensor.where(longs(1, 0, 1), Tensor.ones(3), Tensor.zeros(3)));
        assertArrayEquals(new double[] {1, 0, 1}, Tensor.where(bools(true, false, true), Tensor.ones(3), Tensor.zeros(3)).toDoubleArray());
        // int64 values pass through where exactly: torch.where(c, torch.tensor([2**53 + 1]), torch.tensor([0])) -> tensor([9007199254740993])
        assertLongs("where of int64", new long[] {(1L << 53) + 1}, Tensor.where(bools(true), longs((1L << 53) + 1), longs(0)));
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
