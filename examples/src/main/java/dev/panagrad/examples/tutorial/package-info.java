/**
 * The PyTorch autograd tutorial in Java ({@code autograd-tutorial.zh.md} in this package's
 * resources), one method per section, printing what the tutorial's Python prints.
 *
 * <p>May import: {@code dev.panagrad.examples.output}, every package of the core modules, the JDK.
 * Not {@code dev.panagrad.examples} itself (which dispatches to this package) or {@code train}.
 * See docs/architecture.md.
 */
package dev.panagrad.examples.tutorial;
