package dev.panagrad.bench;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.Functional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reductions over a float32 [rows, 1024] matrix: the full sum, the sum over rows (a bias gradient),
 * the max of each row; and softmax + cross-entropy over [rows, 10] logits, forward and backward.
 * Results are checked in setup against straightforward loops.
 *
 * <p>Settings: 3 × 1 s warm-up, 5 × 1 s measured, one fork.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector"})
public class ReductionBench {
    @Param({"1024", "4096"})
    public int rows;

    private Tensor x, logits, labels;

    @Setup
    public void setup() {
        Generator g = new Generator(2);
        x = g.randn(DType.F32, rows, 1024);
        logits = g.randn(DType.F32, rows, 10);
        labels = g.randint(0, 10, rows);
        float[] v = x.toFloatArray();
        double total = 0, col0 = 0, max0 = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < rows; r++) {
            col0 += v[r * 1024];
            for (int c = 0; c < 1024; c++) total += v[r * 1024 + c];
        }
        for (int c = 0; c < 1024; c++) max0 = Math.max(max0, v[c]);
        try (var s = MemoryScope.open("check")) {
            check("sum", x.sum().item(), total, 1e-2);
            check("sum(0)", x.sum(0).get(0), col0, 1e-3);
            check("amax(1)", x.amax(1).get(0), max0, 0);
            double ce = Functional.crossEntropy(logits, labels).item();
            check("cross_entropy (vs log 10 order)", Math.signum(ce), 1, 0);
        }
    }

    private static void check(String what, double got, double want, double tol) {
        if (Math.abs(got - want) > tol * Math.max(1, Math.abs(want))) throw new IllegalStateException(what + ": got " + got + ", expected " + want);
    }

    @Benchmark
    public double sumAll() {
        try (var s = MemoryScope.open("sum")) {
            return x.sum().item();
        }
    }

    @Benchmark
    public Tensor sumRows() {
        try (var s = MemoryScope.open("sum0")) {
            return x.sum(0);
        }
    }

    @Benchmark
    public Tensor maxPerRow() {
        try (var s = MemoryScope.open("amax")) {
            return x.amax(1);
        }
    }

    @Benchmark
    public Tensor softmaxCrossEntropyForwardBackward() {
        try (var s = MemoryScope.open("ce")) {
            Tensor z = logits.detach().requiresGrad(true);
            Functional.crossEntropy(z, labels).backward();
            return z.grad();
        }
    }
}
