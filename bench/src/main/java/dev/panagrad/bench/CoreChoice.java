package dev.panagrad.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which OpenBLAS core ({@code OPENBLAS_CORETYPE}) {@code ./panagrad bench compare} runs both sides on.
 *
 * <p>PyTorch 1.13's OpenBLAS (Debian's 0.3.21) is older than Panagrad's (0.3.31) and may not know the
 * CPU: it then falls back to a generic core such as {@code Prescott} (SSE3 kernels, 3–7× slower at
 * the MLP step). When the peer's auto-detected core is not Panagrad's, the candidates below (names
 * both versions know, filtered by the CPU's flags) are tried on the peer, the fastest is kept, and
 * both sides run on it. No Python here: the probes come in as {@link Probe} values.
 */
final class CoreChoice {
    private CoreChoice() {}

    /** Cores both OpenBLAS 0.3.21 and 0.3.31 know, best first, with the CPU flags their kernels need. */
    static final Map<String, Set<String>> CANDIDATES = candidates();

    /** Generic cores OpenBLAS falls back to when it does not know the CPU. */
    static final Set<String> FALLBACKS = Set.of("prescott", "katmai", "coppermine", "northwood", "banias", "core2", "penryn",
            "dunnington", "nehalem", "atom", "athlon", "opteron", "unknown");

    /** A tie within this fraction of the fastest goes to the earlier candidate (Panagrad's own core first). */
    static final double TIE = 0.10;

    private static Map<String, Set<String>> candidates() {
        Set<String> avx512 = Set.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");
        Map<String, Set<String>> m = new LinkedHashMap<>();
        m.put("Cooperlake", union(avx512, Set.of("avx512_bf16")));
        m.put("SkylakeX", avx512);
        m.put("Haswell", Set.of("avx2", "fma"));
        m.put("Zen", Set.of("avx2", "fma"));
        m.put("Sandybridge", Set.of("avx"));
        return m;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        List<String> u = new ArrayList<>(a);
        u.addAll(b);
        return Set.copyOf(u);
    }

    /**
     * One try of the peer with OPENBLAS_CORETYPE=requested: the core it then reported (null: it did
     * not start) and its median time over the probe's rounds (null: not timed).
     */
    record Probe(String requested, String reported, Double ms) {
        boolean accepted() { return ms != null && same(reported, requested); }
    }

    /** The outcome: the core both sides run on (null: none worked, the peer keeps its own) and why. */
    record Choice(String core, String reason) {}

    static boolean same(String a, String b) { return a != null && a.equalsIgnoreCase(b); }

    static boolean isFallback(String core) { return core != null && FALLBACKS.contains(core.toLowerCase(Locale.ROOT)); }

    /**
     * Whether to try the candidates: the peer reported a core other than Panagrad's (a fallback such
     * as Prescott, or an older kernel set), or {@code force} ({@code --try-cores}).
     */
    static boolean shouldTry(String ourCore, String peerCore, boolean force) {
        return force || !same(ourCore, peerCore);
    }

    /**
     * The cores to try, in order of preference: Panagrad's own core (what the newer OpenBLAS chose for
     * this CPU) if both know it, then the others both know. With {@code cpuFlags} known, only cores
     * whose kernels this CPU can run (a core it cannot run would die of SIGILL); empty flags: all.
     */
    static List<String> candidates(String ourCore, Set<String> cpuFlags) {
        List<String> out = new ArrayList<>();
        for (String c : CANDIDATES.keySet()) {
            if (same(c, ourCore) && runs(c, cpuFlags)) out.add(c);
        }
        for (String c : CANDIDATES.keySet()) {
            if (!out.contains(c) && runs(c, cpuFlags)) out.add(c);
        }
        return out;
    }

    private static boolean runs(String core, Set<String> cpuFlags) {
        return cpuFlags.isEmpty() || cpuFlags.containsAll(CANDIDATES.get(core));
    }

    /**
     * The fastest accepted probe (the peer reported the core it was asked for and finished); a time
     * within {@link #TIE} of the fastest goes to the earlier candidate. None accepted: core null.
     */
    static Choice choose(List<Probe> probes) {
        double best = probes.stream().filter(Probe::accepted).mapToDouble(Probe::ms).min().orElse(Double.NaN);
        if (Double.isNaN(best)) {
            return new Choice(null, "no candidate core worked on the peer (tried " + describe(probes) + ")");
        }
        Probe chosen = probes.stream().filter(p -> p.accepted() && p.ms() <= best * (1 + TIE)).findFirst().orElseThrow();
        return new Choice(chosen.requested(), "fastest on the peer of " + describe(probes));
    }

    static String describe(List<Probe> probes) {
        List<String> parts = new ArrayList<>();
        for (Probe p : probes) {
            if (p.reported() == null) parts.add(p.requested() + " failed");
            else if (!same(p.reported(), p.requested())) parts.add(p.requested() + " refused (reported " + p.reported() + ")");
            else if (p.ms() == null) parts.add(p.requested() + " not timed");
            else parts.add(String.format(Locale.ROOT, "%s %.1f ms", p.requested(), p.ms()));
        }
        return String.join(", ", parts);
    }

    /** The flags of the first CPU in {@code cpuinfo} (the text of /proc/cpuinfo), lower case; empty if none. */
    static Set<String> cpuFlags(String cpuinfo) {
        return cpuinfo.lines().filter(l -> l.startsWith("flags")).findFirst()
                .map(l -> Set.copyOf(List.of(l.substring(l.indexOf(':') + 1).strip().toLowerCase(Locale.ROOT).split("\\s+"))))
                .orElse(Set.of());
    }

    /** The first "model name" in {@code cpuinfo}, or "unknown CPU". */
    static String cpuModel(String cpuinfo) {
        return cpuinfo.lines().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
    }

    static String readCpuinfo() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
