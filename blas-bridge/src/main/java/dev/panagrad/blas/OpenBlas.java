package dev.panagrad.blas;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@link Blas} on OpenBLAS, called through FFM downcalls: bytedeco's jar only ships and unpacks the
 * library ({@code openblas_nolapack}, so the process holds one copy of OpenBLAS); every call here is
 * a {@code cblas_*} or {@code openblas_*} symbol bound with {@link Linker#nativeLinker()}, resolved
 * once into a {@code static final} handle and called with {@code invokeExact}. Segments are passed
 * as they are: zero-copy.
 *
 * {@snippet :
 * Blas blas = OpenBlas.get();            // throws BlasUnavailableException, saying why, if it cannot load
 * blas.sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
 * }
 */
public final class OpenBlas implements Blas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private static final OpenBlas INSTANCE = new OpenBlas();

    private OpenBlas() {}

    /**
     * The OpenBLAS bridge, loading the library on first use.
     *
     * @throws BlasUnavailableException if the library cannot be loaded or bound here
     * @throws IllegalArgumentException if {@code -Dpanagrad.blasThreads} is neither {@code adaptive} nor {@code fixed}
     */
    public static OpenBlas get() {
        ThreadsChoice.adaptive();   // a misspelt -Dpanagrad.blasThreads fails here, before any product
        Native.check();
        return INSTANCE;
    }

    /** True if OpenBLAS loads here; never throws. */
    public static boolean isAvailable() {
        try {
            Native.check();
            return true;
        } catch (BlasUnavailableException e) {
            return false;
        }
    }

    /**
     * The symbols, bound when this class is first touched. Kept apart from {@link OpenBlas} so a
     * failed load becomes one clear exception instead of a NoClassDefFoundError.
     */
    private static final class Native {
        static final Throwable LOAD_FAILURE;
        static final String LIBRARY_PATH;
        static final MethodHandle MH$cblas_sgemm, MH$cblas_dgemm, MH$cblas_sgemv, MH$cblas_dgemv;
        static final MethodHandle MH$cblas_saxpy, MH$cblas_daxpy, MH$cblas_sdot, MH$cblas_ddot;
        static final MethodHandle MH$cblas_sscal, MH$cblas_dscal, MH$cblas_snrm2, MH$cblas_dnrm2;
        static final MethodHandle MH$openblas_set_num_threads, MH$openblas_get_num_threads;
        static final MethodHandle MH$openblas_get_corename, MH$openblas_get_config, MH$openblas_get_parallel;
        /** Present from OpenBLAS 0.3.27 on; null if this library lacks it. */
        static final MethodHandle MH$openblas_set_num_threads_local;
        /** Decides each GEMM's thread count; null if the library did not load. */
        static final CallerThreads THREADS;

        static void setProcessThreads(int threads) {
            try {
                MH$openblas_set_num_threads.invokeExact(threads);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static int processThreads() {
            try {
                return (int) MH$openblas_get_num_threads.invokeExact();
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        static {
            Throwable failure = null;
            String path = null;
            MethodHandle[] h = new MethodHandle[18];
            try {
                path = locateLibrary();
                SymbolLookup lib = SymbolLookup.libraryLookup(Path.of(path), Arena.global());
                Linker linker = Linker.nativeLinker();
                // Short level-1 calls may skip the thread-state transition; GEMM must not (it can run for seconds).
                Linker.Option[] brief = {Linker.Option.critical(false)};
                Linker.Option[] none = {};
                FunctionDescriptor gemmS = FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                        JAVA_FLOAT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT);
                FunctionDescriptor gemmD = FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                        JAVA_DOUBLE, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_DOUBLE, ADDRESS, JAVA_INT);
                FunctionDescriptor gemvS = FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                        JAVA_FLOAT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT);
                FunctionDescriptor gemvD = FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                        JAVA_DOUBLE, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_DOUBLE, ADDRESS, JAVA_INT);
                h[0] = bind(linker, lib, "cblas_sgemm", gemmS, none);
                h[1] = bind(linker, lib, "cblas_dgemm", gemmD, none);
                h[2] = bind(linker, lib, "cblas_sgemv", gemvS, none);
                h[3] = bind(linker, lib, "cblas_dgemv", gemvD, none);
                h[4] = bind(linker, lib, "cblas_saxpy", FunctionDescriptor.ofVoid(JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), brief);
                h[5] = bind(linker, lib, "cblas_daxpy", FunctionDescriptor.ofVoid(JAVA_INT, JAVA_DOUBLE, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), brief);
                h[6] = bind(linker, lib, "cblas_sdot", FunctionDescriptor.of(JAVA_FLOAT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), brief);
                h[7] = bind(linker, lib, "cblas_ddot", FunctionDescriptor.of(JAVA_DOUBLE, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), brief);
                h[8] = bind(linker, lib, "cblas_sscal", FunctionDescriptor.ofVoid(JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT), brief);
                h[9] = bind(linker, lib, "cblas_dscal", FunctionDescriptor.ofVoid(JAVA_INT, JAVA_DOUBLE, ADDRESS, JAVA_INT), brief);
                h[10] = bind(linker, lib, "cblas_snrm2", FunctionDescriptor.of(JAVA_FLOAT, JAVA_INT, ADDRESS, JAVA_INT), brief);
                h[11] = bind(linker, lib, "cblas_dnrm2", FunctionDescriptor.of(JAVA_DOUBLE, JAVA_INT, ADDRESS, JAVA_INT), brief);
                h[12] = bind(linker, lib, "openblas_set_num_threads", FunctionDescriptor.ofVoid(JAVA_INT), none);
                h[13] = bind(linker, lib, "openblas_get_num_threads", FunctionDescriptor.of(JAVA_INT), none);
                h[14] = bind(linker, lib, "openblas_get_corename", FunctionDescriptor.of(ADDRESS), none);
                h[15] = bind(linker, lib, "openblas_get_config", FunctionDescriptor.of(ADDRESS), none);
                h[16] = bind(linker, lib, "openblas_get_parallel", FunctionDescriptor.of(JAVA_INT), none);
                h[17] = lib.find("openblas_set_num_threads_local")
                        .map(a -> linker.downcallHandle(a, FunctionDescriptor.of(JAVA_INT, JAVA_INT))).orElse(null);
            } catch (Throwable t) {
                failure = t;
            }
            LOAD_FAILURE = failure;
            LIBRARY_PATH = path;
            MH$cblas_sgemm = h[0]; MH$cblas_dgemm = h[1]; MH$cblas_sgemv = h[2]; MH$cblas_dgemv = h[3];
            MH$cblas_saxpy = h[4]; MH$cblas_daxpy = h[5]; MH$cblas_sdot = h[6]; MH$cblas_ddot = h[7];
            MH$cblas_sscal = h[8]; MH$cblas_dscal = h[9]; MH$cblas_snrm2 = h[10]; MH$cblas_dnrm2 = h[11];
            MH$openblas_set_num_threads = h[12]; MH$openblas_get_num_threads = h[13];
            MH$openblas_get_corename = h[14]; MH$openblas_get_config = h[15]; MH$openblas_get_parallel = h[16];
            MH$openblas_set_num_threads_local = h[17];
            THREADS = failure == null ? new CallerThreads(Native::setProcessThreads, System::nanoTime, processThreads(),
                    !Boolean.FALSE.equals(ThreadsChoice.parse(System.getProperty(ThreadsChoice.PROPERTY)))) : null;   // a bad value fails in get()
        }

        /** Has JavaCPP unpack and load openblas_nolapack, then returns the path of the OpenBLAS library it loaded. */
        private static String locateLibrary() {
            String platform = org.bytedeco.javacpp.Loader.getPlatform();
            org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            for (Map.Entry<String, String> e : org.bytedeco.javacpp.Loader.getLoadedLibraries().entrySet()) {
                if (e.getKey().startsWith("openblas_nolapack@")) return e.getValue();
            }
            throw new IllegalStateException("JavaCPP loaded openblas_nolapack for " + platform
                    + " but did not report the library's path; loaded: " + org.bytedeco.javacpp.Loader.getLoadedLibraries().keySet());
        }

        private static MethodHandle bind(Linker linker, SymbolLookup lib, String symbol, FunctionDescriptor fd, Linker.Option[] options) {
            MemorySegment address = lib.find(symbol)
                    .orElseThrow(() -> new IllegalStateException("symbol " + symbol + " not found in " + lib));
            return linker.downcallHandle(address, fd, options);
        }

        static void check() {
            if (LOAD_FAILURE == null) return;
            String os = System.getProperty("os.name") + "/" + System.getProperty("os.arch");
            // class initialisation (JavaCPP's, ours) wraps the failure that says what went wrong: look through the causes
            Throwable denied = cause(LOAD_FAILURE, IllegalCallerException.class);
            Throwable missing = cause(LOAD_FAILURE, UnsatisfiedLinkError.class);
            if (missing == null) missing = cause(LOAD_FAILURE, NoClassDefFoundError.class);
            String javaBlas = "; or choose the plain-Java BLAS with -D" + BlasChoice.PROPERTY + "=java (no native library, far slower).";
            if (denied != null) {   // Panagrad's buffer pool needs native access too: the plain-Java BLAS would not help
                throw new BlasUnavailableException("OpenBLAS could not be loaded on " + os + ": native access is denied to this code ("
                        + denied + "). Fix: start the JVM with --enable-native-access=" + nativeAccessTargets()
                        + " (on the java command line, in surefire's argLine, in MAVEN_OPTS for exec:java, or as"
                        + " Enable-Native-Access: ALL-UNNAMED in an executable jar's manifest), as ./panagrad and the Maven build do.", LOAD_FAILURE);
            }
            if (missing != null) {
                throw new BlasUnavailableException("OpenBLAS could not be loaded on " + os + ": " + missing + ". Fix: the native library"
                        + " for this platform is not on the class path: Panagrad ships org.bytedeco:openblas with the linux-x86_64"
                        + " classifier only; add the classifier jar for your platform (javacpp.platform) or run on linux-x86_64"
                        + javaBlas, LOAD_FAILURE);
            }
            Throwable root = LOAD_FAILURE;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            throw new BlasUnavailableException("OpenBLAS could not be loaded on " + os + ": " + root + " (the whole chain is the cause"
                    + " of this exception)" + javaBlas, LOAD_FAILURE);
        }

        private static Throwable cause(Throwable t, Class<? extends Throwable> type) {
            for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
                if (type.isInstance(t)) return t;
            }
            return null;
        }

        /** The value of --enable-native-access that covers this bridge and JavaCPP's loader: ALL-UNNAMED on the class path, else the modules. */
        private static String nativeAccessTargets() {
            var targets = new java.util.LinkedHashSet<String>();
            for (Class<?> c : new Class<?>[] {OpenBlas.class, org.bytedeco.javacpp.Loader.class}) {
                Module m = c.getModule();
                targets.add(m.isNamed() ? m.getName() : "ALL-UNNAMED");
            }
            return String.join(",", targets);
        }
    }

    private static int trans(boolean t) {
        return t ? TRANS : NO_TRANS;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, int lda,
                      MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        BlasChecks.gemm("sgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc, 4);
        if (m == 0 || n == 0) return;
        CallerThreads threads = Native.THREADS;
        threads.enter();
        try {
            Native.MH$cblas_sgemm.invokeExact(ROW_MAJOR, trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            threads.exit();
        }
    }

    @Override
    public void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, MemorySegment a, int lda,
                      MemorySegment b, int ldb, double beta, MemorySegment c, int ldc) {
        BlasChecks.gemm("dgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc, 8);
        if (m == 0 || n == 0) return;
        CallerThreads threads = Native.THREADS;
        threads.enter();
        try {
            Native.MH$cblas_dgemm.invokeExact(ROW_MAJOR, trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            threads.exit();
        }
    }

    @Override
    public void sgemv(boolean transA, int m, int n, float alpha, MemorySegment a, int lda, MemorySegment x, int incx,
                      float beta, MemorySegment y, int incy) {
        BlasChecks.gemv("sgemv", transA, m, n, a, lda, x, incx, y, incy, 4);
        if (m == 0 || n == 0) return;
        CallerThreads threads = Native.THREADS;
        threads.enter();
        try {
            Native.MH$cblas_sgemv.invokeExact(ROW_MAJOR, trans(transA), m, n, alpha, a, lda, x, incx, beta, y, incy);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            threads.exit();
        }
    }

    @Override
    public void dgemv(boolean transA, int m, int n, double alpha, MemorySegment a, int lda, MemorySegment x, int incx,
                      double beta, MemorySegment y, int incy) {
        BlasChecks.gemv("dgemv", transA, m, n, a, lda, x, incx, y, incy, 8);
        if (m == 0 || n == 0) return;
        CallerThreads threads = Native.THREADS;
        threads.enter();
        try {
            Native.MH$cblas_dgemv.invokeExact(ROW_MAJOR, trans(transA), m, n, alpha, a, lda, x, incx, beta, y, incy);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            threads.exit();
        }
    }

    @Override
    public void saxpy(int n, float alpha, MemorySegment x, int incx, MemorySegment y, int incy) {
        BlasChecks.vector("saxpy", "x", x, n, incx, 4);
        BlasChecks.vector("saxpy", "y", y, n, incy, 4);
        try {
            Native.MH$cblas_saxpy.invokeExact(n, alpha, x, incx, y, incy);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void daxpy(int n, double alpha, MemorySegment x, int incx, MemorySegment y, int incy) {
        BlasChecks.vector("daxpy", "x", x, n, incx, 8);
        BlasChecks.vector("daxpy", "y", y, n, incy, 8);
        try {
            Native.MH$cblas_daxpy.invokeExact(n, alpha, x, incx, y, incy);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public float sdot(int n, MemorySegment x, int incx, MemorySegment y, int incy) {
        BlasChecks.vector("sdot", "x", x, n, incx, 4);
        BlasChecks.vector("sdot", "y", y, n, incy, 4);
        try {
            return (float) Native.MH$cblas_sdot.invokeExact(n, x, incx, y, incy);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public double ddot(int n, MemorySegment x, int incx, MemorySegment y, int incy) {
        BlasChecks.vector("ddot", "x", x, n, incx, 8);
        BlasChecks.vector("ddot", "y", y, n, incy, 8);
        try {
            return (double) Native.MH$cblas_ddot.invokeExact(n, x, incx, y, incy);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void sscal(int n, float alpha, MemorySegment x, int incx) {
        BlasChecks.vector("sscal", "x", x, n, incx, 4);
        try {
            Native.MH$cblas_sscal.invokeExact(n, alpha, x, incx);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void dscal(int n, double alpha, MemorySegment x, int incx) {
        BlasChecks.vector("dscal", "x", x, n, incx, 8);
        try {
            Native.MH$cblas_dscal.invokeExact(n, alpha, x, incx);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public float snrm2(int n, MemorySegment x, int incx) {
        BlasChecks.vector("snrm2", "x", x, n, incx, 4);
        try {
            return (float) Native.MH$cblas_snrm2.invokeExact(n, x, incx);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public double dnrm2(int n, MemorySegment x, int incx) {
        BlasChecks.vector("dnrm2", "x", x, n, incx, 8);
        try {
            return (double) Native.MH$cblas_dnrm2.invokeExact(n, x, incx);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Sets how many threads OpenBLAS uses for a product while one Java thread computes. While several
     * do, each product runs on one thread on its caller (unless {@link #setAdaptiveThreads} turned
     * that off). Set the count here, not with bytedeco's {@code openblas_set_num_threads}: this bridge
     * remembers what it set.
     */
    public void setThreadCount(int threads) {
        if (threads < 1) throw new IllegalArgumentException("OpenBLAS thread count must be at least 1, got " + threads);
        synchronized (Native.THREADS) {
            Native.setProcessThreads(threads);
            Native.THREADS.setCeiling(Native.processThreads());   // OpenBLAS caps it at its MAX_THREADS
        }
    }

    /** The thread count a product gets while one Java thread computes: OpenBLAS's own (OPENBLAS_NUM_THREADS, else the cores) unless {@link #setThreadCount} changed it. */
    public int threadCount() {
        return Native.THREADS.ceiling();
    }

    /** The thread count OpenBLAS is set to at this moment: {@link #threadCount()}, or 1 while several Java threads compute. */
    public int threadCountNow() {
        return Native.THREADS.applied();
    }

    /**
     * On (the default, or {@code -Dpanagrad.blasThreads=adaptive}): while another Java thread is inside
     * a product, or started one in the last 100 ms, a product runs on one thread, its caller, so that
     * Java threads serving requests share the cores instead of queueing for OpenBLAS's pool. Off
     * ({@code -Dpanagrad.blasThreads=fixed}): every product gets {@link #threadCount()} threads, as
     * OpenBLAS alone does.
     */
    public void setAdaptiveThreads(boolean on) {
        Native.THREADS.setAdaptive(on);
    }

    public boolean adaptiveThreads() {
        return Native.THREADS.adaptive();
    }

    /**
     * {@code openblas_set_num_threads_local(threads)}, returning what it returns (the count before).
     * Not used for products: in this build (pthreads, 0.3.31) it sets the count of the whole process,
     * not of the calling thread, as {@code OpenBlasTest} shows.
     *
     * @throws UnsupportedOperationException if this OpenBLAS does not export it (before 0.3.27)
     */
    int setThreadCountLocal(int threads) {
        if (Native.MH$openblas_set_num_threads_local == null) throw new UnsupportedOperationException("this OpenBLAS has no openblas_set_num_threads_local");
        try {
            return (int) Native.MH$openblas_set_num_threads_local.invokeExact(threads);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code openblas_get_num_threads()}: the library's count this moment. */
    int processThreadCount() {
        return Native.processThreads();
    }

    /** The policy every product of this bridge consults. */
    static CallerThreads callerThreads() {
        Native.check();
        return Native.THREADS;
    }

    private static String cString(MethodHandle mh) {
        try {
            MemorySegment p = (MemorySegment) mh.invokeExact();
            return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The library's own account of itself: version, core, threads, build options. */
    public BlasInfo info() {
        String config = cString(Native.MH$openblas_get_config).trim();
        String[] words = config.split("\\s+");
        String version = words.length > 1 && words[0].equals("OpenBLAS") ? words[1] : "unknown";
        int parallel;
        try {
            parallel = (int) Native.MH$openblas_get_parallel.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return new BlasInfo(version, cString(Native.MH$openblas_get_corename), threadCount(), config, parallel,
                Native.LIBRARY_PATH, OpenBlas.class.getModule().isNativeAccessEnabled());
    }

    @Override
    public String describe() {
        return info().toString();
    }
}
