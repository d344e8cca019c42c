package dev.panagrad.examples;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./panagrad} script itself: relative paths in its arguments mean the directory it was
 * run from, not the repository. Runs a copy of the script in a directory laid out like the repository
 * with the classpath of this test run, so that it finds nothing to build and starts Java at once.
 */
class LauncherTest {
    @TempDir Path dir;

    @Test
    void relativePathsResolveAgainstTheCallersDirectory() throws IOException, InterruptedException {
        Path repo = Path.of("").toAbsolutePath().getParent();   // surefire runs in examples/
        Path root = dir.resolve("root");
        Files.createDirectories(root.resolve("examples/target/classes"));
        Files.createDirectories(root.resolve("bench/target"));
        Path launcher = Files.copy(repo.resolve("panagrad"), root.resolve("panagrad"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(root.resolve("examples/target/classpath.txt"), System.getProperty("java.class.path"));
        Files.writeString(root.resolve("bench/target/classpath.txt"), "");   // the build stamp: no source is newer

        Path work = Files.createDirectories(dir.resolve("work"));
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < 40; i++) csv.append(i % 2).append(',').append(i % 2).append(',').append(1 - i % 2).append('\n');
        Files.writeString(work.resolve("data.csv"), csv);

        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "train", "--data", "data.csv", "--classes", "2", "--batch", "10",
                "--hidden", "4", "--epochs", "1", "--no-progress", "--checkpoint", "ck/run.safetensors")
                .directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, p.exitValue(), output);

        assertTrue(output.contains("data    CSV: data.csv (40 x 2)"), output);
        assertTrue(output.contains("checkpoint written to ck/run.safetensors"), output);
        assertTrue(output.contains("plot written to " + work.resolve("out/train.png")), output);
        assertTrue(Files.isRegularFile(work.resolve("ck/run.safetensors")), output);
        assertTrue(Files.isRegularFile(work.resolve("out/train.png")), output);
        for (String wrong : List.of("ck", "out", "data.csv")) assertFalse(Files.exists(root.resolve(wrong)), "written into the launcher's directory: " + wrong);
    }
}
