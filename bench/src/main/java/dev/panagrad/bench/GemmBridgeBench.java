package dev.panagrad.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.panagrad.blas.JavaBlas;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.memory.Storage;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
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
 * sgemm C = A·B (n×n, float32) through our FFM bridge against bytedeco's JNI {@code cblas_sgemm},
 * on the very same pooled segments (the JNI side wraps them as FloatPointers: zero-copy too).
 * Both reach the same loaded OpenBLAS, so any gap is call overhead.
 *
 * <p>Settings: one fork (both sides share a JVM and the library's thread pool, as a user's process
 * would); 3 warm-up seconds reach C2 and fill OpenBLAS's buffers; 5 measured seconds are enough
 * iterations even at 2048 (≈70 ms a call). Throughput, so GFLOP/s = 2n³ · ops/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector"})
public class GemmBridgeBench {
    @Param({"64", "128", "256", "512", "1024", "2048"})
    public int n;

    private OpenBlas blas;
    private Storage a, b, c;
    private MemorySegment sa, sb, sc;
    private FloatPointer pa, pb, pc;

    @Setup
    public void setup() {
        blas = OpenBlas.get();
        long bytes = 4L * n * n;
        a = Storage.allocate(bytes, "bench A");
        b = Storage.allocate(bytes, "bench B");
        c = Storage.allocate(bytes, "bench C");
        sa = a.segment();
        sb = b.segment();
        sc = c.segment();
        SplittableRandom r = new SplittableRandom(n);
        for (long i = 0; i < (long) n * n; i++) {
            sa.setAtIndex(JAVA_FLOAT, i, (float) r.nextDouble(-1, 1));
            sb.setAtIndex(JAVA_FLOAT, i, (float) r.nextDouble(-1, 1));
        }
        pa = pointer(sa);
        pb = pointer(sb);
        pc = pointer(sc);
        checkResults();
    }

    private static FloatPointer pointer(MemorySegment s) {
        return new FloatPointer(s.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer());
    }

    /** Both paths must give the same C (same library), and for small n the Java reference's. */
    private void checkResults() {
        bridge();
        float[] viaBridge = sc.toArray(JAVA_FLOAT);
        sc.fill((byte) 0);
        jni();
        float[] viaJni = sc.toArray(JAVA_FLOAT);
        for (int i = 0; i < viaBridge.length; i++) {
            if (viaBridge[i] != viaJni[i]) {
                throw new IllegalStateException("n=" + n + ": bridge and JNI disagree at " + i + ": " + viaBridge[i] + " vs " + viaJni[i]);
            }
        }
        if (n <= 256) {
            MemorySegment ref = MemorySegment.ofArray(new float[n * n]);
            JavaBlas.INSTANCE.sgemm(false, false, n, n, n, 1f, sa, n, sb, n, 0f, ref, n);
            for (int i = 0; i < viaBridge.length; i++) {
                float want = ref.getAtIndex(JAVA_FLOAT, i);
                if (Math.abs(viaBridge[i] - want) > 1e-4f * n) {
                    throw new IllegalStateException("n=" + n + ": bridge gives " + viaBridge[i] + " at " + i + ", reference " + want);
                }
            }
        }
    }

    @Benchmark
    public MemorySegment bridge() {
        blas.sgemm(false, false, n, n, n, 1f, sa, n, sb, n, 0f, sc, n);
        return sc;
    }

    @Benchmark
    public FloatPointer jni() {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, openblas_nolapack.CblasNoTrans,
                n, n, n, 1f, pa, n, pb, n, 0f, pc, n);
        return pc;
    }
}
