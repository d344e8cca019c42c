/**
 * Raw loops over memory segments: strided copies, element-wise maps, row reductions, softmax,
 * {@code VectorKernels} (float32 on the Vector API) and {@code Parallel} (splitting big loops and
 * GEMM rows across threads). Offsets and strides in elements; no shapes of tensors, no graph.
 *
 * <p>May import: {@code dev.panagrad.memory}, {@code dev.panagrad.blas}, the JDK (with
 * {@code jdk.incubator.vector}). Not {@code dev.panagrad.array}, which calls the kernels.
 * See docs/architecture.md.
 */
package dev.panagrad.kernel;
