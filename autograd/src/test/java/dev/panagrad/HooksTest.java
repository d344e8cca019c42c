package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.panagrad.autograd.Autograd;
import dev.panagrad.graph.RemovableHandle;
import dev.panagrad.memory.DType;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.ReLU;
import dev.panagrad.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tensor hooks and module hooks against PyTorch 1.13: each test runs the snippet of one entry of
 * {@code pytorch-fuzz.json}'s "hooks" (recorded by {@code record_golden.py}, {@code hook_cases()}) and
 * compares what each hook saw, in order, and the resulting gradients.
 */
class HooksTest {
    static final JsonObject RECORD = FuzzReplayTest.FUZZ.getAsJsonObject("hooks");

    /** [name, values] in call order, as the Python side logs them. */
    private final List<Object[]> log = new ArrayList<>();

    private Tensor logged(String name, Tensor g) {
        log.add(new Object[] {name, g.toDoubleArray()});
        return g;
    }

    private void assertLog(JsonArray want) {
        assertEquals(want.size(), log.size(), () -> "hook calls: " + log.stream().map(e -> (String) e[0]).toList());
        for (int i = 0; i < want.size(); i++) {
            JsonArray w = want.get(i).getAsJsonArray();
            assertEquals(w.get(0).getAsString(), log.get(i)[0], "hook call " + i);
            assertArrayEquals(doubles(w.get(1)), (double[]) log.get(i)[1], 1e-12, "what hook " + w.get(0).getAsString() + " saw");
        }
    }

    private static double[] doubles(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).getAsDouble();
        return d;
    }

    @Test
    void hooksRunInOrderModifyTheGradientAndAreRemoved() {
        JsonObject c = RECORD.getAsJsonObject("order_and_modified");
        // y = x * 3; y.register_hook(g*2); y.retain_grad(); y.register_hook(g+1); x.register_hook(g*10); h = x.register_hook(log)
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        Tensor y = x.mul(3);
        y.registerHook(g -> logged("y1", g).mul(2));
        y.retainGrad();
        y.registerHook(g -> logged("y2", g).add(1));
        x.registerHook(g -> logged("x1", g).mul(10));
        RemovableHandle h = x.registerHook(g -> {
            logged("x2", g);
            return null;
        });
        y.mul(y).sum().backward();
        assertLog(c.getAsJsonArray("log"));
        assertArrayEquals(doubles(c.get("x_grad")), x.grad().toDoubleArray(), 1e-6);
        assertArrayEquals(doubles(c.get("y_grad")), y.grad().toDoubleArray(), 1e-6, "retain_grad sees every hook of the tensor (they sit at the first one's place)");

        JsonObject after = RECORD.getAsJsonObject("after_remove");
        log.clear();
        h.remove();
        h.remove();   // twice: nothing more
        x.setGrad(null);
        x.mul(3).mul(x).sum().backward();
        assertLog(after.getAsJsonArray("log"));
        assertArrayEquals(doubles(after.get("x_grad")), x.grad().toDoubleArray(), 1e-6);
    }

    @Test
    void aRetainGradBeforeTheFirstHookSeesTheGradientUnmodified() {
        JsonObject c = RECORD.getAsJsonObject("retain_grad_before_hook");
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        Tensor y = x.mul(3);
        y.retainGrad();
        y.registerHook(g -> logged("y", g).mul(2));
        y.sum().backward();
        assertLog(c.getAsJsonArray("log"));
        assertArrayEquals(doubles(c.get("x_grad")), x.grad().toDoubleArray(), 1e-6);
        assertArrayEquals(doubles(c.get("y_grad")), y.grad().toDoubleArray(), 1e-6);
    }

    @Test
    void autogradGradCapturesBeforeHooksAndRunsNoLeafHook() {
        JsonObject c = RECORD.getAsJsonObject("autograd_grad");
        Tensor a = Tensor.of(1, 2).requiresGrad(true);
        a.registerHook(g -> logged("a", g).mul(100));
        Tensor b = a.mul(2);
        b.registerHook(g -> logged("b", g).mul(5));
        Tensor[] g = Autograd.grad(List.of(b.mul(b).sum()), List.of(a, b), null, false, false, false);
        assertLog(c.getAsJsonArray("log"));
        assertArrayEquals(doubles(c.get("ga")), g[0].toDoubleArray(), 1e-6);
        assertArrayEquals(doubles(c.get("gb")), g[1].toDoubleArray(), 1e-6);
    }

    @Test
    void aHookMayKeepTheGradientItIsGiven() {
        // gradient logging: the engine returns its gradient temporaries to the pool, but not one a hook has seen
        List<Tensor> kept = new ArrayList<>();
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        Tensor y = x.mul(x);
        y.registerHook(g -> {
            kept.add(g);
            return null;
        });
        y.mul(3).sum().backward();
        assertArrayEquals(new double[] {3, 3}, kept.get(0).toDoubleArray());
        assertArrayEquals(new double[] {6, 12}, x.grad().toDoubleArray());
    }

    @Test
    void pyTorchsMessages() {
        JsonObject m = RECORD.getAsJsonObject("messages");
        var noGrad = assertThrows(IllegalStateException.class, () -> Tensor.ones(2).registerHook(g -> g));
        assertEquals(m.get("no_grad").getAsString(), noGrad.getMessage());
        Tensor c = Tensor.of(1, 2).requiresGrad(true);
        c.registerHook(g -> Tensor.ones(3));
        var size = assertThrows(IllegalStateException.class, () -> c.mul(2).sum().backward());
        assertEquals(m.get("size").getAsString(), size.getMessage());
        Tensor d = Tensor.of(1, 2).requiresGrad(true);
        d.registerHook(g -> g.to(DType.F64));
        var type = assertThrows(IllegalStateException.class, () -> d.mul(2).sum().backward());
        assertEquals(m.get("type").getAsString(), type.getMessage());
    }

    @Test
    void aHookOnALinearWeightSeesItsGradientAndTheFusedGemmStepsAside() {
        // the fused linear writes a weight's gradient straight into .grad; with a hook on the weight it must go through the hook
        Tensor w = Tensor.ones(DType.F64, 3, 2).requiresGrad(true), x = Tensor.ones(DType.F64, 4, 2);
        w.registerHook(g -> logged("w", g).mul(0.5));
        Tensor.linear(x, w, null, true).sum().backward();
        assertEquals(1, log.size());
        assertArrayEquals(new double[] {4, 4, 4, 4, 4, 4}, (double[]) log.get(0)[1]);
        assertArrayEquals(new double[] {2, 2, 2, 2, 2, 2}, w.grad().toDoubleArray());
    }

    @Test
    void moduleHooksAsInPyTorch() {
        JsonObject c = RECORD.getAsJsonObject("module_hooks");
        JsonObject in = c.getAsJsonObject("inputs");
        Linear l0 = new Linear(3, 2), l2 = new Linear(2, 1);
        Sequential m = new Sequential(l0, new ReLU(), l2);
        try (var off = Grad.disabled()) {   // m.double(); copy the recorded weights
            for (var e : List.of(List.of(l0, "w1", "b1"), List.of(l2, "w2", "b2"))) {
                Linear l = (Linear) e.get(0);
                l.weight().copyFrom(GoldenData.tensor(in.getAsJsonObject((String) e.get(1))));
                l.bias().copyFrom(GoldenData.tensor(in.getAsJsonObject((String) e.get(2))));
            }
        }
        // float32 parameters: Panagrad's Linear is float32; the recorded run is float64, so tolerances are float32's
        l0.registerForwardPreHook((mod, x) -> logged("pre0", x).mul(2));
        l0.registerForwardHook((mod, x, o) -> logged("fwd0", o).add(1));
        l2.registerFullBackwardHook((mod, gi, go) -> {
            logged("bwd2_in", gi[0]);
            logged("bwd2_out", go[0]);
            return new Tensor[] {gi[0].mul(0.5)};
        });
        l0.registerFullBackwardHook((mod, gi, go) -> {
            logged("bwd0_in", gi[0]);
            logged("bwd0_out", go[0]);
            return null;
        });
        Tensor x = GoldenData.tensor(in.getAsJsonObject("x")).to(DType.F32).requiresGrad(true);
        Tensor y = m.call(x);
        assertEquals(c.get("grad_fn").getAsString(), y.gradFn().name());
        assertArrayEquals(doubles(c.get("output")), y.toDoubleArray(), 1e-5);
        y.sum().backward();
        JsonArray want = c.getAsJsonArray("log");
        assertEquals(want.size(), log.size(), () -> "hook calls: " + log.stream().map(e -> (String) e[0]).toList());
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i).getAsJsonArray().get(0).getAsString(), log.get(i)[0]);
            assertArrayEquals(doubles(want.get(i).getAsJsonArray().get(1)), (double[]) log.get(i)[1], 1e-5, "what " + log.get(i)[0] + " saw");
        }
        JsonObject grads = c.getAsJsonObject("grads");
        assertArrayEquals(doubles(grads.get("w1")), l0.weight().grad().toDoubleArray(), 1e-5);
        assertArrayEquals(doubles(grads.get("b1")), l0.bias().grad().toDoubleArray(), 1e-5);
        assertArrayEquals(doubles(grads.get("w2")), l2.weight().grad().toDoubleArray(), 1e-5);
        assertArrayEquals(doubles(grads.get("b2")), l2.bias().grad().toDoubleArray(), 1e-5);
        assertArrayEquals(doubles(grads.get("x")), x.grad().toDoubleArray(), 1e-5);
    }

    @Test
    void aFullBackwardHookOnAModuleWhoseInputNeedsNoGradientGetsNone() {
        // m = nn.Linear(2, 1).double(); weight [[.5, -1.]], bias .25; hook logs (gi[0], go[0]); x [[1, 2], [3, 4]] without grad
        // y = m(x); y.sum().backward() -> log [(None, [[1.], [1.]])], m.weight.grad [[4., 6.]], y.grad_fn BackwardHookFunctionBackward
        Linear m = new Linear(2, 1);
        try (var off = Grad.disabled()) {
            m.weight().copyFrom(Tensor.fromArray(DType.F32, new double[] {0.5, -1}, 1, 2));
            m.bias().fillInPlace(0.25);
        }
        List<Tensor[]> seen = new ArrayList<>();
        m.registerFullBackwardHook((mod, gi, go) -> {
            seen.add(new Tensor[] {gi[0], go[0].clone()});
            return null;
        });
        Tensor y = m.call(Tensor.fromArray(DType.F32, new double[] {1, 2, 3, 4}, 2, 2));
        assertEquals("BackwardHookFunctionBackward", y.gradFn().name());
        y.sum().backward();
        assertEquals(1, seen.size());
        assertNull(seen.get(0)[0]);
        assertArrayEquals(new double[] {1, 1}, seen.get(0)[1].toDoubleArray());
        assertArrayEquals(new double[] {4, 6}, m.weight().grad().toDoubleArray());
    }
}
