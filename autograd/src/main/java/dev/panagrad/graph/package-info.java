/**
 * The autograd graph core: {@link dev.panagrad.graph.Node} (a grad_fn, its edges and saved values),
 * {@link dev.panagrad.graph.Engine} (the backward walk: dependency counts, one explicit stack),
 * {@code GradBuffers} (the walk's memory policy: which buffers go back to the
 * pool, when), {@link dev.panagrad.graph.SavedValue} (version-checked saves),
 * {@link dev.panagrad.graph.AccumulateGrad}, {@link dev.panagrad.graph.CopySlices} and
 * {@link dev.panagrad.graph.GradMode} (the per-thread no-grad switch).
 *
 * <p>Values are known here only through {@link dev.panagrad.graph.Differentiable}, which
 * {@code Tensor} implements; the engine's tests run it on a toy scalar. May import
 * {@code dev.panagrad.memory} (storages, their version counters, the allocation log) and the JDK;
 * nothing else of Panagrad: no {@code Tensor}, no kernels, no nn. See docs/architecture.md.
 */
package dev.panagrad.graph;
