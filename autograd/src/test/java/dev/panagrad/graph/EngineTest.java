package dev.panagrad.graph;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.MemoryScope;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The graph core on its own: the engine, nodes and saved values run over {@link Scalar}, a toy value
 * type, with no Tensor anywhere. Expected values are PyTorch 1.13's for the same program on 0-dim
 * float64 tensors (each test quotes it).
 */
class EngineTest {
    static final String FREED = "Trying to backward through the graph a second time (or directly access saved tensors after"
            + " they have already been freed). Saved intermediate values of the graph are freed when you call .backward()"
            + " or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if"
            + " you need to access saved tensors after calling backward.";
    /** What Panagrad adds after PyTorch's text: the Java call that does what retain_graph=True does. */
    static final String JAVA_HINT = " (In Java, retain_graph=True is tensor.backward(gradient, true), gradient null for a scalar.)";

    @AfterEach
    void stopTracking() {
        Scalar.made = null;
    }

    @Test
    void aDiamondAddsUpBothPathsAndReturnsEveryBufferTheEngineMade() {
        // x = torch.tensor(2., dtype=torch.float64, requires_grad=True); a = x * 3; b = x * x; out = a * b
        // a.retain_grad(); out.backward()
        // x.grad: 36. (out = 3x³, 9x²); a.grad: 4. (= b); out.grad_fn.next_functions: ((MulBackward0, 0), (MulBackward0, 0));
        // b.grad_fn.next_functions: ((AccumulateGrad, 0), (AccumulateGrad, 0)), the same AccumulateGrad twice
        Scalar x = Scalar.leaf(2);
        Scalar a = x.mul(3), b = x.mul(x), out = a.mul(b);
        a.gradFn().addRetainer(a);
        assertEquals(24, out.value);
        assertEquals("MulBackward0", out.gradFn().name());
        assertEquals(List.of(a.gradFn(), b.gradFn()), out.gradFn().nextFunctions());
        List<Node<Scalar>> xs = b.gradFn().nextFunctions();
        assertEquals("AccumulateGrad", xs.get(0).name());
        assertSame(xs.get(0), xs.get(1));
        assertSame(x, ((AccumulateGrad<Scalar>) xs.get(0)).variable());

        Scalar.made = new ArrayList<>();
        Engine.backward(out, null, false);

        assertEquals(36, x.grad().value);
        assertEquals(1, x.accumulateCalls);   // both paths summed first, then one AccumulateGrad
        assertEquals(4, a.grad().value);
        // the seed, each formula's results, the sums: all back in the pool; the leaf's .grad and the retained grad stay
        List<Scalar> kept = Scalar.made.stream().filter(s -> !s.storage().isReleased()).toList();
        assertEquals(2, kept.size(), () -> "live after backward: " + kept);
        assertTrue(kept.contains(x.grad()) && kept.contains(a.grad()));
        assertTrue(Scalar.made.size() > 6, () -> "made during backward: " + Scalar.made);
    }

    @Test
    void retainGraphAccumulatesThenTheFreedGraphRefusesWithPyTorchsMessage() {
        // x = torch.tensor(2., dtype=torch.float64, requires_grad=True); y = x * x
        // y.backward(retain_graph=True)  -> x.grad 4.
        // y.backward()                   -> x.grad 8.
        // y.backward()                   -> RuntimeError: Trying to backward through the graph a second time ...
        Scalar x = Scalar.leaf(2);
        Scalar y = x.mul(x);
        Engine.backward(y, null, true);
        assertEquals(4, x.grad().value);
        assertEquals(2, y.gradFn().saved(0).value);   // still there
        Engine.backward(y, null, false);
        assertEquals(8, x.grad().value);

        var again = assertThrows(IllegalStateException.class, () -> Engine.backward(y, null, false));
        assertEquals(FREED + JAVA_HINT, again.getMessage());
        var saved = assertThrows(IllegalStateException.class, () -> y.gradFn().saved(0));
        assertEquals(FREED + JAVA_HINT, saved.getMessage());
        assertEquals(8, x.grad().value);
    }

    @Test
    void aSavedValueChangedInPlaceFailsWithItsVersions() {
        // x = torch.tensor(2., dtype=torch.float64, requires_grad=True); a = x * 2; b = a * a
        // with torch.no_grad(): a.mul_(2)
        // b.backward() -> RuntimeError: one of the variables needed for gradient computation has been modified by an
        // inplace operation: [torch.DoubleTensor []], which is output 0 of MulBackward0, is at version 1; expected version 0
        // instead. Hint: ...
        Scalar x = Scalar.leaf(2);
        Scalar a = x.mul(2);
        Scalar b = a.mul(a);
        a.overwrittenInPlace();
        var e = assertThrows(IllegalStateException.class, () -> Engine.backward(b, null, false));
        assertEquals("one of the variables needed for gradient computation has been modified by an inplace operation:"
                + " [torch.DoubleTensor []], which is output 0 of MulBackward0, is at version 1; expected version 0 instead."
                + " Hint: enable anomaly detection to find the operation that failed to compute its gradient,"
                + " with torch.autograd.set_detect_anomaly(True).", e.getMessage().substring(0, e.getMessage().indexOf(" (In Java:")));
        assertTrue(e.getMessage().endsWith(" (In Java: try (var anomaly = Grad.detectAnomaly()) { ... } around the forward and the backward.)"), e.getMessage());
        assertNull(x.grad());
        assertTrue(GradMode.isEnabled());   // the engine's grad-off section ended with the error
    }

    @Test
    void aLongChainCountsDependenciesAndRunsEachNodeOnce() {
        // x = torch.tensor(2., dtype=torch.float64, requires_grad=True); y = x
        // for i in range(20000): y = y + x
        // y.backward() -> x.grad: 20001.
        try (var scope = MemoryScope.open("chain")) {
            Scalar x = Scalar.leaf(2);
            Scalar y = x;
            for (int i = 0; i < 20_000; i++) y = y.add(x);
            assertEquals(40_002, y.value);
            Engine.backward(y, null, false);   // 20 000 AddBackward0 nodes, no recursion
            assertEquals(20_001, x.grad().value);
            assertEquals(1, x.accumulateCalls);   // x's node waited for all 20 001 edges into it, then ran once
        }
    }
}
