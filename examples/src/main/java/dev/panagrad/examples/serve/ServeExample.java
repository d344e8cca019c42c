package dev.panagrad.examples.serve;

import dev.panagrad.Generator;
import dev.panagrad.blas.Blas;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryStats;
import dev.panagrad.nn.Linear;
import dev.panagrad.nn.ReLU;
import dev.panagrad.nn.Sequential;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./panagrad serve-demo}: many threads, one model. A 784-512-10 MLP is built once; N threads
 * each send requests to one shared {@link Server} (grad off, a MemoryScope per request); every answer
 * is compared with the answer the same request got on one thread alone, and the request pool must be
 * empty at the end. Exit status 0 if all of that holds, 1 if not, 2 on a bad option.
 */
public final class ServeExample {
    public static final int IN = 784, HIDDEN = 512, OUT = 10;

    private ServeExample() {}

    /** The served model: Linear(784, 512), ReLU, Linear(512, 10), float32, PyTorch's init from {@code seed}. */
    public static Sequential model(long seed) {
        Generator g = new Generator(seed);
        return new Sequential(new Linear(IN, HIDDEN, true, DType.F32, g), new ReLU(), new Linear(HIDDEN, OUT, true, DType.F32, g));
    }

    /** {@code count} requests of {@code rows} rows of 784 values in [0, 1), from {@code seed}. */
    public static float[][] requests(long seed, int count, int rows) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] out = new float[count][rows * IN];
        for (float[] req : out) for (int i = 0; i < req.length; i++) req[i] = (float) r.nextDouble();
        return out;
    }

    /** Each request's answer computed on this thread, one after the other: what every thread must get. */
    public static float[][] answers(Server server, float[][] requests) {
        float[][] out = new float[requests.length][];
        for (int i = 0; i < requests.length; i++) out[i] = server.predict(requests[i]);
        return out;
    }

    /** What a load did: requests answered, answers that differed from {@code expected}, wall time. */
    public record Load(int threads, long requests, long mismatches, long inexact, double maxDiff, long nanos) {
        public double perSecond() { return requests * 1e9 / nanos; }
    }

    /**
     * {@code threads} threads send requests to {@code server}, thread t starting at request t (modulo their number) and
     * cycling through them, until each has sent {@code perThread} or {@code nanos} have passed
     * (whichever comes first; {@code Long.MAX_VALUE} for no limit). Every answer is compared with
     * {@code expected} bit for bit. A thread's exception is rethrown here.
     */
    public static Load drive(Server server, float[][] requests, float[][] expected, int threads, long perThread, long nanos) {
        var start = new CountDownLatch(1);
        var served = new AtomicLong();
        var mismatches = new AtomicLong();
        var inexact = new AtomicLong();
        double[] maxDiff = {0};
        var failures = new ArrayList<Throwable>();
        List<Thread> workers = new ArrayList<>();
        long[] deadline = new long[1];
        for (int t = 0; t < threads; t++) {
            int first = t % requests.length;
            workers.add(Thread.ofPlatform().name("request-" + t).unstarted(() -> {
                try {
                    start.await();
                    long n = 0, bad = 0, near = 0;
                    double worst = 0;
                    for (int i = first; n < perThread && (n % 8 != 0 || System.nanoTime() < deadline[0]); i = (i + 1) % requests.length) {
                        float[] got = server.predict(requests[i]);
                        if (!Arrays.equals(got, expected[i])) {
                            double d = maxDiff(got, expected[i]);
                            worst = Math.max(worst, d);
                            if (d <= TOLERANCE) near++; else bad++;
                        }
                        n++;
                    }
                    served.addAndGet(n);
                    mismatches.addAndGet(bad);
                    inexact.addAndGet(near);
                    synchronized (maxDiff) { maxDiff[0] = Math.max(maxDiff[0], worst); }
                } catch (Throwable e) {
                    synchronized (failures) { failures.add(e); }
                }
            }));
        }
        workers.forEach(Thread::start);
        long t0 = System.nanoTime();
        deadline[0] = nanos == Long.MAX_VALUE ? Long.MAX_VALUE : t0 + nanos;
        start.countDown();
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while " + threads + " threads served", e);
            }
        }
        long elapsed = System.nanoTime() - t0;
        if (!failures.isEmpty()) {
            var e = new IllegalStateException(failures.size() + " of " + threads + " serving threads failed; the first: " + failures.getFirst(), failures.getFirst());
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
        return new Load(threads, served.get(), mismatches.get(), inexact.get(), maxDiff[0], elapsed);
    }

    /** Largest |difference| allowed between an answer and the one-thread answer. */
    public static final double TOLERANCE = 1e-4;

    static double maxDiff(float[] a, float[] b) {
        if (a.length != b.length) return Double.POSITIVE_INFINITY;
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs((double) a[i] - b[i]));
        return Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
    }

    static final String HELP = """
            usage: ./panagrad serve-demo [--threads N] [--requests N] [--batch N] [--seed N]

            One 784-512-10 MLP, shared by N threads that each send requests to it (grad off, one
            MemoryScope per request). Every answer is checked against the same request answered on one
            thread alone, and no buffer may be left leased at the end.

              --threads N   serving threads (default 8)
              --requests N  requests each thread sends (default 250)
              --batch N     rows per request (default 64)
              --seed N      the model's and the requests' seed (default 0)
            """;

    public static int main(String[] args, PrintStream out, PrintStream err) {
        int threads = 8, perThread = 250, batch = 64;
        long seed = 0;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--help") || a.equals("-h")) {
                    out.print(HELP);
                    return 0;
                }
                if (i + 1 >= args.length) throw new IllegalArgumentException(a.startsWith("--") ? a + " needs a value" : "unknown argument '" + a + "'");
                String v = args[++i];
                switch (a) {
                    case "--threads" -> threads = positive(a, v, 1024);
                    case "--requests" -> perThread = positive(a, v, Integer.MAX_VALUE);
                    case "--batch" -> batch = positive(a, v, 1024);
                    case "--seed" -> seed = number(a, v);
                    default -> throw new IllegalArgumentException("unknown option '" + a + "' (--threads, --requests, --batch, --seed)");
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("serve-demo: " + e.getMessage());
            return 2;
        }
        return run(threads, perThread, batch, seed, out);
    }

    private static int run(int threads, int perThread, int batch, long seed, PrintStream out) {
        Sequential model = model(seed);
        BufferPool pool = new BufferPool("requests");
        Server server = new Server(model, IN, pool);
        float[][] requests = requests(seed + 1, 16, batch);
        float[][] expected = answers(server, requests);
        out.printf(Locale.ROOT, "model   784-512-10 MLP, %,d parameters, seed %d, one instance shared by %d thread%s%n",
                model.parameters().stream().mapToLong(p -> p.numel()).sum(), seed, threads, threads == 1 ? "" : "s");
        out.println("BLAS    " + blasLine());
        Load load = drive(server, requests, expected, threads, perThread, Long.MAX_VALUE);
        MemoryStats stats = pool.stats();
        out.printf(Locale.ROOT, "served  %,d requests of %d row%s in %.2f s: %,.0f requests/s%n", load.requests(), batch, batch == 1 ? "" : "s",
                load.nanos() / 1e9, load.perSecond());
        long exact = load.requests() - load.mismatches() - load.inexact();
        out.println("check   " + (load.mismatches() > 0
                ? String.format(Locale.ROOT, "%,d answers differ from the one-thread answer by more than %.0e (up to %.3g)", load.mismatches(), TOLERANCE, load.maxDiff())
                : load.inexact() == 0 ? "every answer equal, bit for bit, to the one-thread answer"
                : String.format(Locale.ROOT, "every answer equal to the one-thread answer: %,d bit for bit, %,d within %.1e (one OpenBLAS thread"
                        + " sums in another order than two)", exact, load.inexact(), load.maxDiff())));
        out.println("memory  " + MemoryStats.formatBytes(stats.bytesInUse()) + " leased after the last request (" + stats.liveLeases()
                + " leases), peak " + MemoryStats.formatBytes(stats.peakBytesInUse()));
        return load.mismatches() == 0 && stats.bytesInUse() == 0 && stats.liveLeases() == 0 ? 0 : 1;
    }

    /** The BLAS and what it does with its threads while several Java threads compute. */
    public static String blasLine() {
        Blas blas = Blas.selected();
        if (!(blas instanceof OpenBlas ob)) return blas.describe();
        return "OpenBLAS " + ob.info().version() + " (" + ob.info().coreName() + "), " + ob.threadCount() + " threads for a lone caller, "
                + (ob.adaptiveThreads() ? "1 per product while several Java threads compute (-Dpanagrad.blasThreads=adaptive)"
                : "the same while several compute (-Dpanagrad.blasThreads=fixed)");
    }

    private static int positive(String option, String value, int max) {
        long v = number(option, value);
        if (v < 1 || v > max) throw new IllegalArgumentException(option + " must be a whole number from 1 to " + max + ", got '" + value + "'");
        return (int) v;
    }

    private static long number(String option, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a whole number, got '" + value + "'");
        }
    }
}
