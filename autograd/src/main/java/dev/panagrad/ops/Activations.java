package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.save;
import static dev.panagrad.ops.Ops.zip;

import dev.panagrad.array.Elementwise;
import dev.panagrad.kernel.BinaryOp;
import dev.panagrad.ops.Ops.Op;

/** Activations with a parameter: {@code F.leaky_relu}. (tanh, sigmoid, silu, relu and softmax are element-wise or reduction ops of their families.) */
public final class Activations {
    private Activations() {}

    /** x where x > 0, else slope·x; d/dx = 1 where x > 0, else slope (so slope at 0, as PyTorch's). */
    @Op("LeakyReluBackward0")
    public static <T extends Operand<T>> T leakyRelu(T x, double slope) {
        if (!x.dtype().isFloatingPoint()) throw new IllegalArgumentException("\"leaky_relu_cpu\" not implemented for '" + Ops.typeName(x.dtype()) + "'");
        T positive = zip(BinaryOp.GT, x, 0.0), scaled = zip(BinaryOp.MUL, x, slope);
        T out = Elementwise.where(positive, x, scaled, x.shape(), x.dtype(), x.factory());
        positive.dropWhenUnused();
        scaled.dropWhenUnused();
        return apply("LeakyReluBackward0", out, in(x), save(x), (n, g) -> {
            T pos = Pointwise.gt(n.saved(0), 0.0);
            return grads(Pointwise.where(pos, g, Pointwise.mul(g, slope)));
        });
    }
}
