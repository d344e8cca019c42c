package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.DType;
import org.junit.jupiter.api.Test;

/** The tutorial's first sections: values and printed forms as PyTorch gives them. */
class TutorialBasicsTest {

    @Test
    void quickExample() {
        Tensor x = Tensor.of(2.0).requiresGrad(true);
        Tensor y = x.pow(2);
        Tensor z = y.mul(2).add(3);
        z.backward();
        assertEquals(2.0, x.item());
        assertEquals(11.0, z.item());
        assertEquals(8.0, x.grad().item());
        assertEquals("AddBackward0", z.gradFn().name());
        assertEquals("tensor([2.], requires_grad=True)", x.toString());
        assertEquals("tensor([11.], grad_fn=<AddBackward0>)", z.toString());
    }

    @Test
    void graphNamesAndBackwardValues() {
        Tensor x = Tensor.of(3.0).requiresGrad(true);
        Tensor y = x.pow(2);
        Tensor z = y.add(Tensor.of(5.0));
        Tensor w = z.mul(Tensor.of(2.0));
        assertEquals("MulBackward0", w.gradFn().name());
        assertEquals("AddBackward0", z.gradFn().name());
        assertEquals("PowBackward0", y.gradFn().name());
        assertNull(x.gradFn());
        y.retainGrad();
        z.retainGrad();
        w.backward();
        assertEquals(12.0, x.grad().item());
        assertEquals(2.0, y.grad().item());
        assertEquals(2.0, z.grad().item());
        assertEquals(28.0, w.item());
    }

    @Test
    void nonScalarBackwardAndAccumulation() {
        Tensor x = Tensor.of(1.0, 2.0, 3.0).requiresGrad(true);
        x.pow(2).backward(Tensor.of(1.0, 1.0, 1.0));
        assertEquals("tensor([2., 4., 6.])", x.grad().toString());
        Tensor a = Tensor.of(2.0).requiresGrad(true);
        a.pow(2).backward();
        assertEquals(4.0, a.grad().item());
        a.pow(3).backward();
        assertEquals(16.0, a.grad().item());
        a.grad().zeroInPlace();
        assertEquals("tensor([0.])", a.grad().toString());
        a.pow(3).backward();
        assertEquals(12.0, a.grad().item());
    }

    @Test
    void multiVariableAndChainRule() {
        Tensor x = Tensor.of(2.0).requiresGrad(true), y = Tensor.of(3.0).requiresGrad(true);
        Tensor z = x.pow(2).add(y.pow(3)).add(x.mul(y).mul(2));
        z.backward();
        assertEquals(10.0, x.grad().item());
        assertEquals(31.0, y.grad().item());
        Tensor u = Tensor.of(1.0).requiresGrad(true);
        u.pow(2).add(3).pow(3).sum().backward();
        assertEquals(96.0, u.grad().item());
    }

    @Test
    void printsLikePyTorch() {
        assertEquals("tensor([0.5000, 1.2500])", Tensor.of(0.5, 1.25).toString());
        assertEquals("tensor([[1., 2.],\n        [3., 4.]])", Tensor.fromArray(DType.F32, new double[] {1, 2, 3, 4}, 2, 2).toString());
        assertEquals("tensor(8.)", Tensor.scalar(8).toString());
        assertEquals("tensor([1., 2.], dtype=torch.float64)", Tensor.of(DType.F64, 1, 2).toString());
        assertEquals("tensor([1, 2])", Tensor.of(DType.I64, 1, 2).toString());
        assertEquals("tensor([ True, False])", Tensor.of(1, -1).gt(0).toString());
        assertEquals("tensor([1.0000e-05, 1.0000e+00])", Tensor.of(DType.F64, 1e-5, 1).toString().replace(", dtype=torch.float64", ""));
        assertEquals("tensor([0.0312])", Tensor.of(0.03125).toString());   // half-even, as Python
    }
}
