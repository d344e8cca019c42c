package dev.panagrad.blas;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * oneDNN's BLAS-like GEMMs, called through FFM downcalls zero-copy as {@link OpenBlas} calls OpenBLAS:
 * {@code dnnl_gemm_bf16bf16f32} (bfloat16 inputs, float32 accumulation and output: the mixed-precision
 * GEMM, on AVX512-BF16 or AMX where the CPU has them) and {@code dnnl_sgemm}. Both are row-major.
 *
 * <p>The library comes from bytedeco's {@code org.bytedeco:dnnl:3.11-1.5.13} jar ({@code linux-x86_64}
 * classifier: {@code libdnnl.so.3} and its {@code libgomp.so.1}, about 27 MB), an <em>optional</em>
 * dependency: a project that wants mixed precision adds it (Panagrad's {@code examples} and
 * {@code bench} do). Nothing is loaded until the first call of {@link #get()} or
 * {@link #isAvailable()}; JavaCPP's cache unpacks the two files side by side (libdnnl finds libgomp
 * through its {@code $ORIGIN} run path) and they are bound with {@link Linker#nativeLinker()}, no JNI.
 *
 * <p>Threads: oneDNN runs each GEMM on OpenMP's team (both cores here). Before libgomp loads,
 * {@code OMP_WAIT_POLICY} is set to {@code PASSIVE} unless the environment already sets it, so that
 * its threads sleep between GEMMs instead of spinning against OpenBLAS's and Panagrad's own threads.
 * Callers run one oneDNN GEMM at a time and do not split it across Java threads.
 */
public final class Dnnl {
    /** The Maven coordinates to add when the library is missing. */
    public static final String ARTIFACT = "org.bytedeco:dnnl:3.11-1.5.13 (classifier linux-x86_64)";

    /** {@code dnnl_cpu_isa_avx512_core_bf16}: the least ISA with native bfloat16 dot products (the ISA values are bit sets). */
    static final int ISA_AVX512_CORE_BF16 = 0xe7;

    private static final Dnnl INSTANCE = new Dnnl();

    private Dnnl() {}

    /**
     * The bridge, loading oneDNN on first use.
     *
     * @throws BlasUnavailableException saying why and how to get it, if the library is not on the class path or cannot load
     */
    public static Dnnl get() {
        Native.check();
        return INSTANCE;
    }

    /** True if oneDNN loads here; never throws (but loads it, once). */
    public static boolean isAvailable() {
        try {
            Native.check();
            return true;
        } catch (BlasUnavailableException e) {
            return false;
        }
    }

    /** The oneDNN version, e.g. "3.11.0". */
    public String version() { return Native.VERSION; }

    /** The library the symbols were bound from. */
    public String libraryPath() { return Native.LIBRARY_PATH; }

    /** {@code dnnl_get_effective_cpu_isa()}: the instruction set oneDNN dispatches to here, by its name ("avx512_core_bf16"). */
    public String isa() { return isaName(Native.ISA); }

    /** True when the effective ISA computes bfloat16 natively (AVX512-BF16, AVX10, AMX); otherwise oneDNN emulates it, slowly. */
    public boolean nativeBf16() { return (Native.ISA & ISA_AVX512_CORE_BF16) == ISA_AVX512_CORE_BF16; }

    static String isaName(int isa) {
        return switch (isa) {
            case 0x0 -> "default";
            case 0x1 -> "sse41";
            case 0x3 -> "avx";
            case 0x7 -> "avx2";
            case 0xf -> "avx2_vnni";
            case 0x1f -> "avx2_vnni_2";
            case 0x27 -> "avx512_core";
            case 0x67 -> "avx512_core_vnni";
            case 0xe7 -> "avx512_core_bf16";
            case 0x1ef -> "avx10_1_512 (avx512_core_fp16)";
            case 0xfef -> "avx10_1_512_amx (avx512_core_amx)";
            case 0x1fef -> "avx10_1_512_amx_fp16";
            case 0x201ff -> "avx10_2_512";
            case 0x22fff -> "avx10_2_512_amx_2";
            default -> "0x" + Integer.toHexString(isa);
        };
    }

    @Override
    public String toString() {
        return "oneDNN " + version() + " (" + isa() + (nativeBf16() ? "" : ", bfloat16 emulated") + ")";
    }

    /**
     * C = α·op(A)·op(B) + β·C, row-major, A and B bfloat16 (2-byte elements), C float32: {@code dnnl_gemm_bf16bf16f32}.
     * Leading dimensions are in elements, as for {@link Blas#sgemm}.
     */
    public void gemmBf16(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                         MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        BlasChecks.matrix("gemm_bf16bf16f32", "A", a, transA ? k : m, transA ? m : k, lda, 2);
        BlasChecks.matrix("gemm_bf16bf16f32", "B", b, transB ? n : k, transB ? k : n, ldb, 2);
        BlasChecks.matrix("gemm_bf16bf16f32", "C", c, m, n, ldc, 4);
        if (m == 0 || n == 0) return;
        int status;
        try {
            status = (int) Native.MH$gemm_bf16bf16f32.invokeExact(trans(transA), trans(transB), (long) m, (long) n, (long) k, alpha,
                    a, (long) lda, b, (long) ldb, beta, c, (long) ldc);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        checkStatus("dnnl_gemm_bf16bf16f32", status, m, n, k);
    }

    /** C = α·op(A)·op(B) + β·C in float32, row-major: {@code dnnl_sgemm}. */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                      MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        BlasChecks.gemm("dnnl_sgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc, 4);
        if (m == 0 || n == 0) return;
        int status;
        try {
            status = (int) Native.MH$sgemm.invokeExact(trans(transA), trans(transB), (long) m, (long) n, (long) k, alpha,
                    a, (long) lda, b, (long) ldb, beta, c, (long) ldc);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        checkStatus("dnnl_sgemm", status, m, n, k);
    }

    private static byte trans(boolean t) { return (byte) (t ? 'T' : 'N'); }

    private static void checkStatus(String routine, int status, int m, int n, int k) {
        if (status != 0) throw new IllegalStateException(routine + " failed with dnnl_status_t " + status + " for m=" + m + ", n=" + n + ", k=" + k);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** The symbols, bound when first touched; a failure is kept and reported by {@link #check()}. */
    private static final class Native {
        static final Throwable LOAD_FAILURE;
        static final String LIBRARY_PATH, VERSION;
        static final int ISA;
        static final MethodHandle MH$gemm_bf16bf16f32, MH$sgemm;

        static {
            Throwable failure = null;
            String path = null, version = null;
            int isa = 0;
            MethodHandle bf16 = null, sgemm = null;
            try {
                Linker linker = Linker.nativeLinker();
                File gomp = cache("libgomp.so.1"), dnnl = cache("libdnnl.so.3");
                preferPassiveOpenMpThreads(linker);
                SymbolLookup lib = SymbolLookup.libraryLookup(dnnl.toPath(), Arena.global());
                path = dnnl.getPath();
                FunctionDescriptor gemm = FunctionDescriptor.of(JAVA_INT, JAVA_BYTE, JAVA_BYTE, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_FLOAT,
                        ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS, JAVA_LONG);
                bf16 = linker.downcallHandle(find(lib, "dnnl_gemm_bf16bf16f32"), gemm);
                sgemm = linker.downcallHandle(find(lib, "dnnl_sgemm"), gemm);
                isa = (int) linker.downcallHandle(find(lib, "dnnl_get_effective_cpu_isa"), FunctionDescriptor.of(JAVA_INT)).invokeExact();
                StructLayout versionT = MemoryLayout.structLayout(JAVA_INT.withName("major"), JAVA_INT.withName("minor"), JAVA_INT.withName("patch"));
                MemorySegment v = ((MemorySegment) linker.downcallHandle(find(lib, "dnnl_version"), FunctionDescriptor.of(ADDRESS)).invokeExact())
                        .reinterpret(versionT.byteSize());
                version = v.get(JAVA_INT, 0) + "." + v.get(JAVA_INT, 4) + "." + v.get(JAVA_INT, 8);
                if (!gomp.getParentFile().equals(dnnl.getParentFile())) throw new IllegalStateException("JavaCPP cached " + gomp + " apart from " + dnnl);
            } catch (Throwable t) {
                failure = t;
            }
            LOAD_FAILURE = failure;
            LIBRARY_PATH = path;
            VERSION = version;
            ISA = isa;
            MH$gemm_bf16bf16f32 = bf16;
            MH$sgemm = sgemm;
        }

        /** The file of one native library of the dnnl jar, unpacked into JavaCPP's cache (once; reused across runs). */
        private static File cache(String name) throws java.io.IOException {
            String platform = org.bytedeco.javacpp.Loader.getPlatform();
            String resource = "/org/bytedeco/dnnl/" + platform + "/" + name;
            if (Dnnl.class.getResource(resource) == null) {
                throw new java.io.FileNotFoundException("resource " + resource + " is not on the class path");
            }
            return org.bytedeco.javacpp.Loader.cacheResource(Dnnl.class, resource);
        }

        /** setenv("OMP_WAIT_POLICY", "PASSIVE", 0) before libgomp reads its environment (it does when it loads). */
        private static void preferPassiveOpenMpThreads(Linker linker) throws Throwable {
            if (System.getenv("OMP_WAIT_POLICY") != null) return;
            MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
            try (Arena a = Arena.ofConfined()) {
                int ignored = (int) setenv.invokeExact(a.allocateFrom("OMP_WAIT_POLICY"), a.allocateFrom("PASSIVE"), 0);
            }
        }

        private static MemorySegment find(SymbolLookup lib, String symbol) {
            return lib.find(symbol).orElseThrow(() -> new IllegalStateException("symbol " + symbol + " not found in " + lib));
        }

        static void check() {
            if (LOAD_FAILURE == null) return;
            String os = System.getProperty("os.name") + "/" + System.getProperty("os.arch");
            Throwable t = LOAD_FAILURE;
            for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
                if (t instanceof IllegalCallerException) {
                    throw new BlasUnavailableException("oneDNN could not be loaded on " + os + ": native access is denied to this code (" + t
                            + "). Fix: start the JVM with --enable-native-access=ALL-UNNAMED (or the module dev.panagrad.blas), as ./panagrad does.", LOAD_FAILURE);
                }
                if (t instanceof java.io.FileNotFoundException || t instanceof NoClassDefFoundError) {
                    throw new BlasUnavailableException("oneDNN is not on the class path (" + t.getMessage() + "): bfloat16 mixed precision needs the"
                            + " optional dependency " + ARTIFACT + " beside panagrad-blas-bridge; on " + os
                            + " only linux-x86_64 is supported.", LOAD_FAILURE);
                }
            }
            Throwable root = LOAD_FAILURE;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            throw new BlasUnavailableException("oneDNN (" + ARTIFACT + ") could not be loaded on " + os + ": " + root
                    + " (the whole chain is the cause of this exception)", LOAD_FAILURE);
        }
    }
}
