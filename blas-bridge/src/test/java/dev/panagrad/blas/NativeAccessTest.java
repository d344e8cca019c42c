package dev.panagrad.blas;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a user who embeds Panagrad sees when the JVM denies native access, and the way around it:
 * each case starts a JVM with {@code --illegal-native-access=deny} and without
 * {@code --enable-native-access} (as a strict deployment would), on this test's class path.
 */
class NativeAccessTest {
    record Run(int status, String output) {}

    static Run probe(String... options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--illegal-native-access=deny", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
        for (String o : options) if (o.startsWith("-")) command.add(o);
        command.add(BlasProbe.class.getName());
        for (String o : options) if (!o.startsWith("-")) command.add(o);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), output);
        return new Run(p.exitValue(), output);
    }

    @Test
    void deniedNativeAccessNamesTheFlag() throws Exception {
        Run run = probe("openblas");
        assertEquals(1, run.status(), run.output());
        assertTrue(run.output().startsWith("BlasUnavailableException: OpenBLAS could not be loaded on "), run.output());
        assertTrue(run.output().contains(": native access is denied to this code (java.lang.IllegalCallerException: Illegal native access"),
                run.output());
        assertTrue(run.output().contains("Fix: start the JVM with --enable-native-access=ALL-UNNAMED (on the java command line, in surefire's"
                + " argLine, in MAVEN_OPTS for exec:java, or as Enable-Native-Access: ALL-UNNAMED in an executable jar's manifest)"), run.output());
        // the pool needs native access too, so the plain-Java BLAS is no way around this one
        assertFalse(run.output().contains("-Dpanagrad.blas=java"), run.output());
        assertFalse(run.output().contains("see the cause below"), run.output());
    }

    @Test
    void theDefaultSelectionIsOpenBlasAndSaysTheSameWhenDenied() throws Exception {
        Run run = probe();
        assertEquals(1, run.status(), run.output());
        assertTrue(run.output().contains("start the JVM with --enable-native-access=ALL-UNNAMED"), run.output());
    }

    @Test
    void panagradBlasJavaLoadsNoNativeLibrary() throws Exception {
        Run run = probe("-Dpanagrad.blas=java");
        assertEquals(0, run.status(), run.output());
        // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
        assertEquals("blas JavaBlas\nproduct 19.0 22.0 43.0 50.0\n", run.output());
    }

    @Test
    void anUnknownBlasIsRefusedNamingTheChoices() throws Exception {
        Run run = probe("-Dpanagrad.blas=mkl");
        assertEquals(1, run.status(), run.output());
        assertEquals("IllegalArgumentException: -Dpanagrad.blas=mkl is not a BLAS Panagrad has: use openblas (the default) or java"
                + " (plain Java, no native library, far slower)\n", run.output());
    }
}
