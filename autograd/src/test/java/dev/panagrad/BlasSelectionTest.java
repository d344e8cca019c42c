package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code -Dpanagrad.blas=java}: tensors' products run on the plain-Java BLAS, so Panagrad works where
 * OpenBLAS cannot load. Each case is a JVM on this test's class path without bytedeco's
 * linux-x86_64 jars (as on a platform Panagrad ships no OpenBLAS for), running {@link MatmulProbe}.
 */
class BlasSelectionTest {
    static String run(String... properties) throws IOException, InterruptedException {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).getFileName().toString().endsWith("-linux-x86_64.jar"))
                .collect(Collectors.joining(File.pathSeparator));
        assertNotEquals(System.getProperty("java.class.path"), classPath, "the test class path has no native jar to leave out");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-XX:TieredStopAtLevel=1", "-cp", classPath));
        command.addAll(List.of(properties));
        command.add(MatmulProbe.class.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), output);
        return "status " + p.exitValue() + ": " + output.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).collect(Collectors.joining("\n"));
    }

    /** c = a·a for a[i][j] = (16 i + j) / 2, element (i, j), exactly (every partial sum is a multiple of 1/4 below 2^22). */
    static double expected(int i, int j) {
        long quarters = 0;
        for (int k = 0; k < 16; k++) quarters += (16L * i + k) * (16L * k + j);
        return quarters / 4.0;
    }

    @Test
    void withoutTheNativeJarsOpenBlasSaysWhatIsMissingAndNamesTheJavaBlas() throws Exception {
        String out = run();
        assertTrue(out.startsWith("status 1: BlasUnavailableException: OpenBLAS could not be loaded on "), out);
        assertTrue(out.contains("the native library for this platform is not on the class path"), out);
        assertTrue(out.endsWith("; or choose the plain-Java BLAS with -Dpanagrad.blas=java (no native library, far slower)."), out);
    }

    @Test
    void panagradBlasJavaMultipliesWithoutOpenBlas() throws Exception {
        assertEquals(4960.0, expected(0, 0));   // 4 · Σ k² over k < 16
        assertEquals("status 0: c[0][0] " + expected(0, 0) + " c[15][15] " + expected(15, 15), run("-Dpanagrad.blas=java"));
    }
}
