package dev.panagrad.examples;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
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

    record Run(int status, String output) {}

    private static Run run(Path launcher, Path work, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(launcher.toString(), "train"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("PANAGRAD_AOT");
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), output);
        return new Run(p.exitValue(), output);
    }

    /** The directory's class files as a jar (an AOT cache takes classes from jars only). */
    private static void jar(Path classes, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    private static List<Path> caches(Path root) throws IOException {
        Path aot = root.resolve("examples/target/aot");
        if (!Files.isDirectory(aot)) return List.of();
        try (Stream<Path> files = Files.list(aot)) {
            return files.filter(f -> f.toString().endsWith(".aot")).sorted().toList();
        }
    }

    /**
     * The train command's AOT cache: recorded on first use, then used (classes come from it); a rebuilt
     * jar gets a new one (JDK 25 itself would map the old classes); a damaged cache or a recording that
     * fails never fails the run, and a failed recording is not retried until the build changes.
     */
    @Test
    void theTrainCommandRecordsItsAotCacheOnceAndNeverRunsOnAStaleOrBrokenOne() throws IOException, InterruptedException {
        Path repo = Path.of("").toAbsolutePath().getParent();
        Path root = dir.resolve("root");
        Files.createDirectories(root.resolve("examples/target/classes"));
        Files.createDirectories(root.resolve("bench/target"));
        Path launcher = Files.copy(repo.resolve("panagrad"), root.resolve("panagrad"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        // the examples jar of this build, and every other classpath entry as a jar (test classes left out)
        Path examplesJar = root.resolve("examples/target/panagrad-examples-0.1.0-SNAPSHOT.jar");
        jar(Path.of("target/classes").toAbsolutePath(), examplesJar);
        List<String> classpath = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path e = Path.of(entry).toAbsolutePath();
            if (e.startsWith(Path.of("target").toAbsolutePath())) continue;
            if (Files.isDirectory(e)) {
                Path j = root.resolve("lib" + n++ + ".jar");
                jar(e, j);
                e = j;
            }
            classpath.add(e.toString());
        }
        Files.writeString(root.resolve("examples/target/classpath.txt"), String.join(File.pathSeparator, classpath));
        Files.writeString(root.resolve("bench/target/classpath.txt"), "");   // the build stamp: no source is newer

        Path work = Files.createDirectories(dir.resolve("work"));
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < 40; i++) csv.append(i % 2).append(',').append(i % 2).append(',').append(1 - i % 2).append('\n');
        Path data = Files.writeString(work.resolve("data.csv"), csv);
        String[] job = {"--data", "data.csv", "--classes", "2", "--batch", "10", "--hidden", "4", "--epochs", "1", "--no-progress"};
        String recording = "--data " + data + " --classes 2 --batch 10 --hidden 4 --steps 1 --no-progress";
        Map<String, String> env = Map.of("PANAGRAD_AOT_TRAINING_ARGS", recording);

        Run first = run(launcher, work, env, job);
        assertEquals(0, first.status(), first.output());
        assertTrue(first.output().contains("panagrad: recording the AOT cache for train, once per build"), first.output());
        assertTrue(first.output().contains("data    CSV: data.csv (40 x 2)"), first.output());
        List<Path> recorded = caches(root);
        assertEquals(1, recorded.size(), recorded.toString());

        Run second = run(launcher, work, Map.of("PANAGRAD_AOT_TRAINING_ARGS", recording, "JDK_JAVA_OPTIONS", "-Xlog:class+load"), job);
        assertEquals(0, second.status(), second.output());
        assertFalse(second.output().contains("recording"), second.output());
        assertTrue(second.output().contains("dev.panagrad.examples.Main source: shared objects file"), second.output());

        Files.write(recorded.get(0), new byte[] {1, 2, 3});   // damaged: the JVM cannot map it
        Run damaged = run(launcher, work, env, job);
        assertEquals(0, damaged.status(), damaged.output());
        assertTrue(damaged.output().contains("data    CSV: data.csv (40 x 2)"), damaged.output());
        assertFalse(damaged.output().contains("][aot"), damaged.output());

        // a rebuilt jar (the same classes, a new modification time) needs a new cache; this recording fails
        Files.setLastModifiedTime(examplesJar, FileTime.fromMillis(Files.getLastModifiedTime(examplesJar).toMillis() + 5000));
        Map<String, String> failing = Map.of("PANAGRAD_AOT_TRAINING_ARGS", recording + " --no-such-option");
        Run rebuilt = run(launcher, work, failing, job);
        assertEquals(0, rebuilt.status(), rebuilt.output());
        assertTrue(rebuilt.output().contains("panagrad: recording the AOT cache"), rebuilt.output());
        assertTrue(rebuilt.output().contains("panagrad: could not record the AOT cache"), rebuilt.output());
        assertTrue(rebuilt.output().contains("data    CSV: data.csv (40 x 2)"), rebuilt.output());
        assertEquals(List.of(), caches(root), "the old build's cache is gone, and no new one was made");

        Run again = run(launcher, work, failing, job);
        assertEquals(0, again.status(), again.output());
        assertFalse(again.output().contains("recording"), "a failed recording is not retried for the same build: " + again.output());
    }
}
