package dev.panagrad.nn;

import dev.panagrad.Tensor;

/**
 * PyTorch's {@code nn.Parameter}: a leaf tensor that requires grad. Panagrad has one Tensor class, so a
 * parameter is a Tensor made by {@link #of}; {@link Module#registerParameter} is what makes it a
 * module's parameter.
 */
public final class Parameter {
    private Parameter() {}

    /** A leaf sharing {@code data}'s memory, with requires_grad set. */
    public static Tensor of(Tensor data) {
        if (!data.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("Only Tensors of floating point dtype can be parameters, got " + data.dtype().pytorchName());
        }
        return data.detach().requiresGrad(true);
    }
}
