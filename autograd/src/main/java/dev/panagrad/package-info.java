/**
 * The tensor: {@code Tensor} (the facade: factories and one line per op, calling the op families of
 * {@code dev.panagrad.ops}; the autograd API and the autograd state it inherits from
 * {@code dev.panagrad.ops.Operand}), {@code Grad} (no-grad mode), {@code Generator} (seeded random
 * tensors), {@code TensorFormat} (printing as PyTorch prints).
 *
 * <p>May import: {@code dev.panagrad.ops}, {@code dev.panagrad.graph}, {@code dev.panagrad.array},
 * {@code dev.panagrad.kernel}, {@code dev.panagrad.blas}, {@code dev.panagrad.memory}, the JDK.
 * Nothing above it: not {@code autograd}, {@code nn}, {@code optim} or {@code io}.
 * See docs/architecture.md.
 */
package dev.panagrad;
