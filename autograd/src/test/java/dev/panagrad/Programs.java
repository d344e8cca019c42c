package dev.panagrad;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.panagrad.nn.Functional;
import dev.panagrad.nn.Reduction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the op programs of {@code golden/pytorch-fuzz.json} with the Java API: the same small language
 * {@code record_golden.py} interprets with PyTorch. A program is its input tensors, then steps
 * {@code {op, in, args, out, no_grad}} run in order; each op maps to one Tensor method (the table in
 * {@link #apply}, beside the Python one in the script).
 */
final class Programs {
    private Programs() {}

    /** What running a program did: each step's result as it was made, and where it stopped. */
    static final class Run {
        final Map<String, Tensor> env = new LinkedHashMap<>();
        /** Per step run: a Values, a List of Values (two results), or null (no result). */
        final List<Object> values = new ArrayList<>();
        /** The step that threw, or -1. */
        int errorStep = -1;
        RuntimeException error;
    }

    static Run run(JsonObject program) {
        Run run = new Run();
        for (Map.Entry<String, JsonElement> e : program.getAsJsonObject("inputs").entrySet()) {
            JsonObject spec = e.getValue().getAsJsonObject();
            run.env.put(e.getKey(), GoldenData.tensor(spec));
        }
        JsonArray steps = program.getAsJsonArray("steps");
        for (int k = 0; k < steps.size(); k++) {
            JsonObject step = steps.get(k).getAsJsonObject();
            String op = step.get("op").getAsString();
            List<Tensor> in = new ArrayList<>();
            if (step.has("in")) for (JsonElement n : step.getAsJsonArray("in")) in.add(run.env.get(n.getAsString()));
            JsonObject args = step.has("args") ? step.getAsJsonObject("args") : new JsonObject();
            Object result;
            try {
                if (step.has("no_grad") && step.get("no_grad").getAsBoolean()) {
                    try (var off = Grad.disabled()) {
                        result = apply(op, in, args);
                    }
                } else if (step.has("inference") && step.get("inference").getAsBoolean()) {
                    try (var inference = Grad.inferenceMode()) {
                        result = apply(op, in, args);
                    }
                } else if (step.has("anomaly") && step.get("anomaly").getAsBoolean()) {
                    try (var anomaly = Grad.setDetectAnomaly(true)) {
                        result = apply(op, in, args);
                    }
                } else if (step.has("autocast") && step.get("autocast").getAsBoolean()) {   // torch.autocast("cpu", dtype=torch.bfloat16)
                    try (var amp = Autocast.bf16()) {
                        result = apply(op, in, args);
                    }
                } else {
                    result = apply(op, in, args);
                }
            } catch (RuntimeException e) {
                run.errorStep = k;
                run.error = e;
                return run;
            }
            JsonElement out = step.get("out");
            if (out == null) {
                run.values.add(null);
            } else if (out.isJsonArray()) {
                Tensor[] ts = (Tensor[]) result;
                List<GoldenData.Values> vs = new ArrayList<>();
                for (int i = 0; i < ts.length; i++) {
                    run.env.put(out.getAsJsonArray().get(i).getAsString(), ts[i]);
                    vs.add(ts[i] == null ? null : GoldenData.snapshot(ts[i]));
                }
                run.values.add(vs);
            } else {
                Tensor t = (Tensor) result;
                if (t != null) run.env.put(out.getAsString(), t);
                run.values.add(t == null ? null : GoldenData.snapshot(t));
            }
        }
        return run;
    }

    private static double num(JsonObject args, String key) {
        return GoldenData.number(args.get(key));
    }

    private static int integer(JsonObject args, String key) {
        return args.get(key).getAsInt();
    }

    private static int[] ints(JsonObject args, String key) {
        JsonArray a = args.getAsJsonArray(key);
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).getAsInt();
        return v;
    }

    private static boolean flag(JsonObject args, String key) {
        return args.has(key) && args.get(key).getAsBoolean();
    }

    /** A clamp bound: null (JSON null) or ±inf means none. */
    private static double bound(JsonObject args, String key, double none) {
        JsonElement e = args.get(key);
        return e == null || e.isJsonNull() ? none : GoldenData.number(e);
    }

    private static Reduction reduction(JsonObject args) {
        return Reduction.valueOf(args.get("reduction").getAsString().toUpperCase(Locale.ROOT));
    }

    /** One step: a Tensor, a Tensor[] (two results), or null. */
    static Object apply(String op, List<Tensor> in, JsonObject a) {
        Tensor x = in.isEmpty() ? null : in.get(0);
        Tensor y = in.size() > 1 ? in.get(1) : null;
        return switch (op) {
            case "neg" -> x.neg();
            case "exp" -> x.exp();
            case "log" -> x.log();
            case "sqrt" -> x.sqrt();
            case "abs" -> x.abs();
            case "sin" -> x.sin();
            case "cos" -> x.cos();
            case "tanh" -> x.tanh();
            case "sigmoid" -> x.sigmoid();
            case "relu" -> x.relu();
            case "silu" -> x.silu();
            case "erf" -> x.erf();
            case "conv2d" -> Tensor.conv2d(x, y, in.size() > 2 ? in.get(2) : null, ints(a, "stride"), ints(a, "padding"), ints(a, "dilation"), integer(a, "groups"));
            case "conv1d" -> Tensor.conv1d(x, y, in.size() > 2 ? in.get(2) : null, integer(a, "stride"), integer(a, "padding"), integer(a, "dilation"), integer(a, "groups"));
            case "max_pool2d" -> x.maxPool2d(ints(a, "kernel"), ints(a, "stride"), ints(a, "padding"), ints(a, "dilation"));
            case "avg_pool2d" -> x.avgPool2d(ints(a, "kernel"), ints(a, "stride"), ints(a, "padding"));
            case "adaptive_avg_pool2d" -> x.adaptiveAvgPool2d(ints(a, "size")[0], ints(a, "size")[1]);
            case "batch_norm" -> Tensor.batchNorm(x, in.size() > 2 ? in.get(1) : null, in.size() > 2 ? in.get(2) : null, in.size() > 4 ? in.get(3) : null,
                    in.size() > 4 ? in.get(4) : null, flag(a, "training"), num(a, "momentum"), num(a, "eps"));
            case "dropout" -> x.dropout(num(a, "p"), flag(a, "training"), new Generator(0));
            case "leaky_relu" -> x.leakyRelu(num(a, "slope"));
            case "clamp" -> x.clamp(bound(a, "min", Double.NEGATIVE_INFINITY), bound(a, "max", Double.POSITIVE_INFINITY));
            case "pow_s" -> x.pow(num(a, "p"));
            case "softmax" -> x.softmax(integer(a, "dim"));
            case "log_softmax" -> x.logSoftmax(integer(a, "dim"));
            case "add_s" -> x.add(num(a, "s"));
            case "sub_s" -> x.sub(num(a, "s"));
            case "mul_s" -> x.mul(num(a, "s"));
            case "div_s" -> x.div(num(a, "s"));
            case "rsub_s" -> x.rsub(num(a, "s"));
            case "add" -> x.add(y, a.has("alpha") ? num(a, "alpha") : 1);
            case "sub" -> x.sub(y, a.has("alpha") ? num(a, "alpha") : 1);
            case "mul" -> x.mul(y);
            case "div" -> x.div(y);
            case "pow" -> x.pow(y);
            case "lt" -> x.lt(y);
            case "gt" -> x.gt(y);
            case "le" -> x.le(y);
            case "ge" -> x.ge(y);
            case "eq" -> x.eq(y);
            case "ne" -> x.ne(y);
            case "lt_s" -> x.lt(num(a, "s"));
            case "gt_s" -> x.gt(num(a, "s"));
            case "le_s" -> x.le(num(a, "s"));
            case "ge_s" -> x.ge(num(a, "s"));
            case "where" -> Tensor.where(x, y, in.get(2));
            case "masked_fill" -> x.maskedFill(y, num(a, "value"));
            case "sum" -> a.has("dims") ? x.sum(ints(a, "dims"), flag(a, "keepdim")) : x.sum();
            case "mean" -> a.has("dims") ? x.mean(ints(a, "dims"), flag(a, "keepdim")) : x.mean();
            case "amax" -> x.amax(ints(a, "dims"), flag(a, "keepdim"));
            case "max" -> x.max();
            case "max_dim" -> {
                Tensor.ValuesIndices vi = x.max(integer(a, "dim"), flag(a, "keepdim"));
                yield new Tensor[] {vi.values(), vi.indices()};
            }
            case "argmax" -> a.has("dim") ? x.argmax(integer(a, "dim")) : x.argmax();
            case "matmul" -> x.matmul(y);
            case "mm" -> x.mm(y);
            case "linear" -> Tensor.linear(x, y, in.size() > 2 ? in.get(2) : null, flag(a, "relu"));
            case "cross_entropy" -> Functional.crossEntropy(x, y, reduction(a));
            case "mse_loss" -> Functional.mseLoss(x, y, reduction(a));
            case "view" -> x.view(ints(a, "shape"));
            case "reshape" -> x.reshape(ints(a, "shape"));
            case "flatten" -> x.flatten();
            case "permute" -> x.permute(ints(a, "dims"));
            case "transpose" -> x.transpose(integer(a, "d0"), integer(a, "d1"));
            case "t" -> x.t();
            case "squeeze" -> a.has("dim") ? x.squeeze(integer(a, "dim")) : x.squeeze();
            case "unsqueeze" -> x.unsqueeze(integer(a, "dim"));
            case "expand" -> x.expand(ints(a, "sizes"));
            case "slice" -> x.slice(integer(a, "dim"), a.get("start").getAsLong(), a.get("end").getAsLong(), a.get("step").getAsLong());
            case "narrow" -> x.slice(integer(a, "dim"), a.get("start").getAsLong(), a.get("start").getAsLong() + a.get("length").getAsLong(), 1);
            case "select" -> x.select(integer(a, "dim"), a.get("index").getAsLong());
            case "index" -> x.index(a.get("spec").getAsString());
            case "gather" -> x.gather(integer(a, "dim"), y);
            case "index_select" -> x.indexSelect(integer(a, "dim"), y);
            case "scatter_add" -> x.scatterAdd(integer(a, "dim"), y, in.get(2));
            case "index_add" -> x.indexAdd(integer(a, "dim"), y, in.get(2));
            case "cat" -> Tensor.cat(integer(a, "dim"), in.toArray(Tensor[]::new));
            case "stack" -> Tensor.stack(integer(a, "dim"), in.toArray(Tensor[]::new));
            case "contiguous" -> x.contiguous();
            case "clone" -> x.clone();
            case "detach" -> x.detach();
            case "to" -> x.to(GoldenData.dtype(a.get("dtype").getAsString()));
            case "leaf_of" -> x.detach().requiresGrad(true);
            case "add_" -> x.addInPlace(y, a.has("alpha") ? num(a, "alpha") : 1);
            case "sub_" -> x.subInPlace(y);
            case "mul_" -> x.mulInPlace(y);
            case "div_" -> x.divInPlace(y);
            case "add_s_" -> x.addInPlace(num(a, "s"));
            case "sub_s_" -> x.subInPlace(num(a, "s"));
            case "mul_s_" -> x.mulInPlace(num(a, "s"));
            case "div_s_" -> x.divInPlace(num(a, "s"));
            case "clamp_" -> x.clampInPlace(bound(a, "min", Double.NEGATIVE_INFINITY), bound(a, "max", Double.POSITIVE_INFINITY));
            case "masked_fill_" -> x.maskedFillInPlace(y, num(a, "value"));
            case "zero_" -> x.zeroInPlace();
            case "fill_" -> x.fillInPlace(num(a, "value"));
            case "copy_" -> x.copyFrom(y);
            case "bmm" -> x.bmm(y);
            case "embedding" -> Tensor.embedding(x, y, a.has("padding_idx") && !a.get("padding_idx").isJsonNull() ? integer(a, "padding_idx") : null);
            case "index_t" -> x.index(y);
            case "index_put" -> x.indexPut(y, in.get(2), flag(a, "accumulate"));
            case "gelu" -> x.gelu();
            case "layer_norm" -> x.layerNorm(ints(a, "shape"), y, in.size() > 2 ? in.get(2) : null, num(a, "eps"));
            case "attention_softmax" -> x.attentionSoftmax(num(a, "scale"), flag(a, "causal"), y);
            case "sdpa" -> Tensor.scaledDotProductAttention(x, y, in.get(2), in.size() > 3 ? in.get(3) : null, flag(a, "causal"), 0);
            case "backward" -> {
                x.backward(y, flag(a, "retain_graph"), flag(a, "create_graph"));
                yield null;
            }
            case "grad" -> {   // outputs, inputs, then the gradOutputs (none, or one per output)
                int k = integer(a, "outputs"), m = integer(a, "inputs");
                boolean create = flag(a, "create_graph");
                yield dev.panagrad.autograd.Autograd.grad(in.subList(0, k), in.subList(k, k + m), in.size() > k + m ? in.subList(k + m, in.size()) : null,
                        a.has("retain_graph") ? flag(a, "retain_graph") : create, create, flag(a, "allow_unused"));
            }
            case "clear_grad" -> {
                x.setGrad(null);
                yield null;
            }
            case "grad_attr" -> x.grad();
            case "retain_grad" -> {
                x.retainGrad();
                yield null;
            }
            case "requires_grad_" -> {
                x.requiresGrad(flag(a, "flag"));
                yield null;
            }
            case "set_grad" -> {
                x.setGrad(y);
                yield null;
            }
            case "grad_of" -> {
                Tensor g = x.grad();
                yield g == null ? null : g.detach().clone();
            }
            default -> throw new AssertionError("no Java mapping for the program op '" + op + "' (add it here and in record_golden.py)");
        };
    }

    /** The program in one line per step, for failure messages. */
    static String listing(JsonObject program) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, JsonElement> e : program.getAsJsonObject("inputs").entrySet()) {
            JsonObject s = e.getValue().getAsJsonObject();
            GoldenData.Values v = GoldenData.expected(s);
            b.append("  ").append(e.getKey()).append(" = ").append(v.describe())
                    .append(s.has("requires_grad") && s.get("requires_grad").getAsBoolean() ? ", requires_grad" : "").append('\n');
        }
        JsonArray steps = program.getAsJsonArray("steps");
        for (int k = 0; k < steps.size(); k++) {
            JsonObject s = steps.get(k).getAsJsonObject();
            b.append("  ").append(k).append(": ");
            if (s.has("out")) b.append(s.get("out")).append(" = ");
            b.append(s.get("op").getAsString()).append(s.has("in") ? s.get("in").toString() : "[]");
            if (s.has("args") && !s.getAsJsonObject("args").isEmpty()) b.append(' ').append(s.get("args"));
            if (s.has("no_grad") && s.get("no_grad").getAsBoolean()) b.append("  (no_grad)");
            if (s.has("autocast") && s.get("autocast").getAsBoolean()) b.append("  (autocast bf16)");
            b.append('\n');
        }
        return b.toString();
    }
}
