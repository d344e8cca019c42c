package dev.panagrad;

import dev.panagrad.array.Shape;
import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.CrossEntropyLoss;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.ReLU;
import dev.panagrad.nn.Sequential;
import dev.panagrad.optim.SGD;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BinaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The float32 cases of {@code golden/pytorch-golden-large.json}, recorded from PyTorch 1.13.1 by
 * {@code autograd/src/test/python/record_golden.py} at the sizes the training job runs: element-wise
 * ops over 16 401 and 2 097 189 elements (the Vector API kernels, and above 2M their split across
 * threads), reductions and bias-style row sums, matmuls through OpenBLAS (far above the 512
 * multiply-adds below which Tensor multiplies in Java), and three steps of the training job's step
 * ({@link TrainStep}, the ops of the examples' {@code Trainer.step}: Linear 784→21, ReLU, Linear
 * 21→10, cross-entropy, SGD with momentum 0.9: the fused float32 step).
 *
 * <p>Inputs are not stored: both sides compute them with the formula {@link #gen}. Results every
 * correct float32 implementation rounds identically (IEEE + − × ÷ and sqrt, neg, abs, relu, and the
 * gradients made of them) are compared bit for bit through a SHA-256 of all their bytes. Tolerances
 * of the rest: exp, log, tanh within 2 ulps (two implementations within 1 ulp of the exact value);
 * their gradients, and div's gradient for the divisor (PyTorch: −g·((a/b)/b)), sampled, within 4
 * ulps (tanh's 1.2e-6 + 5e-7·|want|: 1 − y² amplifies y's rounding near |y| = 1); sums, matmuls and the training step |got − want| ≤ atol + 1e-5·|want|, atol
 * 4 × the error PyTorch's own float32 result has against the same computation in float64 (at least
 * 1e-6 × the array's largest value), as recorded beside each array.
 */
class GoldenLargeTest {
    static final JsonObject LARGE = GoldenData.read("/golden/pytorch-golden-large.json");

    static JsonObject golden(String name) {
        for (JsonElement e : LARGE.getAsJsonArray("cases")) {
            if (e.getAsJsonObject().get("name").getAsString().equals(name)) return e.getAsJsonObject();
        }
        throw new AssertionError("no case " + name + " in pytorch-golden-large.json");
    }

    /** ((i·7919 + salt·104729) mod 65521 − 32760) / 8192 · scale, or (… mod 65521 + 1) / 8192 · scale when positive: exact in float32. */
    static float[] gen(int n, long salt, double scale, boolean positive) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            long m = Math.floorMod(i * 7919L + salt * 104729L, 65521L);
            v[i] = (float) ((positive ? m + 1 : m - 32760) / 8192.0 * scale);
        }
        return v;
    }

    static Tensor gen(long salt, double scale, int... shape) {
        return Tensor.fromArray(gen(Math.toIntExact(Shape.numel(shape)), salt, scale, false), shape);
    }

    static Tensor pos(long salt, int... shape) {
        return Tensor.fromArray(gen(Math.toIntExact(Shape.numel(shape)), salt, 1, true), shape);
    }

    @Test
    void everyRecordedCaseHasAReplayHere() {
        Set<String> names = new TreeSet<>();
        for (JsonElement e : LARGE.getAsJsonArray("cases")) names.add(e.getAsJsonObject().get("name").getAsString());
        assertEquals(new TreeSet<>(List.of("elementwise_f32_16401", "elementwise_f32_2097189", "reductions_f32", "matmul_f32_openblas",
                "mlp_train_step_f32")), names);
        assertTrue(Kernels.VECTOR, "the tests run with --add-modules jdk.incubator.vector: these cases are meant to reach the Vector API kernels");
    }

    // ------------------------------------------------------------------------------------ cases

    @Test
    void elementwiseOver16401Elements() {
        elementwise(golden("elementwise_f32_16401"), true);
    }

    @Test
    void elementwiseOver2097189ElementsSplitAcrossThreads() {
        elementwise(golden("elementwise_f32_2097189"), false);
    }

    /** Each op on leaves of its own, so each gradient is that op's alone: y = op(a, b); y.backward(g). */
    static void elementwise(JsonObject c, boolean all) {
        int n = c.get("n").getAsInt();
        Map<String, BinaryOperator<Tensor>> ops = new LinkedHashMap<>();
        ops.put("add", Tensor::add);
        ops.put("sub", Tensor::sub);
        ops.put("mul", Tensor::mul);
        ops.put("div", Tensor::div);
        ops.put("neg", (a, b) -> a.neg());
        ops.put("abs", (a, b) -> a.abs());
        ops.put("relu", (a, b) -> a.relu());
        ops.put("sqrt", (a, b) -> b.sqrt());
        ops.put("add_s", (a, b) -> a.add(1.25));
        ops.put("sub_s", (a, b) -> a.sub(0.5));
        ops.put("mul_s", (a, b) -> a.mul(0.3));
        ops.put("div_s", (a, b) -> a.div(3.0));
        ops.put("exp", (a, b) -> a.exp());
        ops.put("log", (a, b) -> b.log());
        ops.put("tanh", (a, b) -> a.tanh());
        // above 2M elements, where zip, map and relu with its backward split across threads (batch 4096 x 1024 in the job)
        if (!all) ops.keySet().retainAll(List.of("mul", "relu"));
        assertEquals(ops.keySet(), c.getAsJsonObject("outputs").keySet(), "the ops recorded");
        float[] av = gen(n, 1, 1, false), bv = gen(n, 2, 1, false), pv = gen(n, 3, 1, true);
        Tensor g = gen(4, 1, n);
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, BinaryOperator<Tensor>> op : ops.entrySet()) {
            String name = op.getKey();
            Tensor a = Tensor.fromArray(av, n).requiresGrad(true);
            boolean positive = name.equals("div") || name.equals("sqrt") || name.equals("log");
            Tensor b = Tensor.fromArray(positive ? pv : bv, n).requiresGrad(true);
            Tensor y = op.getValue().apply(a, b);
            y.backward(g);
            compareArray(problems, name, c.getAsJsonObject("outputs").getAsJsonObject(name), y);
            JsonObject grads = c.getAsJsonObject("grads");
            if (grads.has(name + ".a")) compareArray(problems, name + ": a.grad", grads.getAsJsonObject(name + ".a"), a.grad());
            else assertNull(a.grad(), name + ": a does not reach y");
            if (grads.has(name + ".b")) compareArray(problems, name + ": b.grad", grads.getAsJsonObject(name + ".b"), b.grad());
            else assertNull(b.grad(), name + ": b does not reach y");
        }
        assertTrue(problems.isEmpty(), c.get("name").getAsString() + " differs from PyTorch:\n  " + String.join("\n  ", problems));
    }

    @Test
    void reductionsAndRowSums() {
        JsonObject c = golden("reductions_f32");
        Tensor x = gen(5, 1, 16401).requiresGrad(true);
        Tensor rows = gen(6, 1, 792, 21).requiresGrad(true);
        Tensor wide = gen(7, 1, 7, 16401).requiresGrad(true);
        Tensor sAll = x.sum(), mAll = x.mean(), s0 = rows.sum(0), s1 = wide.sum(1), m0 = rows.mean(0, true);
        sAll.add(mAll).backward();
        s0.mul(gen(8, 1, 21)).sum().backward();
        m0.mul(gen(9, 1, 21)).sum().backward();
        s1.mul(gen(10, 1, 7)).sum().backward();
        Map<String, Tensor> got = new LinkedHashMap<>();
        got.put("sum_all", sAll);
        got.put("mean_all", mAll);
        got.put("rows_sum0", s0);
        got.put("wide_sum1", s1);
        got.put("rows_mean0_keepdim", m0);
        got.put("x.grad", x.grad());
        got.put("rows.grad", rows.grad());
        got.put("wide.grad", wide.grad());
        compareAll(c, got);
    }

    @Test
    void matmulsThroughOpenBlas() {
        JsonObject c = golden("matmul_f32_openblas");
        Tensor a = gen(11, 0.25, 67, 45).requiresGrad(true);
        Tensor b = gen(12, 0.25, 45, 33).requiresGrad(true);
        Tensor at = gen(13, 0.25, 45, 67).requiresGrad(true);
        Tensor v = gen(14, 0.25, 45).requiresGrad(true);
        Tensor cc = gen(15, 0.25, 3, 17, 19).requiresGrad(true);
        Tensor d = gen(16, 0.25, 19, 23).requiresGrad(true);
        assertTrue(67L * 45 * 33 > 512 && 17L * 19 * 23 > 512 && 67L * 45 > 512, "every product is above Tensor's Java-loop threshold");
        Tensor y = a.matmul(b), yt = at.t().matmul(b), mv = a.matmul(v), bm = cc.matmul(d);
        y.backward(gen(17, 1, 67, 33));
        yt.backward(gen(18, 1, 67, 33));
        mv.backward(gen(19, 1, 67));
        bm.backward(gen(20, 1, 3, 17, 23));
        Map<String, Tensor> got = new LinkedHashMap<>();
        got.put("y", y);
        got.put("yt", yt);
        got.put("mv", mv);
        got.put("bm", bm);
        got.put("a.grad", a.grad());
        got.put("b.grad", b.grad());
        got.put("at.grad", at.grad());
        got.put("v.grad", v.grad());
        got.put("c.grad", cc.grad());
        got.put("d.grad", d.grad());
        compareAll(c, got);
    }

    /**
     * The training job's step ({@code dev.panagrad.examples.train.Trainer.step}, which lives in the
     * examples module this one cannot see), op for op: zero the gradients in place, then per
     * micro-batch in a scope of its own gather the rows, forward, drop the gathered rows when unused,
     * cross-entropy scaled by micro/batch, count correct predictions, backward; then one SGD step.
     */
    static final class TrainStep {
        final Sequential model;
        final SGD optimizer;
        final CrossEntropyLoss criterion = new CrossEntropyLoss();

        TrainStep(int features, int hidden, int classes, double lr, double momentum) {
            Generator g = new Generator(0);
            model = new Sequential(new Linear(features, hidden, true, DType.F32, g), new ReLU(), new Linear(hidden, classes, true, DType.F32, g));
            optimizer = new SGD(model.parameters(), lr, momentum, 0, 0, false);
        }

        /** Returns {mean loss over the batch, correct predictions}. */
        double[] step(Tensor features, Tensor labels, long[] rows, int from, int batch, int microBatch) {
            model.zeroGrad();
            double loss = 0, correct = 0, scale = (double) microBatch / batch;
            for (int s = from; s < from + batch; s += microBatch) {
                try (var micro = MemoryScope.open("micro-batch")) {
                    Tensor idx = Tensor.fromArrayRange(rows, s, s + microBatch);
                    Tensor x = features.indexSelect(0, idx);
                    Tensor y = labels.indexSelect(0, idx);
                    Tensor logits = model.forward(x);
                    x.dropWhenUnused();
                    Tensor l = criterion.forward(logits, y);
                    if (scale != 1) l = l.mul(scale);
                    correct += logits.argmax(1).eq(y).sum().item();
                    loss += l.item();
                    l.backward();
                }
            }
            try (var update = MemoryScope.open("optimizer-step")) {
                optimizer.step();
            }
            return new double[] {loss, correct};
        }
    }

    /** Three steps of the training job's step: 2 whole batches of 792, then 2 micro-batches of 396. */
    @Test
    void mlpTrainStepsWithMomentum() {
        JsonObject c = golden("mlp_train_step_f32");
        JsonObject cfg = c.getAsJsonObject("config");
        int features = cfg.get("features").getAsInt(), hidden = cfg.get("hidden").getAsInt(), classes = cfg.get("classes").getAsInt();
        int batch = cfg.get("batch").getAsInt(), steps = cfg.get("steps").getAsInt();
        int rowsN = batch * steps;
        Tensor x = gen(21, 0.25, rowsN, features);
        long[] labels = new long[rowsN], rows = new long[rowsN];
        for (int i = 0; i < rowsN; i++) {
            labels[i] = (7L * i + 3) % classes;
            rows[i] = (7L * i) % rowsN;
        }
        TrainStep trainer = new TrainStep(features, hidden, classes, cfg.get("lr").getAsDouble(), cfg.get("momentum").getAsDouble());
        Map<String, Tensor> params = trainer.model.namedParameters();
        try (var off = Grad.disabled()) {
            params.get("0.weight").copyFrom(gen(22, 1 / 128.0, hidden, features));
            params.get("0.bias").copyFrom(gen(23, 1 / 64.0, hidden));
            params.get("2.weight").copyFrom(gen(24, 1 / 32.0, classes, hidden));
            params.get("2.bias").copyFrom(gen(25, 1 / 64.0, classes));
        }
        assertTrue((long) batch * hidden >= 1 << 14, "the hidden activations reach the Vector API kernels (relu, its backward, the bias row sums)");
        assertTrue((long) hidden * features >= 1 << 14, "the first layer's SGD step runs the fused vector kernel");
        JsonObject outs = c.getAsJsonObject("outputs");
        List<String> problems = new ArrayList<>();
        Tensor labelT = Tensor.fromArray(labels, rowsN);
        JsonArray micro = cfg.getAsJsonArray("micro_batch");
        for (int step = 0; step < steps; step++) {
            double[] r = trainer.step(x, labelT, rows, step * batch, batch, micro.get(step).getAsInt());
            double gotLoss = r[0];
            long gotCorrect = (long) r[1];
            JsonObject loss = outs.getAsJsonObject("loss" + step);
            GoldenData.Tolerance tol = tolerance(loss.getAsJsonObject("tolerance"));
            if (!tol.accepts(loss.get("value").getAsDouble(), gotLoss)) {
                problems.add("step " + step + " loss: expected " + loss.get("value").getAsDouble() + ", got " + gotLoss);
            }
            // a near-tie between two logits may fall either way under float32 rounding: allow two of 792
            long want = outs.get("correct" + step).getAsLong();
            if (Math.abs(gotCorrect - want) > 2) problems.add("step " + step + " correct predictions: expected " + want + ", got " + gotCorrect);
            if (step == 0) {
                for (Map.Entry<String, Tensor> p : params.entrySet()) compareArray(problems, p.getKey() + ".grad after step 0", outs.getAsJsonObject(p.getKey() + ".grad0"), p.getValue().grad());
            }
        }
        for (Map.Entry<String, Tensor> p : params.entrySet()) compareArray(problems, p.getKey() + " after 3 steps", outs.getAsJsonObject(p.getKey()), p.getValue());
        assertTrue(problems.isEmpty(), "mlp_train_step_f32 differs from PyTorch:\n  " + String.join("\n  ", problems));
    }

    // ------------------------------------------------------------------------------ comparison

    static void compareAll(JsonObject c, Map<String, Tensor> got) {
        List<String> problems = new ArrayList<>();
        for (String section : new String[] {"outputs", "grads"}) {
            for (Map.Entry<String, JsonElement> e : c.getAsJsonObject(section).entrySet()) {
                assertTrue(got.containsKey(e.getKey()), c.get("name").getAsString() + ": the replay has no '" + e.getKey() + "'");
                compareArray(problems, e.getKey(), e.getValue().getAsJsonObject(), got.get(e.getKey()));
            }
        }
        assertTrue(problems.isEmpty(), c.get("name").getAsString() + " differs from PyTorch:\n  " + String.join("\n  ", problems));
    }

    static GoldenData.Tolerance tolerance(JsonObject t) {
        return new GoldenData.Tolerance(t.get("rtol").getAsDouble(), t.get("atol").getAsDouble());
    }

    /** Compares one recorded array (whole, hashed, or sampled) with a tensor; adds what differs to {@code problems}. */
    static void compareArray(List<String> problems, String what, JsonObject want, Tensor got) {
        if (got == null) {
            problems.add(what + ": no tensor (null)");
            return;
        }
        int[] shape = GoldenData.shape(want);
        if (!java.util.Arrays.equals(shape, got.shape()) || got.dtype() != DType.F32) {
            problems.add(what + ": expected float32 " + java.util.Arrays.toString(shape) + ", got " + got.dtype().pytorchName() + " " + java.util.Arrays.toString(got.shape()));
            return;
        }
        float[] g = got.detach().toFloatArray();
        if (want.has("sha256")) {
            if (!sha256(g).equals(want.get("sha256").getAsString())) {
                String d = sampleDiff(want, g, EXACT);
                problems.add(what + ": not bit-identical to PyTorch's (SHA-256 of the " + g.length + " floats differs)"
                        + (d.isEmpty() ? "; every sampled element agrees" : d));
            }
            return;
        }
        JsonObject tol = want.getAsJsonObject("tolerance");
        if (want.has("f32le_base64")) {
            float[] w = floats(want.get("f32le_base64").getAsString());
            List<Integer> bad = new ArrayList<>();
            for (int i = 0; i < w.length; i++) if (!accepts(tol, w[i], g[i])) bad.add(i);
            if (!bad.isEmpty()) {
                StringBuilder b = new StringBuilder(what + ": " + bad.size() + " of " + w.length + " elements outside " + tol);
                for (int k = 0; k < Math.min(4, bad.size()); k++) {
                    int i = bad.get(k);
                    b.append(k == 0 ? ": " : "; ").append("[").append(i).append("] expected ").append(w[i]).append(", got ").append(g[i]);
                }
                problems.add(b.toString());
            }
            return;
        }
        String d = sampleDiff(want, g, tol);
        if (!d.isEmpty()) problems.add(what + ": sampled elements outside " + tol + d);
    }

    static final JsonObject EXACT = com.google.gson.JsonParser.parseString("{\"ulps\": 0}").getAsJsonObject();

    /** Where the recorded sample differs from {@code got} beyond {@code tol}; empty if nowhere. */
    static String sampleDiff(JsonObject want, float[] got, JsonObject tol) {
        JsonArray idx = want.getAsJsonArray("sample_index"), vals = want.getAsJsonArray("sample");
        StringBuilder b = new StringBuilder();
        int bad = 0;
        for (int k = 0; k < idx.size(); k++) {
            int i = idx.get(k).getAsInt();
            float w = (float) GoldenData.number(vals.get(k), true);
            if (accepts(tol, w, got[i])) continue;
            if (bad++ < 4) b.append(bad == 1 ? ": " : "; ").append("[").append(i).append("] expected ").append(w).append(", got ").append(got[i]);
        }
        if (bad == 0) return "";
        return b.append(" (").append(bad).append(" of ").append(idx.size()).append(" sampled elements differ)").toString();
    }

    static boolean accepts(JsonObject tol, float want, float got) {
        if (tol.has("ulps")) return withinUlps(want, got, tol.get("ulps").getAsInt());
        return tolerance(tol).accepts(want, got);
    }

    static boolean withinUlps(float want, float got, int ulps) {
        if (Float.isNaN(want) || Float.isNaN(got)) return Float.isNaN(want) && Float.isNaN(got);
        if (Float.isInfinite(want) || Float.isInfinite(got)) return want == got;
        return Math.abs((double) got - want) <= ulps * (double) Math.ulp(want);
    }

    static float[] floats(String base64) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    /** SHA-256 of the little-endian float32 bytes, every NaN written as 0x7fc00000 (as the recorder hashes them). */
    static String sha256(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putInt(Float.isNaN(f) ? 0x7fc00000 : Float.floatToRawIntBits(f));
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
