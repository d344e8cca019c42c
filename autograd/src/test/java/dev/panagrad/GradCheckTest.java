package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.autograd.Context;
import dev.panagrad.autograd.Function;
import dev.panagrad.autograd.GradCheck;
import dev.panagrad.memory.DType;
import dev.panagrad.nn.Functional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Every differentiable op against finite differences in float64, on broadcast and non-contiguous inputs. */
class GradCheckTest {
    interface Op {
        Tensor apply(Tensor[] in);
    }

    static Generator gen() { return new Generator(7); }

    /** [3,4] values away from 0 and kinks. */
    static Tensor positive(int... shape) { return gen().uniform(DType.F64, 0.5, 2.0, shape).requiresGrad(true); }

    static Tensor any(int... shape) {
        Tensor t = gen().uniform(DType.F64, 0.2, 1.5, shape);
        Tensor signs = gen().rand(DType.F64, shape).lt(0.5);
        return t.maskedFill(signs, 0).sub(t.mul(signs.to(DType.F64))).detach().requiresGrad(true);   // ±[0.2, 1.5]: no kinks at 0
    }

    /** A leaf [3,4] whose storage is laid out transposed (strides [1, 3]). */
    static Tensor transposed() { return leafOf(any(4, 3).t()); }

    /** A leaf [3,4] over every other column of a [3,8] buffer (strides [8, 2]). */
    static Tensor sliced() { return leafOf(any(3, 8).index(":, ::2")); }

    /** A leaf [3,4] over a [3,1] buffer broadcast (strides [1, 0]). */
    static Tensor expanded() { return leafOf(any(3, 1).expand(3, 4)); }

    /** The same bytes and layout as a leaf of its own: gradcheck differentiates with respect to leaves. */
    private static Tensor leafOf(Tensor view) {
        Tensor t = view.detach().requiresGrad(true);
        assertFalse(t.isContiguous(), "the input is meant to be non-contiguous");
        return t;
    }

    /**
     * [3,4] values below −1, above 1 and between, none within 0.05 of either bound (central differences
     * must not straddle a kink): clamp(−1, 1) passes the gradient inside and stops it outside.
     */
    static Tensor beyondBothBounds() {
        return Tensor.fromArray(DType.F64, new double[] {-1.7, -1.2, -0.6, 0.1, 0.4, 0.9, 1.3, 1.8, -0.3, -1.1, 1.1, 0.75}, 3, 4).requiresGrad(true);
    }

    @Test
    void theClampInputsReachBothBounds() {
        double[] v = beyondBothBounds().toDoubleArray();
        assertTrue(java.util.Arrays.stream(v).anyMatch(x -> x < -1.05) && java.util.Arrays.stream(v).anyMatch(x -> x > 1.05)
                && java.util.Arrays.stream(v).anyMatch(x -> Math.abs(x) < 0.95), "below, above and inside the bounds");
        assertTrue(java.util.Arrays.stream(v).allMatch(x -> Math.abs(Math.abs(x) - 1) > 0.05 && Math.abs(x - 0.25) > 0.05), "no value near a kink");
    }

    static Stream<Arguments> ops() {
        return Stream.of(
                Arguments.of("neg", (Op) in -> in[0].neg(), new Tensor[] {transposed()}),
                Arguments.of("exp", (Op) in -> in[0].exp(), new Tensor[] {sliced()}),
                Arguments.of("log", (Op) in -> in[0].log(), new Tensor[] {leafOf(positive(4, 3).t())}),
                Arguments.of("sqrt", (Op) in -> in[0].sqrt(), new Tensor[] {positive(3, 4)}),
                Arguments.of("abs", (Op) in -> in[0].abs(), new Tensor[] {transposed()}),
                Arguments.of("sin", (Op) in -> in[0].sin(), new Tensor[] {sliced()}),
                Arguments.of("cos", (Op) in -> in[0].cos(), new Tensor[] {expanded()}),
                Arguments.of("tanh", (Op) in -> in[0].tanh(), new Tensor[] {transposed()}),
                Arguments.of("sigmoid", (Op) in -> in[0].sigmoid(), new Tensor[] {sliced()}),
                Arguments.of("relu", (Op) in -> in[0].relu(), new Tensor[] {transposed()}),
                Arguments.of("silu", (Op) in -> in[0].silu(), new Tensor[] {sliced()}),
                Arguments.of("erf", (Op) in -> in[0].erf(), new Tensor[] {transposed()}),
                Arguments.of("clamp, both bounds reached", (Op) in -> in[0].clamp(-1, 1), new Tensor[] {beyondBothBounds()}),
                Arguments.of("clamp of a transposed leaf, both bounds reached", (Op) in -> in[0].clamp(-1, 1), new Tensor[] {leafOf(beyondBothBounds().t())}),
                Arguments.of("clampMin, below and above", (Op) in -> in[0].clampMin(0.25), new Tensor[] {beyondBothBounds()}),
                Arguments.of("clamp max only, below and above", (Op) in -> in[0].clamp(Double.NEGATIVE_INFINITY, 0.25), new Tensor[] {beyondBothBounds()}),
                Arguments.of("add broadcast", (Op) in -> in[0].add(in[1], 2.5), new Tensor[] {transposed(), any(4)}),
                Arguments.of("sub broadcast", (Op) in -> in[0].sub(in[1]), new Tensor[] {any(3, 1), sliced()}),
                Arguments.of("mul broadcast", (Op) in -> in[0].mul(in[1]), new Tensor[] {sliced(), any(1, 4)}),
                Arguments.of("div broadcast", (Op) in -> in[0].div(in[1]), new Tensor[] {transposed(), positive(4)}),
                Arguments.of("pow scalar", (Op) in -> in[0].pow(2.5), new Tensor[] {leafOf(positive(4, 3).t())}),
                Arguments.of("pow tensor", (Op) in -> in[0].pow(in[1]), new Tensor[] {positive(3, 4), any(4)}),
                Arguments.of("scalar ops", (Op) in -> in[0].mul(3).add(1).sub(2).div(4).rsub(1), new Tensor[] {sliced()}),
                Arguments.of("where", (Op) in -> Tensor.where(in[0].detach().gt(0), in[0], in[1]), new Tensor[] {transposed(), any(1, 4)}),
                Arguments.of("maskedFill", (Op) in -> in[0].maskedFill(in[0].detach().lt(0), 0.5), new Tensor[] {sliced()}),
                Arguments.of("sum dims", (Op) in -> in[0].sum(new int[] {0}, true), new Tensor[] {transposed()}),
                Arguments.of("sum all", (Op) in -> in[0].sum(), new Tensor[] {sliced()}),
                Arguments.of("mean dims", (Op) in -> in[0].mean(1), new Tensor[] {expanded()}),
                Arguments.of("mean all", (Op) in -> in[0].mean(), new Tensor[] {transposed()}),
                Arguments.of("max dim", (Op) in -> in[0].max(1).values(), new Tensor[] {transposed()}),
                Arguments.of("amax", (Op) in -> in[0].amax(new int[] {0}, false), new Tensor[] {sliced()}),
                Arguments.of("max all", (Op) in -> in[0].max(), new Tensor[] {transposed()}),
                Arguments.of("softmax", (Op) in -> in[0].softmax(0), new Tensor[] {transposed()}),
                Arguments.of("logSoftmax", (Op) in -> in[0].logSoftmax(1), new Tensor[] {sliced()}),
                Arguments.of("matmul 2D", (Op) in -> in[0].matmul(in[1]), new Tensor[] {transposed(), leafOf(any(5, 4).t())}),
                Arguments.of("matmul 2D.1D", (Op) in -> in[0].matmul(in[1]), new Tensor[] {sliced(), any(4)}),
                Arguments.of("matmul 1D.2D", (Op) in -> in[0].matmul(in[1]), new Tensor[] {any(3), transposed()}),
                Arguments.of("matmul dot", (Op) in -> in[0].matmul(in[1]), new Tensor[] {any(4), leafOf(any(8).index("::2"))}),
                Arguments.of("matmul batched broadcast", (Op) in -> in[0].matmul(in[1]), new Tensor[] {any(2, 3, 4), leafOf(any(5, 4).t())}),
                Arguments.of("matmul batch by batch (bmm), broadcast", (Op) in -> in[0].matmul(in[1]), new Tensor[] {any(2, 3, 4), leafOf(any(1, 2, 4).transpose(1, 2))}),
                Arguments.of("t, transpose, permute", (Op) in -> in[0].t().transpose(0, 1).unsqueeze(0).permute(2, 0, 1), new Tensor[] {sliced()}),
                Arguments.of("view, reshape, flatten", (Op) in -> in[0].view(2, 6).reshape(3, 2, 2).flatten().mul(in[0].flatten()), new Tensor[] {any(3, 4)}),
                Arguments.of("reshape of non-contiguous", (Op) in -> in[0].reshape(12), new Tensor[] {transposed()}),
                Arguments.of("squeeze, unsqueeze", (Op) in -> in[0].unsqueeze(1).squeeze(1).unsqueeze(2).squeeze(), new Tensor[] {transposed()}),
                Arguments.of("expand", (Op) in -> in[0].expand(2, 3, 4), new Tensor[] {any(3, 1)}),
                Arguments.of("slice and select", (Op) in -> in[0].index("1:3, ::2").add(in[0].index("-1").index("::2")), new Tensor[] {transposed()}),
                Arguments.of("gather", (Op) in -> in[0].gather(1, Tensor.fromArray(new long[] {0, 3, 3, 1, 2, 0}, 3, 2)), new Tensor[] {sliced()}),
                Arguments.of("indexSelect", (Op) in -> in[0].indexSelect(1, Tensor.fromArray(new long[] {2, 0, 2}, 3)), new Tensor[] {transposed()}),
                Arguments.of("scatterAdd, a repeated index", (Op) in -> in[0].scatterAdd(1, Tensor.fromArray(new long[] {0, 3, 3, 1, 2, 0}, 3, 2), in[1]), new Tensor[] {sliced(), any(3, 2)}),
                Arguments.of("indexAdd, a repeated index", (Op) in -> in[0].indexAdd(1, Tensor.fromArray(new long[] {2, 0, 2}, 3), in[1]), new Tensor[] {transposed(), leafOf(any(3, 3).t())}),
                Arguments.of("cat", (Op) in -> Tensor.cat(1, in[0], in[1]), new Tensor[] {transposed(), any(3, 2)}),
                Arguments.of("stack", (Op) in -> Tensor.stack(1, in[0], in[1]), new Tensor[] {sliced(), expanded()}),
                Arguments.of("clone, contiguous", (Op) in -> in[0].contiguous().clone(), new Tensor[] {transposed()}),
                Arguments.of("copy_ into a non-leaf, then used with both", (Op) in -> {
                    Tensor y = in[0].mul(1);
                    y.copyFrom(in[1].mul(2));
                    return y.mul(in[0]);
                }, new Tensor[] {transposed(), any(4)}),
                Arguments.of("fill_ of a non-leaf", (Op) in -> {
                    Tensor y = in[0].mul(3);
                    y.fillInPlace(0.5);
                    return y.mul(in[0]);
                }, new Tensor[] {sliced()}),
                Arguments.of("fill_ of a row of a non-leaf (CopySlices)", (Op) in -> {
                    Tensor y = in[0].mul(3);
                    y.index("0").fillInPlace(0.5);
                    return y.mul(in[0]);
                }, new Tensor[] {sliced()}),
                Arguments.of("linear (x·Wᵀ + b, fused)", (Op) in -> Tensor.linear(in[0], in[1], in[2], false), new Tensor[] {any(5, 4), any(3, 4), any(3)}),
                Arguments.of("linear + relu, transposed x and W", (Op) in -> Tensor.linear(in[0], in[1], in[2], true), new Tensor[] {transposed(), transposed(), any(3)}),
                Arguments.of("linear without bias, relu", (Op) in -> Tensor.linear(in[0], in[1], null, true), new Tensor[] {sliced(), leafOf(any(4, 2).t())}),
                Arguments.of("bmm, a transposed batch", (Op) in -> in[0].bmm(in[1]), new Tensor[] {any(2, 3, 4), leafOf(any(2, 5, 4).transpose(1, 2))}),
                Arguments.of("matmul 4-D (heads), one strided-batched GEMM", (Op) in -> in[0].matmul(in[1].transpose(-2, -1)), new Tensor[] {any(2, 2, 3, 4), any(2, 1, 3, 4)}),
                Arguments.of("embedding, rows repeat (the padding row, whose gradient is 0 by design, in the golden case)", (Op) in -> Tensor.embedding(Tensor.fromArray(new long[] {0, 2, 2, 0, 0, 2}, 2, 3), in[0], 1), new Tensor[] {sliced()}),
                Arguments.of("index by an int64 tensor, negative wraps", (Op) in -> in[0].index(Tensor.fromArray(new long[] {2, -1, 0, 2}, 2, 2)), new Tensor[] {transposed()}),
                Arguments.of("indexPut, broadcast values", (Op) in -> in[0].indexPut(Tensor.fromArray(new long[] {-1, 0}, 2), in[1], false), new Tensor[] {transposed(), any(4)}),
                Arguments.of("indexPut, accumulate, rows repeat", (Op) in -> in[0].indexPut(Tensor.fromArray(new long[] {1, 1, 0}, 3), in[1], true), new Tensor[] {sliced(), any(3, 1)}),
                Arguments.of("gelu", (Op) in -> in[0].gelu(), new Tensor[] {sliced()}),
                Arguments.of("gelu beyond the series (|x| > 2.5)", (Op) in -> in[0].mul(3).gelu(), new Tensor[] {transposed()}),
                Arguments.of("layerNorm with weight and bias", (Op) in -> in[0].layerNorm(new int[] {4}, in[1], in[2], 1e-5), new Tensor[] {transposed(), any(4), any(4)}),
                Arguments.of("layerNorm over two dims, no affine", (Op) in -> in[0].layerNorm(new int[] {3, 4}, null, null, 1e-3), new Tensor[] {expanded()}),
                Arguments.of("attention softmax, causal", (Op) in -> in[0].reshape(2, 3, 2).matmul(in[0].reshape(2, 2, 3)).attentionSoftmax(0.7, true, null), new Tensor[] {sliced()}),
                Arguments.of("attention softmax, boolean mask", (Op) in -> in[0].attentionSoftmax(1.5, false, Tensor.fromArray(new long[] {1, 0, 1, 1}, 4).eq(1)), new Tensor[] {transposed()}),
                Arguments.of("scaled dot-product attention, causal, heads", (Op) in -> Tensor.scaledDotProductAttention(in[0], in[1], in[2], null, true, 0),
                        new Tensor[] {any(2, 2, 3, 4), leafOf(any(2, 2, 4, 3).transpose(-2, -1)), any(2, 2, 3, 5)}),
                Arguments.of("cross entropy", (Op) in -> Functional.crossEntropy(in[0], Tensor.fromArray(new long[] {1, 0, 3}, 3)), new Tensor[] {sliced()}),
                Arguments.of("mse", (Op) in -> Functional.mseLoss(in[0], in[1]), new Tensor[] {transposed(), sliced()}),
                // convolutional networks (issue 13): channels-last (permuted) or transposed leaves
                Arguments.of("conv2d, groups 2, stride, padding, dilation, non-square kernel, channels-last input",
                        (Op) in -> Tensor.conv2d(in[0], in[1], in[2], new int[] {2, 1}, new int[] {1, 2}, new int[] {1, 2}, 2),
                        new Tensor[] {leafOf(any(2, 5, 6, 4).permute(0, 3, 1, 2)), any(4, 2, 3, 2), any(4)}),
                Arguments.of("conv2d 3x3 padding 1, no bias, batch 1", (Op) in -> Tensor.conv2d(in[0], in[1], null, new int[] {1}, new int[] {1}, new int[] {1}, 1),
                        new Tensor[] {any(1, 2, 4, 5), leafOf(any(3, 2, 2, 3).transpose(2, 3))}),
                Arguments.of("conv1d stride 2 padding 1", (Op) in -> Tensor.conv1d(in[0], in[1], in[2], 2, 1, 1, 1), new Tensor[] {any(2, 3, 7), any(2, 3, 3), any(2)}),
                Arguments.of("max_pool2d 3x2, stride, padding, dilation, transposed input",
                        (Op) in -> in[0].maxPool2d(new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 1}, new int[] {1, 2}), new Tensor[] {leafOf(any(2, 2, 6, 7).transpose(2, 3))}),
                Arguments.of("avg_pool2d 3x3 stride 2 padding 1", (Op) in -> in[0].avgPool2d(new int[] {3}, new int[] {2}, new int[] {1}), new Tensor[] {leafOf(any(1, 2, 6, 7).transpose(2, 3))}),
                Arguments.of("adaptive_avg_pool2d 7x5 -> 3x2", (Op) in -> in[0].adaptiveAvgPool2d(3, 2), new Tensor[] {any(2, 2, 7, 5)}),
                Arguments.of("batch_norm training, affine, running stats updated", (Op) in -> Tensor.batchNorm(in[0], Tensor.zeros(DType.F64, 3), Tensor.ones(DType.F64, 3),
                        in[1], in[2], true, 0.1, 1e-5), new Tensor[] {leafOf(any(4, 2, 3, 3).permute(0, 3, 1, 2)), any(3), any(3)}),
                Arguments.of("batch_norm eval, running stats", (Op) in -> Tensor.batchNorm(in[0], Tensor.of(DType.F64, 0.5, -0.25, 0.125), Tensor.of(DType.F64, 1.5, 0.75, 2),
                        in[1], in[2], false, 0.1, 1e-5), new Tensor[] {transposedRows(), any(3), any(3)}),
                Arguments.of("dropout p=0.5, a seeded mask", (Op) in -> in[0].dropout(0.5, true, new Generator(3)), new Tensor[] {sliced()}),
                Arguments.of("leaky_relu", (Op) in -> in[0].leakyRelu(0.1), new Tensor[] {transposed()}));
    }

    /** A leaf [4, 3] laid out transposed: a batch of 4 rows of 3 channels. */
    static Tensor transposedRows() { return leafOf(any(3, 4).t()); }

    /**
     * Rows through a float32 intermediate: finite differences of a value rounded to float32 need a step
     * far above float32's spacing (1e-3 here, so the rounding adds at most ~1e-4 relative), and the
     * looser tolerance that goes with it.
     */
    static Stream<Arguments> throughFloat32() {
        return Stream.of(
                Arguments.of("to float32 and back", (Op) in -> in[0].to(DType.F32).mul(in[0].to(DType.F32)).to(DType.F64), new Tensor[] {transposed()}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("throughFloat32")
    void analyticalGradientsThroughFloat32MatchFiniteDifferences(String name, Op op, Tensor[] inputs) {
        assertTrue(GradCheck.gradcheck(op::apply, inputs, 1e-3, 1e-3, 1e-3), name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void analyticalGradientsMatchFiniteDifferences(String name, Op op, Tensor[] inputs) {
        assertTrue(GradCheck.gradcheck(op::apply, inputs, 1e-6, 1e-7, 1e-5), name);
    }

    /**
     * gradgradcheck on every row: each backward formula, run with create_graph, is itself differentiated
     * and checked against finite differences of the first derivatives (PyTorch's default tolerances).
     * All of these ops are twice differentiable in PyTorch 1.13, so every row must pass. No row is exempt:
     * the fused kernels (embedding, index, index_put, gelu, layer_norm, the attention softmax, conv, pooling,
     * batch_norm) return their gradients composed of ops under create_graph, and none throws PyTorch's
     * "the derivative for '...' is not implemented." instead.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void secondDerivativesMatchFiniteDifferencesOfFirstOnes(String name, Op op, Tensor[] inputs) {
        assertTrue(GradCheck.gradgradcheck(op::apply, inputs, 1e-6, 1e-5, 1e-3), name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("throughFloat32")
    void secondDerivativesThroughFloat32MatchFiniteDifferences(String name, Op op, Tensor[] inputs) {
        assertTrue(GradCheck.gradgradcheck(op::apply, inputs, 1e-3, 1e-3, 1e-3), name);
    }

    /**
     * gradcheck compares derivatives only, and its finite differences run on contiguous copies: a forward
     * that is wrong on a transposed, strided or expanded leaf would pass it. So: the forward on those
     * layouts equals the forward on contiguous copies of the same values (which the golden cases hold to
     * PyTorch's numbers).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("ops")
    void forwardOnStridedInputsEqualsForwardOnContiguousCopies(String name, Op op, Tensor[] inputs) {
        Tensor[] copies = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            copies[i] = Tensor.fromArray(inputs[i].dtype(), inputs[i].toDoubleArray(), inputs[i].shape());
            assertTrue(copies[i].isContiguous());
        }
        try (var off = Grad.disabled()) {
            Tensor strided = op.apply(inputs), contiguous = op.apply(copies);
            assertArrayEquals(contiguous.shape(), strided.shape(), name + ": shape");
            double[] want = contiguous.toDoubleArray(), got = strided.toDoubleArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-13 * Math.max(1, Math.abs(want[i])), name + ": element " + i + " of the forward on the non-contiguous inputs");
            }
        }
    }

    @Test
    void aWrongGradientIsReportedAtItsWorstElement() {
        Function wrong = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                ctx.saveForBackward(in[0]);
                return in[0].mul(in[0]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor grad) {
                return new Tensor[] {grad.mul(ctx.savedTensors()[0]).mul(3)};   // should be 2x
            }
        };
        Tensor x = Tensor.of(DType.F64, 1, -2, 0.5).requiresGrad(true);
        var e = assertThrows(GradCheck.GradcheckError.class, () -> GradCheck.gradcheck(in -> wrong.apply(in[0]), x));
        assertTrue(e.getMessage().contains("worst at input element [1], output element [1]: analytical -6.0 vs numerical -4.0"), e.getMessage());
    }

    @Test
    void gradgradcheckCatchesABackwardThatIsRightOnceButNotDifferentiable() {
        Function squareWithDetachedSave = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                ctx.saveForBackward(in[0]);
                return in[0].mul(in[0]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor grad) {
                return new Tensor[] {grad.mul(ctx.savedTensors()[0].detach()).mul(2)};   // the first derivative is right; its own derivative in x is lost
            }
        };
        Tensor x = Tensor.of(DType.F64, 1, -2, 0.5).requiresGrad(true);
        assertTrue(GradCheck.gradcheck(in -> squareWithDetachedSave.apply(in[0]), x));
        var e = assertThrows(GradCheck.GradcheckError.class, () -> GradCheck.gradgradcheck(in -> squareWithDetachedSave.apply(in[0]), x));
        assertTrue(e.getMessage().contains("with respect to input 0"), e.getMessage());
    }

    @Test
    void aOnceDifferentiableBackwardRefusesASecondDerivativeWithPyTorchsMessage() {
        // class Sq(Function): backward marked @once_differentiable; g, = grad(Sq.apply(x), x, v, create_graph=True) with v requiring grad
        // g.grad_fn -> <Error>; g.sum().backward() -> RuntimeError: trying to differentiate twice a function that was marked with @once_differentiable
        Function sq = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                ctx.saveForBackward(in[0]);
                return in[0].mul(in[0]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor grad) {
                return new Tensor[] {grad.mul(ctx.savedTensors()[0]).mul(2)};
            }

            @Override
            protected boolean onceDifferentiable() { return true; }
        };
        Tensor x = Tensor.of(DType.F64, 1.5, 2).requiresGrad(true), v = Tensor.ones(DType.F64, 2).requiresGrad(true);
        Tensor g = dev.panagrad.autograd.Autograd.grad(java.util.List.of(sq.apply(x)), java.util.List.of(x), java.util.List.of(v), true, true, false)[0];
        assertArrayEquals(new double[] {3, 4}, g.toDoubleArray());
        assertEquals("Error", g.gradFn().name());
        var e = assertThrows(IllegalStateException.class, () -> g.sum().backward());
        assertEquals(Function.ONCE_DIFFERENTIABLE, e.getMessage());
        // with a seed that does not require grad the result is plain, as PyTorch's: no grad_fn
        Tensor plain = dev.panagrad.autograd.Autograd.grad(sq.apply(x).sum(), x)[0];
        assertFalse(plain.requiresGrad());
    }

    @Test
    void floatInputsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> GradCheck.gradcheck(in -> in[0].exp(), Tensor.of(1).requiresGrad(true)));
        assertTrue(e.getMessage().contains("float32"), e.getMessage());
    }
}
