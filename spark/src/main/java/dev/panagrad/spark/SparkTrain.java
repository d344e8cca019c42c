package dev.panagrad.spark;

import dev.panagrad.examples.train.TrainOptions;
import dev.panagrad.memory.MemoryStats;
import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import scala.collection.Iterator;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * {@code ./panagrad train --spark MASTER [--workers N]}: synchronous data-parallel training in one
 * Spark barrier stage whose N tasks are the {@link Worker}s. The barrier stage gang-schedules them
 * (all N run at once or none), gives them one rendezvous ({@code allGather} of each task's
 * address), and, because a shuffle follows it (a {@code repartition}), it is a ShuffleMapStage:
 * when a task fails, Spark reruns the whole stage, and the workers resume from the newest
 * checkpoint. Per-step traffic never goes through Spark: gradients go round the {@link Ring}.
 *
 * <p>The same class is the main class for {@code spark-submit} (the master then comes from
 * {@code --master}; {@code --spark} may be left out).
 */
public final class SparkTrain {
    private SparkTrain() {}

    /** How long a silent ring neighbour is waited for (ms): {@code spark.panagrad.exchangeTimeoutMs}, default 120 000. */
    static final String EXCHANGE_TIMEOUT = "spark.panagrad.exchangeTimeoutMs";
    /** Steps between replica checks: {@code spark.panagrad.checksumEvery}, default 50. */
    static final String CHECKSUM_EVERY = "spark.panagrad.checksumEvery";
    /** A fault to inject, "RANK:STEP": that worker throws before step STEP + 1 of the stage's first attempt (to try recovery). */
    static final String FAIL_AT = "spark.panagrad.failAt";

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null && System.getProperty("log4j.configurationFile") == null) {
            var quiet = SparkTrain.class.getResource("log4j2.properties");   // Spark's INFO lines, off unless asked for
            if (quiet != null) System.setProperty("log4j2.configurationFile", quiet.toString());
        }
        System.exit(main(args, System.out, System.err));
    }

    /** Runs the command: 0 on success, 2 on bad input or a failed job (one line on {@code err}). */
    public static int main(String[] args, PrintStream out, PrintStream err) {
        SparkConf conf = new SparkConf();
        args = withMaster(args, conf);
        TrainOptions opt;
        try {
            opt = TrainOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("train: " + e.getMessage());
            return 2;
        }
        if (opt == null) {
            out.print(TrainOptions.help());
            return 0;
        }
        String master = opt.spark();
        if (master == null) {
            err.println("train: no Spark master: give --spark MASTER (local[2], spark://host:7077), or --master to spark-submit");
            return 2;
        }
        try {
            Worker.Job job = job(opt, args, master.startsWith("local"), conf);
            configure(conf, master, opt);
            try (JavaSparkContext jsc = new JavaSparkContext(conf)) {
                jsc.setLogLevel("WARN");
                List<Worker.Result> results = run(jsc, job);
                report(results, job, master, out);
            }
            return 0;
        } catch (IllegalArgumentException | WorkersFailed e) {
            err.println("train: " + e.getMessage());
            return 2;
        }
    }

    /** {@code args} with {@code --spark} set to {@code spark.master} when they have none (spark-submit gives the master with --master). */
    static String[] withMaster(String[] args, SparkConf conf) {
        boolean given = Arrays.stream(args).anyMatch(a -> a.equals("--spark") || a.startsWith("--spark="));
        if (given || !conf.contains("spark.master")) return args;
        List<String> all = new ArrayList<>(List.of("--spark", conf.get("spark.master")));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    /** The job of {@code args}: checked before Spark starts (batch split, slots of a local master, checkpoint directory). */
    public static Worker.Job job(TrainOptions opt, String[] args, boolean echo, SparkConf conf) {
        int n = opt.workers();
        if (opt.batch() % n != 0) {
            throw new IllegalArgumentException("--batch " + opt.batch() + " must split evenly between --workers " + n + " (each worker takes batch / workers samples per step)");
        }
        if (opt.microBatchGiven() && (opt.batch() / n) % opt.microBatch() != 0) {
            throw new IllegalArgumentException("--micro-batch " + opt.microBatch() + " must divide the per-worker batch " + opt.batch() / n + " (--batch / --workers)");
        }
        String master = opt.spark() != null ? opt.spark() : conf.get("spark.master", "");
        int slots = localSlots(master);
        Worker.FailAt fault = failAt(conf.get(FAIL_AT, null));
        if (fault != null && fault.kill() && slots > 0) {
            throw new IllegalArgumentException(FAIL_AT + " " + conf.get(FAIL_AT) + ": on a local master the executor is this JVM; kill only on a cluster");
        }
        if (slots > 0 && n > slots) {
            throw new IllegalArgumentException("--workers " + n + " needs " + n + " task slots at once (a barrier stage runs all its tasks together), but "
                    + master + " has " + slots + "; use --workers " + slots + " or local[" + n + "]");
        }
        String dir = null;
        if (opt.checkpoint() != null) {
            Checkpoints.checkWritable(opt.checkpoint());
            dir = opt.checkpoint().toAbsolutePath().toString();
        }
        // each worker's OpenBLAS threads: the CPUs Spark gives a task (spark.task.cpus, default 1), unless --threads says
        int blasThreads = Math.max(1, conf.getInt("spark.task.cpus", 1));
        return new Worker.Job(args.clone(), n, UUID.randomUUID().toString().substring(0, 8), dir, opt.checkpointEvery(),
                conf.getInt(CHECKSUM_EVERY, 50), conf.getLong(EXCHANGE_TIMEOUT, 120_000), echo, blasThreads,
                slots > 0 ? "127.0.0.1" : null, fault);   // one machine: the ring stays on loopback
    }

    /** "RANK:STEP" (an exception) or "RANK:STEP:kill" (the executor's JVM halts) of {@value #FAIL_AT}: a fault to inject (null: none). */
    static Worker.FailAt failAt(String v) {
        if (v == null) return null;
        Matcher m = Pattern.compile("(\\d+):(\\d+)(:kill)?").matcher(v.trim());
        if (!m.matches()) throw new IllegalArgumentException(FAIL_AT + " must be RANK:STEP or RANK:STEP:kill (e.g. 1:40), got '" + v + "'");
        return new Worker.FailAt(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), m.group(3) != null);
    }

    /** Task slots of a local master ({@code local}, {@code local[N]}, {@code local[*]}, {@code local[N,F]}), or 0 for a cluster. */
    static int localSlots(String master) {
        if (master.equals("local")) return 1;
        Matcher m = Pattern.compile("local\\[(\\*|\\d+)(,\\d+)?]").matcher(master);
        if (!m.matches()) return 0;
        return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1));
    }

    /**
     * Spark settings for a training job. On one machine everything stays on loopback. The pool's
     * budget (--memory-budget) is native memory outside the JVM heap, so it is declared to Spark
     * as executor memory overhead (what YARN and Kubernetes size containers by) unless set already.
     */
    static void configure(SparkConf conf, String master, TrainOptions opt) {
        conf.setMaster(master).setAppName("panagrad train");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        if (master.startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1");
            conf.setIfMissing("spark.ui.enabled", "false");
            // a local master's slots are all there from the start: no point waiting for more (Spark: 40 checks, 15 s apart)
            conf.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "1");
            conf.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s");
        }
        if (opt.memoryBudget() > 0) conf.setIfMissing("spark.executor.memoryOverhead", overheadMiB(opt.memoryBudget(), conf) + "m");
    }

    /**
     * The executor memory overhead to declare: per task slot of an executor, the pool's budget and
     * the data set's native copy (each worker loads it), plus Spark's own minimum of 384 MiB.
     */
    static long overheadMiB(long budgetBytes, SparkConf conf) {
        int cores = conf.getInt("spark.executor.cores", 1);
        long datasetBytes = conf.getSizeAsBytes("spark.panagrad.datasetBytes", "128m");
        return cores * ((budgetBytes + datasetBytes + (1 << 20) - 1) >> 20) + 384;
    }

    /** A job that ended without every worker's result. */
    public static final class WorkersFailed extends RuntimeException {
        WorkersFailed(String message, Throwable cause) { super(message, cause); }
    }

    /** Runs {@code job} as one barrier stage of {@code job.workers()} tasks; the results in rank order. */
    public static List<Worker.Result> run(JavaSparkContext jsc, Worker.Job job) {
        int n = job.workers();
        ClassTag<Worker.Result> tag = ClassTag$.MODULE$.apply(Worker.Result.class);
        RDD<Worker.Result> stage = jsc.parallelize(IntStream.range(0, n).boxed().toList(), n).rdd().barrier().mapPartitions(new Task(job), false, tag);
        List<Worker.Result> results;
        try {
            // the shuffle after the barrier stage makes it a ShuffleMapStage, which Spark reruns whole on a failure
            results = new ArrayList<>(new JavaRDD<>(stage, tag).repartition(1).collect());
        } catch (Exception e) {   // Spark's are Scala exceptions, checked ones among them (SparkException)
            throw new WorkersFailed(explain(e, n), e);
        }
        results.sort(Comparator.comparingInt(Worker.Result::rank));
        long sum = results.getFirst().checksum();
        for (Worker.Result r : results) {
            if (r.checksum() != sum) {
                throw new WorkersFailed("replicas differ at the end: rank 0's parameter checksum " + Long.toHexString(sum) + ", rank " + r.rank() + "'s "
                        + Long.toHexString(r.checksum()), null);
            }
        }
        return results;
    }

    /** Spark's job-abort message cut to what happened: the workers' own error, or the missing slots. */
    static String explain(Exception e, int n) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("BARRIER_REQUIRE_MORE_SLOTS") || m.contains("more slots than the total number of slots")) {
            return "--workers " + n + " needs " + n + " task slots at once (a barrier stage runs all its tasks together), and the cluster has fewer;"
                    + " add executors or cores, or lower --workers";
        }
        Matcher w = Pattern.compile("(?:dev\\.panagrad\\S*|java\\.\\S*Exception): ([^\\n]*)").matcher(m);
        String cause = w.find() ? w.group(1) : m.lines().findFirst().orElse(m);
        return "the Spark job failed: " + cause;
    }

    private static void report(List<Worker.Result> results, Worker.Job job, String master, PrintStream out) {
        Worker.Result zero = results.getFirst();
        if (!job.echo()) zero.lines().forEach(out::println);
        double worst = results.stream().mapToDouble(Worker.Result::exchangeMillisPerStep).max().orElse(0);
        out.println(String.format(Locale.ROOT, "spark   %d workers on %s: ring all-reduce of %s per step, %.1f ms each (the slowest worker's mean);"
                + " replicas identical after %d steps (parameter checksum %s)", results.size(), master, MemoryStats.formatBytes(zero.gradientBytes()),
                worst, zero.steps(), Long.toHexString(zero.checksum())));
    }

    /** The barrier stage's function: one worker per task. */
    static final class Task extends AbstractFunction1<Iterator<Integer>, Iterator<Worker.Result>> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Worker.Job job;

        Task(Worker.Job job) { this.job = job; }

        @Override
        public Iterator<Worker.Result> apply(Iterator<Integer> ranks) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            int rank = ctx.partitionId();
            String address = ctx.getTaskInfos()[rank].address();
            int colon = address.lastIndexOf(':');
            String host = colon > 0 && address.indexOf(':') == colon ? address.substring(0, colon) : address;
            try {
                Worker.Result r = Worker.run(job, rank, ctx.stageAttemptNumber(), host, m -> Arrays.asList(ctx.allGather(m)), System.out);
                return scala.collection.Iterator$.MODULE$.single(r);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new RuntimeException(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
            }
        }
    }
}
