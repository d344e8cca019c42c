package dev.panagrad.bench;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.bench.CoreChoice.Probe;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The choice of the OpenBLAS core both sides of {@code bench compare} run on, fed recorded peer answers. */
class CoreChoiceTest {
    // the flags of the two CPUs this machine kind has had (/proc/cpuinfo), cut to what the choice reads
    static final String INTEL_XEON = """
            processor	: 0
            model name	: Intel(R) Xeon(R) Processor
            flags		: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16 amx_tile
            processor	: 1
            flags		: fpu sse
            """;
    static final String AVX2_ONLY = "model name\t: AMD EPYC 7B12\nflags\t\t: fpu sse sse2 avx fma avx2\n";

    @Test
    void readsTheFirstCpusModelAndFlags() {
        assertEquals("Intel(R) Xeon(R) Processor", CoreChoice.cpuModel(INTEL_XEON));
        Set<String> flags = CoreChoice.cpuFlags(INTEL_XEON);
        assertTrue(flags.containsAll(Set.of("avx512_bf16", "avx2", "amx_tile")), flags.toString());
        assertEquals(17, flags.size());
        assertEquals(Set.of(), CoreChoice.cpuFlags(""));
        assertEquals("unknown CPU", CoreChoice.cpuModel(""));
    }

    @Test
    void triesTheCandidatesWhenThePeerFellBackOrDiffers() {
        assertTrue(CoreChoice.shouldTry("Cooperlake", "Prescott", false));   // Intel Xeon, PyTorch's 0.3.21
        assertTrue(CoreChoice.isFallback("Prescott"));
        assertTrue(CoreChoice.shouldTry("Cooperlake", "Haswell", false));
        assertFalse(CoreChoice.shouldTry("Cooperlake", "COOPERLAKE", false));
        assertFalse(CoreChoice.isFallback("Cooperlake"));
        assertTrue(CoreChoice.shouldTry("Cooperlake", "Cooperlake", true));   // --try-cores
    }

    @Test
    void candidatesStartWithPanagradsCoreAndSkipCoresTheCpuCannotRun() {
        assertEquals(List.of("Cooperlake", "SkylakeX", "Haswell", "Zen", "Sandybridge"),
                CoreChoice.candidates("Cooperlake", CoreChoice.cpuFlags(INTEL_XEON)));
        assertEquals(List.of("Zen", "Haswell", "Sandybridge"), CoreChoice.candidates("Zen", CoreChoice.cpuFlags(AVX2_ONLY)));
        // a core PyTorch's OpenBLAS does not know (0.3.31's SapphireRapids) is not a candidate
        assertEquals(List.of("Cooperlake", "SkylakeX", "Haswell", "Zen", "Sandybridge"),
                CoreChoice.candidates("SapphireRapids", CoreChoice.cpuFlags(INTEL_XEON)));
        // flags unknown: every core (a core the CPU cannot run fails its probe)
        assertEquals(5, CoreChoice.candidates("Haswell", Set.of()).size());
        assertEquals("Haswell", CoreChoice.candidates("Haswell", Set.of()).getFirst());
    }

    @Test
    void keepsTheFastestCoreThePeerAccepted() {
        // probes recorded on the AMD EPYC with --try-cores (ms of the MLP step at batch 1024)
        var probes = List.of(new Probe("Cooperlake", "Cooperlake", 57.4), new Probe("SkylakeX", "SkylakeX", 57.8),
                new Probe("Haswell", "Haswell", 89.6), new Probe("Zen", "Zen", 159.8), new Probe("Sandybridge", "Sandybridge", 166.6));
        CoreChoice.Choice c = CoreChoice.choose(probes);
        assertEquals("Cooperlake", c.core());
        assertEquals("fastest on the peer of Cooperlake 57.4 ms, SkylakeX 57.8 ms, Haswell 89.6 ms, Zen 159.8 ms, Sandybridge 166.6 ms", c.reason());

        // a clearly faster later candidate wins; one within 10% of it does not displace an earlier one
        assertEquals("Haswell", CoreChoice.choose(List.of(new Probe("Cooperlake", "Cooperlake", 30.0), new Probe("Haswell", "Haswell", 20.0))).core());
        assertEquals("Cooperlake", CoreChoice.choose(List.of(new Probe("Cooperlake", "Cooperlake", 21.9), new Probe("Haswell", "Haswell", 20.0))).core());
    }

    @Test
    void skipsCoresThePeerRefusedOrDiedOn() {
        // 0.3.21 given a name it does not know reports its own choice instead; a crash gives no core
        var probes = List.of(new Probe("Cooperlake", "Prescott", null), new Probe("SkylakeX", null, null),
                new Probe("Haswell", "Haswell", 48.0), new Probe("Zen", "Zen", 45.0));
        CoreChoice.Choice c = CoreChoice.choose(probes);
        assertEquals("Haswell", c.core());
        assertEquals("fastest on the peer of Cooperlake refused (reported Prescott), SkylakeX failed, Haswell 48.0 ms, Zen 45.0 ms", c.reason());

        CoreChoice.Choice none = CoreChoice.choose(List.of(new Probe("Cooperlake", "Prescott", null), new Probe("Haswell", null, null)));
        assertNull(none.core());
        assertEquals("no candidate core worked on the peer (tried Cooperlake refused (reported Prescott), Haswell failed)", none.reason());
    }
}
