package dev.panagrad.memory;

import java.util.List;
import java.util.Locale;

/**
 * A pool's memory summary, in the spirit of {@code torch.cuda.memory_summary()}: what is in use now and
 * at the peak, what the pool holds from the OS, how often it had to allocate, and who holds the most.
 */
public final class MemoryReport {
    private MemoryReport() {}

    public static String of(BufferPool pool) { return of(pool, 10); }

    public static String of(BufferPool pool, int holders) {
        MemoryStats s = pool.stats();
        long leases = s.nativeAllocations() + s.poolHits();
        StringBuilder sb = new StringBuilder();
        String rule = "=".repeat(72) + "\n";
        sb.append(rule).append(String.format(Locale.ROOT, " Panagrad memory report: pool '%s'%n", pool.name())).append(rule);
        row(sb, "bytes in use", MemoryStats.formatBytes(s.bytesInUse()) + " in " + s.liveLeases() + " leases");
        row(sb, "peak bytes in use", MemoryStats.formatBytes(s.peakBytesInUse()));
        row(sb, "reserved (in use + cached)", MemoryStats.formatBytes(s.bytesReserved()));
        row(sb, "budget", pool.budgetBytes() > 0 && pool.budgetBytes() < Long.MAX_VALUE ? MemoryStats.formatBytes(pool.budgetBytes()) : "none");
        row(sb, "leases", Long.toString(leases));
        row(sb, "  native allocations", Long.toString(s.nativeAllocations()));
        row(sb, "  pool hits", s.poolHits() + (leases > 0 ? String.format(Locale.ROOT, " (%.1f%%)", 100.0 * s.poolHits() / leases) : ""));
        row(sb, "releases", Long.toString(s.releases()));
        List<BufferPool.Holder> top = pool.largestHolders(holders);
        sb.append(" largest holders:\n");
        if (top.isEmpty()) sb.append("   none\n");
        for (BufferPool.Holder h : top) sb.append("   ").append(h).append('\n');
        return sb.append(rule).toString();
    }

    private static void row(StringBuilder sb, String name, String value) {
        sb.append(String.format(Locale.ROOT, " %-28s %s%n", name, value));
    }
}
