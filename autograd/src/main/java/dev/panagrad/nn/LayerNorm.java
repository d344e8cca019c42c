package dev.panagrad.nn;

import dev.panagrad.Tensor;
import dev.panagrad.array.Shape;
import dev.panagrad.memory.DType;

/** PyTorch's {@code nn.LayerNorm(normalized_shape, eps, elementwise_affine)}: weight ones, bias zeros. */
public final class LayerNorm extends Module {
    private final int[] shape;
    private final double eps;
    private final Tensor weight, bias;

    public LayerNorm(int... normalizedShape) { this(normalizedShape, 1e-5, true, DType.F32); }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine, DType dtype) {
        if (normalizedShape.length == 0) throw new IllegalArgumentException("LayerNorm: normalized_shape must not be empty");
        this.shape = normalizedShape.clone();
        this.eps = eps;
        this.weight = elementwiseAffine ? registerParameter("weight", Parameter.of(Tensor.ones(dtype, shape))) : null;
        this.bias = elementwiseAffine ? registerParameter("bias", Parameter.of(Tensor.zeros(dtype, shape))) : null;
    }

    public Tensor weight() { return weight; }

    public Tensor bias() { return bias; }

    @Override
    public Tensor forward(Tensor x) { return x.layerNorm(shape, weight, bias, eps); }

    @Override
    protected String extraRepr() { return "(" + Shape.str(shape).replace("[", "").replace("]", "") + (shape.length == 1 ? "," : "") + "), eps=" + eps + ", elementwise_affine=" + (weight != null ? "True" : "False"); }
}
