package dev.panagrad.bench;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
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
 * Element-wise float32 ops, out of place, no graph, from 1K to 16M elements, against a
 * {@code MemorySegment.copy} of the same bytes (the memory bandwidth reference: a copy reads n and
 * writes n floats; add reads 2n and writes n). Each op's result is checked once in setup.
 * GB/s = bytes moved / time: copy 8n bytes, add and mul 12n, relu and exp 8n.
 *
 * <p>Settings: 3 × 1 s warm-up, 5 × 1 s measured, one fork.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector"})
public class ElementwiseBench {
    @Param({"1024", "65536", "1048576", "16777216"})
    public int n;

    private Tensor a, b;
    private MemorySegment src, dst;

    @Setup
    public void setup() {
        Generator g = new Generator(1);
        a = g.randn(DType.F32, n);
        b = g.randn(DType.F32, n);
        src = a.storage().segment();
        dst = Tensor.empty(DType.F32, n).storage().segment();
        try (var check = MemoryScope.open("check")) {
            int i = n / 3;
            float x = (float) a.get(i), y = (float) b.get(i);
            expect("add", a.add(b).get(i), x + y);
            expect("mul", a.mul(b).get(i), x * y);
            expect("relu", a.relu().get(i), x > 0 ? x : 0);
            expect("exp", a.exp().get(i), (float) Math.exp(x));
        }
    }

    /** Exact, or within 2 ulp for exp (vector math on big arrays, PyTorch's own exp differs by as much). */
    private static void expect(String op, double got, float want) {
        float slack = op.equals("exp") ? 2 * Math.ulp(want) : 0;
        if (Math.abs((float) got - want) > slack) throw new IllegalStateException(op + ": got " + got + ", expected " + want);
    }

    @Benchmark
    public void copy() { MemorySegment.copy(src, 0, dst, 0, 4L * n); }

    @Benchmark
    public Tensor add() {
        try (var s = MemoryScope.open("add")) {
            return a.add(b);
        }
    }

    @Benchmark
    public Tensor mul() {
        try (var s = MemoryScope.open("mul")) {
            return a.mul(b);
        }
    }

    @Benchmark
    public Tensor relu() {
        try (var s = MemoryScope.open("relu")) {
            return a.relu();
        }
    }

    @Benchmark
    public Tensor exp() {
        try (var s = MemoryScope.open("exp")) {
            return a.exp();
        }
    }
}
