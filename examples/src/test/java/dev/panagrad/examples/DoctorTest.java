package dev.panagrad.examples;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * {@code doctor} says which BLAS and which kernels the JVM's options give; a JVM without
 * {@code jdk.incubator.vector} says once, on stderr, that the kernels run scalar. Each case is a
 * child JVM on this test's class path running {@code Main doctor}.
 */
class DoctorTest {
    record Run(int status, String out, String err) {}

    static Run doctor(String... options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
        command.addAll(List.of(options));
        command.addAll(List.of(Main.class.getName(), "doctor"));
        Path err = Files.createTempFile("doctor", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
            return new Run(p.exitValue(), out, Files.readString(err));
        } finally {
            Files.delete(err);
        }
    }

    static String line(String out, String label) {
        return out.lines().filter(l -> l.startsWith(label)).findFirst().orElseThrow(() -> new AssertionError("no line " + label + " in:\n" + out));
    }

    @Test
    void theLaunchersFlagsGiveOpenBlasAndTheVectorKernels() throws Exception {
        Run run = doctor("--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector");
        assertEquals(0, run.status(), run.out() + run.err());
        assertEquals("BLAS           OpenBLAS (the default; -Dpanagrad.blas=java selects plain Java)", line(run.out(), "BLAS "));
        assertTrue(line(run.out(), "OpenBLAS ").startsWith("OpenBLAS       0.3.31, core "), run.out());
        assertTrue(line(run.out(), "  threads ").matches("  threads      (\\d+) for a product while one Java thread computes, 1 while several do"
                + " \\(-Dpanagrad.blasThreads=fixed: always \\1\\)"), run.out());
        assertEquals("Vector API     on: float32 kernels on jdk.incubator.vector, " + FloatVector.SPECIES_PREFERRED.length() + " float lanes",
                line(run.out(), "Vector API "));
        assertEquals("Self-check     sgemm 3x3 on pooled memory gives the exact product", line(run.out(), "Self-check "));
        // oneDNN's ISA on this machine (AMD EPYC Zen 5) is AVX512-BF16; another CPU gets another ISA, but the line's form is fixed
        assertTrue(line(run.out(), "oneDNN ").matches("oneDNN         3\\.11\\.\\d+, ISA [a-z0-9_ ()]+: (native bfloat16 GEMMs|no native bfloat16 on this CPU).*libdnnl\\.so\\.3"), run.out());
        assertEquals("WARNING: Using incubator modules: jdk.incubator.vector\n", run.err());
    }

    @Test
    void aMisspeltThreadPolicyIsNamed() throws Exception {
        Run run = doctor("--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Dpanagrad.blasThreads=2");
        assertEquals(1, run.status(), run.out() + run.err());
        assertEquals("BLAS           -Dpanagrad.blasThreads=2 is not a thread policy Panagrad has: use adaptive (the default: one OpenBLAS"
                + " thread per product while several Java threads compute) or fixed (OpenBLAS's count for every product)", line(run.out(), "BLAS "));
    }

    @Test
    void javaBlasWithoutTheVectorModuleSaysSoOnceOnStderr() throws Exception {
        Run run = doctor("--enable-native-access=ALL-UNNAMED", "-Dpanagrad.blas=java");
        assertEquals(0, run.status(), run.out() + run.err());
        assertEquals("BLAS           JavaBlas (plain Java reference), selected with -Dpanagrad.blas=java", line(run.out(), "BLAS "));
        assertFalse(run.out().contains("OpenBLAS "), run.out());
        assertEquals("Vector API     off: jdk.incubator.vector is not in this JVM (add --add-modules jdk.incubator.vector): the kernels run scalar",
                line(run.out(), "Vector API "));
        assertEquals("Self-check     sgemm 3x3 on pooled memory gives the exact product", line(run.out(), "Self-check "));
        assertEquals("panagrad: jdk.incubator.vector is not in this JVM, so the float32 kernels run scalar (same results, several times"
                + " slower); start Java with --add-modules jdk.incubator.vector\n", run.err());
    }

    @Test
    void turningTheKernelsOffOnPurposeIsNotWarnedAbout() throws Exception {
        Run run = doctor("--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Dpanagrad.noVector=true");
        assertEquals(0, run.status(), run.out() + run.err());
        assertEquals("Vector API     off: -Dpanagrad.noVector=true: the kernels run scalar", line(run.out(), "Vector API "));
        assertEquals("WARNING: Using incubator modules: jdk.incubator.vector\n", run.err());
    }
}
