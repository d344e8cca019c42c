/**
 * The {@code train} command: {@code TrainCommand} (options, progress, checkpoints, the chart),
 * {@code TrainOptions} (picocli), {@code Dataset} (synthetic, CSV and IDX data, checked before training) and
 * {@code Trainer} (the MLP classifier and its SGD step, with micro-batches).
 *
 * <p>May import: {@code dev.panagrad.examples.output}, every package of the core modules, the JDK,
 * the progress-bar library and picocli. Not {@code dev.panagrad.examples} itself (which dispatches to this
 * package) or {@code tutorial}. See docs/architecture.md.
 */
package dev.panagrad.examples.train;
