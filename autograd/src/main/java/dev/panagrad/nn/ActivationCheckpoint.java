package dev.panagrad.nn;

import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.autograd.Context;
import dev.panagrad.autograd.Function;

/**
 * Activation checkpointing, as {@code torch.utils.checkpoint.checkpoint(module, input)} (the reentrant
 * variant): the forward runs without recording a graph, so none of the module's activations are kept,
 * only its input; backward runs the module's forward again with grad on, then backward through that,
 * which gives the input's gradient and adds the parameters' into their {@code .grad}, the same gradients
 * as without checkpointing. Costs one more forward per module; saves its activations between forward
 * and backward. The module must compute the same thing twice (no dropout or other randomness here).
 */
public final class ActivationCheckpoint {
    private ActivationCheckpoint() {}

    /** {@code module.forward(input)}, its activations recomputed in backward instead of kept. */
    public static Tensor checkpoint(Module module, Tensor input) {
        if (!Grad.isEnabled() || !input.requiresGrad()) return module.forward(input);   // nothing to save: as PyTorch warns and runs it
        return new CheckpointFunction(module).apply(input);
    }

    /** The node PyTorch 1.13 records for it: CheckpointFunctionBackward. */
    private static final class CheckpointFunction extends Function {
        private final Module module;

        CheckpointFunction(Module module) { this.module = module; }

        @Override
        protected Tensor forward(Context ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return module.forward(in[0]);
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor grad) {
            Tensor x = ctx.savedTensors()[0].detach().requiresGrad(true);
            try (var on = Grad.enabled()) {
                Tensor y = module.forward(x);
                y.backward(grad);
            }
            return new Tensor[] {x.grad()};
        }
    }
}
