package dev.panagrad.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.Storage;
import java.lang.foreign.MemorySegment;
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
 * {@code a.matmul(b)} (float32, n×n) against the raw bridge sgemm on the same segments: what the
 * tensor layer costs on top of BLAS (shape checks, output lease from the pool, the node when
 * recording). {@code tensor} opens and closes a MemoryScope per call (closing a shared arena is a
 * thread handshake, ~0.1 ms); {@code tensorReleased} gives the result back with
 * {@code Storage.release()} instead, which is what the layer itself costs. {@code transposed}
 * multiplies by {@code b.t()}: a BLAS flag, not a copy.
 *
 * <p>Settings: 3 × 1 s warm-up, 5 × 1 s measured, one fork; throughput so GFLOP/s = 2n³·ops/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector"})
public class MatmulBench {
    @Param({"256", "1024", "2048"})
    public int n;

    private Tensor a, b;
    private MemorySegment sa, sb, sc;

    @Setup
    public void setup() {
        Generator g = new Generator(n);
        a = g.randn(DType.F32, n, n);
        b = g.randn(DType.F32, n, n);
        sa = a.storage().kernelSegment();
        sb = b.storage().kernelSegment();
        sc = Storage.allocate(4L * n * n, "bench C").segment();
        // the two paths agree
        OpenBlas.get().sgemm(false, false, n, n, n, 1f, sa, n, sb, n, 0f, sc, n);
        try (var s = MemoryScope.open("check")) {
            MemorySegment viaTensor = a.matmul(b).storage().kernelSegment();
            for (long i = 0; i < (long) n * n; i += 997) {
                if (viaTensor.getAtIndex(JAVA_FLOAT, i) != sc.getAtIndex(JAVA_FLOAT, i)) throw new IllegalStateException("tensor and bridge disagree at " + i);
            }
        }
    }

    @Benchmark
    public MemorySegment bridge() {
        OpenBlas.get().sgemm(false, false, n, n, n, 1f, sa, n, sb, n, 0f, sc, n);
        return sc;
    }

    @Benchmark
    public double tensor() {
        try (var s = MemoryScope.open("matmul")) {
            return a.matmul(b).storage().byteSize();
        }
    }

    /** The tensor layer alone: lease C from the pool, one GEMM, give C back at once (no scope to close). */
    @Benchmark
    public long tensorReleased() {
        Tensor c = a.matmul(b);
        long bytes = c.storage().byteSize();
        c.storage().release();
        return bytes;
    }

    @Benchmark
    public double tensorTransposed() {
        try (var s = MemoryScope.open("matmul")) {
            return a.matmul(b.t()).storage().byteSize();
        }
    }
}
