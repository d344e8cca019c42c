package dev.panagrad.bench;

import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.MemoryReport;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.memory.MemoryStats;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./panagrad bench memory [--json]}: the memory of the main job's MLP step (784-1024-1024-10,
 * float32, SGD with momentum), from pool statistics, in one run: native allocations and heap bytes per
 * warm step at batch 1024, the peak bytes in use of 1 x 4096 against 4 x 1024, and backward's peak.
 * Counts, not timings: the numbers are the same on every run.
 */
public final class MemoryBench {
    private MemoryBench() {}

    public static void main(String[] args) {
        boolean json = false, report = false;
        for (String a : args) {
            switch (a) {
                case "--json" -> json = true;
                case "--memory-report" -> report = true;
                default -> {
                    System.err.println("usage: ./panagrad bench memory [--json] [--memory-report]");
                    System.exit(2);
                }
            }
        }
        int[] mlp = {784, 1024, 1024, 10};
        Map<String, Object> r = new LinkedHashMap<>();
        try (var data = MemoryScope.open("dataset", new BufferPool("dataset"))) {
            MemoryProfile.Data d = MemoryProfile.Data.random(4096, 784, 10, 0);
            BufferPool steadyPool = new BufferPool("training b1024");
            MemoryProfile.Steps steady = MemoryProfile.run(mlp, d, 1024, 1024, 40, steadyPool);   // JIT-warm from ~step 20
            MemoryProfile.Steps full = MemoryProfile.run(mlp, d, 4096, 4096, 3, new BufferPool("training 1x4096"));
            MemoryProfile.Steps acc = MemoryProfile.run(mlp, d, 4096, 1024, 3, new BufferPool("training 4x1024"));
            MemoryProfile.Backward bw = MemoryProfile.backward(mlp, d, 1024, new BufferPool("training backward"));
            // saved activations as bfloat16 (SavedTensorHooks.bfloat16Activations), against the same run without, alternated twice
            MemoryProfile.Steps plain = MemoryProfile.run(mlp, d, 1024, 1024, 40, new BufferPool("training f32 saves"), false);
            MemoryProfile.Steps bf16 = MemoryProfile.run(mlp, d, 1024, 1024, 40, new BufferPool("training bf16 saves"), true);
            MemoryProfile.Steps plain2 = MemoryProfile.run(mlp, d, 1024, 1024, 40, new BufferPool("training f32 saves 2"), false);
            MemoryProfile.Steps bf16b = MemoryProfile.run(mlp, d, 1024, 1024, 40, new BufferPool("training bf16 saves 2"), true);
            MemoryProfile.Steps full16 = MemoryProfile.run(mlp, d, 4096, 4096, 3, new BufferPool("training 1x4096 bf16 saves"), true);
            int[] deep = {784, 512, 512, 512, 512, 512, 512, 512, 512, 10};   // eight hidden layers: the saved activations dominate
            long deepPlain = MemoryProfile.run(deep, d, 1024, 1024, 6, new BufferPool("deep f32 saves"), false).peakBytes()[5];
            long deepBf16 = MemoryProfile.run(deep, d, 1024, 1024, 6, new BufferPool("deep bf16 saves"), true).peakBytes()[5];
            double msPlain = Math.min(plain.medianMillisFrom(20), plain2.medianMillisFrom(20)), msBf16 = Math.min(bf16.medianMillisFrom(20), bf16b.medianMillisFrom(20));
            long fullPeak = full.peakBytes()[2], accPeak = acc.peakBytes()[2];
            r.put("model", "784-1024-1024-10 float32, SGD momentum 0.9");
            r.put("steady_native_allocs_per_step", steady.maxNativeAllocationsFrom(2));
            r.put("heap_bytes_per_step", steady.medianHeapBytesFrom(30));
            r.put("bytes_held_between_steps", steady.bytesInUseAfter()[39]);
            r.put("peak_bytes_b1024", steady.peakBytes()[39]);
            r.put("peak_bytes_full_batch", fullPeak);
            r.put("peak_bytes_accumulated", accPeak);
            r.put("accumulation_ratio", Math.round(1000.0 * accPeak / fullPeak) / 1000.0);
            r.put("backward_bytes_before", bw.bytesBefore());
            r.put("backward_peak_bytes", bw.peakDuring());
            r.put("backward_bytes_after", bw.bytesAfter());
            r.put("peak_bytes_b1024_bf16_saves", bf16.peakBytes()[39]);
            r.put("peak_bytes_full_batch_bf16_saves", full16.peakBytes()[2]);
            r.put("native_allocs_per_step_bf16_saves", bf16.maxNativeAllocationsFrom(2));
            r.put("deep_peak_bytes_b1024", deepPlain);
            r.put("deep_peak_bytes_b1024_bf16_saves", deepBf16);
            r.put("step_ms_b1024", Math.round(msPlain * 100) / 100.0);
            r.put("step_ms_b1024_bf16_saves", Math.round(msBf16 * 100) / 100.0);
            if (json) {
                StringBuilder sb = new StringBuilder("{");
                r.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append('"').append(k).append("\": ")
                        .append(v instanceof String s ? "\"" + s + "\"" : v));
                System.out.println(sb.append('}'));
            } else {
                System.out.println("MLP training step memory, " + r.get("model") + " (pool statistics, one MemoryScope per step)");
                row("native allocations per warm step (step 3 on, batch 1024)", Long.toString(steady.maxNativeAllocationsFrom(2)));
                row("Java heap bytes per warm step (median, step 31 on)", String.format(Locale.ROOT, "%,d", steady.medianHeapBytesFrom(30)));
                row("held between steps (parameters, gradients, momentum)", MemoryStats.formatBytes(steady.bytesInUseAfter()[39]));
                row("peak in use, batch 1024", MemoryStats.formatBytes(steady.peakBytes()[39]));
                row("peak in use, 1 x 4096", MemoryStats.formatBytes(fullPeak));
                row("peak in use, 4 x 1024 (accumulated)", MemoryStats.formatBytes(accPeak));
                row("ratio accumulated / full", String.format(Locale.ROOT, "%.3f", (double) accPeak / fullPeak));
                row("backward, batch 1024: before / peak / after", MemoryStats.formatBytes(bw.bytesBefore()) + " / "
                        + MemoryStats.formatBytes(bw.peakDuring()) + " / " + MemoryStats.formatBytes(bw.bytesAfter()));
                row("peak in use, batch 1024, activations saved as bfloat16", MemoryStats.formatBytes(bf16.peakBytes()[39]));
                row("peak in use, 1 x 4096, activations saved as bfloat16", MemoryStats.formatBytes(full16.peakBytes()[2]));
                row("native allocations per warm step, bfloat16 saves", Long.toString(bf16.maxNativeAllocationsFrom(2)));
                row("deep MLP 784-512x8-10, batch 1024: peak, float32 / bfloat16 saves", MemoryStats.formatBytes(deepPlain) + " / " + MemoryStats.formatBytes(deepBf16));
                row("step time, batch 1024 (median, steps 21-40, best of 2 runs)", String.format(Locale.ROOT, "%.2f ms float32 saves, %.2f ms bfloat16 saves", msPlain, msBf16));
            }
            if (report) System.out.print(MemoryReport.of(steadyPool));
        }
    }

    private static void row(String name, String value) {
        System.out.printf(Locale.ROOT, "  %-58s %s%n", name, value);
    }
}
