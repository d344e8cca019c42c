/**
 * The user's side of autograd beyond {@code Tensor}'s own methods: custom functions
 * ({@code Function} and its {@code Context}, as {@code torch.autograd.Function}) and
 * {@code GradCheck} (central differences in float64). The graph core ({@code Node},
 * {@code Engine}, saved values, {@code AccumulateGrad}, {@code CopySlices}) moves from here to
 * {@code dev.panagrad.graph}.
 *
 * <p>May import: {@code dev.panagrad} ({@code Tensor}) and every package below it, the JDK;
 * {@code Tensor} does not import this package (today it still does: the import cycle that
 * {@code ImportCycleTest} allows until it is gone). See docs/architecture.md.
 */
package dev.panagrad.autograd;
