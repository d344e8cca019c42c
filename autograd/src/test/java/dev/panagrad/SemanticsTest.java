package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** One test per row of the semantics table in docs/semantics.md: PyTorch 1.13.1's behaviour and exact message. */
class SemanticsTest {
    static final String HINT = " Hint: enable anomaly detection to find the operation that failed to compute its gradient,"
            + " with torch.autograd.set_detect_anomaly(True)."
            + " (In Java: try (var anomaly = Grad.detectAnomaly()) { ... } around the forward and the backward.)";

    static Tensor leaf() {
        return Tensor.of(1, 2, 3).requiresGrad(true);
    }

    @Test
    void inPlaceOnALeafThatRequiresGrad() {
        var e = assertThrows(IllegalStateException.class, () -> leaf().addInPlace(1));
        assertEquals("a leaf Variable that requires grad is being used in an in-place operation.", e.getMessage());
    }

    @Test
    void inPlaceThroughAViewOfSuchALeaf() {
        var e = assertThrows(IllegalStateException.class, () -> leaf().index("0:2").mulInPlace(2));
        assertEquals("a view of a leaf Variable that requires grad is being used in an in-place operation.", e.getMessage());
    }

    @Test
    void inPlaceOnALeafIsAllowedWithGradDisabledAndBumpsTheVersion() {
        Tensor x = leaf();
        try (var off = Grad.disabled()) {
            x.subInPlace(1);
        }
        assertEquals(1, x.storageVersion());
        assertArrayEquals(new double[] {0, 1, 2}, x.toDoubleArray());
    }

    @Test
    void modifyingASavedOutputNamesTheNodeThatSavedIt() {
        Tensor x = leaf();
        Tensor y = x.sigmoid();
        y.mulInPlace(2);
        var e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertEquals("one of the variables needed for gradient computation has been modified by an inplace operation:"
                + " [torch.FloatTensor [3]], which is output 0 of SigmoidBackward0, is at version 1; expected version 0 instead." + HINT, e.getMessage());
    }

    @Test
    void modifyingASavedInputNamesItsRebasedGradFn() {
        Tensor x = leaf();
        Tensor a = x.mul(2);
        Tensor b = a.mul(a);
        a.addInPlace(1);
        assertEquals("AddBackward0", a.gradFn().name());
        var e = assertThrows(IllegalStateException.class, () -> b.sum().backward());
        assertEquals("one of the variables needed for gradient computation has been modified by an inplace operation:"
                + " [torch.FloatTensor [3]], which is output 0 of AddBackward0, is at version 1; expected version 0 instead." + HINT, e.getMessage());
    }

    @Test
    void detachSharesTheVersionCounter() {
        Tensor x = leaf();
        Tensor y = x.pow(2);
        x.detach().addInPlace(1);
        var e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertEquals("one of the variables needed for gradient computation has been modified by an inplace operation:"
                + " [torch.FloatTensor [3]] is at version 1; expected version 0 instead." + HINT, e.getMessage());
    }

    @Test
    void aSecondBackwardThroughSavedTensorsFails() {
        Tensor x = leaf();
        Tensor y = x.mul(x).sum();
        y.backward();
        var e = assertThrows(IllegalStateException.class, y::backward);
        assertEquals("Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed)."
                + " Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True"
                + " if you need to backward through the graph a second time or if you need to access saved tensors after calling backward."
                + " (In Java, retain_graph=True is tensor.backward(gradient, true), gradient null for a scalar.)", e.getMessage());
    }

    @Test
    void aSecondBackwardWithNothingSavedAccumulates() {
        Tensor x = leaf();
        Tensor y = x.add(2);
        y.backward(Tensor.ones(3));
        y.backward(Tensor.ones(3));
        assertArrayEquals(new double[] {2, 2, 2}, x.grad().toDoubleArray());
    }

    @Test
    void retainGraphAllowsASecondBackward() {
        Tensor x = leaf();
        Tensor y = x.mul(x).sum();
        y.backward(null, true);
        y.backward();
        assertArrayEquals(new double[] {4, 8, 12}, x.grad().toDoubleArray());
    }

    @Test
    void aNonScalarNeedsAGradient() {
        var e = assertThrows(IllegalArgumentException.class, () -> leaf().mul(2).backward());
        assertEquals("grad can be implicitly created only for scalar outputs", e.getMessage());
    }

    @Test
    void aGradientOfTheWrongShape() {
        Tensor y = Tensor.fromArray(DType.F32, new double[] {1, 2}, 1, 2).requiresGrad(true).mul(2);
        var e = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.of(1, 1, 1)));
        assertEquals("Mismatch in shape: grad_output[0] has a shape of [3] and output[0] has a shape of [1, 2].", e.getMessage());
    }

    @Test
    void backwardOfATensorWithoutGrad() {
        var e = assertThrows(IllegalStateException.class, () -> Tensor.of(1, 2).sum().backward());
        assertEquals("element 0 of tensors does not require grad and does not have a grad_fn", e.getMessage());
    }

    @Test
    void integerTensorsCannotRequireGrad() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(DType.I64, 1, 2).requiresGrad(true));
        assertEquals("Only Tensors of floating point and complex dtype can require gradients", e.getMessage());
    }

    @Test
    void requiresGradFalseOnANonLeaf() {
        Tensor y = leaf().mul(2);
        var e = assertThrows(IllegalStateException.class, () -> y.requiresGrad(false));
        assertEquals("you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph"
                + " that doesn't require differentiation use var_no_grad = var.detach().", e.getMessage());
        assertSame(y, y.requiresGrad(true));   // leaving it on is allowed
    }

    @Test
    void gradOfANonLeafIsNullWithAOneTimeWarningNamingRetainGrad() {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Tensor.resetNonLeafGradWarning();
        try {
            System.setErr(new PrintStream(captured, true));
            Tensor x = leaf();
            Tensor y = x.add(2);
            y.pow(2).sum().backward();
            assertNull(y.grad());
            assertNull(y.grad());
        } finally {
            System.setErr(saved);
        }
        String err = captured.toString();
        assertTrue(err.contains("use .retainGrad() on the non-leaf Tensor"), err);
        assertEquals(1, err.split("UserWarning", -1).length - 1, "warned once: " + err);
    }

    @Test
    void itemOfMoreThanOneElement() {
        var e = assertThrows(IllegalStateException.class, () -> Tensor.of(1, 2).item());
        assertEquals("only one element tensors can be converted to a scalar", e.getMessage());
    }

    @Test
    void derivativesAtZeroAndTies() {
        Tensor x = Tensor.of(DType.F64, -1, 0, 2).requiresGrad(true);
        x.relu().sum().backward();
        assertArrayEquals(new double[] {0, 0, 1}, x.grad().toDoubleArray(), "relu'(0) = 0");
        x.setGrad(null);
        x.clampMin(0).sum().backward();
        assertArrayEquals(new double[] {0, 1, 1}, x.grad().toDoubleArray(), "clamp(min=0)'(0) = 1");
        x.setGrad(null);
        x.abs().sum().backward();
        assertArrayEquals(new double[] {-1, 0, 1}, x.grad().toDoubleArray(), "abs'(0) = 0");
        Tensor t = Tensor.fromArray(DType.F64, new double[] {3, 1, 3, 2, 2, 0}, 2, 3).requiresGrad(true);
        t.max(1).values().sum().backward();
        assertArrayEquals(new double[] {1, 0, 0, 1, 0, 0}, t.grad().toDoubleArray(), "max(dim) ties: first index");
        t.setGrad(null);
        t.max().backward();
        assertArrayEquals(new double[] {0.5, 0, 0.5, 0, 0, 0}, t.grad().toDoubleArray(), "full max(): ties split evenly");
    }

    @Test
    void autogradGradWithAnUnusedInput() {
        Tensor a = leaf(), b = leaf();
        var e = assertThrows(IllegalStateException.class, () -> dev.panagrad.autograd.Autograd.grad(java.util.List.of(a.sum()), java.util.List.of(a, b), null, false, false, false));
        assertEquals("One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.", e.getMessage());
    }

    @Test
    void autogradGradWithAnInputThatDoesNotRequireGrad() {
        var e = assertThrows(IllegalStateException.class, () -> dev.panagrad.autograd.Autograd.grad(java.util.List.of(leaf().sum()), java.util.List.of(Tensor.ones(3)), null, false, false, false));
        assertEquals("One of the differentiated Tensors does not require grad", e.getMessage());
    }

    @Test
    void aSecondDerivativeThroughAOnceDifferentiableBackward() {
        dev.panagrad.autograd.Function twice = new dev.panagrad.autograd.Function() {
            @Override
            protected Tensor forward(dev.panagrad.autograd.Context ctx, Tensor... in) { return in[0].mul(2); }

            @Override
            protected Tensor[] backward(dev.panagrad.autograd.Context ctx, Tensor grad) { return new Tensor[] {grad.mul(2)}; }

            @Override
            protected boolean onceDifferentiable() { return true; }
        };
        Tensor x = leaf(), v = Tensor.ones(3).requiresGrad(true);
        Tensor g = dev.panagrad.autograd.Autograd.grad(java.util.List.of(twice.apply(x)), java.util.List.of(x), java.util.List.of(v), true, true, false)[0];
        var e = assertThrows(IllegalStateException.class, () -> g.sum().backward());
        assertEquals("trying to differentiate twice a function that was marked with @once_differentiable", e.getMessage());
    }

    @Test
    void aHookOnATensorThatDoesNotRequireGrad() {
        var e = assertThrows(IllegalStateException.class, () -> Tensor.ones(3).registerHook(g -> g));
        assertEquals("cannot register a hook on a tensor that doesn't require gradient", e.getMessage());
    }

    @Test
    void aHookReturningAnotherShape() {
        Tensor x = leaf();
        x.registerHook(g -> Tensor.ones(2));
        var e = assertThrows(IllegalStateException.class, () -> x.mul(2).sum().backward());
        assertEquals("hook '<lambda>' has changed the size of value", e.getMessage());
    }

    @Test
    void aNanGradientUnderAnomalyDetection() {
        Tensor x = Tensor.of(0, 2).requiresGrad(true);
        try (var anomaly = Grad.setDetectAnomaly(true)) {
            Tensor s = x.log().mul(0).sum();
            var e = assertThrows(IllegalStateException.class, () -> AnomalyModeTest.stderrOf(s::backward));
            assertEquals("Function 'LogBackward0' returned nan values in its 0th output.", e.getMessage());
        }
    }

    @Test
    void anInferenceTensorSavedOrWrittenOutsideInferenceMode() {
        Tensor t;
        try (var inference = Grad.inferenceMode()) {
            t = Tensor.of(3, 4, 5).mul(2);
        }
        var saved = assertThrows(IllegalStateException.class, () -> leaf().mul(t));
        assertEquals("Inference tensors cannot be saved for backward. To work around you can make a clone to get a normal tensor and use it in autograd.", saved.getMessage());
        var written = assertThrows(IllegalStateException.class, () -> t.addInPlace(1));
        assertEquals("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal tensor before doing inplace update."
                + "See https://github.com/pytorch/rfcs/pull/17 for more details.", written.getMessage());
    }
}
