package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.autograd.Context;
import dev.panagrad.autograd.Function;
import dev.panagrad.autograd.GradCheck;
import dev.panagrad.memory.DType;
import org.junit.jupiter.api.Test;

/** The tutorial's custom functions: MyReLU and MySquare (checked by gradcheck). */
class CustomFunctionTest {
    static final class MyReLU extends Function {
        @Override
        protected Tensor forward(Context ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].clampMin(0);
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor grad) {
            Tensor input = ctx.savedTensors()[0];
            Tensor gradInput = grad.clone();
            gradInput.maskedFillInPlace(input.lt(0), 0);
            return new Tensor[] {gradInput};
        }
    }

    static final class MySquare extends Function {
        @Override
        protected Tensor forward(Context ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].pow(2);
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor grad) {
            return new Tensor[] {grad.mul(ctx.savedTensors()[0]).mul(2)};
        }
    }

    @Test
    void myReluPassesGradientWhereTheInputIsNotNegative() {
        Tensor x = Tensor.of(-1.5, 0, 2, -0.25, 3).requiresGrad(true);
        Tensor y = new MyReLU().apply(x);
        assertEquals("MyReLUBackward", y.gradFn().name());
        y.sum().backward();
        assertArrayEquals(new double[] {0, 0, 2, 0, 3}, y.toDoubleArray());
        assertArrayEquals(new double[] {0, 1, 1, 0, 1}, x.grad().toDoubleArray());
        assertEquals("tensor([0., 0., 2., 0., 3.], grad_fn=<MyReLUBackward>)", y.toString());
    }

    @Test
    void mySquarePassesGradcheck() {
        Tensor input = new Generator(1).randn(DType.F64, 3, 3).requiresGrad(true);
        assertTrue(GradCheck.gradcheck(in -> new MySquare().apply(in[0]), new Tensor[] {input}, 1e-6, 1e-4, 1e-3));
    }

    @Test
    void savedTensorsAreVersionChecked() {
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        Tensor h = x.mul(1);
        Tensor y = new MySquare().apply(h);
        h.addInPlace(1);
        var e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().contains("is at version 1; expected version 0 instead"), e.getMessage());
    }

    @Test
    void needsInputGradAndAWrongGradientCount() {
        Function two = new Function() {
            @Override
            protected Tensor forward(Context ctx, Tensor... in) {
                ctx.put("needs", new boolean[] {ctx.needsInputGrad(0), ctx.needsInputGrad(1)});
                return in[0].add(in[1]);
            }

            @Override
            protected Tensor[] backward(Context ctx, Tensor grad) {
                return new Tensor[] {grad};
            }
        };
        Tensor a = Tensor.of(1).requiresGrad(true), b = Tensor.of(2);
        Tensor y = two.apply(a, b);
        var e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("incorrect number of gradients (expected 2, got 1)"), e.getMessage());
    }
}
