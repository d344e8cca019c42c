package dev.panagrad.examples.train;

import dev.panagrad.Tensor;
import dev.panagrad.nn.Module;
import dev.panagrad.optim.Optimizer;

/** A model the train command can train (--model): its step, its evaluation, and how it describes itself. */
public interface TrainingJob {
    Module model();

    Optimizer optimizer();

    /** A short name of the architecture, kept in checkpoints ("784-1024-1024-10", "cnn 1x28x28-32-64-128-10"). */
    String architecture();

    /** The text after "model   " on the first line the command prints. */
    String summary(TrainOptions opt, int micro, int blasThreads);

    /** Before step {@code step} (from 0) of {@code total}: a job with a learning-rate schedule sets its rate here. */
    default void schedule(long step, long total) {}

    /** One optimizer step over {@code rows[from, from + batch)}, in micro-batches of {@code microBatch}. */
    Trainer.StepResult step(Tensor features, Tensor labels, long[] rows, int from, int batch, int microBatch);

    /** Mean loss and number correct over all samples, without a graph, {@code batch} rows at a time. */
    Trainer.StepResult evaluate(Tensor features, Tensor labels, int batch);
}
