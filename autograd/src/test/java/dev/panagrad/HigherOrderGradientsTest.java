package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.panagrad.autograd.Autograd;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.Functional;
import dev.panagrad.optim.Adam;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * create_graph and {@link Autograd#grad}: second derivatives, a Hessian-vector product and a trained
 * gradient penalty against PyTorch 1.13's numbers (recorded by {@code record_golden.py},
 * {@code higher_order_training()}, into {@code pytorch-fuzz.json}; the named programs of the same issue
 * replay in {@link FuzzReplayTest}).
 */
class HigherOrderGradientsTest {
    static final JsonObject RECORD = FuzzReplayTest.FUZZ.getAsJsonObject("higher_order");
    static final GoldenData.Tolerance F64 = new GoldenData.Tolerance(1e-9, 1e-12);

    @Test
    void secondDerivativeOfTheCubeIsSixX() {
        // x = torch.tensor([2., -1.5, .5], dtype=torch.float64, requires_grad=True)
        // (x ** 3).sum().backward(create_graph=True); x.grad -> [12., 6.75, .75], grad_fn=<CopyBackwards>
        Tensor x = Tensor.of(DType.F64, 2, -1.5, 0.5).requiresGrad(true);
        x.pow(3).sum().backward(null, false, true);
        Tensor g = x.grad();
        assertArrayEquals(new double[] {12, 6.75, 0.75}, g.toDoubleArray(), 1e-12);
        assertEquals("CopyBackwards", g.gradFn().name());
        x.setGrad(null);
        g.sum().backward();
        assertArrayEquals(new double[] {12, -9, 3}, x.grad().toDoubleArray(), 1e-12);   // 6x

        // the functional form: torch.autograd.grad(y, x, create_graph=True), then again
        Tensor dy = Autograd.grad(x.pow(3).sum(), x)[0];
        Tensor d2y = Autograd.grad(List.of(dy.sum()), List.of(x), null, false, false, false)[0];
        assertArrayEquals(new double[] {12, -9, 3}, d2y.toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {12, -9, 3}, x.grad().toDoubleArray(), 1e-12, "autograd.grad accumulates nothing");
    }

    @Test
    void aSecondBackwardWithCreateGraphAddsOutOfPlace() {
        // after two (x ** 3).sum().backward(create_graph=True): x.grad = [24.], grad_fn=<AddBackward0>
        Tensor x = Tensor.of(DType.F64, 2).requiresGrad(true);
        x.pow(3).sum().backward(null, false, true);
        x.pow(3).sum().backward(null, false, true);
        assertEquals(24, x.grad().item());
        assertEquals("AddBackward0", x.grad().gradFn().name());
    }

    @Test
    void pyTorchsMessagesForAutogradGrad() {
        Tensor a = Tensor.of(DType.F64, 1, 2).requiresGrad(true), b = Tensor.of(DType.F64, 1).requiresGrad(true);
        var unused = assertThrows(IllegalStateException.class, () -> Autograd.grad(List.of(a.mul(a).sum()), List.of(a, b), null, false, false, false));
        assertEquals("One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.", unused.getMessage());
        var noGrad = assertThrows(IllegalStateException.class, () -> Autograd.grad(List.of(a.sum()), List.of(Tensor.ones(2)), null, false, false, false));
        assertEquals("One of the differentiated Tensors does not require grad", noGrad.getMessage());
        var nonScalar = assertThrows(IllegalArgumentException.class, () -> Autograd.grad(List.of(a.mul(2)), List.of(a), null, false, false, false));
        assertEquals("grad can be implicitly created only for scalar outputs", nonScalar.getMessage());
        var noGraph = assertThrows(IllegalStateException.class, () -> Autograd.grad(List.of(Tensor.ones(1)), List.of(a), null, false, false, false));
        assertEquals("element 0 of tensors does not require grad and does not have a grad_fn", noGraph.getMessage());
        Tensor[] g = Autograd.grad(List.of(a.mul(a).sum()), List.of(a, b), null, false, false, true);
        assertArrayEquals(new double[] {2, 4}, g[0].toDoubleArray());
        assertNull(g[1]);
        assertNull(a.grad());
    }

    @Test
    void autogradGradLeavesTheFusedLinearWeightGradientAlone() {
        // w = torch.ones(3, 2, requires_grad=True); torch.autograd.grad(F.linear(torch.ones(4, 2), w).sum(), [w]) -> 4s, w.grad None
        Tensor w = Tensor.ones(DType.F64, 3, 2).requiresGrad(true), x = Tensor.ones(DType.F64, 4, 2);
        Tensor[] g = Autograd.grad(List.of(Tensor.linear(x, w, null, true).sum()), List.of(w), null, false, false, false);
        assertArrayEquals(new double[] {4, 4, 4, 4, 4, 4}, g[0].toDoubleArray());
        assertNull(w.grad());
        // asked for x only: w's gradient is not written into w.grad on the way
        Tensor xg = x.detach().requiresGrad(true);
        Autograd.grad(List.of(Tensor.linear(xg, w, null, false).sum()), List.of(xg), null, false, false, false);
        assertNull(w.grad());
    }

    @Test
    void underCreateGraphTheEngineReturnsNoBufferToThePool() {
        // the second graph saves gradients the engine made (the seed expanded, sin's product): they must stay readable.
        // x = torch.tensor([.5, 1., 2.], dtype=torch.float64, requires_grad=True); g, = grad((x.sin() * x).sum(), x, create_graph=True)
        // grad((g * g).sum(), x) -> 2·g·(2cos x − x sin x)
        try (var scope = MemoryScope.open("create_graph")) {
            Tensor x = Tensor.of(DType.F64, 0.5, 1, 2).requiresGrad(true);
            Tensor g = Autograd.grad(x.sin().mul(x).sum(), x)[0];
            Tensor h = Autograd.grad(List.of(g.mul(g).sum()), List.of(x), null, false, false, false)[0];
            double[] xs = {0.5, 1, 2}, got = h.toDoubleArray(), gv = g.toDoubleArray();
            for (int i = 0; i < 3; i++) {
                double gi = Math.sin(xs[i]) + xs[i] * Math.cos(xs[i]);
                assertEquals(gi, gv[i], 1e-12);
                assertEquals(2 * gi * (2 * Math.cos(xs[i]) - xs[i] * Math.sin(xs[i])), got[i], 1e-12);
            }
        }
    }

    private static Map<String, Tensor> inputs(JsonObject c, boolean requireGrad, String... names) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        JsonObject in = c.getAsJsonObject("inputs");
        for (String n : names) {
            Tensor t = GoldenData.tensor(in.getAsJsonObject(n));
            m.put(n, requireGrad ? t.requiresGrad(true) : t);
        }
        return m;
    }

    private static void assertMatches(JsonObject want, Tensor got, String what) {
        String m = GoldenData.mismatch(GoldenData.expected(want), GoldenData.snapshot(got), F64);
        assertNull(m, what + ": " + m);
    }

    @Test
    void hessianVectorProductOfAnMlpMatchesPyTorch() {
        JsonObject c = RECORD.getAsJsonObject("hvp_mlp");
        Tensor x = inputs(c, false, "x").get("x");
        JsonArray ts = c.getAsJsonArray("target");
        long[] target = new long[ts.size()];
        for (int i = 0; i < target.length; i++) target[i] = ts.get(i).getAsLong();
        Map<String, Tensor> p = inputs(c, true, "w1", "b1", "w2", "b2");
        Tensor loss = Functional.crossEntropy(Tensor.linear(Tensor.linear(x, p.get("w1"), p.get("b1"), true), p.get("w2"), p.get("b2"), false),
                Tensor.fromArray(target, target.length));
        assertEquals(c.get("loss").getAsDouble(), loss.item(), 1e-12);
        List<Tensor> params = new ArrayList<>(p.values());
        Tensor[] grads = Autograd.grad(List.of(loss), params, null, true, true, false);
        Tensor dot = null;
        int i = 0;
        for (String k : p.keySet()) {
            assertMatches(c.getAsJsonObject("grads").getAsJsonObject(k), grads[i], "grad " + k);
            Tensor term = grads[i++].mul(inputs(c, false, "v_" + k).get("v_" + k)).sum();
            dot = dot == null ? term : dot.add(term);
        }
        Tensor[] hv = Autograd.grad(List.of(dot), params, null, false, false, false);
        i = 0;
        for (String k : p.keySet()) assertMatches(c.getAsJsonObject("hv").getAsJsonObject(k), hv[i++], "Hv " + k);
        for (Tensor t : params) assertNull(t.grad(), "autograd.grad wrote no .grad");
    }

    @Test
    void aGradientPenaltyTrainsAsInPyTorch() {
        JsonObject c = RECORD.getAsJsonObject("gradient_penalty");
        Map<String, Tensor> data = inputs(c, false, "real", "fake", "a");
        Map<String, Tensor> q = inputs(c, true, "w1", "b1", "w2", "b2");
        Tensor real = data.get("real"), fake = data.get("fake"), a = data.get("a");
        java.util.function.Function<Tensor, Tensor> critic = z -> Tensor.linear(Tensor.linear(z, q.get("w1"), q.get("b1"), false).tanh(), q.get("w2"), q.get("b2"), false);
        var opt = new Adam(new ArrayList<>(q.values()), 0.01);
        JsonArray losses = c.getAsJsonArray("losses"), penalties = c.getAsJsonArray("penalties");
        for (int step = 0; step < losses.size(); step++) {
            opt.zeroGrad();
            Tensor xh = a.mul(real).add(a.rsub(1).mul(fake)).detach().requiresGrad(true);
            Tensor gx = Autograd.grad(critic.apply(xh).sum(), xh)[0];
            Tensor gp = gx.pow(2).sum(1).sqrt().sub(1).pow(2).mean();
            Tensor loss = critic.apply(fake).mean().sub(critic.apply(real).mean()).add(gp.mul(10));
            loss.backward();
            opt.step();
            assertEquals(penalties.get(step).getAsDouble(), gp.item(), 1e-10, "penalty at step " + step);
            assertEquals(losses.get(step).getAsDouble(), loss.item(), 1e-10, "loss at step " + step);
        }
        for (String k : q.keySet()) assertMatches(c.getAsJsonObject("params_after").getAsJsonObject(k), q.get(k), k + " after 5 steps");
    }
}
