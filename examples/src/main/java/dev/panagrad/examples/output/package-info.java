/**
 * What the examples print and draw: {@code Py} (numbers formatted as Python formats them, so the
 * output reads like the tutorial's) and {@code Charts} (PNG line charts, written atomically).
 *
 * <p>May import: every package of the core modules, the JDK and JFreeChart; no other package of
 * the examples. See docs/architecture.md.
 */
package dev.panagrad.examples.output;
