package dev.panagrad.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * The rounds of {@code ./panagrad bench compare}: the sides take turns (A B, B A, …), each round gives
 * every work one value per side, and a work's result is the median over the rounds of the per-round
 * ratio, with its range. No process here: a {@link Side} is anything that measures a work.
 */
final class CompareRounds {
    private CompareRounds() {}

    /** One value of one work in one round, and the thread setting that gave it (the side's best of its settings). */
    record Measured(double value, String setting) {}

    /** A side of the comparison: measures one work (its best over its thread settings). */
    interface Side {
        String name();

        Measured measure(JsonObject work) throws IOException;
    }

    /**
     * Runs {@code rounds} rounds; in each, every work of {@code plan} is measured by each side in
     * turn, A B in odd rounds and B A in even ones (so neither side always follows the other), with
     * {@code between} called before every turn (a pause: the other side's BLAS threads stop
     * spinning). A work's two values in a round are taken seconds apart, so load that comes and goes
     * hits both. Returns, per side, per round, per work, what it measured.
     */
    static List<List<Map<String, Measured>>> alternate(List<? extends Side> sides, JsonArray plan, int rounds, Runnable between,
                                                       BiConsumer<Integer, List<List<Map<String, Measured>>>> progress) throws IOException {
        List<List<Map<String, Measured>>> out = new ArrayList<>();
        for (int s = 0; s < sides.size(); s++) out.add(new ArrayList<>());
        for (int r = 0; r < rounds; r++) {
            for (List<Map<String, Measured>> side : out) side.add(new LinkedHashMap<>());
            for (JsonElement w : plan) {
                String work = w.getAsJsonObject().get("work").getAsString();
                for (int k = 0; k < sides.size(); k++) {
                    int s = r % 2 == 0 ? k : sides.size() - 1 - k;
                    between.run();
                    out.get(s).get(r).put(work, sides.get(s).measure(w.getAsJsonObject()));
                }
            }
            progress.accept(r, out);
        }
        return out;
    }

    /** Round {@code r} (from 0) in a line: each work's ratio of the first side to the second (with one side: its value). */
    static String roundLine(int r, int rounds, List<List<Map<String, Measured>>> out) {
        StringBuilder sb = new StringBuilder("round " + (r + 1) + "/" + rounds + (out.size() > 1 ? ", ratios:" : ":"));
        for (var e : out.get(0).get(r).entrySet()) {
            double v = e.getValue().value();
            if (out.size() > 1) v /= out.get(1).get(r).get(e.getKey()).value();
            sb.append(String.format(Locale.ROOT, " %s %.3f", e.getKey(), v));
        }
        return sb.toString();
    }

    /**
     * A worker's answer to a round, {@code {"results": [{"setting": S, "values": {work: value, ...}}, ...]}}
     * (one entry per thread setting), reduced to each work's lowest value and its setting.
     */
    static Map<String, Measured> bestOf(JsonObject reply) throws IOException {
        JsonElement results = reply.get("results");
        if (results == null || !results.isJsonArray() || results.getAsJsonArray().isEmpty()) {
            throw new IOException("a round's reply has no \"results\" list: " + reply);
        }
        Map<String, Measured> best = new LinkedHashMap<>();
        for (JsonElement r : results.getAsJsonArray()) {
            JsonObject o = r.getAsJsonObject();
            if (!o.has("setting") || !o.has("values") || !o.get("values").isJsonObject()) {
                throw new IOException("a round's result needs \"setting\" and \"values\": " + o);
            }
            String setting = o.get("setting").getAsString();
            for (var e : o.getAsJsonObject("values").entrySet()) {
                if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isNumber()) {
                    throw new IOException("work " + e.getKey() + " has no number in " + o);
                }
                double v = e.getValue().getAsDouble();
                if (!(v > 0) || Double.isInfinite(v)) throw new IOException("work " + e.getKey() + " took " + v + " in " + o);
                Measured cur = best.get(e.getKey());
                if (cur == null || v < cur.value()) best.put(e.getKey(), new Measured(v, setting));
            }
        }
        return best;
    }

    /**
     * One work's line of the result: each side's median over the rounds, the median of the per-round
     * ratios (ours / theirs) with its minimum and maximum, and each side's most frequent best setting.
     * {@code theirs} empty: no peer, the PyTorch column and the ratios are null.
     */
    record Summary(String work, String unit, double panagrad, Double pytorch, Double ratio, Double ratioMin, Double ratioMax,
                   int rounds, String panagradSetting, String pytorchSetting) {}

    static Summary summarize(String work, String unit, List<Measured> ours, List<Measured> theirs) {
        if (ours.isEmpty()) throw new IllegalArgumentException("work " + work + ": no round measured");
        if (!theirs.isEmpty() && theirs.size() != ours.size()) {
            throw new IllegalArgumentException("work " + work + ": " + ours.size() + " rounds of Panagrad, " + theirs.size() + " of PyTorch");
        }
        double panagrad = median(ours.stream().map(Measured::value).toList());
        if (theirs.isEmpty()) {
            return new Summary(work, unit, round3(panagrad), null, null, null, null, ours.size(), usual(ours), "");
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < ours.size(); i++) ratios.add(ours.get(i).value() / theirs.get(i).value());
        double pytorch = median(theirs.stream().map(Measured::value).toList());
        return new Summary(work, unit, round3(panagrad), round3(pytorch), round3(median(ratios)), round3(Collections.min(ratios)),
                round3(Collections.max(ratios)), ours.size(), usual(ours), usual(theirs));
    }

    /** The middle value (the mean of the two middle ones for an even count). */
    static double median(List<Double> values) {
        if (values.isEmpty()) throw new IllegalArgumentException("the median of no values");
        List<Double> s = values.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** The setting that won most rounds, with its count when it did not win them all. */
    private static String usual(List<Measured> rounds) {
        Map<String, Long> count = rounds.stream().collect(Collectors.groupingBy(Measured::setting, LinkedHashMap::new, Collectors.counting()));
        var top = count.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        return top.getValue() == rounds.size() ? top.getKey() : top.getKey() + " (" + top.getValue() + " of " + rounds.size() + " rounds)";
    }

    static double round3(double v) { return Math.round(v * 1000) / 1000.0; }

    /**
     * A row of compare.json: work, unit, panagrad, pytorch, ratio (the median of the rounds' ratios),
     * ratio_min, ratio_max, rounds, the two settings, then {@code common} (cores, environment, CPU).
     */
    static Map<String, Object> jsonRow(Summary s, Map<String, Object> common) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("work", s.work());
        m.put("unit", s.unit());
        m.put("panagrad", s.panagrad());
        m.put("pytorch", s.pytorch());
        m.put("ratio", s.ratio());
        m.put("ratio_min", s.ratioMin());
        m.put("ratio_max", s.ratioMax());
        m.put("rounds", s.rounds());
        m.put("panagrad_setting", s.panagradSetting());
        m.put("pytorch_setting", s.pytorchSetting());
        m.putAll(common);
        return m;
    }
}
