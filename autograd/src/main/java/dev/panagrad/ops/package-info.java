/**
 * The differentiable ops, in families (element-wise, reductions, views, indexing, linear algebra,
 * losses): each op declared once, keyed by its PyTorch node name ({@code MulBackward0}), with its
 * forward, what it saves, and the derivative formula of each input.
 *
 * <p>May import: {@code dev.panagrad} ({@code Tensor}) and every package below it, the JDK. Not
 * {@code nn}, {@code optim} or {@code io}. See docs/architecture.md.
 */
package dev.panagrad.ops;
