package dev.panagrad.bench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.panagrad.blas.OpenBlas;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * {@code ./panagrad bench compare [--quick] [--out DIR]}: the MLP training step (batch 256, 1024,
 * 4096) and the tiny-op chain, Panagrad in this JVM and PyTorch ({@code bench/peers/pytorch/peer.py}
 * under {@code /usr/bin/python3}) in a child process, each at its best thread setting, medians of
 * repeated runs after a warm-up. Prints a table with the ratios and the BLAS core each side used,
 * and writes {@code compare.json} (rows {work, unit, panagrad, pytorch, ratio}) and
 * {@code compare.png}. Without torch the PyTorch column is empty and the ratio null.
 */
public final class CompareBench {
    private CompareBench() {}

    record Row(String work, String unit, double panagrad, Double pytorch, Double ratio, String panagradSetting, String pytorchSetting) {}

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path out = Path.of("bench", "results");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: ./panagrad bench compare [--quick] [--out DIR]");
                    System.exit(2);
                }
            }
        }
        String env = "OPENBLAS_CORETYPE=" + System.getenv().getOrDefault("OPENBLAS_CORETYPE", "(unset)") + " OPENBLAS_L2_SIZE="
                + System.getenv().getOrDefault("OPENBLAS_L2_SIZE", "(unset)");
        OpenBlas blas = OpenBlas.get();
        System.out.println("environment: " + env);
        System.out.println("panagrad: Java " + Runtime.version() + ", OpenBLAS " + blas.info().version() + " core " + blas.info().coreName()
                + ", Vector API kernels " + (dev.panagrad.kernel.Kernels.VECTOR ? "on" : "off"));

        // Panagrad: OpenBLAS 2 threads and 1 thread; the best per work
        int[] threadSettings = quick ? new int[] {2} : new int[] {2, 1};
        Map<String, double[]> ours = new LinkedHashMap<>();   // work -> {best value, threads}
        for (int threads : threadSettings) {
            blas.setThreadCount(threads);
            measureOurs(quick, threads, ours);
        }
        blas.setThreadCount(2);

        // PyTorch: torch 1 thread + OpenBLAS 2 (its best here, docs/benchmarking.md), and torch 2 + OpenBLAS 1
        JsonObject best = null;
        Map<String, String> theirSetting = new LinkedHashMap<>();
        Map<String, Double> theirs = new LinkedHashMap<>();
        String theirCore = "n/a", theirVersion = "not installed";
        if (torchAvailable()) {
            String[][] settings = quick ? new String[][] {{"1", "2"}} : new String[][] {{"1", "2"}, {"2", "1"}};
            for (String[] s : settings) {
                JsonObject r = runPeer(quick, s[0], s[1]);
                theirCore = r.get("blas_core").getAsString();
                theirVersion = r.get("torch").getAsString();
                for (String work : ours.keySet()) {
                    double v = r.get(work).getAsDouble();
                    if (!theirs.containsKey(work) || v < theirs.get(work)) {
                        theirs.put(work, v);
                        theirSetting.put(work, "torch " + s[0] + " thread(s), OpenBLAS " + s[1]);
                    }
                }
                best = r;
            }
            System.out.println("pytorch:  torch " + theirVersion + ", OpenBLAS core " + theirCore + " (" + best.get("blas_config").getAsString() + ")");
        } else {
            System.out.println("pytorch:  not available (/usr/bin/python3 -c 'import torch' failed); install it with apt-get install -y python3-torch libopenblas0-pthread (docs/benchmarking.md)");
        }

        List<Row> rows = new ArrayList<>();
        for (var e : ours.entrySet()) {
            String work = e.getKey();
            String unit = work.equals("tiny_op_chain") ? "us_per_op" : "ms";
            Double them = theirs.get(work);
            Double ratio = them == null ? null : Math.round(1000 * e.getValue()[0] / them) / 1000.0;
            rows.add(new Row(work, unit, round(e.getValue()[0]), them == null ? null : round(them), ratio,
                    "OpenBLAS " + (int) e.getValue()[1] + " thread(s)", theirSetting.getOrDefault(work, "")));
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-16s %-10s %12s %12s %8s   %s%n", "work", "unit", "panagrad", "pytorch", "ratio", "settings (panagrad | pytorch)");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-16s %-10s %12.3f %12s %8s   %s | %s%n", r.work(), r.unit(), r.panagrad(),
                    r.pytorch() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.pytorch()), r.ratio() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.ratio()),
                    r.panagradSetting(), r.pytorchSetting());
        }
        System.out.println("ratio = panagrad / pytorch (lower is better for Panagrad)");

        Files.createDirectories(out);
        Gson gson = new GsonBuilder().setPrettyPrinting().serializeNulls().create();
        List<Map<String, Object>> json = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("work", r.work());
            m.put("unit", r.unit());
            m.put("panagrad", r.panagrad());
            m.put("pytorch", r.pytorch());
            m.put("ratio", r.ratio());
            m.put("panagrad_setting", r.panagradSetting());
            m.put("pytorch_setting", r.pytorchSetting());
            m.put("panagrad_blas_core", blas.info().coreName());
            m.put("pytorch_blas_core", theirCore);
            m.put("environment", env);
            json.add(m);
        }
        Path jsonFile = out.resolve("compare.json");
        writeAtomically(jsonFile, gson.toJson(json).getBytes(StandardCharsets.UTF_8));
        Path png = out.resolve("compare.png");
        chart(rows, png, blas.info().coreName(), theirCore);
        System.out.println("wrote " + jsonFile + " and " + png);
    }

    private static void measureOurs(boolean quick, int threads, Map<String, double[]> ours) {
        // warm-ups long enough for C2 to compile the Vector API kernels (their interpreted form is ~100x slower)
        int[][] plan = quick ? new int[][] {{256, 60, 21}, {1024, 20, 11}, {4096, 4, 5}} : new int[][] {{256, 100, 41}, {1024, 40, 21}, {4096, 8, 9}};
        for (int[] p : plan) {
            try (var step = new Workloads.MlpStep(p[0])) {
                record("mlp_step_b" + p[0], medianMs(step::step, p[1], p[2]), threads, ours);
            }
        }
        double chainMs = medianMs(Workloads::tinyOpChain, quick ? 1500 : 3000, quick ? 51 : 101);
        record("tiny_op_chain", chainMs * 1000 / (2 * Workloads.CHAIN), threads, ours);
    }

    private static void record(String work, double value, int threads, Map<String, double[]> ours) {
        double[] cur = ours.get(work);
        if (cur == null || value < cur[0]) ours.put(work, new double[] {value, threads});
    }

    private static double medianMs(DoubleSupplier work, int warmup, int runs) {
        // at least the given iterations and at least 3 s: C2 compiles the kernels on the same two cores
        long until = System.nanoTime() + 3_000_000_000L;
        for (int i = 0; i < warmup || System.nanoTime() < until; i++) work.getAsDouble();
        double[] t = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            work.getAsDouble();
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(t);
        return runs % 2 == 1 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    }

    private static double round(double v) { return Math.round(v * 1000) / 1000.0; }

    static boolean torchAvailable() {
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static JsonObject runPeer(boolean quick, String torchThreads, String blasThreads) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--threads", torchThreads));
        if (quick) args.add("--quick");
        return runPeerScript("peer.py", blasThreads, args);
    }

    /**
     * Runs {@code bench/peers/pytorch/SCRIPT args} under /usr/bin/python3 with OPENBLAS_NUM_THREADS set,
     * and parses the JSON object on the last line of its output.
     */
    static JsonObject runPeerScript(String script, String blasThreads, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", Path.of("bench", "peers", "pytorch", script).toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("OPENBLAS_NUM_THREADS", blasThreads);
        Process p = pb.start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("the PyTorch peer " + script + " failed (exit " + p.exitValue() + "): " + stdout);
        }
        String last = stdout.strip().lines().reduce((a, b) -> b).orElse("");
        return JsonParser.parseString(last).getAsJsonObject();
    }

    private static void chart(List<Row> rows, Path png, String ourCore, String theirCore) throws IOException {
        System.setProperty("java.awt.headless", "true");
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Row r : rows) {
            if (r.ratio() != null) data.addValue(r.ratio(), "Panagrad / PyTorch", r.work());
            data.addValue(1.0, "PyTorch (= 1)", r.work());
        }
        JFreeChart chart = ChartFactory.createBarChart("Panagrad time / PyTorch time (lower is faster) — OpenBLAS " + ourCore + " vs " + theirCore,
                "work", "ratio", data, PlotOrientation.VERTICAL, true, false, false);
        chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
        chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
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
