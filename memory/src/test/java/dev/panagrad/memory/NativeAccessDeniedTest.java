package dev.panagrad.memory;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pool binds every lease's memory to its lifetime with {@code MemorySegment.reinterpret}, a
 * restricted method: a JVM started with {@code --illegal-native-access=deny} and without
 * {@code --enable-native-access} refuses it, and the error must say which flag to add. Each case is a
 * child JVM on this test's class path running {@link PoolProbe}.
 */
class NativeAccessDeniedTest {
    static String run(String... options) throws IOException, InterruptedException {
        var command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
        command.addAll(List.of(options));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), output);
        return "status " + p.exitValue() + ": " + output;
    }

    @ParameterizedTest
    @ValueSource(strings = {"unscoped", "scoped"})
    void aDeniedLeaseNamesTheFlag(String where) throws Exception {
        String out = run("--illegal-native-access=deny", PoolProbe.class.getName(), where);
        assertTrue(out.startsWith("status 1: IllegalCallerException: Panagrad's buffer pool needs native access"
                + " (MemorySegment.reinterpret binds each lease's memory to its lifetime) and this JVM denies it"
                + " (Illegal native access from an unnamed module ("), out);
        assertTrue(out.endsWith(". Fix: start the JVM with --enable-native-access=ALL-UNNAMED (on the java command line, in surefire's"
                + " argLine, in MAVEN_OPTS for exec:java, or as Enable-Native-Access: ALL-UNNAMED in an executable jar's manifest).\n"), out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"unscoped", "scoped"})
    void withTheFlagTheLeaseWorks(String where) throws Exception {
        assertEquals("status 0: leased 64\n",
                run("--illegal-native-access=deny", "--enable-native-access=ALL-UNNAMED", PoolProbe.class.getName(), where));
    }
}
