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

    /** PyTorch's message when a gradient made by a {@link #onceDifferentiable} backward is differentiated. */
    public static final String ONCE_DIFFERENTIABLE = "trying to differentiate twice a function that was marked with @once_differentiable";

    /**
     * PyTorch's {@code @once_differentiable}: true when {@link #backward} is not itself differentiable (it
     * uses raw values). Under create_graph it then runs without grad, and when the incoming gradient
     * requires grad each gradient it returns gets an {@code Error} node: differentiating through it
     * throws {@link #ONCE_DIFFERENTIABLE}, instead of giving a silently wrong second derivative.
     */
    protected boolean onceDifferentiable() { return false; }

    private Tensor[] backwardOnce(Context ctx, Tensor grad) {
        Tensor[] grads;
        try (var off = Grad.disabled()) {
            grads = backward(ctx, grad);
            for (int i = 0; i < grads.length; i++) if (grads[i] != null && grads[i].requiresGrad()) grads[i] = grads[i].detach().clone();
        }
        if (!grad.requiresGrad()) return grads;
        for (Tensor g : grads) {
            if (g != null) g.record("Error", new Tensor[] {grad}, null, (n, gg) -> { throw new IllegalStateException(ONCE_DIFFERENTIABLE); });
        }
        return grads;
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
            Tensor[] grads = onceDifferentiable() && Grad.isEnabled() ? backwardOnce(ctx, g) : backward(ctx, g);
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
