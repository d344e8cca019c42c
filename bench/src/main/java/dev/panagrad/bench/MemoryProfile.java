package dev.panagrad.bench;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.examples.train.Trainer;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.MemoryStats;
import dev.panagrad.nn.Functional;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Measures what the train command's MLP step ({@link Trainer#step}) costs in memory, with pool
 * statistics (exact, not sampled): native allocations and Java-heap bytes per step once warm, the
 * peak bytes in use of a whole batch against the same batch as micro-batches, and the peak during
 * backward. Each measurement uses fresh pools: "dataset" for the samples (not counted) and
 * "training" for everything the step holds: parameters, gradients, optimizer state, activations,
 * temporaries.
 */
public final class MemoryProfile {
    private MemoryProfile() {}

    /** Samples in their own pool, deterministic. */
    public record Data(Tensor features, Tensor labels, long[] rows) {
        public static Data random(int samples, int features, int classes, long seed) {
            Generator g = new Generator(seed);
            long[] rows = new long[samples];
            Arrays.setAll(rows, i -> i);
            return new Data(g.randn(DType.F32, samples, features), g.randint(0, classes, samples), rows);
        }
    }

    /** Per-step counters of a run of identical steps. */
    public record Steps(long[] nativeAllocations, long[] heapBytes, long[] bytesInUseAfter, long[] peakBytes, long[] nanos) {
        /** The median wall time of a step from step {@code from} on, in milliseconds. */
        public double medianMillisFrom(int from) {
            long[] v = Arrays.copyOfRange(nanos, from, nanos.length);
            Arrays.sort(v);
            return v[v.length / 2] / 1e6;
        }

        /** The largest native-allocation count from step {@code from} (0-based) on. */
        public long maxNativeAllocationsFrom(int from) {
            return Arrays.stream(nativeAllocations, from, nativeAllocations.length).max().orElse(0);
        }

        /** The median heap bytes per step from step {@code from} on. */
        public long medianHeapBytesFrom(int from) {
            long[] v = Arrays.copyOfRange(heapBytes, from, heapBytes.length);
            Arrays.sort(v);
            return v[v.length / 2];
        }
    }

    /**
     * Runs {@code steps} optimizer steps of an MLP of {@code layers} over {@code data}, batch {@code batch}
     * in micro-batches of {@code microBatch}, each step in its own MemoryScope (the pool is reset at every
     * step, so each step's peak is its own), and records the counters after each.
     */
    public static Steps run(int[] layers, Data data, int batch, int microBatch, int steps, BufferPool pool) {
        return run(layers, data, batch, microBatch, steps, pool, false);
    }

    /** As above; with {@code bfloat16Saves} each step runs inside {@code SavedTensorHooks.bfloat16Activations()}. */
    public static Steps run(int[] layers, Data data, int batch, int microBatch, int steps, BufferPool pool, boolean bfloat16Saves) {
        return run(() -> new Trainer(layers, 0.01, 0.9, 0), data, batch, microBatch, steps, pool, bfloat16Saves);
    }

    /** {@link #run(int[], Data, int, int, int, BufferPool)} for any job of the train command (made inside the pool's scope). */
    public static Steps run(java.util.function.Supplier<? extends dev.panagrad.examples.train.TrainingJob> job, Data data, int batch, int microBatch, int steps,
                            BufferPool pool) {
        return run(job, data, batch, microBatch, steps, pool, false);
    }

    private static Steps run(java.util.function.Supplier<? extends dev.panagrad.examples.train.TrainingJob> job, Data data, int batch, int microBatch, int steps,
                             BufferPool pool, boolean bfloat16Saves) {
        long[] allocs = new long[steps], heap = new long[steps], after = new long[steps], peaks = new long[steps], nanos = new long[steps];
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (var training = MemoryScope.open("training", pool)) {
            var t = job.get();
            int perEpoch = data.rows().length / batch;
            for (int s = 0; s < steps; s++) {
                pool.resetPeak();
                MemoryStats before = pool.stats();
                long heapBefore = threads.getCurrentThreadAllocatedBytes(), t0 = System.nanoTime();
                try (var step = MemoryScope.open("step");
                     var compact = bfloat16Saves ? dev.panagrad.autograd.SavedTensorHooks.bfloat16Activations() : null) {
                    t.step(data.features(), data.labels(), data.rows(), (s % perEpoch) * batch, batch, microBatch);
                }
                nanos[s] = System.nanoTime() - t0;
                heap[s] = threads.getCurrentThreadAllocatedBytes() - heapBefore;
                MemoryStats now = pool.stats();
                allocs[s] = now.nativeAllocations() - before.nativeAllocations();
                after[s] = now.bytesInUse();
                peaks[s] = now.peakBytesInUse();
            }
        }
        return new Steps(allocs, heap, after, peaks, nanos);
    }

    /**
     * One warm step at {@code batch}: bytes held between steps (parameters, gradients, optimizer state),
     * in use just before backward (plus the saved activations), the peak during backward, and after it.
     */
    public record Backward(long bytesHeld, long bytesBefore, long peakDuring, long bytesAfter) {}

    public static Backward backward(int[] layers, Data data, int batch, BufferPool pool) {
        try (var training = MemoryScope.open("training", pool)) {
            Trainer t = new Trainer(layers, 0.01, 0.9, 0);
            for (int s = 0; s < 2; s++) {   // warm: gradients and momentum exist
                try (var step = MemoryScope.open("step")) {
                    t.step(data.features(), data.labels(), data.rows(), 0, batch, batch);
                }
            }
            long held = pool.stats().bytesInUse();
            try (var step = MemoryScope.open("step")) {
                t.model().zeroGrad();
                Tensor idx = Tensor.fromArray(Arrays.copyOf(data.rows(), batch), batch);
                Tensor x = data.features().indexSelect(0, idx);
                Tensor logits = t.model().forward(x);
                x.dropWhenUnused();
                Tensor loss = Functional.crossEntropy(logits, data.labels().indexSelect(0, idx));
                long before = pool.stats().bytesInUse();
                pool.resetPeak();
                loss.backward();
                return new Backward(held, before, pool.stats().peakBytesInUse(), pool.stats().bytesInUse());
            }
        }
    }
}
