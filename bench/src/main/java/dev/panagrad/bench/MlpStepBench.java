package dev.panagrad.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step of the main job's MLP (784-1024-1024-10, ReLU, cross-entropy, SGD momentum),
 * as {@link Workloads.MlpStep} runs it (which checks the loss every step). PyTorch's side is
 * {@code bench/peers/pytorch/peer.py}; {@code ./panagrad bench compare} runs both.
 *
 * <p>Settings: 5 × 2 s warm-up (C2 compiles the Vector API kernels), 5 × 2 s measured, one fork.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector"})
public class MlpStepBench {
    @Param({"256", "1024", "4096"})
    public int batch;

    private Workloads.MlpStep step;

    @Setup(Level.Trial)
    public void setup() { step = new Workloads.MlpStep(batch); }

    @TearDown(Level.Trial)
    public void tearDown() { step.close(); }

    @Benchmark
    public double step() { return step.step(); }
}
