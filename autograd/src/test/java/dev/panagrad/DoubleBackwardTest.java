package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.autograd.Autograd;
import dev.panagrad.memory.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused ops keep two backward paths: the raw pass of an ordinary backward, and under create_graph the
 * same gradient composed of differentiable ops. {@link GradCheckTest} checks both against finite differences
 * in float64; here, in float32 (the dtype training runs in), the two paths give the same gradients, and the
 * create_graph one is recorded (it has a grad_fn, so a second derivative is not silently zero).
 */
class DoubleBackwardTest {
    interface Op {
        Tensor apply(Tensor[] in);
    }

    static Tensor f32(long seed, int... shape) { return new Generator(seed).uniform(DType.F32, -2, 2, shape).requiresGrad(true); }

    static Stream<Arguments> fusedOps() {
        return Stream.of(
                Arguments.of("gelu", (Op) in -> in[0].gelu(), new Tensor[] {f32(1, 4, 6)}),
                Arguments.of("layerNorm, affine", (Op) in -> in[0].layerNorm(new int[] {6}, in[1], in[2], 1e-5), new Tensor[] {f32(2, 4, 6), f32(3, 6), f32(4, 6)}),
                Arguments.of("attention softmax, causal", (Op) in -> in[0].attentionSoftmax(0.5, true, null), new Tensor[] {f32(5, 2, 4, 4)}),
                Arguments.of("embedding, padding row", (Op) in -> Tensor.embedding(Tensor.fromArray(new long[] {0, 3, 3, 1, 2}, 5), in[0], 1), new Tensor[] {f32(6, 4, 3)}),
                Arguments.of("conv2d, groups 2, stride 2, padding 1", (Op) in -> Tensor.conv2d(in[0], in[1], in[2], new int[] {2}, new int[] {1}, new int[] {1}, 2),
                        new Tensor[] {f32(7, 2, 4, 6, 5), f32(8, 4, 2, 3, 3), f32(9, 4)}),
                Arguments.of("max_pool2d", (Op) in -> in[0].maxPool2d(new int[] {2}, null, new int[] {0}, new int[] {1}), new Tensor[] {f32(10, 2, 3, 6, 4)}),
                Arguments.of("avg_pool2d", (Op) in -> in[0].avgPool2d(new int[] {3}, new int[] {2}, new int[] {1}), new Tensor[] {f32(11, 2, 3, 7, 5)}),
                Arguments.of("adaptive_avg_pool2d", (Op) in -> in[0].adaptiveAvgPool2d(3, 2), new Tensor[] {f32(12, 1, 2, 7, 5)}),
                Arguments.of("batch_norm, training", (Op) in -> Tensor.batchNorm(in[0], null, null, in[1], in[2], true, 0.1, 1e-5),
                        new Tensor[] {f32(13, 4, 3, 2, 2), f32(14, 3), f32(15, 3)}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fusedOps")
    void theRecordedGradientEqualsTheFusedOneAndHasAGraph(String name, Op op, Tensor[] inputs) {
        Tensor out = op.apply(inputs);
        Tensor weights = new Generator(99).uniform(DType.F32, -1, 1, out.shape()).requiresGrad(true);   // so that gradients linear in it are recorded too
        List<Tensor> wrt = new ArrayList<>(Arrays.asList(inputs));
        Tensor[] fused = Autograd.grad(List.of(out), wrt, List.of(weights), true, false, false);
        Tensor[] recorded = Autograd.grad(List.of(out), wrt, List.of(weights), false, true, false);
        for (int i = 0; i < inputs.length; i++) {
            assertNull(fused[i].gradFn(), name + ": an ordinary backward records nothing");
            assertNotNull(recorded[i].gradFn(), name + ": input " + i + "'s create_graph gradient is recorded");
            double[] a = fused[i].toDoubleArray(), b = recorded[i].toDoubleArray();
            assertEquals(a.length, b.length);
            for (int k = 0; k < a.length; k++) {
                assertEquals(a[k], b[k], 2e-5 * Math.max(1, Math.abs(a[k])), name + ": input " + i + ", element " + k);
            }
        }
    }
}
