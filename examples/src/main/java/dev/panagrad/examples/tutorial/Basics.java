package dev.panagrad.examples.tutorial;

import static dev.panagrad.examples.output.Py.repr;

import dev.panagrad.Tensor;
import dev.panagrad.examples.output.Py;
import java.io.PrintStream;

/** Autograd basics, the graph, and gradients of scalar, non-scalar and several-variable functions. */
final class Basics {
    private Basics() {}

    static void quick(PrintStream out) {
        Tensor x = Tensor.of(2.0).requiresGrad(true);   // 1. a tensor that requires grad
        Tensor y = x.pow(2);                            // 2. forward: y = x²
        Tensor z = y.mul(2).add(3);                     //    z = 2x² + 3
        z.backward();                                   // 3. backward
        out.println("x = " + repr(x.item()));           // 4. the gradient
        out.println("z = " + repr(z.item()));
        out.println("dz/dx = " + repr(x.grad().item()) + "   (theory: 4x = 8)");
    }

    static void graph(PrintStream out) {
        Tensor x = Tensor.of(3.0).requiresGrad(true);
        Tensor y = x.pow(2);
        Tensor z = y.add(5);
        Tensor w = z.mul(2);
        out.println("w.grad_fn: " + w.gradFn());
        out.println("z.grad_fn: " + z.gradFn());
        out.println("y.grad_fn: " + y.gradFn());
        out.println("x.grad_fn: " + (x.gradFn() == null ? "None" : x.gradFn()));
        // the tutorial's drawing: dw/dz = 2, dw/dy = 2, dw/dx = 12
        z.retainGrad();
        y.retainGrad();
        w.backward();
        out.println("values: x = " + repr(x.item()) + ", y = " + repr(y.item()) + ", z = " + repr(z.item()) + ", w = " + repr(w.item()));
        out.println("dw/dw = 1, dw/dz = " + repr(z.grad().item()) + ", dw/dy = " + repr(y.grad().item()) + ", dw/dx = " + repr(x.grad().item()));
    }

    static void leaves(PrintStream out) {
        Tensor x = Tensor.of(1.0).requiresGrad(true);
        Tensor y = x.add(2);
        Tensor z = y.pow(2);
        out.println("x.is_leaf: " + py(x.isLeaf()));
        out.println("y.is_leaf: " + py(y.isLeaf()));
        out.println("z.is_leaf: " + py(z.isLeaf()));
        z.backward();
        out.println("x.grad: " + x.grad());
        out.println("y.grad: " + (y.grad() == null ? "None" : y.grad()));   // PyTorch warns on stderr here too

        x = Tensor.of(1.0).requiresGrad(true);
        y = x.add(2);
        y.retainGrad();
        z = y.pow(2);
        z.backward();
        out.println("y.grad after retain_grad: " + y.grad());
    }

    static void scalar(PrintStream out) {
        Tensor x = Tensor.of(2.0, 3.0).requiresGrad(true);
        Tensor y = x.pow(2).sum();   // y = x₁² + x₂²
        y.backward();
        out.println("x: " + x);
        out.println("y: " + y);
        out.println("x.grad: " + x.grad() + "   (2x₁ = 4, 2x₂ = 6)");
    }

    static void nonScalar(PrintStream out) {
        Tensor x = Tensor.of(1.0, 2.0, 3.0).requiresGrad(true);
        Tensor y = x.pow(2);
        y.backward(Tensor.of(1.0, 1.0, 1.0));   // a gradient of y's shape: the same as (y * gradient).sum()
        out.println("x.grad: " + x.grad());

        x = Tensor.of(1.0, 2.0).requiresGrad(true);
        y = x.pow(2);
        y.backward(Tensor.of(1.0, 1.0));
        out.println("way 1 (gradient argument) - x.grad: " + x.grad());
        x.grad().zeroInPlace();
        y = x.pow(2);
        y.sum().backward();
        out.println("way 2 (sum, then backward) - x.grad: " + x.grad());
    }

    static void variables(PrintStream out) {
        Tensor x = Tensor.of(2.0).requiresGrad(true);
        Tensor y = Tensor.of(3.0).requiresGrad(true);
        Tensor z = x.pow(2).add(y.pow(3)).add(x.mul(y).mul(2));
        z.backward();
        out.println("z = " + repr(z.item()));
        out.println("dz/dx = " + repr(x.grad().item()) + "   (2x + 2y = 10)");
        out.println("dz/dy = " + repr(y.grad().item()) + "   (3y² + 2x = 31)");
    }

    static void chainRule(PrintStream out) {
        Tensor x = Tensor.of(1.0).requiresGrad(true);
        Tensor a = x.pow(2);
        Tensor b = a.add(3);
        Tensor c = b.pow(3);
        Tensor d = c.sum();
        d.backward();
        out.println("d/dx = " + repr(x.grad().item()));
        out.println("theory: 3(x² + 3)² · 2x = 96");
    }

    static String py(boolean b) { return Py.bool(b); }
}
