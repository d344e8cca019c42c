package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** PyTorch's {@code nn.AvgPool2d(kernel_size, stride=kernel_size, padding=0)}, the zero padding counted in each window's size. */
public final class AvgPool2d extends Module {
    private final int kernel, stride, padding;

    public AvgPool2d(int kernel) { this(kernel, kernel, 0); }

    public AvgPool2d(int kernel, int stride, int padding) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor x) { return x.avgPool2d(new int[] {kernel}, new int[] {stride}, new int[] {padding}); }

    @Override
    protected String extraRepr() { return "kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding; }
}
