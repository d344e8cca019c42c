/**
 * The raw array layer under {@code Tensor}: strided views of storages, element-wise zip and map
 * with type promotion, reductions, {@code sumTo}, GEMM dispatch to the BLAS bridge, gather and
 * scatter. No graph and no autograd: arrays do not record anything.
 *
 * <p>May import: {@code dev.panagrad.kernel}, {@code dev.panagrad.blas},
 * {@code dev.panagrad.memory}, the JDK. See docs/architecture.md.
 */
package dev.panagrad.array;
