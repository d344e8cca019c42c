package dev.panagrad.examples.train;

import dev.panagrad.Tensor;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.MemoryStats;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds by measuring the largest micro-batch whose training step fits a memory budget. A copy of
 * the model (same layers, same optimizer settings) runs in a pool of its own on the first training
 * rows: one step allocates its gradients and optimizer state, and what it then holds between steps
 * (parameters, gradients, optimizer state) is the fixed part; the peak of a step at a small
 * micro-batch, less the fixed part, gives the bytes per sample. The micro-batch they predict is run
 * and measured too (a step, then an evaluation of as many rows as the command evaluates at once), and
 * made smaller until its measured peak fits. The run's own model, optimizer and pool are not touched.
 */
final class MicroBatchPlanner implements AutoCloseable {
    /** The micro-batch the first measurement runs at (or the batch, if smaller). */
    static final int FIRST = 64;

    /** The held-out rows evaluated at once when training in micro-batches of {@code micro} (measured with its step). */
    static int evaluationRows(int micro) {
        return Math.min(1024, micro);
    }

    /** The outcome, {@code micro} 0 when not even a micro-batch of 1 fits, and the measured peak of its step (of micro-batch 1 then). */
    record Plan(int micro, long peakBytes) {}

    private final BufferPool pool = new BufferPool("micro-batch probe");
    private final MemoryScope scope;
    private final Tensor features, labels;
    private final long[] rows;
    private final int batch;
    private final Trainer probe;
    private final long heldBytes, bytesPerSample;
    private final Map<Integer, Long> peaks = new HashMap<>();

    /** Measures the fixed part and the bytes per sample; {@code rows} (at least {@code batch} of them) are the training rows. */
    MicroBatchPlanner(int[] layers, double lr, double momentum, Tensor features, Tensor labels, long[] rows, int batch) {
        this(layers, lr, momentum, features, labels, rows, batch, false);
    }

    /** The same, for steps in bfloat16 autocast when {@code autocast} (their bfloat16 copies count too). */
    MicroBatchPlanner(int[] layers, double lr, double momentum, Tensor features, Tensor labels, long[] rows, int batch, boolean autocast) {
        this.features = features;
        this.labels = labels;
        this.rows = rows;
        this.batch = batch;
        this.scope = MemoryScope.open("micro-batch probe", pool);
        try {
            probe = new Trainer(layers, lr, momentum, 0).autocast(autocast);
            int first = Math.min(FIRST, batch);
            probe.step(features, labels, rows, 0, first, first);   // gradients and optimizer state exist from here on
            heldBytes = pool.stats().bytesInUse();
            bytesPerSample = Math.ceilDiv(Math.max(0, peak(first) - heldBytes), first);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The measured peak of a step at {@code micro} and of an evaluation of {@link #evaluationRows} rows. */
    long peak(int micro) {
        Long known = peaks.get(micro);
        if (known != null) return known;
        pool.resetPeak();
        probe.step(features, labels, rows, 0, micro, micro);
        int e = evaluationRows(micro);
        probe.evaluate(features.slice(0, 0, e), labels.slice(0, 0, e), e);
        long peak = pool.stats().peakBytesInUse();
        peaks.put(micro, peak);
        return peak;
    }

    /**
     * The largest micro-batch that fits {@code budget}: predicted from the fixed part and the bytes
     * per sample, rounded to split the batch evenly (1366 + 1366 + 1364 for 4096 in three), then
     * measured, and predicted again from that measurement while it does not fit.
     */
    Plan largest(long budget) {
        int micro = evenSplit(predict(budget, bytesPerSample));
        while (micro > 1) {
            long peak = peak(micro);
            if (peak <= budget) return new Plan(micro, peak);
            long perSample = Math.ceilDiv(Math.max(1, peak - heldBytes), micro);
            micro = evenSplit(Math.min(micro - Math.max(1, micro / 32), predict(budget, perSample)));   // at least 3% smaller each time
        }
        long one = peak(1);
        return new Plan(one <= budget ? 1 : 0, one);
    }

    /** The largest divisor of the batch that fits {@code budget} (a --micro-batch must divide the batch), or 0. */
    int largestDivisor(long budget) {
        for (int d = largest(budget).micro(); d >= 1; d--) {
            if (batch % d == 0 && peak(d) <= budget) return d;
        }
        return 0;
    }

    private int predict(long budget, long perSample) {
        if (budget <= heldBytes) return 0;
        return (int) Math.min(batch, (budget - heldBytes) / Math.max(1, perSample));
    }

    /** The micro-batch of the fewest even micro-batches no larger than {@code m}: {@code ceil(batch / ceil(batch / m))}. */
    private int evenSplit(int m) {
        return m < 1 ? 0 : Math.ceilDiv(batch, Math.ceilDiv(batch, m));
    }

    /** "1366 + 1366 + 1364", or "4 x 1024", or "1024". */
    static String split(int batch, int micro) {
        int n = Math.ceilDiv(batch, micro), last = batch - (n - 1) * micro;
        if (last == micro) return n == 1 ? Integer.toString(micro) : n + " x " + micro;
        return (n - 1 == 1 ? micro + "" : (n - 1) + " x " + micro) + " + " + last;
    }

    /** "measured: 22.6 MiB held between steps (parameters, gradients, optimizer state) + 19.7 KiB per sample". */
    String measured() {
        return "measured: " + MemoryStats.formatBytes(heldBytes) + " held between steps (parameters, gradients, optimizer state) + "
                + MemoryStats.formatBytes(bytesPerSample) + " per sample";
    }

    /** Returns the probe's memory to the system. */
    @Override
    public void close() {
        scope.close();
        pool.trim();
    }
}
