package dev.panagrad.bench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.Color;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * {@code ./panagrad bench compare [--quick] [--rounds N] [--try-cores] [--out DIR]}: the MLP training
 * step (batch 256, 1024, 4096), the same step in bfloat16 autocast ({@code mlp_step_bN_bf16}: Panagrad's
 * {@code Autocast.bf16()} on oneDNN against {@code torch.autocast("cpu", dtype=torch.bfloat16)}, torch
 * on both cores), the tiny-op chain, the GPT step of {@code train --model gpt} (batch 32) and causal attention
 * forward and backward, the CNN training step of {@code train --model cnn} (batch 256) and one 3×3 64→64
 * convolution forward and backward (28×28, batch 256), Panagrad ({@link CompareWorker}, a JVM of its
 * own) against PyTorch ({@code bench/peers/pytorch/peer.py} under {@code /usr/bin/python3}).
 *
 * <p>Fairness: both sides run on the same OpenBLAS core. When PyTorch's older OpenBLAS reports a core
 * other than Panagrad's (a fallback such as {@code Prescott} on a CPU it does not know), the
 * candidate cores are tried on it and the fastest is set as {@code OPENBLAS_CORETYPE} for both
 * ({@link CoreChoice}). Noise: both sides are started and warmed once, then take turns for several
 * rounds (A B A B …, each at its best thread setting in that round); a work's ratio is the median
 * of the rounds' ratios, printed with its range ({@link CompareRounds}). Writes {@code compare.json}
 * (rows {work, unit, panagrad, pytorch, ratio, ratio_min, ratio_max, rounds, ...}) and
 * {@code compare.png}. Without torch the PyTorch column is empty and the ratio null.
 */
public final class CompareBench {
    private CompareBench() {}

    static final String PYTHON = "/usr/bin/python3";
    static final String USAGE = "usage: ./panagrad bench compare [--quick] [--rounds N] [--try-cores] [--default-env] [--out DIR]";
    /** Seconds each work is warmed once per side before the rounds: C2 compiles the Vector API kernels on the same two cores. */
    private static final double JAVA_WARMUP_S = 3, PYTHON_WARMUP_S = 1;
    /** Between two turns: lets the other process's OpenBLAS and OpenMP threads stop spinning. */
    private static final long PAUSE_MS = 100;
    /** Rounds of the core probe: each candidate core's MLP step at batch 1024, the candidates in turn. */
    private static final int PROBE_ROUNDS = 3;

    public static void main(String[] args) throws Exception {
        boolean quick = false, tryCores = false;
        Integer rounds = null;
        Path out = Path.of("bench", "results");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--try-cores" -> tryCores = true;
                case "--out" -> out = Path.of(value(args, ++i));
                case "--rounds" -> rounds = rounds(value(args, ++i));
                default -> usageError("unknown option '" + args[i] + "'");
            }
        }
        int n = rounds != null ? rounds : quick ? 5 : 9;
        long start = System.nanoTime();
        String cpuinfo = CoreChoice.readCpuinfo();
        String cpu = CoreChoice.cpuModel(cpuinfo) + ", " + Runtime.getRuntime().availableProcessors() + " cores";
        String presetCore = System.getenv("OPENBLAS_CORETYPE");
        String env = "OPENBLAS_CORETYPE=" + (presetCore == null ? "(unset)" : presetCore) + " OPENBLAS_L2_SIZE="
                + System.getenv().getOrDefault("OPENBLAS_L2_SIZE", "(unset)");
        System.out.println("cpu:         " + cpu);
        System.out.println("environment: " + env);
        JsonArray plan = plan(quick);

        WorkerProcess ours = startOurs(quick, plan, null);
        WorkerProcess theirs = null;
        String theirAutoCore = null, coretype = presetCore, why = presetCore == null ? "auto-detected" : "set by the caller";
        try {
            System.out.println("panagrad:    " + ours.ready().get("version").getAsString() + ", core " + ours.core());
            if (torchAvailable()) {
                theirs = startTheirs(quick, plan, null);
                theirAutoCore = theirs.core();
                System.out.println("pytorch:     " + theirs.ready().get("version").getAsString() + ", OpenBLAS core " + theirAutoCore
                        + " (" + theirs.ready().get("blas_config").getAsString() + ")");
                if (presetCore == null && CoreChoice.shouldTry(ours.core(), theirAutoCore, tryCores)) {
                    System.out.println("cores:       PyTorch's OpenBLAS reports " + theirAutoCore
                            + (CoreChoice.isFallback(theirAutoCore) ? " (a fallback: it does not know this CPU)" : "")
                            + ", Panagrad's " + ours.core() + (tryCores ? "; --try-cores" : "") + ": trying the cores both know");
                    theirs.close();
                    theirs = null;
                    CoreChoice.Choice choice = CoreChoice.choose(probeCores(CoreChoice.candidates(ours.core(), CoreChoice.cpuFlags(cpuinfo)), probePlan()));
                    System.out.println("cores:       " + (choice.core() == null ? "keeping the auto-detected cores: " : "chose " + choice.core() + ", ") + choice.reason());
                    if (choice.core() != null) {
                        coretype = choice.core();
                        why = "chosen: " + choice.reason();
                        theirs = startTheirs(quick, plan, coretype);
                        if (!CoreChoice.same(ours.core(), coretype)) {
                            ours.close();
                            ours = startOurs(quick, plan, coretype);
                        }
                    } else {
                        theirs = startTheirs(quick, plan, null);
                    }
                }
            } else {
                System.out.println("pytorch:     not available (" + PYTHON + " -c 'import torch' failed); install it with "
                        + "apt-get install -y python3-torch libopenblas0-pthread (docs/benchmarking.md)");
            }
            boolean sameCore = theirs != null && CoreChoice.same(ours.core(), theirs.core());
            if (theirs != null) {
                System.out.println("cores:       panagrad " + ours.core() + ", pytorch " + theirs.core() + " (OPENBLAS_CORETYPE="
                        + (coretype == null ? "(unset)" : coretype) + ")" + (sameCore ? "" : "  NOT THE SAME CORE: do not quote these ratios"));
            }

            System.out.println("warming up (each work " + (int) JAVA_WARMUP_S + " s in Panagrad, " + (int) PYTHON_WARMUP_S + " s in PyTorch), then "
                    + n + " rounds, the sides in turn");
            ours.warmUp(JAVA_WARMUP_S);
            if (theirs != null) theirs.warmUp(PYTHON_WARMUP_S);
            List<WorkerProcess> sides = theirs == null ? List.of(ours) : List.of(ours, theirs);
            var results = CompareRounds.alternate(sides, plan, n, CompareBench::pause,
                    (r, sofar) -> System.out.println(CompareRounds.roundLine(r, n, sofar)));

            List<CompareRounds.Summary> rows = new ArrayList<>();
            for (int i = 0; i < plan.size(); i++) {
                String work = plan.get(i).getAsJsonObject().get("work").getAsString();
                List<CompareRounds.Measured> o = results.get(0).stream().map(r -> r.get(work)).toList();
                List<CompareRounds.Measured> t = theirs == null ? List.of() : results.get(1).stream().map(r -> r.get(work)).toList();
                rows.add(CompareRounds.summarize(work, unit(work), o, t));
            }
            printTable(rows, n);

            Map<String, Object> common = new LinkedHashMap<>();
            common.put("panagrad_blas_core", ours.core());
            common.put("pytorch_blas_core", theirs == null ? null : theirs.core());
            common.put("same_core", sameCore);
            common.put("pytorch_auto_core", theirAutoCore);
            common.put("openblas_coretype", coretype);
            common.put("core_choice", why);
            common.put("environment", env);
            common.put("cpu", cpu);
            Files.createDirectories(out);
            Gson gson = new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create();
            Path jsonFile = out.resolve("compare.json");
            writeAtomically(jsonFile, gson.toJson(rows.stream().map(r -> CompareRounds.jsonRow(r, common)).toList()).getBytes(StandardCharsets.UTF_8));
            Path png = out.resolve("compare.png");
            chart(rows, n, png, ours.core(), theirs == null ? "n/a" : theirs.core());
            System.out.printf(Locale.ROOT, "wrote %s and %s (%.0f s)%n", jsonFile, png, (System.nanoTime() - start) / 1e9);
        } finally {
            ours.close();
            if (theirs != null) theirs.close();
        }
    }

    /**
     * What each round runs, the same for both sides: each work's warm-up runs (after the other side
     * had the cores) and timed runs. Quick: 5 rounds of ~1.5 s a side; full: more runs, 9 rounds.
     */
    static JsonArray plan(boolean quick) {
        int[][] p = quick ? new int[][] {{256, 3, 7}, {1024, 2, 5}, {4096, 1, 3}} : new int[][] {{256, 4, 15}, {1024, 2, 9}, {4096, 1, 5}};
        JsonArray plan = new JsonArray();
        for (int[] w : p) plan.add(step("mlp_step_b" + w[0], w[1], w[2]));
        for (int[] w : p) plan.add(step("mlp_step_b" + w[0] + "_bf16", w[1], w[2]));   // bfloat16 autocast, both sides
        plan.add(step("tiny_op_chain", quick ? 5 : 10, quick ? 21 : 41));
        plan.add(step("gpt_step_b32", quick ? 1 : 2, quick ? 3 : 5));
        plan.add(step("attention_fwd_bwd", quick ? 2 : 3, quick ? 5 : 9));
        plan.add(step("cnn_step_b256", quick ? 1 : 2, quick ? 3 : 5));
        plan.add(step("conv2d_fwd_bwd", 1, quick ? 3 : 5));
        return plan;
    }

    private static JsonObject step(String work, int warmup, int runs) {
        JsonObject o = new JsonObject();
        o.addProperty("work", work);
        o.addProperty("warmup", warmup);
        o.addProperty("runs", runs);
        return o;
    }

    static String unit(String work) { return work.equals("tiny_op_chain") ? "us_per_op" : "ms"; }

    private static WorkerProcess startOurs(boolean quick, JsonArray plan, String coretype) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());   // --enable-native-access, --add-modules, ...
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CompareWorker.class.getName(), "--threads", quick ? "2" : "2,1"));
        return new WorkerProcess("Panagrad's worker", cmd, coretypeEnv(coretype), plan);
    }

    private static WorkerProcess startTheirs(boolean quick, JsonArray plan, String coretype) throws IOException {
        // torch 1 thread + OpenBLAS 2 (its best here, docs/benchmarking.md), torch 2 + OpenBLAS 1, and
        // 1 + 1 (Panagrad's one-thread setting; on a loaded machine the two-thread settings can lose)
        List<String> cmd = List.of(PYTHON, "-B", peerScript("peer.py"), "--serve", "--settings", quick ? "1x2" : "1x2,2x1,1x1");
        return new WorkerProcess("the PyTorch peer", cmd, coretypeEnv(coretype), plan);
    }

    private static Map<String, String> coretypeEnv(String coretype) {
        Map<String, String> env = new HashMap<>();
        if (coretype != null) env.put("OPENBLAS_CORETYPE", coretype);
        return env;
    }

    /**
     * The peer with OPENBLAS_CORETYPE set to each candidate, one warm process each: the core each
     * reported, and the median over {@link #PROBE_ROUNDS} rounds (the candidates in turn) of its MLP
     * step at batch 1024.
     */
    private static List<CoreChoice.Probe> probeCores(List<String> candidates, JsonArray plan) throws IOException {
        List<CoreChoice.Probe> probes = new ArrayList<>();
        List<WorkerProcess> timed = new ArrayList<>();
        try {
            for (String c : candidates) {
                try {
                    WorkerProcess w = startTheirs(true, plan, c);
                    if (CoreChoice.same(w.core(), c)) {
                        w.warmUp(0.3);
                        timed.add(w);
                    } else {
                        w.close();
                    }
                    probes.add(new CoreChoice.Probe(c, w.core(), null));
                } catch (IOException e) {
                    System.out.println("cores:       " + c + ": " + e.getMessage());
                    probes.add(new CoreChoice.Probe(c, null, null));
                }
            }
            var rounds = CompareRounds.alternate(timed, plan, PROBE_ROUNDS, CompareBench::pause, (r, sofar) -> { });
            String work = plan.get(0).getAsJsonObject().get("work").getAsString();
            for (int i = 0; i < timed.size(); i++) {
                String core = timed.get(i).core();
                double ms = CompareRounds.median(rounds.get(i).stream().map(r -> r.get(work).value()).toList());
                probes.replaceAll(p -> CoreChoice.same(p.requested(), core) ? new CoreChoice.Probe(p.requested(), p.reported(), ms) : p);
            }
        } finally {
            timed.forEach(WorkerProcess::close);
        }
        return probes;
    }

    static JsonArray probePlan() {
        JsonArray plan = new JsonArray();
        plan.add(step("mlp_step_b1024", 1, 3));
        return plan;
    }

    private static void pause() {
        try {
            Thread.sleep(PAUSE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void printTable(List<CompareRounds.Summary> rows, int n) {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-19s %-10s %10s %10s %8s %-15s %s%n", "work", "unit", "panagrad", "pytorch", "ratio",
                "range", "settings (panagrad | pytorch)");
        for (var r : rows) {
            System.out.printf(Locale.ROOT, "%-19s %-10s %10.3f %10s %8s %-15s %s | %s%n", r.work(), r.unit(), r.panagrad(),
                    r.pytorch() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.pytorch()),
                    r.ratio() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.ratio()),
                    r.ratio() == null ? "-" : String.format(Locale.ROOT, "%.3f-%.3f", r.ratioMin(), r.ratioMax()), r.panagradSetting(), r.pytorchSetting());
        }
        System.out.println("ratio = panagrad / pytorch (lower is better for Panagrad): the median of " + n
                + " rounds' ratios, range = their min-max; panagrad, pytorch = each side's median");
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) usageError(args[i - 1] + " needs a value");
        return args[i];
    }

    private static int rounds(String v) {
        try {
            int r = Integer.parseInt(v);
            if (r >= 1) return r;
        } catch (NumberFormatException e) {
            // reported below
        }
        usageError("--rounds needs a whole number of at least 1, got '" + v + "'");
        return 0;
    }

    private static void usageError(String message) {
        System.err.println("panagrad bench compare: " + message);
        System.err.println(USAGE);
        System.exit(2);
    }

    static boolean torchAvailable() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String peerScript(String script) { return Path.of("bench", "peers", "pytorch", script).toString(); }

    /**
     * Runs {@code bench/peers/pytorch/SCRIPT args} once under /usr/bin/python3 with {@code env} added
     * to the environment, and returns the last JSON object it printed.
     */
    static JsonObject runPeerScript(String script, Map<String, String> env, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, "-B", peerScript(script)));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("the PyTorch peer " + script + " failed (exit " + p.exitValue() + ")" + (stdout.isBlank() ? "" : ": " + stdout.strip()));
        }
        return lastObject(stdout).orElseThrow(() -> new IOException("the PyTorch peer " + script + " printed no JSON object: " + stdout.strip()));
    }

    /** The last line of {@code output} that is a JSON object. */
    static java.util.Optional<JsonObject> lastObject(String output) {
        List<String> lines = output.lines().toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            JsonObject o = WorkerProcess.parseLine(lines.get(i));
            if (o != null) return java.util.Optional.of(o);
        }
        return java.util.Optional.empty();
    }

    private static void chart(List<CompareRounds.Summary> rows, int n, Path png, String ourCore, String theirCore) throws IOException {
        System.setProperty("java.awt.headless", "true");
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (var r : rows) {
            String label = r.ratio() == null ? r.work() : String.format(Locale.ROOT, "%s %.2f-%.2f", r.work(), r.ratioMin(), r.ratioMax());
            if (r.ratio() != null) data.addValue(r.ratio(), "Panagrad / PyTorch, median of " + n + " rounds", label);
            data.addValue(1.0, "PyTorch (= 1)", label);
        }
        JFreeChart chart = ChartFactory.createBarChart("Panagrad time / PyTorch time (lower is faster) — OpenBLAS " + ourCore + " vs " + theirCore,
                "work (range of the rounds' ratios)", "ratio", data, PlotOrientation.VERTICAL, true, false, false);
        chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
        chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
        chart.getCategoryPlot().getDomainAxis().setMaximumCategoryLabelLines(2);
        Path tmp = Files.createTempFile(png.toAbsolutePath().getParent(), ".compare", ".png");
        try {
            ChartUtils.saveChartAsPNG(tmp.toFile(), chart, 900, 500);
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
