/**
 * The autograd graph core: {@code Node} (named as PyTorch names it), the {@code Engine} (dependency
 * counts, an iterative walk, gradients summed per input), saved values and their version checks,
 * {@code AccumulateGrad}, {@code CopySlices}, and the engine's memory policy (which buffers go back
 * to the pool, and when). It works through a small interface that the tensor side implements, so it
 * can be tested on its own with a toy value type.
 *
 * <p>May import: {@code dev.panagrad.array}, {@code dev.panagrad.kernel},
 * {@code dev.panagrad.blas}, {@code dev.panagrad.memory}, the JDK. Never {@code dev.panagrad}
 * ({@code Tensor}) or anything above it. See docs/architecture.md.
 */
package dev.panagrad.graph;
