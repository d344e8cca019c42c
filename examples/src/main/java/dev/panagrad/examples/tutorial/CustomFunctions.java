package dev.panagrad.examples.tutorial;

import static dev.panagrad.examples.output.Py.bool;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.autograd.Context;
import dev.panagrad.autograd.Function;
import dev.panagrad.autograd.GradCheck;
import dev.panagrad.memory.DType;
import java.io.PrintStream;

/** torch.autograd.Function subclasses and gradcheck. */
final class CustomFunctions {
    private CustomFunctions() {}

    /** max(x, 0) with a hand-written backward. */
    static final class MyReLU extends Function {
        @Override
        protected Tensor forward(Context ctx, Tensor... input) {
            ctx.saveForBackward(input[0]);   // ctx keeps what backward needs
            return input[0].clampMin(0);
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor gradOutput) {
            Tensor input = ctx.savedTensors()[0];
            Tensor gradInput = gradOutput.clone();
            gradInput.maskedFillInPlace(input.lt(0), 0);   // grad_input[input < 0] = 0
            return new Tensor[] {gradInput};
        }
    }

    static final class MySquare extends Function {
        @Override
        protected Tensor forward(Context ctx, Tensor... input) {
            ctx.saveForBackward(input[0]);
            return input[0].pow(2);
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor gradOutput) {
            Tensor input = ctx.savedTensors()[0];
            return new Tensor[] {input.mul(2).mul(gradOutput)};
        }
    }

    static void myRelu(PrintStream out) {
        Tensor x = new Generator(0).randn(DType.F32, 5).requiresGrad(true);
        Tensor y = new MyReLU().apply(x);
        y.sum().backward();
        out.println("x: " + x);
        out.println("y: " + y);
        out.println("x.grad: " + x.grad());
    }

    static void gradcheck(PrintStream out) {
        Tensor x = new Generator(0).randn(DType.F64, 3, 4).requiresGrad(true);
        boolean test = GradCheck.gradcheck(in -> new MySquare().apply(in[0]), new Tensor[] {x}, 1e-6, 1e-4, 1e-3);
        out.println("gradient check passed: " + bool(test));
    }
}
