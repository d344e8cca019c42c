package dev.panagrad.autograd;

import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.graph.Node;

/**
 * A custom differentiable operation, PyTorch's {@code torch.autograd.Function}:
 *
 * {@snippet :
 * class MyReLU extends Function {
 *     protected Tensor forward(Context ctx, Tensor... in) {
 *         ctx.saveForBackward(in[0]);
 *         return in[0].clamp(0, Double.POSITIVE_INFINITY);
 *     }
 *     protected Tensor[] backward(Context ctx, Tensor grad) {
 *         Tensor input = ctx.savedTensors()[0];
 *         Tensor gradInput = grad.clone();
 *         gradInput.maskedFillInPlace(input.lt(0), 0);
 *         return new Tensor[] {gradInput};
 *     }
 * }
 * Tensor y = new MyReLU().apply(x);   // y.gradFn(): MyReLUBackward
 * }
 *
 * forward runs with grad disabled; backward returns one gradient per input (null where none).
 * Buffers that backward leases and does not return are temporaries: the engine gives them back to
 * the pool as soon as backward returns, so keep nothing it made beyond the call.
 */
public abstract class Function {
    protected abstract Tensor forward(Context ctx, Tensor... inputs);

    protected abstract Tensor[] backward(Context ctx, Tensor grad);

    /** The grad_fn name: the class's simple name + "Backward", as PyTorch names custom functions. */
    protected String nodeName() {
        String n = getClass().getSimpleName();
        return (n.isEmpty() ? "Function" : n) + "Backward";
    }

    public final Tensor apply(Tensor... inputs) {
        boolean[] needs = new boolean[inputs.length];
        boolean any = false;
        for (int i = 0; i < inputs.length; i++) {
            needs[i] = Grad.isEnabled() && inputs[i] != null && inputs[i].requiresGrad();
            any |= needs[i];
        }
        Context ctx = new Context(needs);
        Tensor out;
        try (var off = Grad.disabled()) {
            out = forward(ctx, inputs);
        }
        for (Tensor in : inputs) {
            if (out == in) out = out.detach();   // forward returned an input: give the output its own identity
        }
        if (!any) return out;
        Node<Tensor> node = out.record(nodeName(), inputs, ctx.toSave(), (n, g) -> {
            Tensor[] grads = backward(ctx, g);
            if (grads.length != inputs.length) {
                throw new IllegalStateException(nodeName() + ": function backward returned an incorrect number of gradients (expected "
                        + inputs.length + ", got " + grads.length + ")");
            }
            return grads;
        });
        ctx.bind(node);
        return out;
    }
}
