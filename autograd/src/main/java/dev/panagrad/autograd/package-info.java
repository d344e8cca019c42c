/**
 * The user's side of autograd beyond {@code Tensor}'s own methods: custom functions
 * ({@code Function} and its {@code Context}, as {@code torch.autograd.Function}) and
 * {@code GradCheck} (central differences in float64). The graph core is in
 * {@code dev.panagrad.graph}.
 *
 * <p>May import: {@code dev.panagrad} ({@code Tensor}) and every package below it, the JDK;
 * {@code Tensor} does not import this package. See docs/architecture.md.
 */
package dev.panagrad.autograd;
