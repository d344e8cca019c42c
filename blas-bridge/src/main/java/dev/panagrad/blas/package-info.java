/**
 * The BLAS bridge: {@code Blas} (the interface), {@code OpenBlas} (FFM downcalls into bytedeco's
 * {@code openblas_nolapack}, handles resolved once, segments passed zero-copy), {@code JavaBlas}
 * (the plain-Java reference the tests check OpenBLAS against), {@code BlasInfo}.
 *
 * <p>May import: {@code dev.panagrad.memory}, the JDK and bytedeco's loader; nothing that knows
 * tensors. See docs/architecture.md.
 */
package dev.panagrad.blas;
