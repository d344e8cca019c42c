package dev.panagrad.bench;

import com.google.gson.JsonObject;
import dev.panagrad.Tensor;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.Functional;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./panagrad bench parts [BATCH]}: where the MLP step's time goes, by part (zero_grad, forward
 * with the loss, backward, step, scope close), medians of 100 steps after 100, beside PyTorch's
 * ({@code bench/peers/pytorch/parts.py}, torch 1 thread, OpenBLAS 2, on Panagrad's OpenBLAS core
 * unless OPENBLAS_CORETYPE is set) when torch is installed; prints the core each side used.
 */
public final class StepPartsBench {
    private StepPartsBench() {}

    public static void main(String[] args) throws Exception {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        double[][] t = new double[5][200];
        try (var w = new Workloads.MlpStep(batch)) {
            var model = w.model;
            var opt = w.optimizer;
            Tensor x = w.x, y = w.y;
            for (int i = 0; i < 200; i++) {
                long t0 = System.nanoTime(), t1, t2, t3, t4;
                try (var step = MemoryScope.open("step")) {
                    opt.zeroGrad();
                    t1 = System.nanoTime();
                    Tensor loss = Functional.crossEntropy(model.forward(x), y);
                    t2 = System.nanoTime();
                    loss.backward();
                    t3 = System.nanoTime();
                    opt.step();
                    t4 = System.nanoTime();
                }
                long t5 = System.nanoTime();
                long[] marks = {t0, t1, t2, t3, t4, t5};
                for (int k = 0; k < 5; k++) t[k][i] = (marks[k + 1] - marks[k]) / 1e6;
            }
        }
        System.out.printf(Locale.ROOT, "batch %d, ms (medians of steps 101-200)%n%-10s %9s %9s %9s %9s %9s%n", batch, "", "zero_grad", "forward", "backward", "step", "close");
        System.out.printf(Locale.ROOT, "%-10s %9.2f %9.2f %9.2f %9.2f %9.2f%n", "panagrad", med(t[0]), med(t[1]), med(t[2]), med(t[3]), med(t[4]));
        if (CompareBench.torchAvailable()) {
            // the peer on Panagrad's OpenBLAS core (unless the caller set one for both): PyTorch's older
            // OpenBLAS may not know this CPU and fall back to a slow generic core
            String ourCore = OpenBlas.get().info().coreName();
            Map<String, String> env = new HashMap<>(Map.of("OPENBLAS_NUM_THREADS", "2"));
            if (System.getenv("OPENBLAS_CORETYPE") == null) env.put("OPENBLAS_CORETYPE", ourCore);
            JsonObject r = CompareBench.runPeerScript("parts.py", env, List.of(Integer.toString(batch)));
            System.out.printf(Locale.ROOT, "%-10s %9.2f %9.2f %9.2f %9.2f %9s%n", "pytorch", r.get("zero").getAsDouble(), r.get("forward").getAsDouble(),
                    r.get("backward").getAsDouble(), r.get("step").getAsDouble(), "-");
            String theirCore = r.get("blas_core").getAsString();
            System.out.println("OpenBLAS core: panagrad " + ourCore + ", pytorch " + theirCore
                    + (CoreChoice.same(ourCore, theirCore) ? "" : "  NOT THE SAME CORE: do not quote the comparison"));
        } else {
            System.out.println("pytorch    not available (/usr/bin/python3 -c 'import torch' failed)");
        }
    }

    private static double med(double[] v) {
        double[] c = Arrays.copyOfRange(v, 100, 200);
        Arrays.sort(c);
        return (c[49] + c[50]) / 2;
    }
}
