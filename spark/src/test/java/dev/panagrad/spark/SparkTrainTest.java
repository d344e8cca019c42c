package dev.panagrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panagrad.Tensor;
import dev.panagrad.examples.train.TrainCommand;
import dev.panagrad.examples.train.TrainOptions;
import dev.panagrad.io.SafeTensors;
import dev.panagrad.memory.MemoryScope;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training on {@code local[2]}: two barrier tasks in one Spark context (started once for the
 * class), each a worker with its own replica, summing gradients over the ring.
 */
@Timeout(900)   // a hang guard for a barrier stage (the class runs in ~8 s), not a speed check
class SparkTrainTest {
    /** A small job: MLP 784-32-10, 2048 synthetic rows (+256 held out), global batch 256, 10 steps (8 per epoch). */
    static final String[] ARGS = {"--hidden", "32", "--samples", "2048", "--batch", "256", "--steps", "10", "--seed", "3", "--no-progress"};
    static JavaSparkContext jsc;
    static Map<String, float[]> uninterrupted;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        SparkConf conf = new SparkConf();
        SparkTrain.configure(conf, "local[2]", TrainOptions.parse(ARGS));
        jsc = new JavaSparkContext(conf);
        jsc.setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        if (jsc != null) jsc.close();
    }

    static String[] with(String... more) {
        List<String> a = new ArrayList<>(List.of(ARGS));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    static Worker.Job job(Path dir, int every) {
        String[] args = with("--spark", "local[2]", "--workers", "2", "--checkpoint", dir.toString(), "--checkpoint-every", Integer.toString(every));
        return SparkTrain.job(TrainOptions.parse(args), args, false, new SparkConf(false));
    }

    static Map<String, float[]> parameters(Path checkpoint) throws Exception {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (var scope = MemoryScope.open("read")) {
            for (Map.Entry<String, Tensor> e : SafeTensors.load(checkpoint).tensors().entrySet()) {
                if (!e.getKey().startsWith("optimizer.")) out.put(e.getKey(), e.getValue().toFloatArray());
            }
        }
        return out;
    }

    static synchronized Map<String, float[]> uninterrupted() throws Exception {
        if (uninterrupted == null) {
            List<Worker.Result> results = SparkTrain.run(jsc, job(Files.createDirectories(tmp.resolve("plain")), 4));
            assertEquals(2, results.size());
            for (Worker.Result r : results) assertEquals(10, r.steps());
            assertEquals(results.get(0).checksum(), results.get(1).checksum(), "the replicas differ");
            uninterrupted = parameters(Path.of(results.get(0).finalCheckpoint()));
        }
        return uninterrupted;
    }

    @Test
    void twoWorkersOfHalfTheBatchTrainTheModelOneProcessTrainsOnTheWholeBatch() throws Exception {
        Path single = tmp.resolve("single.safetensors");
        var out = new ByteArrayOutputStream();
        int status = TrainCommand.main(with("--checkpoint", single.toString(), "--plot", tmp.resolve("single.png").toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err, false);
        assertEquals(0, status, out.toString(StandardCharsets.UTF_8));
        Map<String, float[]> one = parameters(single);
        Map<String, float[]> two = uninterrupted();
        assertEquals(one.keySet(), two.keySet());
        double worst = 0;
        for (String k : one.keySet()) {
            float[] a = one.get(k), b = two.get(k);
            assertEquals(a.length, b.length, k);
            for (int i = 0; i < a.length; i++) {
                double d = Math.abs(a[i] - b[i]);
                worst = Math.max(worst, d);
                assertTrue(d <= 1e-5 + 1e-4 * Math.abs(a[i]), k + "[" + i + "]: one process " + a[i] + ", two workers " + b[i]);
            }
        }
        assertTrue(worst > 0 || one.values().stream().allMatch(v -> v.length > 0), "compared nothing");
    }

    @Test
    void aTaskThatFailsMakesSparkRerunTheStageWhichResumesFromTheCheckpointAndEndsWithTheSameModel() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("faulty"));
        // checkpoints after steps 4 and 8; rank 1 throws before step 7 (of the first attempt only): resume at 4
        List<Worker.Result> results = SparkTrain.run(jsc, job(dir, 4).withFailAt(new Worker.FailAt(1, 6, false)));
        for (Worker.Result r : results) {
            assertEquals(4, r.resumedFrom(), "rank " + r.rank());
            assertEquals(10, r.steps());
        }
        assertTrue(results.get(0).lines().stream().anyMatch(l -> l.startsWith("resumed from ") && l.contains("step 4")), results.get(0).lines().toString());
        Map<String, float[]> resumed = parameters(Path.of(results.get(0).finalCheckpoint()));
        Map<String, float[]> plain = uninterrupted();
        for (String k : plain.keySet()) assertArrayEquals(plain.get(k), resumed.get(k), k + " differs from the uninterrupted run's");
        // only the newest checkpoints of the job are kept
        try (var files = Files.list(dir)) {
            assertEquals(Checkpoints.KEEP, files.count());
        }
    }

    @Test
    void moreWorkersThanSlotsIsAClearErrorBeforeSparkStarts() {
        String[] args = with("--spark", "local[2]", "--workers", "4");
        var e = assertThrows(IllegalArgumentException.class, () -> SparkTrain.job(TrainOptions.parse(args), args, false, new SparkConf(false)));
        assertEquals("--workers 4 needs 4 task slots at once (a barrier stage runs all its tasks together), but local[2] has 2;"
                + " use --workers 2 or local[4]", e.getMessage());
    }

    @Test
    void aStageNeedingMoreSlotsThanSparkHasFailsFastWithAClearError() {
        // past the command's own check (a cluster's slots are not known before the job): Spark's check, then ours
        Worker.Job ok = job(tmp.resolve("slots"), 100);
        String[] args = with("--spark", "local[2]", "--workers", "3");
        Worker.Job three = new Worker.Job(args, 3, ok.jobId(), null, 100, 50, 10_000, false, 1, "127.0.0.1", null);
        var e = assertThrows(SparkTrain.WorkersFailed.class, () -> SparkTrain.run(jsc, three));
        assertEquals("--workers 3 needs 3 task slots at once (a barrier stage runs all its tasks together), and the cluster has fewer;"
                + " add executors or cores, or lower --workers", e.getMessage());
        // fast because Spark checks the slots once, after 1 s (its defaults: 40 checks 15 s apart, ten minutes)
        assertEquals("1", jsc.getConf().get("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures"));
        assertEquals("1s", jsc.getConf().get("spark.scheduler.barrier.maxConcurrentTasksCheck.interval"));
    }

    @Test
    void aCheckpointDirectoryThatCannotBeWrittenIsAClearErrorAndNothingIsWritten() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        String[] args = with("--spark", "local[2]", "--checkpoint", file.resolve("checkpoints").toString());
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int status = SparkTrain.main(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        String m = err.toString(StandardCharsets.UTF_8);
        assertTrue(m.startsWith("train: --checkpoint " + file.resolve("checkpoints") + ": cannot write "), m);
        assertTrue(m.contains("is not a directory"), m);
        assertEquals("x", Files.readString(file));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aBatchThatDoesNotSplitBetweenTheWorkersIsRefused() {
        String[] args = {"--spark", "local[2]", "--batch", "255"};
        var e = assertThrows(IllegalArgumentException.class, () -> SparkTrain.job(TrainOptions.parse(args), args, false, new SparkConf(false)));
        assertTrue(e.getMessage().startsWith("--batch 255 must split evenly between --workers 2"), e.getMessage());
        assertNotNull(e);
    }

    @Test
    void underSparkSubmitTheMasterComesFromTheConfiguration() {
        SparkConf submitted = new SparkConf(false).set("spark.master", "yarn");
        assertArrayEquals(new String[] {"--spark", "yarn", "--workers", "4"}, SparkTrain.withMaster(new String[] {"--workers", "4"}, submitted));
        String[] given = {"--spark=local[2]", "--workers", "2"};
        assertArrayEquals(given, SparkTrain.withMaster(given, submitted));
        String[] none = {"--workers", "2"};
        assertArrayEquals(none, SparkTrain.withMaster(none, new SparkConf(false)));
    }

    @Test
    void singleProcessTrainRefusesSparkOptionsWithoutTheModule() {
        var err = new ByteArrayOutputStream();
        int status = TrainCommand.main(new String[] {"--workers", "2"}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8), false);
        assertEquals(2, status);
        assertEquals("train: --workers needs --spark MASTER (e.g. --spark local[2])\n", err.toString(StandardCharsets.UTF_8));
    }
}
