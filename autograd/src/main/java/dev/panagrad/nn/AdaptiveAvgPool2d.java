package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** PyTorch's {@code nn.AdaptiveAvgPool2d((oh, ow))}: averages windows that cover the input, whatever its size. */
public final class AdaptiveAvgPool2d extends Module {
    private final int oh, ow;

    public AdaptiveAvgPool2d(int size) { this(size, size); }

    public AdaptiveAvgPool2d(int oh, int ow) {
        this.oh = oh;
        this.ow = ow;
    }

    @Override
    public Tensor forward(Tensor x) { return x.adaptiveAvgPool2d(oh, ow); }

    @Override
    protected String extraRepr() { return "output_size=" + (oh == ow ? Integer.toString(oh) : "(" + oh + ", " + ow + ")"); }
}
