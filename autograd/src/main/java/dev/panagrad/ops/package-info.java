/**
 * The op families: every differentiable op declared once, as one public static method marked
 * {@link dev.panagrad.ops.Ops.Op} with the PyTorch node names it records. A declaration names the
 * node, runs the forward on the raw layer, says what it saves and gives the gradient of each input,
 * written with the families' own ops (so a formula can be recorded, for higher-order gradients):
 * {@link dev.panagrad.ops.Pointwise}, {@link dev.panagrad.ops.Reductions},
 * {@link dev.panagrad.ops.Views}, {@link dev.panagrad.ops.Indexing},
 * {@link dev.panagrad.ops.LinearAlgebra}, {@link dev.panagrad.ops.Losses},
 * {@link dev.panagrad.ops.InPlace}. {@link dev.panagrad.ops.Ops} holds the one {@code apply} that
 * records an op and the helpers declarations use; {@link dev.panagrad.ops.Operand} is what the ops
 * work on: the raw array plus its autograd state, with the in-place protocol (version counter,
 * {@code check_inplace}, {@code rebase_history} for views).
 *
 * <p>The families are generic over {@code T extends Operand<T>} ({@code Tensor} in practice), so
 * they do not import {@code Tensor}, whose one-line methods call them. May import:
 * {@code dev.panagrad.graph}, {@code dev.panagrad.array}, {@code dev.panagrad.kernel},
 * {@code dev.panagrad.memory}, the JDK. See docs/adding-an-op.md and docs/architecture.md.
 */
package dev.panagrad.ops;
