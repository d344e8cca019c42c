package dev.panagrad.nn;

import dev.panagrad.Tensor;

/** PyTorch's {@code nn.MaxPool2d(kernel_size, stride=kernel_size, padding=0, dilation=1)}; the gradient of a window goes to its first maximum. */
public final class MaxPool2d extends Module {
    private final int kernel, stride, padding, dilation;

    public MaxPool2d(int kernel) { this(kernel, kernel, 0, 1); }

    public MaxPool2d(int kernel, int stride, int padding, int dilation) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
    }

    @Override
    public Tensor forward(Tensor x) { return x.maxPool2d(new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {dilation}); }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ", dilation=" + dilation + ", ceil_mode=False";
    }
}
