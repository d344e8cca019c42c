package dev.panagrad.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.panagrad.blas.OpenBlas;
import dev.panagrad.examples.serve.ServeExample;
import dev.panagrad.examples.serve.Server;
import dev.panagrad.memory.BufferPool;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
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
 * cores. One thread with one OpenBLAS thread is what one core serves, so that times the cores is
 * perfect scaling, and the row's ratio is the share of it reached. The configurations alternate in
 * rounds in one warmed JVM (each round starts one configuration further); the row gives the median
 * of the rounds' ratios and their range, and {@code bench/results/serve.json} holds it.
 *
 * <p>A configuration is {@code THREADS:BLAS}: Java threads, and OpenBLAS's setting: {@code adaptive}
 * (the default policy: its own thread count for a lone caller, one per product while several Java
 * threads compute), {@code fixed} (its own count for every product, as OpenBLAS alone does) or
 * {@code one} (one thread for every product). Beside requests/s it prints the process's CPU time
 * per request, which the other programs on a shared machine move less, and the cores that makes
 * (requests/s × CPU per request): what the process got of the machine.
 */
public final class ServeBench {
    private ServeBench() {}

    static final String USAGE = "usage: ./panagrad bench serve [--default-env] [--batch ROWS] [--rounds N] [--seconds S] [--configs 1:one,8:adaptive,...] [--json]";

    record Config(int threads, String blas) {
        static Config parse(String s) {
            String[] p = s.trim().split(":");
            if (p.length != 2 || !p[0].matches("[1-9][0-9]{0,3}") || !List.of("adaptive", "fixed", "one").contains(p[1])) {
                throw new IllegalArgumentException("configuration '" + s + "': expected THREADS:BLAS, BLAS one of adaptive, fixed, one (e.g. 8:adaptive)");
            }
            return new Config(Integer.parseInt(p[0]), p[1]);
        }

        void apply(OpenBlas blas, int ownCount) {
            blas.setThreadCount(blas().equals("one") ? 1 : ownCount);
            blas.setAdaptiveThreads(blas().equals("adaptive"));
        }

        @Override
        public String toString() { return threads + ":" + blas; }
    }

    public static void main(String[] args) throws IOException {
        int batch = 64, rounds = 5;
        double seconds = 2;
        boolean json = false;
        List<Config> configs = List.of(new Config(1, "one"), new Config(8, "adaptive"));
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (!a.equals("--json") && i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                switch (a) {
                    case "--batch" -> batch = (int) number(a, args[++i]);
                    case "--rounds" -> rounds = (int) number(a, args[++i]);
                    case "--seconds" -> seconds = number(a, args[++i]);
                    case "--configs" -> configs = Arrays.stream(args[++i].split(",")).map(Config::parse).distinct().toList();
                    case "--json" -> json = true;
                    default -> throw new IllegalArgumentException("unknown argument '" + a + "'");
                }
            }
            if (batch < 1 || batch > 65536 || rounds < 1 || !(seconds > 0)) {
                throw new IllegalArgumentException("--batch must be 1 to 65536, --rounds and --seconds positive");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("bench serve: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
        }
        JsonObject row = run(batch, rounds, seconds, configs, System.out);
        if (row == null) return;
        JsonArray rows = new JsonArray();
        rows.add(row);
        Path out = Path.of("bench/results/serve.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, new GsonBuilder().setPrettyPrinting().create().toJson(rows) + "\n");
        System.out.println("written to " + out);
        if (json) System.out.println(row);
    }

    /**
     * The {@code serve_8_threads} row (work, unit, panagrad, reference, reference_is, ratio, ratio_min,
     * ratio_max, rounds, batch): 1:one against 8:adaptive in alternating rounds, the table printed to {@code out}.
     */
    public static JsonObject serve8Row(int batch, int rounds, double seconds, PrintStream out) {
        return run(batch, rounds, seconds, List.of(new Config(1, "one"), new Config(8, "adaptive")), out);
    }

    /** Runs the configurations in alternating rounds, prints the table; the serve_8_threads row if both of its configurations ran, else null. */
    static JsonObject run(int batch, int rounds, double seconds, List<Config> configs, PrintStream out) {
        OpenBlas blas = OpenBlas.get();
        boolean wasAdaptive = blas.adaptiveThreads();
        int ownCount = blas.threadCount(), cores = Runtime.getRuntime().availableProcessors();
        BufferPool pool = new BufferPool("requests");
        Server server = new Server(ServeExample.model(0), ServeExample.IN, pool);
        float[][] requests = ServeExample.requests(1, 64, batch);
        float[][] expected = ServeExample.answers(server, requests);
        out.printf(Locale.ROOT, "serve: 784-512-10 MLP, %d row%s per request, %d cores, %s%n", batch, batch == 1 ? "" : "s", cores,
                ServeExample.blasLine());
        out.printf(Locale.ROOT, "configurations %s, %d rounds of %.1f s each after a warm-up, alternating; load average before: %.2f%n",
                configs, rounds, seconds, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        long nanos = (long) (seconds * 1e9);
        for (Config c : configs) {   // warm-up: the request path compiled under every configuration
            c.apply(blas, ownCount);
            check(c, ServeExample.drive(server, requests, expected, c.threads(), Long.MAX_VALUE, nanos / 2), pool);
        }
        Map<Config, double[]> rates = new LinkedHashMap<>(), cpu = new LinkedHashMap<>();
        for (Config c : configs) {
            rates.put(c, new double[rounds]);
            cpu.put(c, new double[rounds]);
        }
        for (int r = 0; r < rounds; r++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %d:", r + 1));
            for (int k = 0; k < configs.size(); k++) {
                Config c = configs.get((k + r) % configs.size());
                c.apply(blas, ownCount);
                long cpu0 = processCpuNanos();
                var load = ServeExample.drive(server, requests, expected, c.threads(), Long.MAX_VALUE, nanos);
                long used = processCpuNanos() - cpu0;
                check(c, load, pool);
                rates.get(c)[r] = load.perSecond();
                cpu.get(c)[r] = used / 1e3 / load.requests();
                line.append(String.format(Locale.ROOT, "  %s %,.0f/s (%.0f us CPU)", c, load.perSecond(), cpu.get(c)[r]));
            }
            out.println(line);
        }
        blas.setThreadCount(ownCount);   // back to what this JVM had
        blas.setAdaptiveThreads(wasAdaptive);
        out.printf(Locale.ROOT, "load average after: %.2f%n%n%-14s %11s %11s %11s %22s %11s%n", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                "configuration", "median /s", "min /s", "max /s", "CPU us/request (range)", "cores used");
        for (Config c : configs) {
            double[] v = rates.get(c), u = cpu.get(c);
            out.printf(Locale.ROOT, "%-14s %,11.0f %,11.0f %,11.0f %10.0f (%.0f-%.0f) %11.2f%n", c, median(v), min(v), max(v), median(u), min(u), max(u),
                    median(v) * median(u) / 1e6);
        }
        Config one = new Config(1, "one"), served = new Config(8, "adaptive");
        if (!rates.containsKey(one) || !rates.containsKey(served)) {
            out.println("\n(no serve_8_threads row: it needs the configurations 1:one and 8:adaptive)");
            return null;
        }
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) ratio[r] = rates.get(served)[r] / (rates.get(one)[r] * cores);
        JsonObject row = new JsonObject();
        row.addProperty("work", "serve_8_threads");
        row.addProperty("unit", "requests/s");
        row.addProperty("panagrad", Math.round(median(rates.get(served))));
        row.addProperty("reference", Math.round(median(rates.get(one)) * cores));
        row.addProperty("reference_is", "1 thread (1 OpenBLAS thread) x " + cores + " cores");
        row.addProperty("ratio", round3(median(ratio)));
        row.addProperty("ratio_min", round3(min(ratio)));
        row.addProperty("ratio_max", round3(max(ratio)));
        row.addProperty("rounds", rounds);
        row.addProperty("batch", batch);
        out.printf(Locale.ROOT, "%nserve_8_threads: %,d requests/s against one thread x %d cores = %,d: ratio %.3f (rounds %.3f-%.3f, %d rounds)%n",
                row.get("panagrad").getAsLong(), cores, row.get("reference").getAsLong(), median(ratio), min(ratio), max(ratio), rounds);
        return row;
    }

    private static double number(String option, String value) {
        try {
            double v = Double.parseDouble(value);
            if (option.equals("--seconds") || v == Math.rint(v)) return v;
        } catch (NumberFormatException e) {
            // the message below says it
        }
        throw new IllegalArgumentException(option + " takes a " + (option.equals("--seconds") ? "number" : "whole number") + ", got '" + value + "'");
    }

    /** CPU time of the whole process (every thread, OpenBLAS's included), ns. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void check(Config c, ServeExample.Load load, BufferPool pool) {
        if (load.mismatches() != 0) {
            throw new IllegalStateException(c + ": " + load.mismatches() + " answers differ from the one-thread answers, by up to " + load.maxDiff());
        }
        if (pool.stats().bytesInUse() != 0) throw new IllegalStateException(c + ": " + pool.stats() + " still leased after the requests");
    }

    static double round3(double v) { return Math.round(v * 1000) / 1000.0; }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    static double min(double[] v) { return Arrays.stream(v).min().orElse(Double.NaN); }

    static double max(double[] v) { return Arrays.stream(v).max().orElse(Double.NaN); }
}
