package dev.panagrad.bench;

import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-op overhead of the graph: 1000 × (x = x·1.0001 + 0.0001) on a one-element float32
 * tensor, forward and backward (2000 ops). µs per op = score / 2000. PyTorch 1.13 here: 4.1 µs.
 * {@code scoped} runs each chain inside a MemoryScope (buffers back to the pool at close);
 * otherwise the Cleaner reclaims them, as in a script.
 *
 * <p>Settings: 5 × 1 s warm-up reaches steady C2 code; 5 × 1 s measured; one fork.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector"})
public class TinyOpChainBench {
    static final int STEPS = 1000;
    static final double EXPECTED_GRAD = Math.pow(1.0001, STEPS);

    @Param({"false", "true"})
    public boolean scoped;

    @Benchmark
    public double chain() {
        if (!scoped) return run();
        try (var scope = MemoryScope.open("chain")) {
            return run();
        }
    }

    private static double run() {
        Tensor x0 = Tensor.of(DType.F32, 1.0).requiresGrad(true);
        Tensor x = x0;
        for (int i = 0; i < STEPS; i++) x = x.mul(1.0001).add(0.0001);   // the same chain as Workloads.tinyOpChain, also without a scope
        x.backward();
        double g = x0.grad().item();
        if (Math.abs(g - EXPECTED_GRAD) > 1e-3) throw new IllegalStateException("chain gradient " + g + ", expected " + EXPECTED_GRAD);
        return g;
    }
}
