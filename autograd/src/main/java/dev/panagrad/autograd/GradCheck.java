package dev.panagrad.autograd;

import dev.panagrad.Grad;
import dev.panagrad.array.Shape;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Compares the analytical Jacobian (from backward, one output element at a time) with a numerical
 * one (central differences), PyTorch's {@code torch.autograd.gradcheck}. Use float64 inputs.
 */
public final class GradCheck {
    private GradCheck() {}

    /** The check failed; the message gives the worst element, analytical against numerical. */
    public static final class GradcheckError extends AssertionError {
        GradcheckError(String message) {
            super(message);
        }
    }

    /**
     * Checks {@code fn} at {@code inputs}; each input that requires grad is checked.
     *
     * @return true when every element satisfies |analytical − numerical| ≤ atol + rtol·|numerical|
     * @throws GradcheckError naming the worst element otherwise
     */
    public static boolean gradcheck(Function<Tensor[], Tensor> fn, Tensor[] inputs, double eps, double atol, double rtol) {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].requiresGrad() && !inputs[i].isLeaf()) {
                throw new IllegalArgumentException("gradcheck: input " + i + " is not a leaf (grad_fn " + inputs[i].gradFn()
                        + "); pass x.detach().requiresGrad(true), which keeps its layout");
            }
            if (inputs[i].requiresGrad() && inputs[i].dtype() != DType.F64) {
                throw new IllegalArgumentException("gradcheck: input " + i + " is " + inputs[i].dtype().pytorchName()
                        + "; finite differences need float64 inputs to be meaningful");
            }
        }
        Tensor out0;
        try (var off = Grad.disabled()) {
            out0 = fn.apply(inputs);
        }
        int outN = Math.toIntExact(out0.numel());
        int[] outShape = out0.shape();
        for (int in = 0; in < inputs.length; in++) {
            Tensor x = inputs[in];
            if (!x.requiresGrad()) continue;
            int n = Math.toIntExact(x.numel());
            double[][] numerical = numerical(fn, inputs, in, eps, outN);
            double[][] analytical = new double[n][outN];
            for (int o = 0; o < outN; o++) {
                for (Tensor t : inputs) if (t.requiresGrad()) t.setGrad(null);
                Tensor out = fn.apply(inputs);
                if (!out.requiresGrad()) {
                    throw new GradcheckError("gradcheck: the output does not require grad; no input that requires grad reaches it");
                }
                double[] onehot = new double[outN];
                onehot[o] = 1;
                out.backward(Tensor.fromArray(out.dtype(), onehot, outShape));
                double[] g = x.grad() == null ? new double[n] : x.grad().toDoubleArray();
                for (int j = 0; j < n; j++) analytical[j][o] = g[j];
            }
            for (Tensor t : inputs) if (t.requiresGrad()) t.setGrad(null);
            double worst = -1;
            int wj = 0, wo = 0;
            boolean ok = true;
            for (int j = 0; j < n; j++) {
                for (int o = 0; o < outN; o++) {
                    double a = analytical[j][o], num = numerical[j][o];
                    double diff = Math.abs(a - num);
                    boolean good = diff <= atol + rtol * Math.abs(num) || (Double.isNaN(a) && Double.isNaN(num));
                    if (!good && (ok || diff > worst)) {
                        worst = diff;
                        wj = j;
                        wo = o;
                    }
                    ok &= good;
                }
            }
            if (!ok) {
                throw new GradcheckError("Jacobian mismatch for output 0 with respect to input " + in + ": worst at input element "
                        + Arrays.toString(unravel(wj, x.shape())) + ", output element " + Arrays.toString(unravel(wo, outShape))
                        + ": analytical " + analytical[wj][wo] + " vs numerical " + numerical[wj][wo] + " (|difference| " + worst
                        + " > atol " + atol + " + rtol " + rtol + " * |numerical|); input shape " + Shape.str(x.shape()));
            }
        }
        return true;
    }

    public static boolean gradcheck(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        return gradcheck(fn, inputs, 1e-6, 1e-5, 1e-3);
    }

    /**
     * PyTorch's {@code gradgradcheck}: second derivatives against finite differences of first ones. The
     * function checked is {@code (inputs, v) ↦ ∂⟨fn(inputs), v⟩/∂inputs} (computed with
     * {@link Autograd#grad} and create_graph, the gradients of every input that requires grad, flattened
     * and joined), with respect to the inputs and to {@code v} (random, fixed seed, float64, shaped like
     * fn's output); so it checks that each backward formula is itself differentiable and right.
     */
    public static boolean gradgradcheck(Function<Tensor[], Tensor> fn, Tensor[] inputs, double eps, double atol, double rtol) {
        Tensor out0;
        try (var off = Grad.disabled()) {
            out0 = fn.apply(inputs);
        }
        boolean[] differentiable = new boolean[inputs.length];
        for (int i = 0; i < inputs.length; i++) differentiable[i] = inputs[i].requiresGrad();
        Tensor v = new dev.panagrad.Generator(1234).uniform(DType.F64, -1, 1, out0.shape()).requiresGrad(true);
        Tensor[] all = Arrays.copyOf(inputs, inputs.length + 1);
        all[inputs.length] = v;
        Function<Tensor[], Tensor> firstDerivative = in -> {
            try (var on = Grad.enabled()) {
                Tensor[] xs = new Tensor[inputs.length];
                java.util.List<Tensor> wrt = new java.util.ArrayList<>();
                for (int i = 0; i < xs.length; i++) {   // finite differences pass fresh copies: make them leaves again
                    xs[i] = differentiable[i] && !in[i].requiresGrad() ? in[i].detach().requiresGrad(true) : in[i];
                    if (differentiable[i]) wrt.add(xs[i]);
                }
                Tensor go = in[inputs.length].requiresGrad() ? in[inputs.length] : in[inputs.length].detach().requiresGrad(true);
                Tensor out = fn.apply(xs);
                Tensor[] grads = Autograd.grad(java.util.List.of(out), wrt, java.util.List.of(go), true, true, true);
                Tensor[] flat = new Tensor[grads.length];
                for (int i = 0; i < grads.length; i++) {
                    Tensor g = grads[i] == null ? Tensor.zeros(DType.F64, wrt.get(i).shape()) : grads[i];   // unused: zeros, as PyTorch's
                    flat[i] = g.reshape(-1);
                }
                Tensor joined = Tensor.cat(0, flat);
                // an output that does not depend on the inputs (a linear op's gradient w.r.t. itself): still a graph to v
                return joined.requiresGrad() ? joined : joined.add(go.sum().mul(0));
            }
        };
        return gradcheck(firstDerivative, all, eps, atol, rtol);
    }

    public static boolean gradgradcheck(Function<Tensor[], Tensor> fn, Tensor... inputs) {
        return gradgradcheck(fn, inputs, 1e-6, 1e-5, 1e-3);
    }

    private static double[][] numerical(Function<Tensor[], Tensor> fn, Tensor[] inputs, int which, double eps, int outN) {
        Tensor x = inputs[which];
        double[] base = x.toDoubleArray();
        double[][] jac = new double[base.length][];
        try (var off = Grad.disabled()) {
            for (int j = 0; j < base.length; j++) {
                double[] plus = evaluate(fn, inputs, which, base, j, base[j] + eps);
                double[] minus = evaluate(fn, inputs, which, base, j, base[j] - eps);
                jac[j] = new double[outN];
                for (int o = 0; o < outN; o++) jac[j][o] = (plus[o] - minus[o]) / (2 * eps);
            }
        }
        return jac;
    }

    private static double[] evaluate(Function<Tensor[], Tensor> fn, Tensor[] inputs, int which, double[] base, int j, double value) {
        double[] v = base.clone();
        v[j] = value;
        Tensor[] args = inputs.clone();
        args[which] = Tensor.fromArray(inputs[which].dtype(), v, inputs[which].shape());
        return fn.apply(args).toDoubleArray();
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % Math.max(1, shape[d]);
            flat /= Math.max(1, shape[d]);
        }
        return idx;
    }
}
