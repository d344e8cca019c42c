package dev.panagrad.memory;

/**
 * A snapshot of a {@link BufferPool}'s counters. Byte counts are size-class bytes, what the pool
 * really holds for each lease, not the bytes asked for.
 *
 * @param bytesInUse        bytes leased out now
 * @param peakBytesInUse    the most bytes leased out at once since the pool was made or {@link BufferPool#resetPeak()}
 * @param bytesReserved     native bytes the pool holds: leased plus cached
 * @param nativeAllocations buffers the pool has had to allocate from the OS
 * @param poolHits          leases served from a cached buffer
 * @param releases          leases returned to the pool
 * @param liveLeases        leases not yet returned
 */
public record MemoryStats(long bytesInUse, long peakBytesInUse, long bytesReserved,
                          long nativeAllocations, long poolHits, long releases, long liveLeases) {

    /** A human unit for a byte count: {@code 1.5 MiB}. */
    public static String formatBytes(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }

    @Override
    public String toString() {
        return "in use " + formatBytes(bytesInUse) + " (" + liveLeases + " leases), peak " + formatBytes(peakBytesInUse)
                + ", reserved " + formatBytes(bytesReserved) + ", native allocations " + nativeAllocations
                + ", pool hits " + poolHits + ", releases " + releases;
    }
}
