package dev.panagrad.nn;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import java.util.List;

/** y = x·Wᵀ + b, weight [out, in], PyTorch's default init: U(−1/√in, 1/√in) for both (kaiming-uniform with a=√5). */
public final class Linear {
    private final Tensor weight;
    private final Tensor bias;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, DType.F32, Generator.global());
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, DType dtype, Generator generator) {
        if (inFeatures <= 0 || outFeatures <= 0) throw new IllegalArgumentException("Linear(" + inFeatures + ", " + outFeatures + "): sizes must be positive");
        double bound = 1 / Math.sqrt(inFeatures);
        this.weight = generator.uniform(dtype, -bound, bound, outFeatures, inFeatures).requiresGrad(true);
        this.bias = bias ? generator.uniform(dtype, -bound, bound, outFeatures).requiresGrad(true) : null;
    }

    public Tensor weight() { return weight; }

    public Tensor bias() { return bias; }

    public Tensor forward(Tensor x) {
        if (x.size(-1) != weight.size(1)) {
            throw new IllegalArgumentException("Linear: input of shape " + dev.panagrad.Shape.str(x.shape()) + " has " + x.size(-1)
                    + " features, the layer takes " + weight.size(1));
        }
        Tensor y = x.matmul(weight.t());
        return bias == null ? y : y.add(bias);
    }

    public List<Tensor> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }
}
