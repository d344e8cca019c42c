package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.panagrad.memory.DType;
import dev.panagrad.nn.ClipGrad;
import dev.panagrad.nn.Functional;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.Reduction;
import dev.panagrad.optim.Adam;
import dev.panagrad.optim.AdamW;
import dev.panagrad.optim.Optimizer;
import dev.panagrad.optim.SGD;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every case of {@code golden/pytorch-golden.json} (recorded from PyTorch 1.13.1): the same
 * computation in Java, forward values and every {@code .grad} compared within the README's
 * tolerances. A case without a Java replay fails; none is skipped.
 */
class GoldenTest {

    /** One case's computation: inputs by name in, outputs by name out (Tensor, Double or List<Double>). */
    interface Replay {
        void run(Map<String, Tensor> in, Map<String, Object> out);
    }

    static final Map<String, Replay> REPLAYS = new HashMap<>();

    static void unaryCase(String name, java.util.function.UnaryOperator<Tensor> f) {
        REPLAYS.put(name, (in, out) -> {
            Tensor y = f.apply(in.get("x"));
            y.backward(in.get("g"));
            out.put("y", y);
        });
    }

    static void binaryCase(String name, java.util.function.BinaryOperator<Tensor> f) {
        REPLAYS.put(name, (in, out) -> {
            Tensor y = f.apply(in.get("a"), in.get("b"));
            y.backward(in.get("g"));
            out.put("y", y);
        });
    }

    interface OptimizerFactory {
        Optimizer make(List<Tensor> params);
    }

    static void linearCase(String name, int steps, OptimizerFactory factory) {
        REPLAYS.put(name, (in, out) -> {
            Linear lin = new Linear(4, 3, true, DType.F64, new Generator(0));
            try (var off = Grad.disabled()) {
                lin.weight().copyFrom(in.get("W"));
                lin.bias().copyFrom(in.get("bias"));
            }
            Optimizer opt = factory.make(lin.parameters());
            List<Double> losses = new ArrayList<>();
            for (int step = 0; step < steps; step++) {
                opt.zeroGrad();
                Tensor loss = Functional.mseLoss(lin.forward(in.get("x")), in.get("t"));
                loss.backward();
                losses.add(loss.item());
                if (step == 0) {
                    out.put("g_w0", lin.weight().grad().clone());
                    out.put("g_b0", lin.bias().grad().clone());
                }
                opt.step();
            }
            out.put("losses", losses);
            out.put("W1", lin.weight().detach().clone());
            out.put("b1", lin.bias().detach().clone());
        });
    }

    static {
        unaryCase("neg", Tensor::neg);
        unaryCase("exp", Tensor::exp);
        unaryCase("log", Tensor::log);
        unaryCase("sin", Tensor::sin);
        unaryCase("cos", Tensor::cos);
        unaryCase("tanh", Tensor::tanh);
        unaryCase("sigmoid", Tensor::sigmoid);
        unaryCase("relu", Tensor::relu);
        unaryCase("clamp_min0", x -> x.clampMin(0));
        unaryCase("sqrt", Tensor::sqrt);
        unaryCase("abs", Tensor::abs);
        unaryCase("pow_scalar3", x -> x.pow(3));
        unaryCase("pow_scalar2", x -> x.pow(2));
        unaryCase("pow_scalar_frac", x -> x.pow(2.5));
        unaryCase("pow_scalar_neg", x -> x.pow(-1.5));
        binaryCase("add", Tensor::add);
        binaryCase("sub", Tensor::sub);
        binaryCase("mul", Tensor::mul);
        binaryCase("div", Tensor::div);
        binaryCase("add_alpha", (a, b) -> a.add(b, 2.5));
        binaryCase("pow_tensor", Tensor::pow);
        binaryCase("matmul_2d", Tensor::matmul);
        binaryCase("matmul_2d_f32", Tensor::matmul);
        binaryCase("matmul_batched_3d", Tensor::matmul);
        REPLAYS.put("scalar_chain_seed", (in, out) -> {
            Tensor y = in.get("x").pow(2);
            Tensor z = y.mul(2).add(3);
            z.backward();
            out.put("y", y);
            out.put("z", z);
        });
        REPLAYS.put("multi_var_seed", (in, out) -> {
            Tensor x = in.get("x"), y = in.get("y");
            Tensor z = x.pow(2).add(y.pow(3)).add(x.mul(2).mul(y));
            z.backward();
            out.put("z", z);
        });
        REPLAYS.put("chain_rule_seed", (in, out) -> {
            Tensor d = in.get("x").pow(2).add(3).pow(3).sum();
            d.backward();
            out.put("d", d);
        });
        REPLAYS.put("broadcast_add_bias", (in, out) -> backwardG(in, out, in.get("x").add(in.get("b"))));
        REPLAYS.put("broadcast_mul_row", (in, out) -> backwardG(in, out, in.get("x").mul(in.get("s"))));
        REPLAYS.put("broadcast_add_col_keepdim", (in, out) -> backwardG(in, out, in.get("x").add(in.get("c"))));
        REPLAYS.put("broadcast_scalar_tensor", (in, out) -> {
            Tensor s = in.get("s");
            Tensor y = in.get("x").mul(s).add(s);
            y.sum().backward();
            out.put("y", y);
        });
        REPLAYS.put("matvec", (in, out) -> backwardG(in, out, in.get("a").matmul(in.get("v"))));
        REPLAYS.put("dot_1d", (in, out) -> {
            Tensor y = in.get("a").matmul(in.get("b"));
            y.backward();
            out.put("y", y);
        });
        REPLAYS.put("sum_all", (in, out) -> {
            Tensor y = in.get("x").sum();
            y.backward();
            out.put("y", y);
        });
        REPLAYS.put("sum_dim1", (in, out) -> backwardG(in, out, in.get("x").sum(1)));
        REPLAYS.put("sum_dim0_keepdim", (in, out) -> backwardG(in, out, in.get("x").sum(0, true)));
        REPLAYS.put("mean_all", (in, out) -> {
            Tensor y = in.get("x").mean();
            y.backward();
            out.put("y", y);
        });
        REPLAYS.put("mean_dim1_keepdim", (in, out) -> backwardG(in, out, in.get("x").mean(1, true)));
        REPLAYS.put("max_dim1", (in, out) -> {
            Tensor.ValuesIndices vi = in.get("x").max(1);
            vi.values().backward(in.get("g"));
            out.put("v", vi.values());
            out.put("i", vi.indices());
        });
        REPLAYS.put("amax_dim1", (in, out) -> backwardG(in, out, in.get("x").amax(1)));
        REPLAYS.put("softmax", (in, out) -> backwardG(in, out, in.get("x").softmax(-1)));
        REPLAYS.put("log_softmax", (in, out) -> backwardG(in, out, in.get("x").logSoftmax(-1)));
        REPLAYS.put("cross_entropy_mean", (in, out) -> loss(out, Functional.crossEntropy(in.get("logits"), in.get("target"))));
        REPLAYS.put("cross_entropy_sum", (in, out) -> loss(out, Functional.crossEntropy(in.get("logits"), in.get("target"), Reduction.SUM)));
        REPLAYS.put("nll_of_log_softmax", (in, out) -> loss(out, Functional.nllLoss(in.get("logits").logSoftmax(1), in.get("target"))));
        REPLAYS.put("mse_loss_mean", (in, out) -> loss(out, Functional.mseLoss(in.get("pred"), in.get("target"))));
        REPLAYS.put("mse_loss_sum", (in, out) -> loss(out, Functional.mseLoss(in.get("pred"), in.get("target"), Reduction.SUM)));
        REPLAYS.put("mse_manual_seed_style", (in, out) -> loss(out, in.get("pred").sub(in.get("target")).pow(2).mean()));
        REPLAYS.put("transpose_t", (in, out) -> backwardG(in, out, in.get("x").t()));
        REPLAYS.put("permute", (in, out) -> backwardG(in, out, in.get("x").permute(2, 0, 1)));
        REPLAYS.put("view", (in, out) -> backwardG(in, out, in.get("x").view(2, 6)));
        REPLAYS.put("reshape_flatten", (in, out) -> backwardG(in, out, in.get("x").reshape(-1).mul(2)));
        REPLAYS.put("slice_rows", (in, out) -> backwardG(in, out, in.get("x").index("1:3")));
        REPLAYS.put("index_int_select", (in, out) -> backwardG(in, out, in.get("x").index("1")));
        REPLAYS.put("masked_fill_lt0", (in, out) -> {
            Tensor x = in.get("x");
            backwardG(in, out, x.maskedFill(x.lt(0), 0.0));
        });
        REPLAYS.put("custom_myrelu_seed", (in, out) -> backwardG(in, out, new CustomFunctionTest.MyReLU().apply(in.get("x"))));
        REPLAYS.put("where", (in, out) -> backwardG(in, out, Tensor.where(in.get("c").gt(0), in.get("a"), in.get("b"))));
        REPLAYS.put("cat_dim0", (in, out) -> backwardG(in, out, Tensor.cat(0, in.get("a"), in.get("b"))));
        REPLAYS.put("cat_dim1", (in, out) -> backwardG(in, out, Tensor.cat(1, in.get("a"), in.get("b"))));
        REPLAYS.put("stack_dim0", (in, out) -> backwardG(in, out, Tensor.stack(0, in.get("a"), in.get("b"))));
        REPLAYS.put("expand", (in, out) -> backwardG(in, out, in.get("x").expand(3, 4)));
        REPLAYS.put("unsqueeze_broadcast", (in, out) -> backwardG(in, out, in.get("x").unsqueeze(1).mul(in.get("w").unsqueeze(0))));
        REPLAYS.put("squeeze", (in, out) -> backwardG(in, out, in.get("x").squeeze(1).mul(3)));
        REPLAYS.put("grad_accumulation_two_backwards", (in, out) -> {
            Tensor x = in.get("x");
            x.pow(2).sum().backward();
            out.put("g1", x.grad().clone());
            x.pow(3).sum().backward();
        });
        REPLAYS.put("accumulation_seed_loop", (in, out) -> {
            for (int i = 0; i < 3; i++) in.get("x").pow(2).backward();
        });
        REPLAYS.put("retain_graph_double_backward", (in, out) -> {
            Tensor x = in.get("x");
            Tensor y = x.pow(2).sum();
            y.backward(null, true);
            out.put("g1", x.grad().clone());
            y.backward();
            out.put("y", y);
        });
        REPLAYS.put("backward_with_gradient_nonscalar", (in, out) -> {
            Tensor y = in.get("x").pow(2);
            y.backward(in.get("gr"));
            out.put("y", y);
        });
        REPLAYS.put("retain_grad_nonleaf", (in, out) -> {
            Tensor y = in.get("x").add(2);
            y.retainGrad();
            Tensor z = y.pow(2).sum();
            z.backward();
            out.put("z", z);
            out.put("yg", y.grad());
        });
        REPLAYS.put("reused_variable_fanout", (in, out) -> {
            Tensor x = in.get("x");
            Tensor a = x.mul(x);
            Tensor b = a.add(x);
            Tensor c = a.mul(b).sum();
            c.backward();
            out.put("c", c);
        });
        REPLAYS.put("detach_stops_grad", (in, out) -> {
            Tensor x = in.get("x");
            Tensor z = x.pow(2).detach().mul(x);
            z.sum().backward();
            out.put("z", z);
        });
        REPLAYS.put("clip_grad_norm_l2", (in, out) -> out.put("ret", clipSetup(in, p -> ClipGrad.clipGradNorm(p, 1.0))));
        REPLAYS.put("clip_grad_norm_noop", (in, out) -> out.put("ret", clipSetup(in, p -> ClipGrad.clipGradNorm(p, 100.0))));
        REPLAYS.put("clip_grad_value", (in, out) -> clipSetup(in, p -> {
            ClipGrad.clipGradValue(p, 0.5);
            return 0.0;
        }));
        linearCase("linear_mse_sgd_1step", 1, p -> new SGD(p, 0.1));
        linearCase("linear_mse_sgd_momentum_wd_3steps", 3, p -> new SGD(p, 0.1, 0.9, 0, 0.01, false));
        linearCase("linear_mse_adam_3steps", 3, p -> new Adam(p, 0.01));
        linearCase("linear_mse_adamw_3steps", 3, p -> new AdamW(p, 0.01, 0.1));
        REPLAYS.put("mlp_relu_ce_sgd_float64", (in, out) -> {
            Tensor w1 = in.get("w1"), b1 = in.get("b1"), w2 = in.get("w2"), b2 = in.get("b2");
            Tensor h = in.get("x").matmul(w1).add(b1).relu();
            Tensor o = h.matmul(w2).add(b2);
            Tensor loss = Functional.crossEntropy(o, in.get("y"));
            loss.backward();
            out.put("out", o);
            out.put("loss", loss);
            try (var off = Grad.disabled()) {
                out.put("new_w1", w1.sub(w1.grad().mul(0.1)));
                out.put("new_b1", b1.sub(b1.grad().mul(0.1)));
                out.put("new_w2", w2.sub(w2.grad().mul(0.1)));
                out.put("new_b2", b2.sub(b2.grad().mul(0.1)));
            }
        });
        REPLAYS.put("grad_accumulation_4x4_vs_16", (in, out) -> {
            for (int steps : new int[] {4, 1}) {
                Linear lin = new Linear(10, 1, true, DType.F64, new Generator(0));
                try (var off = Grad.disabled()) {
                    lin.weight().copyFrom(in.get("W"));
                    lin.bias().copyFrom(in.get("bias"));
                }
                Optimizer opt = new SGD(lin.parameters(), 0.01);
                opt.zeroGrad();
                int mb = 16 / steps;
                for (int i = 0; i < steps; i++) {
                    Tensor x = in.get("X").slice(0, (long) i * mb, (long) (i + 1) * mb);
                    Tensor t = in.get("T").slice(0, (long) i * mb, (long) (i + 1) * mb);
                    Functional.mseLoss(lin.forward(x), t).div(steps).backward();
                }
                String tag = steps == 4 ? "acc4" : "full";
                out.put("g_" + tag, lin.weight().grad().clone());
                opt.step();
                out.put("W_" + tag, lin.weight().detach().clone());
                out.put("b_" + tag, lin.bias().detach().clone());
            }
        });
        REPLAYS.put("linear_regression_seed_float64", (in, out) -> {
            Tensor w = in.get("w"), b = in.get("b");
            List<Double> losses = new ArrayList<>();
            for (int epoch = 0; epoch < 100; epoch++) {
                Tensor pred = in.get("X").matmul(w).add(b);
                Tensor loss = pred.sub(in.get("y_true")).pow(2).mean();
                losses.add(loss.item());
                loss.backward();
                try (var off = Grad.disabled()) {
                    w.subInPlace(w.grad().mul(0.01));
                    b.subInPlace(b.grad().mul(0.01));
                }
                w.grad().zeroInPlace();
                b.grad().zeroInPlace();
            }
            out.put("w_final", w.item());
            out.put("b_final", b.item());
            List<Double> every20 = new ArrayList<>();
            for (int i : new int[] {0, 19, 39, 59, 79, 99}) every20.add(losses.get(i));
            out.put("losses_every20", every20);
        });
    }

    static void backwardG(Map<String, Tensor> in, Map<String, Object> out, Tensor y) {
        y.backward(in.get("g"));
        out.put("y", y);
    }

    static void loss(Map<String, Object> out, Tensor loss) {
        loss.backward();
        out.put("loss", loss);
    }

    static double clipSetup(Map<String, Tensor> in, java.util.function.ToDoubleFunction<List<Tensor>> clip) {
        Tensor p0 = in.get("p0"), p1 = in.get("p1");
        p0.setGrad(in.get("g0").clone());
        p1.setGrad(in.get("g1").clone());
        return clip.applyAsDouble(List.of(p0, p1));
    }

    // ------------------------------------------------------------------ the harness

    static JsonObject golden() { return GoldenData.read("/golden/pytorch-golden.json"); }

    static DType dtype(String name) { return GoldenData.dtype(name); }

    static int[] shape(JsonObject t) { return GoldenData.shape(t); }

    static double[] values(JsonElement e) {
        List<Double> out = new ArrayList<>();
        flatten(e, out);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void flatten(JsonElement e, List<Double> out) {
        if (e.isJsonArray()) {
            for (JsonElement x : e.getAsJsonArray()) flatten(x, out);
        } else if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            out.add(Double.parseDouble(e.getAsString().replace("inf", "Infinity")));
        } else {
            out.add(e.getAsDouble());
        }
    }

    static Tensor tensor(JsonObject t) {
        Tensor x = Tensor.fromArray(dtype(t.get("dtype").getAsString()), values(t.get("values")), shape(t));
        if (t.has("requires_grad") && t.get("requires_grad").getAsBoolean()) x.requiresGrad(true);
        return x;
    }

    @TestFactory
    Stream<DynamicTest> everyGoldenCaseReplaysLikePyTorch() {
        JsonArray cases = golden().getAsJsonArray("cases");
        assertEquals(80, cases.size(), "the golden file holds 80 cases");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonElement ce : cases) {
            JsonObject c = ce.getAsJsonObject();
            String name = c.get("name").getAsString();
            tests.add(DynamicTest.dynamicTest(name, () -> replay(name, c)));
        }
        return tests.stream();
    }

    static void replay(String name, JsonObject c) {
        Replay replay = REPLAYS.get(name);
        assertNotNull(replay, name + ": no Java replay written for this case");
        boolean f32 = c.get("dtype").getAsString().equals("float32");
        double rtol = f32 ? 1e-5 : 1e-12, atol = f32 ? 1e-6 : 1e-12;
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : c.getAsJsonObject("inputs").entrySet()) in.put(e.getKey(), tensor(e.getValue().getAsJsonObject()));
        Map<String, Object> out = new HashMap<>();
        replay.run(in, out);
        for (Map.Entry<String, JsonElement> e : c.getAsJsonObject("outputs").entrySet()) {
            String key = e.getKey();
            assertTrue(out.containsKey(key), name + ": the replay produced no output '" + key + "'");
            compare(name + " output " + key, e.getValue(), out.get(key), rtol, atol);
        }
        JsonObject grads = c.has("grads") && c.get("grads").isJsonObject() ? c.getAsJsonObject("grads") : new JsonObject();
        for (Map.Entry<String, JsonElement> e : grads.entrySet()) {
            Tensor x = in.get(e.getKey());
            if (e.getValue().isJsonNull()) {
                assertNull(x.grad(), name + ": " + e.getKey() + ".grad should be None");
            } else {
                assertNotNull(x.grad(), name + ": " + e.getKey() + ".grad is missing");
                compare(name + " " + e.getKey() + ".grad", e.getValue(), x.grad(), rtol, atol);
            }
        }
    }

    static void compare(String what, JsonElement expected, Object actual, double rtol, double atol) {
        double[] want;
        double[] got;
        if (expected.isJsonObject()) {
            JsonObject t = expected.getAsJsonObject();
            want = values(t.get("values"));
            if (actual instanceof Tensor a) {
                assertArrayEquals(shape(t), a.shape(), what + ": shape");
                assertEquals(dtype(t.get("dtype").getAsString()), a.dtype(), what + ": dtype");
                got = a.toDoubleArray();
            } else {
                got = new double[] {((Number) actual).doubleValue()};
            }
        } else if (expected.isJsonArray()) {
            want = values(expected);
            @SuppressWarnings("unchecked")
            List<Double> list = (List<Double>) actual;
            got = list.stream().mapToDouble(Double::doubleValue).toArray();
        } else {
            want = new double[] {expected.getAsDouble()};
            got = new double[] {actual instanceof Tensor a ? a.item() : ((Number) actual).doubleValue()};
        }
        assertEquals(want.length, got.length, what + ": element count");
        for (int i = 0; i < want.length; i++) {
            if (Double.isNaN(want[i])) {
                assertTrue(Double.isNaN(got[i]), what + "[" + i + "]: expected nan, got " + got[i]);
                continue;
            }
            double tol = atol + rtol * Math.abs(want[i]);
            if (!(Math.abs(got[i] - want[i]) <= tol) && !(want[i] == got[i])) {
                fail(what + "[" + i + "]: expected " + want[i] + ", got " + got[i] + " (difference " + Math.abs(got[i] - want[i]) + ", tolerance " + tol + ")");
            }
        }
    }
}
