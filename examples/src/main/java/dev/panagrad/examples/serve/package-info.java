/**
 * The {@code serve-demo} command: {@code Server} (one shared model, a request per call with grad off
 * in a MemoryScope of its own, safe from any number of threads) and {@code ServeExample} (N threads
 * serving, every answer checked against the one-thread answer, the request pool empty at the end).
 *
 * <p>May import: every package of the core modules and the JDK. Not {@code dev.panagrad.examples}
 * itself (which dispatches to this package), {@code train} or {@code tutorial}. See docs/architecture.md.
 */
package dev.panagrad.examples.serve;
