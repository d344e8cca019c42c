/**
 * The {@code ./panagrad} commands that run Java: {@code Main} (dispatches {@code train},
 * {@code tutorial}, {@code doctor}) and {@code Doctor} (Java, OpenBLAS and a self-check).
 *
 * <p>May import: its subpackages {@code train}, {@code tutorial} and {@code output}, every package
 * of the core modules (memory, blas-bridge, autograd), the JDK and the examples' libraries. Nothing
 * in the core modules imports the examples. See docs/architecture.md.
 */
package dev.panagrad.examples;
