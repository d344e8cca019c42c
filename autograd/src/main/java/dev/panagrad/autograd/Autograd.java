package dev.panagrad.autograd;

import dev.panagrad.Tensor;
import dev.panagrad.graph.Engine;
import java.util.Arrays;
import java.util.List;

/**
 * PyTorch's functional {@code torch.autograd.grad}: gradients returned, not accumulated.
 *
 * {@snippet :
 * Tensor x = Tensor.of(DType.F64, 2).requiresGrad(true);
 * Tensor y = x.pow(3);
 * Tensor dy = Autograd.grad(List.of(y), List.of(x), null, true, true, false)[0];   // 3x² = 12, recorded
 * Tensor d2y = Autograd.grad(dy, x)[0];                                              // 6x = 12
 * }
 */
public final class Autograd {
    private Autograd() {}

    /**
     * {@code torch.autograd.grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused)}:
     * the sum over outputs of each output's gradient (weighted by its entry of {@code gradOutputs}; null,
     * or a null entry, for a one-element output) with respect to each input, in the inputs' order. No
     * {@code .grad} changes; only the part of the graph between the outputs and the inputs runs.
     *
     * @param retainGraph keep the graph's saved values for another backward (PyTorch defaults it to createGraph)
     * @param createGraph record the gradients, so they can be differentiated again
     * @param allowUnused an input the outputs do not depend on gets null; without it, PyTorch's error
     * @throws IllegalStateException with PyTorch's messages: an input that does not require grad
     *         ("One of the differentiated Tensors does not require grad"), an unused input, an output
     *         that does not require grad ("element 0 of tensors does not require grad and does not have a grad_fn")
     * @throws IllegalArgumentException a non-scalar output without a gradient
     *         ("grad can be implicitly created only for scalar outputs"), a gradient of the wrong shape
     */
    public static Tensor[] grad(List<Tensor> outputs, List<Tensor> inputs, List<Tensor> gradOutputs,
                                boolean retainGraph, boolean createGraph, boolean allowUnused) {
        return Engine.grad(outputs, inputs, gradOutputs, retainGraph, createGraph, allowUnused).toArray(new Tensor[0]);
    }

    /** The gradient of a one-element {@code output} with respect to {@code inputs}, recorded (create_graph) and the graph kept. */
    public static Tensor[] grad(Tensor output, Tensor... inputs) {
        return grad(List.of(output), Arrays.asList(inputs), null, true, true, false);
    }
}
