package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.panagrad.autograd.Context;
import dev.panagrad.autograd.Function;
import dev.panagrad.autograd.GradCheck;
import dev.panagrad.graph.Node;
import dev.panagrad.memory.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * PyTorch 1.13's view + in-place machinery (issue 10, items 5 and 6): views share their base's
 * version counter, a view whose base changed in place gets a new grad_fn (AsStridedBackward0 over the
 * base's), an in-place op on a view gives the base a CopySlices node, and a retained gradient follows the
 * tensor's current version. Every value and message below comes from PyTorch 1.13 (the snippet beside
 * it); the golden cases come from {@code golden/make_view_inplace_golden.py}.
 */
class ViewInplaceTest {
    static final String HINT = " Hint: enable anomaly detection to find the operation that failed to compute its gradient,"
            + " with torch.autograd.set_detect_anomaly(True)."
            + " (In Java: try (var anomaly = Grad.detectAnomaly()) { ... } around the forward and the backward.)";
    static final String NO_GRAD_VIEW_ADVICE = " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify"
            + " your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the inplace to"
            + " be tracked) or both outside (if you want the inplace to be tracked).";

    static Tensor leaf(double... values) {
        return Tensor.of(values).requiresGrad(true);
    }

    static String name(Node<Tensor> n) {
        return n == null ? "None" : n.name();
    }

    static List<String> next(Tensor t) {
        List<String> out = new ArrayList<>();
        for (Node<Tensor> n : t.gradFn().nextFunctions()) out.add(name(n));
        return out;
    }

    // ------------------------------------------------------------------ item 5: in-place on the base of a live view

    @Test
    void inPlaceOnTheBaseRebuildsTheViewsGradFn() {
        // x = torch.tensor([1.,2.,3.], requires_grad=True); b = x*1; v = b[0:2]; b.mul_(x)
        // v.grad_fn: AsStridedBackward0, next_functions ((MulBackward0, 0),); v.sum().backward(); x.grad: [2., 4., 0.]
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        Tensor v = b.index("0:2");
        assertEquals("SliceBackward0", v.gradFn().name());
        b.mulInPlace(x);
        assertEquals("AsStridedBackward0", v.gradFn().name());
        assertSame(b.gradFn(), v.gradFn().nextFunctions().get(0));
        assertEquals("MulBackward0", b.gradFn().name());
        assertEquals(List.of("MulBackward0", "AccumulateGrad"), next(b));   // b.grad_fn.next_functions: the former MulBackward0, x
        assertEquals("tensor([1., 4.], grad_fn=<AsStridedBackward0>)", v.toString());
        assertEquals("tensor([1., 4.], grad_fn=<SliceBackward0>)", b.index("0:2").toString());   // a fresh view: its own op
        v.sum().backward();
        assertArrayEquals(new double[] {2, 4, 0}, x.grad().toDoubleArray());
    }

    @Test
    void theRebuiltGradFnIsKeptUntilTheNextChange() {
        // b = x*1; v = b[0:2]; b.mul_(2); f1 = v.grad_fn; f1 is v.grad_fn: True; b.add_(1): v.grad_fn.next_functions[0][0] is b.grad_fn
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        Tensor v = b.index("0:2");
        b.mulInPlace(2);
        Node<Tensor> f1 = v.gradFn();
        assertSame(f1, v.gradFn());
        b.addInPlace(1);
        assertNotSame(f1, v.gradFn());
        assertSame(b.gradFn(), v.gradFn().nextFunctions().get(0));
        assertEquals("AddBackward0", b.gradFn().name());
    }

    @Test
    void aViewOfALeafUpdatedWithoutGradPointsAtItsAccumulator() {
        // x = torch.tensor([1.,2.,3.], requires_grad=True); v = x[0:2]
        // with torch.no_grad(): x.mul_(2)
        // v.grad_fn: AsStridedBackward0, next ((AccumulateGrad, 0),); v.sum().backward(); x.grad: [1., 1., 0.]
        Tensor x = leaf(1, 2, 3);
        Tensor v = x.index("0:2");
        try (var off = Grad.disabled()) {
            x.mulInPlace(2);
        }
        assertEquals("AsStridedBackward0", v.gradFn().name());
        assertEquals(List.of("AccumulateGrad"), next(v));
        v.sum().backward();
        assertArrayEquals(new double[] {1, 1, 0}, x.grad().toDoubleArray());
    }

    @Test
    void aStaleExpandedViewSumsItsGradientIntoTheBase() {
        // x = torch.tensor([1.,2.,3.,4.], requires_grad=True); b = x*1; v = b[0:3]; w = v.view(3,1).expand(3,2); b.mul_(x)
        // (w * torch.tensor([[1.,2.],[3.,4.],[5.,6.]])).sum().backward(); x.grad: [6., 28., 66., 0.]; w.grad_fn: AsStridedBackward0
        Tensor x = leaf(1, 2, 3, 4);
        Tensor b = x.mul(1);
        Tensor w = b.index("0:3").view(3, 1).expand(3, 2);
        b.mulInPlace(x);
        assertEquals("AsStridedBackward0", w.gradFn().name());
        w.mul(Tensor.fromArray(DType.F32, new double[] {1, 2, 3, 4, 5, 6}, 3, 2)).sum().backward();
        assertArrayEquals(new double[] {6, 28, 66, 0}, x.grad().toDoubleArray());
    }

    @Test
    void aViewOfADetachedTensorHasTheDetachedTensorAsBase() {
        // b = x*1; v = b.detach()[0:2]; v.mul_(x[0:2]): v.grad_fn AsStridedBackward0, b.grad_fn still MulBackward0
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        Tensor d = b.detach();
        Tensor v = d.index("0:2");
        v.mulInPlace(x.index("0:2"));
        assertEquals("AsStridedBackward0", v.gradFn().name());
        assertEquals("CopySlices", d.gradFn().name());
        assertEquals("MulBackward0", b.gradFn().name());
        assertArrayEquals(new double[] {1, 4, 3}, b.toDoubleArray());
    }

    // ------------------------------------------------------------------ item 5: in-place on a view

    @Test
    void copyIntoASliceOfAPlainBufferKeepsTheGradient() {
        // x = torch.tensor([1.,2.], requires_grad=True); buf = torch.zeros(3); buf[0:2].copy_(x)
        // buf: tensor([1., 2., 0.], grad_fn=<CopySlices>); is_leaf False; requires_grad True; _version 1
        // buf.grad_fn.next_functions: ((None, 0), (AccumulateGrad, 0))
        // ((buf*buf).sum() + x.sum()).backward(); x.grad: [3., 5.]
        Tensor x = leaf(1, 2);
        Tensor buf = Tensor.zeros(3);
        Tensor slice = buf.index("0:2");
        slice.copyFrom(x);
        assertEquals("tensor([1., 2., 0.], grad_fn=<CopySlices>)", buf.toString());
        assertFalse(buf.isLeaf());
        assertTrue(buf.requiresGrad());
        assertEquals(1, buf.storageVersion());
        assertEquals(List.of("None", "AccumulateGrad"), next(buf));
        assertEquals("AsStridedBackward0", slice.gradFn().name());
        assertSame(buf.gradFn(), slice.gradFn().nextFunctions().get(0));
        buf.mul(buf).sum().add(x.sum()).backward();
        assertArrayEquals(new double[] {3, 5}, x.grad().toDoubleArray());
    }

    @Test
    void inPlaceOnAViewOfANonLeafGoesThroughCopySlices() {
        // x = torch.tensor([1.,2.,3.], requires_grad=True); b = x*1; v = b[0:2]; v.mul_(x[1:3])
        // v.grad_fn: AsStridedBackward0 -> ((CopySlices, 0),); b.grad_fn: CopySlices -> ((MulBackward0, 0), (SliceBackward0, 0))
        // v._version 1, b._version 1; b.sum().backward(); x.grad: [2., 4., 3.]
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        Tensor v = b.index("0:2");
        v.mulInPlace(x.index("1:3"));
        assertEquals("AsStridedBackward0", v.gradFn().name());
        assertEquals(List.of("CopySlices"), next(v));
        assertEquals("CopySlices", b.gradFn().name());
        assertEquals(List.of("MulBackward0", "SliceBackward0"), next(b));
        assertEquals(1, v.storageVersion());
        assertEquals(1, b.storageVersion());
        assertArrayEquals(new double[] {2, 6, 3}, b.toDoubleArray());
        b.sum().backward();
        assertArrayEquals(new double[] {2, 4, 3}, x.grad().toDoubleArray());
    }

    @Test
    void inPlaceOnAViewOfAViewRebasesTheRoot() {
        // b = x*1; v = b[0:2]; v2 = v[0:1]; v2.mul_(x[2:3])
        // v.grad_fn, v2.grad_fn: AsStridedBackward0; b.grad_fn: CopySlices; v2._base is b; b.sum().backward(); x.grad: [3., 1., 2.]
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        Tensor v = b.index("0:2");
        Tensor v2 = v.index("0:1");
        v2.mulInPlace(x.index("2:3"));
        assertEquals("AsStridedBackward0", v.gradFn().name());
        assertEquals("AsStridedBackward0", v2.gradFn().name());
        assertEquals("CopySlices", b.gradFn().name());
        b.sum().backward();
        assertArrayEquals(new double[] {3, 1, 2}, x.grad().toDoubleArray());
    }

    @Test
    void inPlaceOnARowOfATransposedView() {
        // x = torch.tensor([[1.,2.],[3.,4.]], requires_grad=True); b = x*1; v = b.t(); v[0].mul_(torch.tensor([5.,6.]))
        // v.grad_fn: AsStridedBackward0; (b*torch.tensor([[1.,2.],[3.,4.]])).sum().backward(); x.grad: [[5., 2.], [18., 4.]]
        Tensor x = Tensor.fromArray(DType.F32, new double[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor b = x.mul(1);
        Tensor v = b.t();
        v.select(0, 0).mulInPlace(Tensor.of(5, 6));
        assertEquals("AsStridedBackward0", v.gradFn().name());
        b.mul(Tensor.fromArray(DType.F32, new double[] {1, 2, 3, 4}, 2, 2)).sum().backward();
        assertArrayEquals(new double[] {5, 2, 18, 4}, x.grad().toDoubleArray());
    }

    @Test
    void everyInPlaceOpWorksOnAView() {
        // x = torch.tensor([1.,2.,3.,4.], requires_grad=True); b = x*1; b[1:3].zero_(); b.sum().backward(): x.grad [1., 0., 0., 1.]
        Tensor x = leaf(1, 2, 3, 4);
        Tensor b = x.mul(1);
        b.index("1:3").zeroInPlace();
        assertEquals("CopySlices", b.gradFn().name());
        b.sum().backward();
        assertArrayEquals(new double[] {1, 0, 0, 1}, x.grad().toDoubleArray());

        // same with b[1:3].fill_(7.): x.grad [1., 0., 0., 1.]
        x = leaf(1, 2, 3, 4);
        b = x.mul(1);
        b.index("1:3").fillInPlace(7);
        b.sum().backward();
        assertArrayEquals(new double[] {1, 0, 0, 1}, x.grad().toDoubleArray());

        // x = torch.tensor([1.,-2.,3.,-4.], requires_grad=True); b = x*1; b[1:3].clamp_(-1, 1); (b*b).sum().backward(): x.grad [2., 0., 0., -8.]
        x = leaf(1, -2, 3, -4);
        b = x.mul(1);
        b.index("1:3").clampInPlace(-1, 1);
        b.mul(b).sum().backward();
        assertArrayEquals(new double[] {2, 0, 0, -8}, x.grad().toDoubleArray());

        // b[1:3].masked_fill_(torch.tensor([True, False]), 0.5); (b*b).sum().backward(): x.grad [2., 0., 6., -8.]
        x = leaf(1, -2, 3, -4);
        b = x.mul(1);
        b.index("1:3").maskedFillInPlace(Tensor.of(1, 0).gt(0.5), 0.5);
        b.mul(b).sum().backward();
        assertArrayEquals(new double[] {2, 0, 6, -8}, x.grad().toDoubleArray());

        // b[1:3].div_(x[0:2]); (b*b).sum().backward(): x.grad [-6., -1.75, 1.5, -8.]
        x = leaf(1, -2, 3, -4);
        b = x.mul(1);
        b.index("1:3").divInPlace(x.index("0:2"));
        b.mul(b).sum().backward();
        assertArrayEquals(new double[] {-6, -1.75, 1.5, -8}, x.grad().toDoubleArray(), 1e-6);
    }

    @Test
    void aViewOfAPlainTensorModifiedWithoutGradStaysOutOfTheGraph() {
        // buf = torch.zeros(3); v = buf[0:2]; v.add_(1): buf [1., 1., 0.], buf.grad_fn None, v.grad_fn None
        Tensor buf = Tensor.zeros(3);
        Tensor v = buf.index("0:2");
        v.addInPlace(1);
        assertArrayEquals(new double[] {1, 1, 0}, buf.toDoubleArray());
        assertNull(buf.gradFn());
        assertNull(v.gradFn());
        assertFalse(v.requiresGrad());
    }

    @Test
    void aSecondBackwardThroughCopySlicesNeedsRetainGraph() {
        // buf[0:2].copy_(x); l = (buf*2).sum(); l.backward(); l.backward() -> "Trying to backward through the graph a second time ..."
        Tensor x = leaf(1, 2);
        Tensor buf = Tensor.zeros(3);
        buf.index("0:2").copyFrom(x);
        Tensor l = buf.mul(2).sum();
        l.backward();
        var e = assertThrows(IllegalStateException.class, l::backward);
        assertTrue(e.getMessage().startsWith("Trying to backward through the graph a second time"), e.getMessage());

        // with retain_graph=True the first time: x.grad [4., 4.]
        Tensor y = leaf(1, 2);
        Tensor buf2 = Tensor.zeros(3);
        buf2.index("0:2").copyFrom(y);
        Tensor l2 = buf2.mul(2).sum();
        l2.backward(null, true);
        l2.backward();
        assertArrayEquals(new double[] {4, 4}, y.grad().toDoubleArray());
    }

    // ------------------------------------------------------------------ item 5: PyTorch's errors

    @Test
    void inPlaceThroughAViewOfALeafThatRequiresGradIsRefused() {
        // x = torch.tensor([1.,2.,3.], requires_grad=True); x[0:2].copy_(torch.zeros(2))
        Tensor x = leaf(1, 2, 3);
        var e = assertThrows(IllegalStateException.class, () -> x.index("0:2").copyFrom(Tensor.zeros(2)));
        assertEquals("a view of a leaf Variable that requires grad is being used in an in-place operation.", e.getMessage());
        var e2 = assertThrows(IllegalStateException.class, () -> x.fillInPlace(1));
        assertEquals("a leaf Variable that requires grad is being used in an in-place operation.", e2.getMessage());
        assertArrayEquals(new double[] {1, 2, 3}, x.toDoubleArray());
        assertEquals(0, x.storageVersion());
    }

    @Test
    void aViewMadeWithoutGradOfATensorThatRequiresGrad() {
        // x = torch.tensor([1.,2.,3.], requires_grad=True)
        // with torch.no_grad(): v = x[0:2]
        // v: tensor([1., 2.], requires_grad=True); v.is_leaf True; v.grad_fn None
        // (v*2).requires_grad True, its grad_fn leads nowhere: (v*2).sum().backward() leaves x.grad None
        Tensor x = leaf(1, 2, 3);
        Tensor v;
        try (var off = Grad.disabled()) {
            v = x.index("0:2");
        }
        assertEquals("tensor([1., 2.], requires_grad=True)", v.toString());
        assertTrue(v.isLeaf());
        assertNull(v.gradFn());
        Tensor y = v.mul(2);
        assertTrue(y.requiresGrad());
        assertEquals("MulBackward0", y.gradFn().name());
        assertNull(y.gradFn().nextFunctions().get(0));
        y.sum().backward();
        assertNull(x.grad());
    }

    @Test
    void aViewMadeWithoutGradCannotBeModifiedInPlaceWithGrad() {
        // x = torch.tensor([1.,2.,3.], requires_grad=True)
        // with torch.no_grad(): v = x[0:2]
        // v.mul_(2) -> "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that ..."
        Tensor x = leaf(1, 2, 3);
        Tensor v;
        try (var off = Grad.disabled()) {
            v = x.index("0:2");
        }
        var e = assertThrows(IllegalStateException.class, () -> v.mulInPlace(2));
        assertEquals("A view was created in no_grad mode and is being modified inplace with grad mode enabled." + NO_GRAD_VIEW_ADVICE, e.getMessage());

        // y = x*1; with torch.no_grad(): w = y[0:2]; then w.mul_(2) or w.copy_(...) in grad mode: the same
        Tensor y = x.mul(1);
        Tensor w;
        try (var off = Grad.disabled()) {
            w = y.index("0:2");
        }
        var e2 = assertThrows(IllegalStateException.class, () -> w.copyFrom(Tensor.zeros(2)));
        assertEquals("A view was created in no_grad mode and is being modified inplace with grad mode enabled." + NO_GRAD_VIEW_ADVICE, e2.getMessage());

        // buf = torch.zeros(3); with torch.no_grad(): u = buf[0:2]; u.copy_(x[0:2]): the same
        Tensor buf = Tensor.zeros(3);
        Tensor u;
        try (var off = Grad.disabled()) {
            u = buf.index("0:2");
        }
        var e3 = assertThrows(IllegalStateException.class, () -> u.copyFrom(x.index("0:2")));
        assertEquals("A view was created in no_grad mode and is being modified inplace with grad mode enabled." + NO_GRAD_VIEW_ADVICE, e3.getMessage());

        // inside no_grad both: allowed, x [2., 4., 3.]
        try (var off = Grad.disabled()) {
            x.index("0:2").mulInPlace(2);
        }
        assertArrayEquals(new double[] {2, 4, 3}, x.toDoubleArray());
    }

    @Test
    void aViewMadeWithoutGradWhoseBaseChangedFailsWhenItsGradFnIsRead() {
        // y = x*1; with torch.no_grad(): v = y[0:2]; y.mul_(2); v.grad_fn ->
        // "A view was created in no_grad mode and its base or another view of its base has been modified inplace with grad mode enabled. ..."
        Tensor x = leaf(1, 2, 3);
        Tensor y = x.mul(1);
        Tensor v;
        try (var off = Grad.disabled()) {
            v = y.index("0:2");
        }
        y.mulInPlace(2);
        var e = assertThrows(IllegalStateException.class, v::gradFn);
        assertEquals("A view was created in no_grad mode and its base or another view of its base has been modified inplace with grad mode enabled."
                + NO_GRAD_VIEW_ADVICE, e.getMessage());
        // and when it is used: (v*2) -> the same message
        var e2 = assertThrows(IllegalStateException.class, () -> v.mul(2));
        assertEquals(e.getMessage(), e2.getMessage());
    }

    /** Returns the first two elements of its input as a view: torch.autograd.Function whose forward returns x[0:2]. */
    static final class Narrow extends Function {
        @Override
        protected Tensor forward(Context ctx, Tensor... in) {
            return in[0].index("0:2");
        }

        @Override
        protected Tensor[] backward(Context ctx, Tensor grad) {
            Tensor z = Tensor.zeros(grad.dtype(), 3);
            z.index("0:2").copyFrom(grad);
            return new Tensor[] {z};
        }
    }

    @Test
    void aViewReturnedByACustomFunctionCannotBeModifiedInPlace() {
        // class Narrow(torch.autograd.Function): forward returns x[0:2]
        // b = x*1; y = Narrow.apply(b); y.mul_(2) -> "Output 0 of NarrowBackward is a view and is being modified inplace. This view was
        // created inside a custom Function ..."; b.mul_(2) then y.grad_fn -> "... its base or another view of its base has been modified inplace. ..."
        String advice = " This view was created inside a custom Function (or because an input was returned as-is) and the autograd logic"
                + " to handle view+inplace would override the custom backward associated with the custom Function, leading to incorrect"
                + " gradients. This behavior is forbidden. You can fix this by cloning the output of the custom Function.";
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        Tensor y = new Narrow().apply(b);
        assertEquals("NarrowBackward", y.gradFn().name());
        var e = assertThrows(IllegalStateException.class, () -> y.mulInPlace(2));
        assertEquals("Output 0 of NarrowBackward is a view and is being modified inplace." + advice, e.getMessage());
        b.mulInPlace(2);
        var e2 = assertThrows(IllegalStateException.class, y::gradFn);
        assertEquals("Output 0 of NarrowBackward is a view and its base or another view of its base has been modified inplace." + advice, e2.getMessage());
    }

    // ------------------------------------------------------------------ item 5: the version counter through views

    @Test
    void aSavedBaseModifiedThroughAViewFails() {
        // b = x*1; s = b*b; b[0:2].mul_(2); s.sum().backward() -> "... [torch.FloatTensor [3]], which is output 0 of
        // torch::autograd::CopySlices, is at version 1; expected version 0 instead. ..."
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        Tensor s = b.mul(b);
        b.index("0:2").mulInPlace(2);
        var e = assertThrows(IllegalStateException.class, () -> s.sum().backward());
        assertEquals("one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [3]],"
                + " which is output 0 of torch::autograd::CopySlices, is at version 1; expected version 0 instead." + HINT, e.getMessage());
    }

    @Test
    void aSavedViewModifiedThroughItsBaseOrAnotherViewFails() {
        // b = x*1; v = b[0:2]; s = v*v; b.mul_(2) (or b[1:3].mul_(2)); s.sum().backward() -> "... [torch.FloatTensor [2]], which is
        // output 0 of AsStridedBackward0, is at version 1; expected version 0 instead. ..."
        String message = "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [2]],"
                + " which is output 0 of AsStridedBackward0, is at version 1; expected version 0 instead." + HINT;
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        Tensor v = b.index("0:2");
        Tensor s = v.mul(v);
        b.mulInPlace(2);
        assertEquals(message, assertThrows(IllegalStateException.class, () -> s.sum().backward()).getMessage());

        Tensor b2 = x.mul(1);
        Tensor v2 = b2.index("0:2");
        Tensor s2 = v2.mul(v2);
        b2.index("1:3").mulInPlace(2);
        assertEquals(message, assertThrows(IllegalStateException.class, () -> s2.sum().backward()).getMessage());
    }

    @Test
    void aSavedOutputModifiedThroughAViewNamesTheNodeThatSavedIt() {
        // b = x.sigmoid(); b[0:2].mul_(2); b.sum().backward() -> "... [torch.FloatTensor [3]], which is output 0 of SigmoidBackward0, ..."
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.sigmoid();
        b.index("0:2").mulInPlace(2);
        var e = assertThrows(IllegalStateException.class, () -> b.sum().backward());
        assertEquals("one of the variables needed for gradient computation has been modified by an inplace operation: [torch.FloatTensor [3]],"
                + " which is output 0 of SigmoidBackward0, is at version 1; expected version 0 instead." + HINT, e.getMessage());
    }

    @Test
    void aViewOnlyReadBeforeTheBaseChangedStillGivesTheRightGradient() {
        // b = x*1; v = b[0:2]; s = v.sigmoid(); b.mul_(2); s.sum().backward(); x.grad: [0.1966, 0.1050, 0.0000]
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        Tensor s = b.index("0:2").sigmoid();
        b.mulInPlace(2);
        s.sum().backward();
        assertArrayEquals(new double[] {0.19661193, 0.10499359, 0}, x.grad().toDoubleArray(), 1e-6);
    }

    // ------------------------------------------------------------------ item 6: retain_grad() then in-place

    @Test
    void aRetainedGradIsTheGradientOfTheCurrentVersion() {
        // x = torch.tensor([1.,1.], requires_grad=True); y = x*3; y.retain_grad(); y.mul_(2); y.sum().backward(); y.grad: [1., 1.]; x.grad [6., 6.]
        Tensor x = leaf(1, 1);
        Tensor y = x.mul(3);
        y.retainGrad();
        y.mulInPlace(2);
        y.sum().backward();
        assertArrayEquals(new double[] {1, 1}, y.grad().toDoubleArray());
        assertArrayEquals(new double[] {6, 6}, x.grad().toDoubleArray());

        // x = torch.tensor([1.,2.], requires_grad=True); y = x*1; y.retain_grad(); y.add_(1); y.mul_(3); (y*y).sum().backward()
        // y.grad: [12., 18.]; x.grad: [36., 54.]
        Tensor x2 = leaf(1, 2);
        Tensor y2 = x2.mul(1);
        y2.retainGrad();
        y2.addInPlace(1);
        y2.mulInPlace(3);
        y2.mul(y2).sum().backward();
        assertArrayEquals(new double[] {12, 18}, y2.grad().toDoubleArray());
        assertArrayEquals(new double[] {36, 54}, x2.grad().toDoubleArray());
    }

    @Test
    void aRetainedViewFollowsItsRebuiltGradFn() {
        // b = x*1; v = b[0:2]; v.retain_grad(); b.mul_(2); (v*v).sum().backward(); v.grad: [4., 8.]; x.grad: [8., 16., 0.]
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        Tensor v = b.index("0:2");
        v.retainGrad();
        b.mulInPlace(2);
        v.mul(v).sum().backward();
        assertArrayEquals(new double[] {4, 8}, v.grad().toDoubleArray());
        assertArrayEquals(new double[] {8, 16, 0}, x.grad().toDoubleArray());

        // b = x*1; v = b[0:2]; v.retain_grad(); v.mul_(2); (b*b).sum().backward(): v.grad None (v's node is not on the path);
        // x.grad [8., 16., 6.]
        Tensor x2 = leaf(1, 2, 3);
        Tensor b2 = x2.mul(1);
        Tensor v2 = b2.index("0:2");
        v2.retainGrad();
        v2.mulInPlace(2);
        b2.mul(b2).sum().backward();
        assertNull(v2.grad());
        assertArrayEquals(new double[] {8, 16, 6}, x2.grad().toDoubleArray());
    }

    @Test
    void aRetainedBaseModifiedThroughAViewKeepsItsFormerNode() {
        // PyTorch 1.13 moves no hook when a view's in-place gives the base CopySlices: the base's retained grad is that of its
        // former version. b = x*1; b.retain_grad(); b[0:2].mul_(2); (b*b).sum().backward(); b.grad: [8., 16., 6.]; x.grad [8., 16., 6.]
        Tensor x = leaf(1, 2, 3);
        Tensor b = x.mul(1);
        b.retainGrad();
        b.index("0:2").mulInPlace(2);
        b.mul(b).sum().backward();
        assertArrayEquals(new double[] {8, 16, 6}, b.grad().toDoubleArray());
        assertArrayEquals(new double[] {8, 16, 6}, x.grad().toDoubleArray());
    }

    // ------------------------------------------------------------------ gradcheck of view + in-place chains

    interface Chain {
        Tensor apply(Tensor[] in);
    }

    static Tensor f64(int seed, int... shape) {
        return new Generator(seed).uniform(DType.F64, 0.5, 1.5, shape).requiresGrad(true);
    }

    static void gradcheck(Chain chain, Tensor... inputs) {
        assertTrue(GradCheck.gradcheck(chain::apply, inputs, 1e-6, 1e-6, 1e-4));
    }

    @Test
    void gradcheckTheBaseChangedUnderALiveView() {
        gradcheck(in -> {
            Tensor b = in[0].mul(2);
            Tensor v = b.slice(0, 1, 3);
            b.mulInPlace(in[1]);   // y [4] broadcast over the rows
            return v.mul(v);
        }, f64(1, 3, 4), f64(2, 4));
    }

    @Test
    void gradcheckAnInPlaceThroughAViewOfAView() {
        gradcheck(in -> {
            Tensor b = in[0].sin();
            b.slice(0, 0, 2).t().select(0, 1).mulInPlace(in[1]);
            return b.mul(b);
        }, f64(3, 3, 4), f64(4, 2));
    }

    @Test
    void gradcheckSlicesCopiedIntoATransposedPlainBuffer() {
        gradcheck(in -> {
            Tensor buf = Tensor.zeros(DType.F64, 4, 3).t().detach();   // a base laid out transposed: strides [1, 3]
            buf.slice(1, 1, 3).copyFrom(in[0]);
            Tensor row = buf.select(0, 2);
            buf.slice(0, 0, 2).addInPlace(in[1], 0.5);
            return buf.mul(row).add(buf.mul(buf));
        }, f64(5, 3, 2), f64(6, 2, 4));
    }

    @Test
    void gradcheckAStaleExpandedView() {
        gradcheck(in -> {
            Tensor b = in[0].mul(1);
            Tensor e = b.expand(3, 4);
            b.mulInPlace(in[0]);
            return e.mul(in[1]);
        }, f64(7, 3, 1), f64(8, 3, 4));
    }

    @Test
    void gradcheckSeveralInPlaceOpsOnViews() {
        gradcheck(in -> {
            Tensor b = in[0].mul(in[0]);
            b.slice(0, 0, 4).divInPlace(in[1]);
            b.slice(0, 2, 6).subInPlace(in[1].exp());
            b.slice(0, 1, 3).clampInPlace(-10, 10);
            return b.sin();
        }, f64(9, 6), f64(10, 4));
    }

    // ------------------------------------------------------------------ golden cases (make_view_inplace_golden.py)

    static final Map<String, GoldenTest.Replay> REPLAYS = new HashMap<>();

    static {
        REPLAYS.put("inplace_on_base_of_live_view", (in, out) -> {
            Tensor b = in.get("x").mul(1);
            Tensor v = b.index("0:2");
            b.mulInPlace(in.get("x"));
            v.backward(in.get("g"));
            out.put("v", v);
            out.put("b", b);
        });
        REPLAYS.put("copy_into_slice_of_plain_buffer", (in, out) -> {
            Tensor buf = Tensor.zeros(DType.F64, 3);
            buf.index("0:2").copyFrom(in.get("x"));
            Tensor y = buf.mul(buf).sum().add(in.get("x").sum());
            y.backward();
            out.put("buf", buf);
            out.put("y", y);
        });
        REPLAYS.put("inplace_mul_on_rows_of_nonleaf", (in, out) -> {
            Tensor b = in.get("x").mul(2);
            b.index("1:3").mulInPlace(in.get("w"));
            b.backward(in.get("g"));
            out.put("b", b);
        });
        REPLAYS.put("inplace_on_transposed_view_of_view", (in, out) -> {
            Tensor b = in.get("x").sin();
            b.t().select(0, 1).addInPlace(in.get("y"), 2);
            Tensor r = b.mul(b);
            r.backward(in.get("g"));
            out.put("r", r);
        });
        REPLAYS.put("inplace_ops_on_views_then_saved", (in, out) -> {
            Tensor b = in.get("x").sin();
            b.index("0:2").divInPlace(in.get("y"));
            b.index("2:4").clampInPlace(-1, 1);
            b.index("4:6").zeroInPlace();
            Tensor r = b.mul(b).sum();
            r.backward();
            out.put("b", b);
            out.put("r", r);
        });
        REPLAYS.put("stale_views_rebuilt_over_base", (in, out) -> {
            Tensor b = in.get("x").mul(1);
            Tensor w = b.index("0:3").view(3, 1).expand(3, 2);
            b.mulInPlace(in.get("x"));
            w.backward(in.get("g"));
            out.put("w", w);
        });
        REPLAYS.put("view_of_leaf_after_nograd_update", (in, out) -> {
            Tensor v = in.get("x").index("0:2");
            try (var off = Grad.disabled()) {
                in.get("x").mulInPlace(2);
            }
            v.backward(in.get("g"));
            out.put("v", v);
        });
        REPLAYS.put("retain_grad_then_inplace", (in, out) -> {
            Tensor y = in.get("x").mul(3);
            y.retainGrad();
            y.mulInPlace(2);
            y.sum().backward();
            out.put("y", y);
            out.put("yg", y.grad());
        });
        REPLAYS.put("retain_grad_then_two_inplaces", (in, out) -> {
            Tensor y = in.get("x").mul(1);
            y.retainGrad();
            y.addInPlace(1);
            y.mulInPlace(3);
            y.mul(y).sum().backward();
            out.put("y", y);
            out.put("yg", y.grad());
        });
        REPLAYS.put("retain_grad_view_then_base_inplace", (in, out) -> {
            Tensor b = in.get("x").mul(1);
            Tensor v = b.index("0:2");
            v.retainGrad();
            b.mulInPlace(2);
            v.mul(v).sum().backward();
            out.put("vg", v.grad());
        });
        REPLAYS.put("two_inplaces_on_one_view_then_base", (in, out) -> {
            Tensor x = in.get("x"), y = in.get("y");
            Tensor b = x.mul(1);
            Tensor v = b.index("1:3");
            v.mulInPlace(y);
            v.addInPlace(y);
            b.mulInPlace(x);
            Tensor r = b.mul(v.sum()).sum();
            r.backward();
            out.put("b", b);
            out.put("r", r);
        });
        REPLAYS.put("row_and_column_of_a_matrix_inplace", (in, out) -> {
            Tensor b = in.get("x").mul(1);
            b.index("1").copyFrom(in.get("y"));
            b.index(":, 2").mulInPlace(in.get("z"));
            Tensor r = b.mul(b).sum();
            r.backward();
            out.put("b", b);
            out.put("r", r);
        });
    }

    @TestFactory
    Stream<DynamicTest> everyViewInplaceGoldenCaseReplaysLikePyTorch() throws Exception {
        JsonArray cases = GoldenData.read("/golden/view-inplace-golden.json").getAsJsonArray("cases");
        assertEquals(REPLAYS.size(), cases.size(), "one replay per recorded case");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonElement ce : cases) {
            JsonObject c = ce.getAsJsonObject();
            String name = c.get("name").getAsString();
            tests.add(DynamicTest.dynamicTest(name, () -> replay(name, c)));
        }
        return tests.stream();
    }

    static void replay(String name, JsonObject c) {
        GoldenTest.Replay replay = REPLAYS.get(name);
        assertNotNull(replay, name + ": no Java replay written for this case");
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : c.getAsJsonObject("inputs").entrySet()) in.put(e.getKey(), GoldenTest.tensor(e.getValue().getAsJsonObject()));
        Map<String, Object> out = new HashMap<>();
        replay.run(in, out);
        for (Map.Entry<String, JsonElement> e : c.getAsJsonObject("outputs").entrySet()) {
            assertTrue(out.containsKey(e.getKey()), name + ": the replay produced no output '" + e.getKey() + "'");
            GoldenTest.compare(name + " output " + e.getKey(), e.getValue(), out.get(e.getKey()), 1e-12, 1e-12);
        }
        for (Map.Entry<String, JsonElement> e : c.getAsJsonObject("grads").entrySet()) {
            Tensor x = in.get(e.getKey());
            if (e.getValue().isJsonNull()) {
                assertNull(x.grad(), name + ": " + e.getKey() + ".grad should be None");
            } else {
                assertNotNull(x.grad(), name + ": " + e.getKey() + ".grad is missing");
                GoldenTest.compare(name + " " + e.getKey() + ".grad", e.getValue(), x.grad(), 1e-12, 1e-12);
            }
        }
    }
}
