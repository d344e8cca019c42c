package dev.panagrad.examples.tutorial;

import static dev.panagrad.examples.output.Py.bool;

import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.optim.SGD;
import java.io.PrintStream;
import java.util.List;

/** The three pitfalls, each run into on purpose with PyTorch's message, and the debugging tips. */
final class Pitfalls {
    private Pitfalls() {}

    static void forgetZeroGrad(PrintStream out) {
        Tensor x = Tensor.of(1.0).requiresGrad(true);
        SGD optimizer = new SGD(List.of(x), 0.1);
        for (int i = 0; i < 3; i++) {
            Tensor y = x.pow(2);
            y.backward();
            out.println("iteration " + (i + 1) + ": x.grad = " + x.grad());   // 2, 4, 6: forgot zero_grad
        }
        optimizer.zeroGrad();   // the right way (zeroes in place, as torch 1.13)
        out.println("after optimizer.zero_grad(): x.grad = " + x.grad());
    }

    static void inPlace(PrintStream out) {
        Tensor x = Tensor.of(1.0).requiresGrad(true);
        Tensor y = x.pow(2);
        try {
            x.addInPlace(1);   // wrong: x is a leaf that requires grad, and y saved it
            y.backward();
            out.println("no error (unexpected)");
        } catch (RuntimeException e) {
            out.println("RuntimeError: " + e.getMessage());
        }
        Tensor detached = x.detach();   // right: change a detached tensor (it shares x's memory)
        detached.addInPlace(1);
        out.println("x after x.detach().add_(1): " + x);
        try {
            y.backward();   // x's version moved on, so y's saved x is stale
            out.println("no error (unexpected)");
        } catch (RuntimeException e) {
            out.println("and then y.backward(): RuntimeError: " + e.getMessage());
        }
    }

    static void backwardTwice(PrintStream out) {
        Tensor x = Tensor.of(1.0).requiresGrad(true);
        Tensor y = x.pow(2);
        y.backward();
        try {
            y.backward();   // the graph's saved tensors are gone
            out.println("no error (unexpected)");
        } catch (RuntimeException e) {
            out.println("RuntimeError: " + e.getMessage());
        }
        x = Tensor.of(1.0).requiresGrad(true);
        y = x.pow(2);
        y.backward(null, true);   // retain_graph=True
        y.backward();
        out.println("with retain_graph=True both backward calls ran: x.grad = " + x.grad());
    }

    static void debugging(PrintStream out) {
        Tensor x = Tensor.of(1.0).requiresGrad(true);
        Tensor y = x.pow(2);
        out.println("requires_grad: " + bool(y.requiresGrad()));
        out.println("grad_fn: <" + y.gradFn() + ">");
        out.println("is_leaf: " + bool(y.isLeaf()));
        y.backward();
        out.println("grad: " + x.grad());
        // where does a NaN gradient come from? torch.autograd.detect_anomaly(): each node's gradients are checked, and the
        // failing node's forward call is printed (its stack trace, on stderr)
        Tensor z = Tensor.of(0.0, 2.0).requiresGrad(true);
        try (var anomaly = Grad.detectAnomaly()) {   // with torch.autograd.detect_anomaly():
            z.log().mul(0).sum().backward();          //     (z.log() * 0).sum().backward()
        } catch (IllegalStateException e) {
            out.println("anomaly detection: RuntimeError: " + e.getMessage());
        }
    }
}
