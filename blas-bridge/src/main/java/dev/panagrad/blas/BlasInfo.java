package dev.panagrad.blas;

/**
 * What the loaded OpenBLAS says of itself.
 *
 * @param version             "0.3.31"
 * @param coreName            the kernel set it chose, e.g. "Cooperlake" or "Haswell" (OPENBLAS_CORETYPE forces one)
 * @param threads             the threads a product gets while one Java thread computes (one while several do, unless
 *                            {@code -Dpanagrad.blasThreads=fixed}: see {@link OpenBlas#setAdaptiveThreads})
 * @param config              openblas_get_config(): build options, e.g. "OpenBLAS 0.3.31 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=128"
 * @param parallelMode        0 sequential, 1 pthreads, 2 OpenMP
 * @param libraryPath         the shared library the symbols were bound from
 * @param nativeAccessEnabled whether this module was granted native access (--enable-native-access)
 */
public record BlasInfo(String version, String coreName, int threads, String config, int parallelMode,
                       String libraryPath, boolean nativeAccessEnabled) {

    @Override
    public String toString() {
        return "OpenBLAS " + version + " (" + coreName + ", " + threads + " thread" + (threads == 1 ? "" : "s") + ")";
    }
}
