package dev.panagrad.examples;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.panagrad.blas.BlasInfo;
import dev.panagrad.blas.BlasUnavailableException;
import dev.panagrad.blas.JavaBlas;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.Storage;
import java.lang.foreign.MemorySegment;

/** {@code ./panagrad doctor}: what this machine gives Panagrad, and a one-gemm self-check. */
final class Doctor {
    private Doctor() {}

    static int run(String[] args) {
        Runtime.Version v = Runtime.version();
        System.out.println("Java           " + v + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.home") + ")");
        System.out.println("Native access  " + (Doctor.class.getModule().isNativeAccessEnabled() ? "enabled" : "NOT enabled: pass --enable-native-access=ALL-UNNAMED"));
        System.out.println("CPU cores      " + Runtime.getRuntime().availableProcessors());
        System.out.println("Environment    OPENBLAS_CORETYPE=" + env("OPENBLAS_CORETYPE") + " OPENBLAS_L2_SIZE=" + env("OPENBLAS_L2_SIZE")
                + " OPENBLAS_NUM_THREADS=" + env("OPENBLAS_NUM_THREADS"));
        int status = 0;
        try {
            OpenBlas blas = OpenBlas.get();
            BlasInfo info = blas.info();
            System.out.println("OpenBLAS       " + info.version() + ", core " + info.coreName() + ", " + info.threads() + " threads, "
                    + new String[] {"sequential", "pthreads", "OpenMP"}[Math.min(2, Math.max(0, info.parallelMode()))]);
            System.out.println("  config       " + info.config());
            System.out.println("  library      " + info.libraryPath());
            System.out.println("Self-check     " + selfCheck(blas));
        } catch (BlasUnavailableException e) {
            System.out.println("OpenBLAS       UNAVAILABLE: " + e.getMessage());
            status = 1;
        }
        System.out.println("Pool           " + BufferPool.global().stats());
        return status;
    }

    private static String env(String name) {
        String value = System.getenv(name);
        return value == null ? "(unset)" : value;
    }

    /** One 3x3 sgemm through the bridge on pooled memory, compared with the plain-Java reference. */
    private static String selfCheck(OpenBlas blas) {
        try (var scope = MemoryScope.open("doctor")) {
            MemorySegment a = fill(Storage.allocate(36, "doctor a").segment(), 1);
            MemorySegment b = fill(Storage.allocate(36, "doctor b").segment(), 2);
            MemorySegment c = Storage.allocate(36, "doctor c").segment();
            MemorySegment r = Storage.allocate(36, "doctor ref").segment();
            blas.sgemm(false, true, 3, 3, 3, 1f, a, 3, b, 3, 0f, c, 3);
            JavaBlas.INSTANCE.sgemm(false, true, 3, 3, 3, 1f, a, 3, b, 3, 0f, r, 3);
            for (int i = 0; i < 9; i++) {
                if (c.getAtIndex(JAVA_FLOAT, i) != r.getAtIndex(JAVA_FLOAT, i)) {
                    return "FAILED: sgemm element " + i + " is " + c.getAtIndex(JAVA_FLOAT, i) + ", reference " + r.getAtIndex(JAVA_FLOAT, i);
                }
            }
            return "sgemm 3x3 on pooled memory matches the Java reference";
        }
    }

    private static MemorySegment fill(MemorySegment s, int seed) {
        for (int i = 0; i < 9; i++) s.setAtIndex(JAVA_FLOAT, i, (i * seed) % 5 - 2);
        return s;
    }
}
