package dev.panagrad.nn;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;

/**
 * A 2-D convolution layer, PyTorch's {@code nn.Conv2d}: weight [out, in/groups, kh, kw] and bias [out],
 * both initialised U(−1/√fan_in, 1/√fan_in) with fan_in = in/groups·kh·kw (PyTorch's kaiming-uniform
 * with a = √5). Input [N, C, H, W] or an unbatched [C, H, W], as PyTorch 1.13 accepts.
 */
public final class Conv2d extends Module {
    private final int in, out, groups;
    private final int[] kernel, stride, padding, dilation;
    private final Tensor weight, bias;

    /** A k×k kernel, stride 1, no padding, bias, float32, the global generator. */
    public Conv2d(int in, int out, int k) {
        this(in, out, new int[] {k, k}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1, true, DType.F32, Generator.global());
    }

    /** A k×k kernel with the given padding (stride 1), bias, float32, drawn from {@code generator}. */
    public Conv2d(int in, int out, int k, int padding, Generator generator) {
        this(in, out, new int[] {k, k}, new int[] {1, 1}, new int[] {padding, padding}, new int[] {1, 1}, 1, true, DType.F32, generator);
    }

    public Conv2d(int in, int out, int[] kernel, int[] stride, int[] padding, int[] dilation, int groups, boolean bias, DType dtype, Generator generator) {
        if (groups <= 0) throw new IllegalArgumentException("groups must be a positive integer");
        if (in % groups != 0) throw new IllegalArgumentException("in_channels must be divisible by groups");
        if (out % groups != 0) throw new IllegalArgumentException("out_channels must be divisible by groups");
        this.in = in;
        this.out = out;
        this.groups = groups;
        this.kernel = pair(kernel);
        this.stride = pair(stride);
        this.padding = pair(padding);
        this.dilation = pair(dilation);
        double bound = 1 / Math.sqrt((double) in / groups * this.kernel[0] * this.kernel[1]);
        this.weight = registerParameter("weight", Parameter.of(generator.uniform(dtype, -bound, bound, out, in / groups, this.kernel[0], this.kernel[1])));
        this.bias = bias ? registerParameter("bias", Parameter.of(generator.uniform(dtype, -bound, bound, out))) : null;
    }

    static int[] pair(int[] v) { return v.length == 1 ? new int[] {v[0], v[0]} : v.clone(); }

    public Tensor weight() { return weight; }

    public Tensor bias() { return bias; }

    @Override
    public Tensor forward(Tensor x) { return Tensor.conv2d(x, weight, bias, stride, padding, dilation, groups); }

    @Override
    protected String extraRepr() {
        StringBuilder s = new StringBuilder().append(in).append(", ").append(out).append(", kernel_size=").append(tuple(kernel)).append(", stride=").append(tuple(stride));
        if (padding[0] != 0 || padding[1] != 0) s.append(", padding=").append(tuple(padding));
        if (dilation[0] != 1 || dilation[1] != 1) s.append(", dilation=").append(tuple(dilation));
        if (groups != 1) s.append(", groups=").append(groups);
        if (bias == null) s.append(", bias=False");
        return s.toString();
    }

    static String tuple(int[] v) { return "(" + v[0] + ", " + v[1] + ")"; }
}
