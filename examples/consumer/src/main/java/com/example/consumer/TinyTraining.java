package com.example.consumer;

import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.blas.Blas;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.Storage;
import dev.panagrad.nn.Functional;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.ReLU;
import dev.panagrad.nn.Sequential;
import dev.panagrad.optim.SGD;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.IntBinaryOperator;

/**
 * Panagrad used from another project: a 32-16-4 MLP whose weights and data come from formulas, five
 * SGD steps (lr 0.1, momentum 0.9) of cross-entropy on one batch of 16, checked against PyTorch
 * 1.13.1's numbers for the same computation. Exits with status 1 if a number is off or if the JVM
 * lacks one of Panagrad's two flags (so each way of passing them is checked where it is used).
 *
 * <pre>{@code
 * # PyTorch 1.13.1 (float32), which printed the numbers in PYTORCH_LOSSES and PYTORCH_CORRECT
 * import torch
 * def t(rows, cols, f): return torch.tensor([[f(i, j) for j in range(cols)] for i in range(rows)], dtype=torch.float32)
 * model = torch.nn.Sequential(torch.nn.Linear(32, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
 * with torch.no_grad():
 *     model[0].weight.copy_(t(16, 32, lambda i, j: ((7 * i + 3 * j) % 11 - 5) / 20))
 *     model[0].bias.copy_(torch.tensor([(i % 5 - 2) / 10 for i in range(16)]))
 *     model[2].weight.copy_(t(4, 16, lambda i, j: ((5 * i + 2 * j) % 7 - 3) / 10))
 *     model[2].bias.copy_(torch.tensor([(i - 1.5) / 10 for i in range(4)]))
 * x = t(16, 32, lambda n, j: ((5 * n + 2 * j) % 13 - 6) / 8)
 * y = torch.tensor([(3 * n + 1) % 4 for n in range(16)])
 * opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
 * for step in range(5):
 *     opt.zero_grad(); loss = torch.nn.functional.cross_entropy(model(x), y); loss.backward(); opt.step()
 *     print(step + 1, repr(loss.item()))
 * with torch.no_grad():
 *     logits = model(x)
 *     print("final", repr(torch.nn.functional.cross_entropy(logits, y).item()), (logits.argmax(1) == y).sum().item())
 * }</pre>
 */
public final class TinyTraining {
    /** PyTorch's loss at each of the five steps (before its update), then after the last update. */
    static final double[] PYTORCH_LOSSES = {1.4286305904388428, 1.4107317924499512, 1.3783358335494995, 1.339730978012085,
            1.301334261894226, 1.266862154006958};
    /** PyTorch's count of rows whose largest logit is the label, after the five steps. */
    static final long PYTORCH_CORRECT = 7;
    /** float32 through different GEMM kernels: agreement to about 1e-7 per step; 1e-5 leaves room and still catches a wrong step. */
    static final double TOLERANCE = 1e-5;

    private TinyTraining() {}

    public static void main(String[] args) {
        List<String> problems = run(System.out);
        if (!problems.isEmpty()) {
            for (String p : problems) System.err.println("panagrad-consumer: WRONG: " + p);
            System.exit(1);
        }
        System.out.println("panagrad-consumer: ok, the losses and the accuracy are PyTorch's");
    }

    /** Checks this JVM's flags, trains, compares with PyTorch; returns what is wrong (nothing when all is well). */
    public static List<String> run(PrintStream out) {
        List<String> problems = new ArrayList<>();
        // Panagrad's pool and its BLAS bridge call restricted methods: one module on the class path, two on the module path
        for (Module m : new LinkedHashSet<>(List.of(Storage.class.getModule(), Blas.class.getModule()))) {
            if (!m.isNativeAccessEnabled()) {
                problems.add("native access is not enabled for " + (m.isNamed() ? "module " + m.getName() : "the class path")
                        + ": --enable-native-access=" + (m.isNamed() ? m.getName() : "ALL-UNNAMED") + " did not reach this JVM");
            }
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            problems.add("jdk.incubator.vector is not in this JVM: --add-modules jdk.incubator.vector did not reach it");
        }
        out.println("panagrad-consumer: Java " + Runtime.version() + ", " + Blas.selected().describe());

        var model = new Sequential(new Linear(32, 16), new ReLU(), new Linear(16, 4));
        model.loadStateDict(Map.of(
                "0.weight", matrix(16, 32, (i, j) -> (7 * i + 3 * j) % 11 - 5, 20),
                "0.bias", matrix(1, 16, (zero, i) -> i % 5 - 2, 10).reshape(16),
                "2.weight", matrix(4, 16, (i, j) -> (5 * i + 2 * j) % 7 - 3, 10),
                "2.bias", Tensor.of(-0.15, -0.05, 0.05, 0.15)));
        Tensor x = matrix(16, 32, (n, j) -> (5 * n + 2 * j) % 13 - 6, 8);
        double[] labels = new double[16];
        for (int n = 0; n < 16; n++) labels[n] = (3 * n + 1) % 4;
        Tensor y = Tensor.of(DType.I64, labels);
        var optimizer = new SGD(model.parameters(), 0.1, 0.9, 0, 0, false);

        double[] losses = new double[6];
        for (int step = 0; step < 5; step++) {
            try (var scope = MemoryScope.open("step")) {   // every buffer of the step goes back to the pool here
                optimizer.zeroGrad();
                Tensor loss = Functional.crossEntropy(model.forward(x), y);
                loss.backward();
                optimizer.step();
                losses[step] = loss.item();
            }
        }
        long correct;
        try (var off = Grad.disabled(); var scope = MemoryScope.open("eval")) {
            Tensor logits = model.forward(x);
            losses[5] = Functional.crossEntropy(logits, y).item();
            correct = (long) logits.argmax(1).eq(y).sum().item();
        }

        for (int i = 0; i < losses.length; i++) {
            String what = i < 5 ? "step " + (i + 1) + " loss" : "final loss ";
            out.printf("panagrad-consumer: %s %.7f   PyTorch 1.13.1 %.7f%n", what, losses[i], PYTORCH_LOSSES[i]);
            if (!(Math.abs(losses[i] - PYTORCH_LOSSES[i]) <= TOLERANCE)) {
                problems.add(what.trim() + " is " + losses[i] + ", PyTorch's " + PYTORCH_LOSSES[i] + " (tolerance " + TOLERANCE + ")");
            }
        }
        out.println("panagrad-consumer: correct " + correct + "/16   PyTorch 1.13.1 " + PYTORCH_CORRECT + "/16");
        if (correct != PYTORCH_CORRECT) problems.add(correct + " rows right after training, PyTorch " + PYTORCH_CORRECT);
        return problems;
    }

    /** A rows x cols float32 matrix of f(i, j) / divisor. */
    static Tensor matrix(int rows, int cols, IntBinaryOperator f, double divisor) {
        double[] values = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) values[i * cols + j] = f.applyAsInt(i, j) / divisor;
        }
        return Tensor.of(values).reshape(rows, cols);
    }
}
