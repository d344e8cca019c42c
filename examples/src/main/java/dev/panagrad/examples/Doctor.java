package dev.panagrad.examples;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.panagrad.blas.Blas;
import dev.panagrad.blas.BlasInfo;
import dev.panagrad.blas.BlasUnavailableException;
import dev.panagrad.blas.Dnnl;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.kernel.Kernels;
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
        Blas blas = null;
        try {
            blas = Blas.selected();
        } catch (BlasUnavailableException e) {
            System.out.println("OpenBLAS       UNAVAILABLE: " + e.getMessage());
            status = 1;
        } catch (IllegalArgumentException e) {
            System.out.println("BLAS           " + e.getMessage());
            status = 1;
        }
        if (blas instanceof OpenBlas openBlas) {
            System.out.println("BLAS           OpenBLAS (the default; -Dpanagrad.blas=java selects plain Java)");
            BlasInfo info = openBlas.info();
            System.out.println("OpenBLAS       " + info.version() + ", core " + info.coreName() + ", " + info.threads() + " threads, "
                    + new String[] {"sequential", "pthreads", "OpenMP"}[Math.min(2, Math.max(0, info.parallelMode()))]);
            System.out.println("  threads      " + (openBlas.adaptiveThreads()
                    ? info.threads() + " for a product while one Java thread computes, 1 while several do (-Dpanagrad.blasThreads=fixed: always " + info.threads() + ")"
                    : info.threads() + " for every product, however many Java threads compute (-Dpanagrad.blasThreads=fixed)"));
            System.out.println("  config       " + info.config());
            System.out.println("  library      " + info.libraryPath());
        } else if (blas != null) {
            System.out.println("BLAS           " + blas.describe() + ", selected with -Dpanagrad.blas=java");
        }
        System.out.println("Vector API     " + vectorApi());
        System.out.println("oneDNN         " + oneDnn());
        if (blas != null) {
            try {
                System.out.println("Self-check     " + selfCheck(blas));
            } catch (IllegalCallerException e) {   // the pool, in a JVM that denies native access
                System.out.println("Self-check     FAILED: " + e.getMessage());
                status = 1;
            }
        }
        System.out.println("Pool           " + BufferPool.global().stats());
        return status;
    }

    /** Whether the float32 kernels run on the Vector API, and if not, why. */
    private static String vectorApi() {
        if (Kernels.VECTOR) return "on: float32 kernels on jdk.incubator.vector, " + vectorLanes() + " float lanes";
        if (!Kernels.vectorModulePresent()) {
            return "off: jdk.incubator.vector is not in this JVM (add --add-modules jdk.incubator.vector): the kernels run scalar";
        }
        return "off: -Dpanagrad.noVector=true: the kernels run scalar";
    }

    /** Only called when the module is present: the class is not resolved otherwise. */
    private static int vectorLanes() {
        return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    }

    private static String env(String name) {
        String value = System.getenv(name);
        return value == null ? "(unset)" : value;
    }

    /** One 3x3 sgemm (A·Bᵀ) through the selected BLAS on pooled memory, against the exact product of its small integers. */
    private static String selfCheck(Blas blas) {
        try (var scope = MemoryScope.open("doctor")) {
            MemorySegment a = fill(Storage.allocate(36, "doctor a").segment(), 1);
            MemorySegment b = fill(Storage.allocate(36, "doctor b").segment(), 2);
            MemorySegment c = Storage.allocate(36, "doctor c").segment();
            blas.sgemm(false, true, 3, 3, 3, 1f, a, 3, b, 3, 0f, c, 3);
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    float exact = 0;
                    for (int k = 0; k < 3; k++) exact += a.getAtIndex(JAVA_FLOAT, 3 * i + k) * b.getAtIndex(JAVA_FLOAT, 3 * j + k);
                    if (c.getAtIndex(JAVA_FLOAT, 3 * i + j) != exact) {
                        return "FAILED: sgemm element (" + i + ", " + j + ") is " + c.getAtIndex(JAVA_FLOAT, 3 * i + j) + ", exactly " + exact;
                    }
                }
            }
            return "sgemm 3x3 on pooled memory gives the exact product";
        }
    }

    private static MemorySegment fill(MemorySegment s, int seed) {
        for (int i = 0; i < 9; i++) s.setAtIndex(JAVA_FLOAT, i, (i * seed) % 5 - 2);
        return s;
    }

    /** oneDNN (optional): its version and the ISA it dispatches to, and so whether bfloat16 autocast runs natively here. */
    static String oneDnn() {
        try {
            Dnnl d = Dnnl.get();
            return d.version() + ", ISA " + d.isa() + (d.nativeBf16()
                    ? ": native bfloat16 GEMMs (train --precision bf16, Autocast.bf16())"
                    : ": no native bfloat16 on this CPU, so Autocast.bf16() refuses (oneDNN would emulate it, slowly)") + ", " + d.libraryPath();
        } catch (BlasUnavailableException e) {
            return "unavailable (only bfloat16 autocast needs it): " + e.getMessage();
        }
    }
}
