/**
 * The {@code train} command: {@code TrainCommand} (progress, checkpoints), {@code TrainOptions}
 * (picocli), {@code Dataset} (synthetic, CSV and IDX data, checked before training), {@code Trainer}
 * (the MLP classifier and its SGD step, with micro-batches), {@code MicroBatchPlanner} (the largest
 * micro-batch that fits a memory budget, measured) and {@code TrainingChart} (what the chart shows).
 *
 * <p>May import: {@code dev.panagrad.examples.output}, every package of the core modules, the JDK,
 * the progress-bar library and picocli. Not {@code dev.panagrad.examples} itself (which dispatches to this
 * package) or {@code tutorial}. See docs/architecture.md.
 */
package dev.panagrad.examples.train;
