package dev.panagrad.nn;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;

/** A lookup table of {@code num} vectors of {@code dim}: PyTorch's {@code nn.Embedding}, weight initialised N(0, 1), the padding row (if any) zero. */
public final class Embedding extends Module {
    private final int num, dim;
    private final Integer paddingIdx;
    private final Tensor weight;

    public Embedding(int num, int dim) { this(num, dim, null, DType.F32, Generator.global()); }

    /** {@code paddingIdx} (or null): a row that stays zero and gets no gradient; negative counts from the end. */
    public Embedding(int num, int dim, Integer paddingIdx, DType dtype, Generator generator) {
        if (num <= 0 || dim <= 0) throw new IllegalArgumentException("Embedding(" + num + ", " + dim + "): sizes must be positive");
        if (paddingIdx != null && (paddingIdx >= num || paddingIdx < -num)) throw new IllegalArgumentException("Padding_idx must be within num_embeddings (padding_idx " + paddingIdx + ", num_embeddings " + num + ")");
        this.num = num;
        this.dim = dim;
        this.paddingIdx = paddingIdx == null ? null : paddingIdx < 0 ? paddingIdx + num : paddingIdx;
        Tensor w = generator.randn(dtype, num, dim);
        if (this.paddingIdx != null) w.select(0, this.paddingIdx).zeroInPlace();
        this.weight = registerParameter("weight", Parameter.of(w));
    }

    public Tensor weight() { return weight; }

    /** The rows of the int64 {@code indices} (any shape): shape indices.shape + [dim]. */
    @Override
    public Tensor forward(Tensor indices) { return Tensor.embedding(indices, weight, paddingIdx); }

    @Override
    protected String extraRepr() { return num + ", " + dim + (paddingIdx == null ? "" : ", padding_idx=" + paddingIdx); }
}
