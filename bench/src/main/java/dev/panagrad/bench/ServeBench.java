package dev.panagrad.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.examples.serve.ServeExample;
import dev.panagrad.examples.serve.Server;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.nn.Sequential;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./panagrad bench serve}: requests per second of 8 threads sharing one 784-512-10 model
 * (grad off, a MemoryScope per request, every answer checked), against one thread's rate times the
 * cores: one thread with one OpenBLAS thread is what one core serves, so perfect scaling is that
 * times the cores, and the row's ratio is the share of it reached. The configurations alternate in
 * rounds in one warmed JVM; the row gives the median of the rounds' ratios and their range.
 *
 * <p>A configuration is {@code THREADS:BLAS}: Java threads, and what OpenBLAS does, {@code adaptive}
 * (the default policy: its thread count for a lone caller, one per product while several Java threads
 * compute), {@code fixed1} or {@code fixed2} (that many threads for every product, as OpenBLAS alone does).
 */
public final class ServeBench {
    private ServeBench() {}

    record Config(int threads, String blas) {
        static Config parse(String s) {
            String[] p = s.split(":");
            if (p.length != 2 || !List.of("adaptive", "overlap", "fixed1", "fixed2", "percall").contains(p[1])) {
                throw new IllegalArgumentException("configuration '" + s + "': expected THREADS:BLAS with BLAS adaptive, fixed1 or fixed2");
            }
            return new Config(Integer.parseInt(p[0]), p[1]);
        }

        void apply(OpenBlas blas, int ceiling) {
            blas.experimentPerCallLocal(false);
            blas.experimentDistinct(!blas().equals("overlap"));
            switch (blas()) {
                case "adaptive", "overlap" -> { blas.setThreadCount(ceiling); blas.setAdaptiveThreads(true); }
                case "fixed1" -> { blas.setAdaptiveThreads(false); blas.setThreadCount(1); }
                case "fixed2" -> { blas.setAdaptiveThreads(false); blas.setThreadCount(2); }
                case "percall" -> { blas.setAdaptiveThreads(false); blas.setThreadCount(ceiling); blas.experimentPerCallLocal(true); }
                default -> throw new IllegalStateException(blas());
            }
        }

        @Override
        public String toString() { return threads + ":" + blas; }
    }

    public static void main(String[] args) throws IOException {
        int batch = 1, rounds = 5;
        double seconds = 2;
        boolean json = false;
        List<Config> configs = new ArrayList<>(List.of(new Config(1, "fixed1"), new Config(8, "adaptive")));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--configs" -> configs = Arrays.stream(args[++i].split(",")).map(Config::parse).toList();
                case "--json" -> json = true;
                default -> {
                    System.err.println("bench serve: unknown argument '" + args[i] + "' (--batch N, --rounds N, --seconds S, --configs 1:fixed1,8:adaptive, --json)");
                    System.exit(2);
                }
            }
        }
        OpenBlas blas = OpenBlas.get();
        int ceiling = blas.threadCount(), cores = Runtime.getRuntime().availableProcessors();
        Sequential model = ServeExample.model(0);
        BufferPool pool = new BufferPool("requests");
        Server server = new Server(model, ServeExample.IN, pool);
        float[][] requests = ServeExample.requests(1, 64, batch);
        float[][] expected = ServeExample.answers(server, requests);
        System.out.printf(Locale.ROOT, "serve: 784-512-10 MLP, %d row%s per request, %d cores, %s%n", batch, batch == 1 ? "" : "s", cores,
                ServeExample.blasLine());
        System.out.printf(Locale.ROOT, "configurations %s, %d rounds of %.1f s each, after one warm-up round; machine load %.2f%n",
                configs, rounds, seconds, java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        long nanos = (long) (seconds * 1e9);
        for (Config c : configs) {   // warm-up: compile the request path under every configuration
            c.apply(blas, ceiling);
            check(c, ServeExample.drive(server, requests, expected, c.threads(), Long.MAX_VALUE, nanos / 2), pool);
        }
        Map<Config, double[]> rates = new LinkedHashMap<>();
        Map<Config, double[]> cpus = new LinkedHashMap<>();
        for (Config c : configs) rates.put(c, new double[rounds]);
        for (Config c : configs) cpus.put(c, new double[rounds]);
        for (int r = 0; r < rounds; r++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %d:", r + 1));
            for (int k = 0; k < configs.size(); k++) {
                Config c = configs.get((k + r) % configs.size());   // each round starts one further, so no configuration always runs first
                c.apply(blas, ceiling);
                blas.experimentWideCalls();
                long cpu0 = processCpuNanos();
                var load = ServeExample.drive(server, requests, expected, c.threads(), Long.MAX_VALUE, nanos);
                long cpu = processCpuNanos() - cpu0;
                check(c, load, pool);
                rates.get(c)[r] = load.perSecond();
                cpus.get(c)[r] = cpu / 1e3 / load.requests();
                line.append(String.format(Locale.ROOT, "  %s %,.0f/s %.0fus wide=%d", c, load.perSecond(), cpu / 1e3 / load.requests(), blas.experimentWideCalls()));
            }
            System.out.println(line);
        }
        Config ref = new Config(1, "fixed1"), served = new Config(8, "adaptive");
        blas.setThreadCount(ceiling);
        blas.setAdaptiveThreads(true);
        blas.experimentPerCallLocal(false);
        System.out.printf(Locale.ROOT, "%n%-14s %12s %12s %12s %16s%n", "configuration", "median /s", "min /s", "max /s", "CPU us/request");
        for (var e : rates.entrySet()) {
            double[] v = e.getValue(), cpu = cpus.get(e.getKey());
            System.out.printf(Locale.ROOT, "%-14s %,12.0f %,12.0f %,12.0f %8.0f (%.0f-%.0f)%n", e.getKey(), median(v), min(v), max(v), median(cpu), min(cpu), max(cpu));
        }
        if (rates.containsKey(ref) && rates.containsKey(served)) {
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) ratio[r] = rates.get(served)[r] / (rates.get(ref)[r] * cores);
            System.out.printf(Locale.ROOT, "%nserve_8_threads: %,.0f requests/s against one thread x %d cores = %,.0f: ratio %.3f (rounds %.3f-%.3f, %d rounds)%n",
                    median(rates.get(served)), cores, median(rates.get(ref)) * cores, median(ratio), min(ratio), max(ratio), rounds);
            JsonObject row = new JsonObject();
            row.addProperty("work", "serve_8_threads");
            row.addProperty("unit", "requests/s");
            row.addProperty("panagrad", median(rates.get(served)));
            row.addProperty("reference", median(rates.get(ref)) * cores);
            row.addProperty("reference_is", "1 thread (1 OpenBLAS thread) x " + cores + " cores");
            row.addProperty("ratio", median(ratio));
            row.addProperty("ratio_min", min(ratio));
            row.addProperty("ratio_max", max(ratio));
            row.addProperty("rounds", rounds);
            row.addProperty("batch", batch);
            JsonArray rows = new JsonArray();
            rows.add(row);
            Path out = Path.of("bench/results/serve.json");
            Files.createDirectories(out.getParent());
            Files.writeString(out, new GsonBuilder().setPrettyPrinting().create().toJson(rows) + "\n");
            System.out.println("written to " + out);
            if (json) System.out.println(row);
        }
    }

    /** CPU time of the whole process (every thread, OpenBLAS's included), ns. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void check(Config c, ServeExample.Load load, BufferPool pool) {
        if (load.mismatches() != 0) throw new IllegalStateException(c + ": " + load.mismatches() + " answers differ from the one-thread answers, by up to " + load.maxDiff());
        if (load.inexact() != 0) System.out.printf(Locale.ROOT, "  (%s: %d of %d answers within %.1e of the one-thread answers, not bit for bit)%n", c, load.inexact(), load.requests(), load.maxDiff());
        if (pool.stats().bytesInUse() != 0) throw new IllegalStateException(c + ": " + pool.stats() + " still leased after the requests");
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    static double min(double[] v) { return Arrays.stream(v).min().orElse(Double.NaN); }

    static double max(double[] v) { return Arrays.stream(v).max().orElse(Double.NaN); }
}
