package dev.panagrad.bench;

import dev.panagrad.blas.OpenBlas;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * {@code ./panagrad bench gemm [n ...]}: runs {@link GemmBridgeBench} one size at a time (bridge,
 * then JNI, side by side, so drift on a shared machine hits both) and prints GFLOP/s, the ratio and
 * the share of this machine's 538 GFLOP/s FP32 peak (docs/benchmarking.md).
 */
public final class GemmBridgeReport {
    static final double PEAK_GFLOPS = 538;

    public static void main(String[] args) throws RunnerException {
        List<String> sizes = args.length > 0 ? List.of(args) : List.of("64", "128", "256", "512", "1024", "2048");
        var info = OpenBlas.get().info();
        System.out.println("OpenBLAS " + info.version() + ", core " + info.coreName() + ", " + info.threads() + " threads"
                + "; OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE"));
        Map<String, double[]> rows = new HashMap<>();
        for (String n : sizes) {
            Options opt = new OptionsBuilder()
                    .include(GemmBridgeBench.class.getName() + "\\.(bridge|jni)$")
                    .param("n", n)
                    .verbosity(VerboseMode.SILENT)
                    .build();
            Collection<RunResult> results = new Runner(opt).run();
            double[] row = new double[4];
            for (RunResult r : results) {
                String method = r.getParams().getBenchmark().replaceAll(".*\\.", "");
                double opsPerSecond = r.getPrimaryResult().getScore();
                double err = r.getPrimaryResult().getScoreError();
                double flop = 2.0 * Math.pow(Double.parseDouble(n), 3);
                int at = method.equals("bridge") ? 0 : 2;
                row[at] = opsPerSecond * flop / 1e9;
                row[at + 1] = Double.isNaN(err) ? 0 : err * flop / 1e9;
            }
            rows.put(n, row);
            System.out.printf(Locale.ROOT, "n=%-5s bridge %7.1f ± %5.1f GFLOP/s   JNI %7.1f ± %5.1f GFLOP/s   bridge/JNI %.3f   bridge %% of peak %5.1f%%%n",
                    n, row[0], row[1], row[2], row[3], row[0] / row[2], 100 * row[0] / PEAK_GFLOPS);
        }
        System.out.println();
        System.out.println("| n | bridge GFLOP/s | JNI GFLOP/s | bridge / JNI | bridge % of 538 peak |");
        System.out.println("| --- | --- | --- | --- | --- |");
        for (String n : sizes) {
            double[] r = rows.get(n);
            System.out.printf(Locale.ROOT, "| %s | %.1f ± %.1f | %.1f ± %.1f | %.3f | %.1f%% |%n", n, r[0], r[1], r[2], r[3], r[0] / r[2], 100 * r[0] / PEAK_GFLOPS);
        }
    }
}
