package dev.panagrad.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.panagrad.blas.BlasInfo;
import dev.panagrad.blas.OpenBlas;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Panagrad's side of {@code ./panagrad bench compare}, in a JVM of its own that {@link CompareBench}
 * starts (with the OpenBLAS core it chose in the environment) and keeps warm between rounds. It
 * speaks the JSON lines of {@link WorkerProcess}, as {@code bench/peers/pytorch/peer.py --serve}
 * does: a ready line with its BLAS core, then "warmup", "round" (every work at each OpenBLAS thread
 * count of {@code --threads}, e.g. {@code 2,1}) and "quit".
 */
public final class CompareWorker {
    private CompareWorker() {}

    public static void main(String[] args) throws Exception {
        int[] threads = {2};
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--threads") && i + 1 < args.length) {
                threads = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
            }
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Map<String, AutoCloseable> steps = new LinkedHashMap<>();
        try {
            OpenBlas blas = OpenBlas.get();
            BlasInfo info = blas.info();
            JsonObject ready = new JsonObject();
            ready.addProperty("ready", true);
            ready.addProperty("version", "Java " + Runtime.version() + ", OpenBLAS " + info.version()
                    + ", Vector API kernels " + (dev.panagrad.kernel.Kernels.VECTOR ? "on" : "off"));
            ready.addProperty("blas_core", info.coreName());
            ready.addProperty("blas_config", info.config());
            out.println(ready);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                JsonObject cmd = JsonParser.parseString(line).getAsJsonObject();
                String c = cmd.get("cmd").getAsString();
                if (c.equals("quit")) break;
                JsonObject reply = new JsonObject();
                if (c.equals("warmup")) {
                    blas.setThreadCount(threads[0]);
                    long seconds = (long) (cmd.get("seconds").getAsDouble() * 1e9);
                    for (JsonElement w : cmd.getAsJsonArray("works")) {
                        DoubleSupplier work = work(w.getAsJsonObject().get("work").getAsString(), steps);
                        long until = System.nanoTime() + seconds;
                        for (int i = 0; i < 3 || System.nanoTime() < until; i++) work.getAsDouble();
                    }
                    reply.addProperty("warmed", true);
                } else if (c.equals("round")) {
                    JsonArray results = new JsonArray();
                    for (int t : threads) {
                        blas.setThreadCount(t);
                        JsonObject values = new JsonObject();
                        for (JsonElement w : cmd.getAsJsonArray("works")) {
                            JsonObject p = w.getAsJsonObject();
                            String name = p.get("work").getAsString();
                            values.addProperty(name, value(name, work(name, steps), p.get("warmup").getAsInt(), p.get("runs").getAsInt()));
                        }
                        JsonObject r = new JsonObject();
                        r.addProperty("setting", "OpenBLAS " + t + " thread(s)");
                        r.add("values", values);
                        results.add(r);
                    }
                    blas.setThreadCount(threads[0]);
                    reply.add("results", results);
                } else {
                    throw new IllegalArgumentException("unknown command " + line);
                }
                out.println(reply);
            }
        } catch (Exception | Error e) {
            JsonObject err = new JsonObject();
            err.addProperty("error", e.toString());
            out.println(err);
            System.exit(1);
        } finally {
            // each model's scope was opened inside the one before: close the last first
            for (AutoCloseable c : new java.util.ArrayList<>(steps.values()).reversed()) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /**
     * The work named {@code name}: "mlp_step_bN", "gpt_step_bN" or "cnn_step_bN" (one model per batch, kept between
     * rounds), "mlp_step_bN_bf16" (the MLP step in bfloat16 autocast), "attention_fwd_bwd", "conv2d_fwd_bwd" or "tiny_op_chain".
     */
    private static DoubleSupplier work(String name, Map<String, AutoCloseable> steps) {
        if (name.equals("tiny_op_chain")) return Workloads::tinyOpChain;
        if (name.startsWith("gpt_step_b")) {
            return ((Workloads.GptStep) steps.computeIfAbsent(name, n -> new Workloads.GptStep(Integer.parseInt(n.substring("gpt_step_b".length())))))::step;
        }
        if (name.equals("attention_fwd_bwd")) return ((Workloads.Attention) steps.computeIfAbsent(name, n -> new Workloads.Attention()))::run;
        if (name.startsWith("mlp_step_b")) {
            boolean bf16 = name.endsWith("_bf16");
            String batch = name.substring("mlp_step_b".length(), name.length() - (bf16 ? "_bf16".length() : 0));
            return ((Workloads.MlpStep) steps.computeIfAbsent(name, n -> new Workloads.MlpStep(Integer.parseInt(batch), bf16)))::step;
        }
        if (name.startsWith("cnn_step_b")) {
            return ((Workloads.CnnStep) steps.computeIfAbsent(name, n -> new Workloads.CnnStep(Integer.parseInt(n.substring("cnn_step_b".length())))))::step;
        }
        if (name.equals("conv2d_fwd_bwd")) return ((Workloads.Conv2dFwdBwd) steps.computeIfAbsent(name, n -> new Workloads.Conv2dFwdBwd()))::step;
        throw new IllegalArgumentException("unknown work " + name);
    }

    /** The median of {@code runs} timed runs after {@code warmup}, in the work's unit: ms, or µs per op for the chain. */
    private static double value(String name, DoubleSupplier work, int warmup, int runs) {
        for (int i = 0; i < warmup; i++) work.getAsDouble();
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            work.getAsDouble();
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(t);
        double ms = runs % 2 == 1 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
        return name.equals("tiny_op_chain") ? ms * 1000 / (2 * Workloads.CHAIN) : ms;
    }
}
