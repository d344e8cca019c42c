package dev.panagrad.spark;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.examples.train.Dataset;
import dev.panagrad.examples.train.TrainOptions;
import dev.panagrad.examples.train.Trainer;
import dev.panagrad.io.Checkpoint;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.MemoryStats;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One worker of a data-parallel run: what a task of the barrier stage does, with no Spark in it
 * (the rendezvous is given), so that it also runs on plain threads.
 *
 * <p>Every worker loads the same data set (same file or same synthetic seed), holds a full replica
 * of the model in a pool of its own, and draws each epoch's order with the same seed. Step i of an
 * epoch takes the global batch {@code order[i·B, (i+1)·B)}; worker r trains on its shard
 * {@code [i·B + r·B/N, i·B + (r+1)·B/N)}, the gradients of the N shards are averaged by the
 * {@link Ring} (so they are the global batch's gradient, summed in another order than one process
 * sums it), and every worker applies the same SGD update to the same parameters: the replicas stay
 * bit-identical, which a parameter checksum checks every {@code checksumEvery} steps.
 *
 * <p>Worker 0 writes a checkpoint (model, optimizer, step) to {@code checkpointDir} every
 * {@code checkpointEvery} steps and at the end. When the stage runs again after a failure, worker
 * 0 picks the newest checkpoint of this job and tells the others at the rendezvous, so every
 * worker resumes from the same one.
 */
public final class Worker {
    private Worker() {}

    /** What the driver sends every task (Java-serialized once per task, never per step). */
    public record Job(String[] trainArgs, int workers, String jobId, String checkpointDir, int checkpointEvery, int checksumEvery,
                      long exchangeTimeoutMillis, boolean echo, int blasThreads, String ringHost, FailAt failAt) implements Serializable {
        public Job withFailAt(FailAt f) {
            return new Job(trainArgs, workers, jobId, checkpointDir, checkpointEvery, checksumEvery, exchangeTimeoutMillis, echo, blasThreads, ringHost, f);
        }
    }

    /**
     * A fault injected for tests: rank {@code rank} throws before step {@code step} + 1 of stage
     * attempt 0, or, with {@code kill}, halts its whole JVM there (an executor dying; never on a local master).
     */
    public record FailAt(int rank, long step, boolean kill) implements Serializable {}

    /** What a task returns: its rank, the steps done, its parameters' checksum, worker 0's lines. */
    public record Result(int rank, long steps, long checksum, long resumedFrom, List<String> lines, double exchangeMillisPerStep,
                         long gradientBytes, String finalCheckpoint, long readyAtMillis) implements Serializable {}

    /** Publishes this task's message and returns every task's, in rank order (Spark: {@code BarrierTaskContext.allGather}). */
    public interface Rendezvous {
        List<String> allGather(String message) throws Exception;
    }

    /** A failure injected by {@link FailAt}. */
    public static final class InjectedFailure extends RuntimeException {
        InjectedFailure(String message) { super(message); }
    }

    /**
     * Runs worker {@code rank} of stage attempt {@code attempt}: listens on {@code host}, meets the
     * others through {@code rendezvous}, trains, returns its result. Worker 0 prints its lines to
     * {@code echo} as they come when the job asks for it.
     */
    public static Result run(Job job, int rank, int attempt, String host, Rendezvous rendezvous, PrintStream echo) throws Exception {
        TrainOptions opt = TrainOptions.parse(job.trainArgs());
        int n = job.workers();
        // A fixed OpenBLAS thread count: OpenBLAS sums in another order on 1 thread than on 2, so a count
        // that followed the other workers' timing (the adaptive policy) would make reruns differ in the last bits.
        OpenBlas.get().setAdaptiveThreads(false);
        OpenBlas.get().setThreadCount(opt.threads() > 0 ? opt.threads() : job.blasThreads());
        if (job.ringHost() != null) host = job.ringHost();
        BufferPool dataPool = new BufferPool("dataset-" + rank);
        BufferPool pool = new BufferPool("worker-" + rank);
        if (opt.memoryBudget() > 0) pool.setBudgetBytes(opt.memoryBudget());
        try (var dataScope = MemoryScope.open("dataset", dataPool)) {
            Dataset all = load(opt);
            int total = all.size();
            Dataset.Split split = opt.data() == null ? all.splitTail(total - opt.samples()) : all.split(total >= 8 ? total / 8 : 0, opt.seed());
            try (var training = MemoryScope.open("training", pool)) {
                return train(job, opt, rank, attempt, n, host, rendezvous, all, split, echo);
            }
        }
    }

    private static Dataset load(TrainOptions opt) throws IOException {
        if (opt.data() == null) return Dataset.synthetic(opt.samples() + opt.samples() / 8, 784, opt.classes(), opt.seed());
        if (opt.labels() != null) return Dataset.idx(opt.data(), opt.labels(), opt.classes());
        return Dataset.csv(opt.data(), opt.labelColumn(), opt.classes());
    }

    private static Result train(Job job, TrainOptions opt, int rank, int attempt, int n, String host, Rendezvous rendezvous, Dataset all,
                                Dataset.Split split, PrintStream echo) throws Exception {
        long[] trainRows = split.trainRows();
        Dataset held = split.heldOut().size() > 0 ? split.heldOut() : null;
        int batch = opt.batch();
        int shard = batch / n;
        int micro = Math.min(opt.microBatch(), shard);
        int stepsPerEpoch = trainRows.length / batch;
        if (stepsPerEpoch == 0) throw new IllegalArgumentException("--batch " + batch + " is larger than the " + trainRows.length + " training samples");
        long maxSteps = opt.steps() > 0 ? opt.steps() : (long) opt.epochs() * stepsPerEpoch;
        int epochs = (int) ((maxSteps + stepsPerEpoch - 1) / stepsPerEpoch);
        Trainer t = new Trainer(opt.layerSizes(all.featureCount()), opt.lr(), opt.momentum(), opt.seed());
        Checkpoints checkpoints = job.checkpointDir() == null ? null : new Checkpoints(Path.of(job.checkpointDir()), job.jobId());

        // the rendezvous: every rank's address; rank 0 also says which checkpoint all resume from
        ServerSocketChannel server = Ring.listen(host);
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        String resumeFrom = "";
        if (rank == 0 && checkpoints != null) {
            Path newest = checkpoints.newest();
            if (newest != null) resumeFrom = newest.toString();
        }
        if (rank == 0 && resumeFrom.isEmpty() && opt.resume() != null) resumeFrom = opt.resume().toString();
        List<String> messages;
        try {
            messages = rendezvous.allGather(host + ":" + port + "|" + resumeFrom);
        } catch (Exception e) {
            server.close();
            throw e;
        }
        List<String> addresses = new ArrayList<>();
        for (String m : messages) addresses.add(m.substring(0, m.indexOf('|')));
        resumeFrom = messages.getFirst().substring(messages.getFirst().indexOf('|') + 1);
        List<String> lines = new ArrayList<>();
        long step = 0;
        if (!resumeFrom.isEmpty()) {
            Map<String, String> meta = Checkpoint.load(Path.of(resumeFrom), t.model(), t.optimizer());
            if (meta.containsKey("architecture") && !meta.get("architecture").equals(t.architecture())) {
                throw new IllegalArgumentException("checkpoint " + resumeFrom + " is of a " + meta.get("architecture") + " model, this one is " + t.architecture());
            }
            step = Long.parseLong(meta.getOrDefault("step", "0"));
        }
        long resumedFrom = step;

        try (Ring ring = Ring.connect(rank, addresses, server, job.jobId().hashCode() * 31L + attempt, job.exchangeTimeoutMillis());
             Arena statsArena = Arena.ofConfined()) {
            List<MemorySegment> grads = new ArrayList<>();
            t.beforeUpdate(() -> {
                grads.clear();
                for (Tensor p : t.model().parameters()) grads.add(bytes(p.grad()));
                try {
                    ring.allReduce(grads, 1f / n);
                } catch (Ring.RingException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Emit emit = line -> {
                if (rank != 0) return;
                lines.add(line);
                if (job.echo() && echo != null) echo.println(line);
            };
            emit.line(String.format(Locale.ROOT, "model   %s MLP, %,d parameters, SGD %s, %d workers x batch %d%s", t.architecture(),
                    t.model().parameterCount(), opt.describe(opt.microBatch()), n, shard, micro < shard ? " (micro-batch " + micro + ")" : ""));
            emit.line("data    " + all.description() + ": " + trainRows.length + " training rows, " + (held == null ? "none" : held.size()) + " held out");
            if (resumedFrom > 0) emit.line("resumed from " + resumeFrom + " (step " + resumedFrom + ", stage attempt " + attempt + ")");
            MemorySegment stats = statsArena.allocate(8, 8);
            long readyAt = System.currentTimeMillis();   // joined the ring, the checkpoint loaded: training starts
            long checksum = 0;
            for (int epoch = (int) (step / stepsPerEpoch) + 1; epoch <= epochs && step < maxSteps; epoch++) {
                long[] order = new Generator(opt.seed() * 1_000_003L + epoch).permutation(trainRows.length);
                for (int i = 0; i < order.length; i++) order[i] = trainRows[(int) order[i]];
                int first = (int) (step % stepsPerEpoch);
                int last = (int) Math.min(stepsPerEpoch, first + maxSteps - step);
                double lossSum = 0;
                long correct = 0;
                long t0 = System.nanoTime();
                long x0 = ring.exchangeNanos();
                for (int i = first; i < last; i++) {
                    if (job.failAt() != null && attempt == 0 && rank == job.failAt().rank() && step == job.failAt().step()) {
                        if (job.failAt().kill()) {   // as if the executor's process were killed; the time goes where the test reads it
                            if (checkpoints != null) java.nio.file.Files.writeString(Path.of(job.checkpointDir(), "killed-at"), Long.toString(System.currentTimeMillis()));
                            Runtime.getRuntime().halt(137);
                        }
                        throw new InjectedFailure("injected failure: rank " + rank + " before step " + (step + 1) + " (stage attempt " + attempt + ")");
                    }
                    ring.step(step + 1);
                    Trainer.StepResult r;
                    try {
                        r = t.step(all.features(), all.labels(), order, i * batch + rank * shard, shard, micro);
                    } catch (UncheckedIOException e) {
                        throw e.getCause();
                    }
                    lossSum += r.loss();
                    correct += r.correct();
                    step++;
                    if (job.checksumEvery() > 0 && step % job.checksumEvery() == 0) checksum = ring.checkReplicas(parameters(t));
                    if (checkpoints != null && rank == 0 && step % job.checkpointEvery() == 0 && step < maxSteps) {
                        checkpoints.save(t, step, (int) (step / stepsPerEpoch), opt, n);
                    }
                }
                // the epoch's loss and accuracy over the whole global batch: one more (tiny) all-reduce
                stats.setAtIndex(ValueLayout.JAVA_FLOAT, 0, (float) lossSum);
                stats.setAtIndex(ValueLayout.JAVA_FLOAT, 1, correct);
                ring.allReduce(List.of(stats), 1f / n);
                int steps = last - first;
                double seconds = (System.nanoTime() - t0) / 1e9;
                double exchangeMs = (ring.exchangeNanos() - x0) / 1e6 / (steps + 1);
                if (rank == 0) {
                    // a resumed epoch's loss and accuracy are those of the steps run since the checkpoint
                    String part = first > 0 ? String.format(Locale.ROOT, " (steps %d-%d)", step - steps + 1, step) : "";
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d%s  loss %.4f  train acc %.2f%%", epoch, epochs, part,
                            stats.getAtIndex(ValueLayout.JAVA_FLOAT, 0) / steps, 100.0 * stats.getAtIndex(ValueLayout.JAVA_FLOAT, 1) * n / ((long) steps * batch)));
                    if (held != null) {
                        Trainer.StepResult ev = t.evaluate(held.features(), held.labels(), Math.min(micro, 1024));
                        line.append(String.format(Locale.ROOT, "  test loss %.4f  test acc %.2f%%", ev.loss(), 100.0 * ev.correct() / held.size()));
                    }
                    line.append(String.format(Locale.ROOT, "  %,.0f samples/s  exchange %.1f ms/step  peak native %s (worker 0)",
                            (double) steps * batch / seconds, exchangeMs, MemoryStats.formatBytes(MemoryScope.current().pool().stats().peakBytesInUse())));
                    emit.line(line.toString());
                }
            }
            ring.step(step);
            checksum = ring.checkReplicas(parameters(t));
            String saved = null;
            if (checkpoints != null && rank == 0) {
                saved = checkpoints.save(t, step, (int) ((step + stepsPerEpoch - 1) / stepsPerEpoch), opt, n).toString();
                emit.line("checkpoint written to " + saved);
            }
            long gradientBytes = 0;
            for (Tensor p : t.model().parameters()) gradientBytes += p.numel() * 4;
            double perStep = ring.exchanges() == 0 ? 0 : ring.exchangeNanos() / 1e6 / ring.exchanges();
            return new Result(rank, step, checksum, resumedFrom, lines, perStep, gradientBytes, saved, readyAt);
        }
    }

    private interface Emit {
        void line(String line);
    }

    /** The bytes of a contiguous float32 tensor, in place. */
    static MemorySegment bytes(Tensor t) {
        if (!t.isContiguous() || t.dtype() != dev.panagrad.memory.DType.F32) {
            throw new IllegalStateException("data-parallel training sums contiguous float32 tensors; got " + t.dtype() + " " + java.util.Arrays.toString(t.shape()));
        }
        return t.storage().segment().asSlice(t.storageOffset() * 4, t.numel() * 4);
    }

    static List<MemorySegment> parameters(Trainer t) {
        List<MemorySegment> out = new ArrayList<>();
        for (Tensor p : t.model().parameters()) out.add(bytes(p));
        return out;
    }

    /** Checkpoint metadata written by worker 0. */
    static Map<String, String> metadata(Trainer t, long step, int epoch, TrainOptions opt, int workers, String jobId) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "panagrad-train");
        meta.put("architecture", t.architecture());
        meta.put("epoch", Integer.toString(epoch));
        meta.put("step", Long.toString(step));
        meta.put("seed", Long.toString(opt.seed()));
        meta.put("batch", Integer.toString(opt.batch()));
        meta.put("workers", Integer.toString(workers));
        meta.put("job", jobId);
        return meta;
    }
}
