package dev.panagrad.nn;

import dev.panagrad.Generator;
import dev.panagrad.array.Shape;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;

/** y = x·Wᵀ + b, weight [out, in], PyTorch's default init: U(−1/√in, 1/√in) for both (kaiming-uniform with a=√5). */
public final class Linear extends Module {
    private final int inFeatures, outFeatures;
    private final Tensor weight;
    private final Tensor bias;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, DType.F32, Generator.global());
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, DType dtype, Generator generator) {
        if (inFeatures <= 0 || outFeatures <= 0) throw new IllegalArgumentException("Linear(" + inFeatures + ", " + outFeatures + "): sizes must be positive");
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        double bound = 1 / Math.sqrt(inFeatures);
        this.weight = registerParameter("weight", Parameter.of(generator.uniform(dtype, -bound, bound, outFeatures, inFeatures)));
        this.bias = bias ? registerParameter("bias", Parameter.of(generator.uniform(dtype, -bound, bound, outFeatures))) : null;
    }

    public Tensor weight() { return weight; }

    public Tensor bias() { return bias; }

    @Override
    public Tensor forward(Tensor x) {
        if (x.dim() == 0 || x.size(-1) != inFeatures) {
            throw new IllegalArgumentException("Linear: input of shape " + Shape.str(x.shape()) + " must end in " + inFeatures
                    + " features (mat1 and mat2 shapes cannot be multiplied)");
        }
        if (x.dim() == 2 && x.dtype() == weight.dtype()) return Tensor.linear(x, weight, bias, false);   // one GEMM, bias included
        if (x.dim() > 2 && x.isContiguous() && x.dtype() == weight.dtype()) {   // PyTorch's fold of [..., in] into rows: view, addmm, view
            int[] shape = x.shape();
            Tensor rows = x.view(-1, inFeatures);
            Tensor y = Tensor.linear(rows, weight, bias, false);
            shape[shape.length - 1] = outFeatures;
            return y.view(shape);
        }
        Tensor y = x.matmul(weight.t());
        if (bias == null) return y;
        Tensor out = y.add(bias);
        y.dropWhenUnused();   // the product before the bias: nothing saved it, its buffer goes back now
        return out;
    }

    /** relu(forward(x)) for a 2-D x, in one pass over the output (Sequential uses it for Linear then ReLU). */
    public Tensor forwardRelu(Tensor x) {
        if (x.dim() == 2 && x.dtype() == weight.dtype() && x.size(1) == inFeatures) return Tensor.linear(x, weight, bias, true);
        Tensor y = forward(x);
        Tensor out = y.relu();
        y.dropWhenUnused();
        return out;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False");
    }
}
