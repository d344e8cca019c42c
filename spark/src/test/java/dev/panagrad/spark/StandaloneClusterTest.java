package dev.panagrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panagrad.examples.train.TrainOptions;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standalone Spark cluster on loopback, started from this test's classpath: a master and two
 * workers of one core each, in JVMs of their own, so each training worker runs in an executor
 * process of its own and the ring crosses processes. Slow (the JVMs, then executors started by the
 * workers): only in the {@code spark-cluster} profile ({@code mvn -pl spark -am test -Pspark-cluster
 * -Dtest=StandaloneClusterTest -Dsurefire.failIfNoSpecifiedTests=false}).
 */
@Timeout(300)
class StandaloneClusterTest {
    @TempDir
    static Path tmp;
    static final List<Process> daemons = new ArrayList<>();
    static JavaSparkContext jsc;

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Process daemon(String name, Path home, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--") || a.startsWith("-XX:+Ignore") || a.startsWith("-Dio.netty")).toList());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(args));
        Path logs = Files.createDirectories(Path.of("target", "cluster-logs"));   // kept after the run, to read when it fails
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");   // else Spark's launcher looks for a source build
        Process p = pb.start();
        daemons.add(p);
        return p;
    }

    @BeforeAll
    static void startCluster() throws Exception {
        // a SPARK_HOME whose jars/ holds the classpath's jars: the workers build the executors' command from it
        Path home = Path.of("target", "cluster-logs", "spark-home").toAbsolutePath();
        Path jars = Files.createDirectories(home.resolve("jars"));
        Files.writeString(home.resolve("RELEASE"), "Spark (classpath of a Panagrad test)\n");   // a RELEASE file: the jars are in jars/
        int i = 0;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            Path link = jars.resolve((i++) + "-" + p.getFileName());
            if (e.endsWith(".jar") && Files.isRegularFile(p) && !Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, p.toAbsolutePath());
        }
        int port = freePort();
        daemon("master", home, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", Integer.toString(port), "--webui-port",
                Integer.toString(freePort()));
        for (int w = 0; w < 2; w++) {
            daemon("worker" + w, home, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
                    "--webui-port", Integer.toString(freePort()), "--work-dir", Files.createDirectories(Path.of("target", "cluster-logs", "work" + w)).toAbsolutePath().toString(),
                    "spark://127.0.0.1:" + port);
        }
        SparkConf conf = new SparkConf().set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.executor.cores", "1").set("spark.cores.max", "2").set("spark.executor.memory", "512m")
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", "--enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector")
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "120");
        SparkTrain.configure(conf, "spark://127.0.0.1:" + port, TrainOptions.parse(SparkTrainTest.ARGS));
        jsc = new JavaSparkContext(conf);
        jsc.setLogLevel("WARN");
    }

    @AfterAll
    static void stopCluster() throws InterruptedException {
        if (jsc != null) jsc.close();
        for (Process p : daemons) p.descendants().forEach(ProcessHandle::destroyForcibly);
        for (Process p : daemons) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    static Worker.Job job(Path dir) {
        String[] args = SparkTrainTest.with("--spark", jsc.master(), "--workers", "2", "--checkpoint", dir.toString(), "--checkpoint-every", "4");
        return SparkTrain.job(TrainOptions.parse(args), args, false, new SparkConf(false));
    }

    @Test
    void aKilledExecutorIsReplacedAndTrainingResumesToTheSameModel() throws Exception {
        long p0 = System.nanoTime();
        List<Worker.Result> plain = SparkTrain.run(jsc, job(Files.createDirectories(tmp.resolve("plain"))));
        System.out.printf("standalone: the run without a failure took %.1f s%n", (System.nanoTime() - p0) / 1e9);
        assertEquals(plain.get(0).checksum(), plain.get(1).checksum());
        Map<String, float[]> want = SparkTrainTest.parameters(Path.of(plain.get(0).finalCheckpoint()));

        long t0 = System.nanoTime();
        List<Worker.Result> killed = SparkTrain.run(jsc, job(Files.createDirectories(tmp.resolve("killed"))).withFailAt(new Worker.FailAt(1, 6, true)));
        System.out.printf("standalone: the run with a killed executor took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        for (Worker.Result r : killed) assertEquals(4, r.resumedFrom(), "rank " + r.rank());
        long killedAt = Long.parseLong(Files.readString(tmp.resolve("killed").resolve("killed-at")));
        long ready = killed.stream().mapToLong(Worker.Result::readyAtMillis).max().orElseThrow();
        System.out.printf("standalone: from the kill to both workers training again from the checkpoint: %.1f s%n", (ready - killedAt) / 1e3);
        Map<String, float[]> got = SparkTrainTest.parameters(Path.of(killed.get(0).finalCheckpoint()));
        for (String k : want.keySet()) assertArrayEquals(want.get(k), got.get(k), k);
        assertTrue(killed.get(0).lines().stream().anyMatch(l -> l.startsWith("resumed from ")), killed.get(0).lines().toString());
    }
}
