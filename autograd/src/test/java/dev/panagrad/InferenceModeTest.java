package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.ReLU;
import dev.panagrad.nn.Sequential;
import org.junit.jupiter.api.Test;

/**
 * {@link Grad#inferenceMode()}. PyTorch's messages and results are replayed from recorded programs in
 * {@link FuzzReplayTest} (group "issue 12: inference mode"); here: the scope, what is an inference
 * tensor, the version counter, and a model's forward.
 */
class InferenceModeTest {
    @Test
    void tensorsMadeInsideAreInferenceTensorsViewsOfNormalOnesAreNot() {
        // with torch.inference_mode(): t = torch.ones(2) * 2; v = n[0:1]  ->  t.is_inference() True, v.is_inference() False
        Tensor n = Tensor.ones(2);
        Tensor t, v, tv;
        try (var inference = Grad.inferenceMode()) {
            assertTrue(Grad.isInferenceModeEnabled());
            assertFalse(Grad.isEnabled());
            t = Tensor.ones(2).mul(2);
            v = n.index("0:1");
            tv = t.index("0:1");
        }
        assertFalse(Grad.isInferenceModeEnabled());
        assertTrue(Grad.isEnabled(), "grad mode restored");
        assertTrue(t.isInference());
        assertTrue(tv.isInference(), "a view of an inference tensor");
        assertFalse(v.isInference(), "a view of a normal tensor");
        assertFalse(n.isInference());
        assertFalse(t.clone().isInference());
    }

    @Test
    void anInferenceTensorHasNoVersionCounter() {
        Tensor n = Tensor.ones(2);
        try (var inference = Grad.inferenceMode()) {
            Tensor t = Tensor.ones(2);
            t.addInPlace(1);
            t.mulInPlace(3);
            assertEquals(0, t.storageVersion());
            n.addInPlace(1);   // a normal tensor written inside still counts (PyTorch: n._version 1)
        }
        assertEquals(1, n.storageVersion());
    }

    @Test
    void aModelForwardInInferenceModeMatchesTheNoGradOneAndRecordsNothing() {
        try (var scope = MemoryScope.open("inference")) {
            var model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
            Tensor x = new Generator(3).rand(dev.panagrad.memory.DType.F32, 5, 4);
            Tensor want;
            try (var off = Grad.disabled()) {
                want = model.forward(x);
            }
            try (var inference = Grad.inferenceMode()) {
                Tensor got = model.forward(x);
                assertFalse(got.requiresGrad());
                assertNull(got.gradFn());
                assertTrue(got.isInference());
                assertArrayEquals(want.toFloatArray(), got.toFloatArray());
            }
        }
    }
}
