/**
 * The tensor: {@code Tensor} (a storage and a view of it, with the autograd API:
 * {@code requiresGrad}, {@code backward}, {@code grad}, {@code gradFn}, ...), {@code Grad}
 * (no-grad mode), {@code Generator} (seeded random tensors), {@code TensorFormat} (printing as
 * PyTorch prints). {@code Tensor} extends {@code dev.panagrad.array.Strided}, the raw layer's array.
 *
 * <p>May import: {@code dev.panagrad.graph}, {@code dev.panagrad.array},
 * {@code dev.panagrad.kernel}, {@code dev.panagrad.blas}, {@code dev.panagrad.memory}, the JDK.
 * Nothing above it: not {@code autograd}, {@code nn}, {@code optim} or {@code io}. (The planned op
 * families in {@code dev.panagrad.ops} sit below it: see docs/architecture.md.)
 * See docs/architecture.md.
 */
package dev.panagrad;
