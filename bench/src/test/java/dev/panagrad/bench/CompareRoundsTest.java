package dev.panagrad.bench;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.panagrad.bench.CompareRounds.Measured;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rounds of {@code bench compare}: turn order, the median and range of the ratios, the JSON rows, the peer's round answers. */
class CompareRoundsTest {
    static Measured m(double v, String setting) { return new Measured(v, setting); }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(3.0, CompareRounds.median(List.of(5.0, 1.0, 3.0)));
        assertEquals(2.5, CompareRounds.median(List.of(4.0, 1.0, 2.0, 3.0)));
        assertEquals(7.0, CompareRounds.median(List.of(7.0)));
        assertThrows(IllegalArgumentException.class, () -> CompareRounds.median(List.of()));
    }

    @Test
    void theRatioIsTheMedianOfTheRoundsRatiosWithItsRange() {
        // round ratios 14/16 = 0.875, 30/15 = 2.0, 15/18 = 0.8333: a slow round of one side moves the range, not the median
        var ours = List.of(m(14, "OpenBLAS 2 thread(s)"), m(30, "OpenBLAS 1 thread(s)"), m(15, "OpenBLAS 2 thread(s)"));
        var theirs = List.of(m(16, "torch 1 thread(s), OpenBLAS 2"), m(15, "torch 1 thread(s), OpenBLAS 2"), m(18, "torch 1 thread(s), OpenBLAS 2"));
        var s = CompareRounds.summarize("mlp_step_b256", "ms", ours, theirs);
        assertEquals(new CompareRounds.Summary("mlp_step_b256", "ms", 15.0, 16.0, 0.875, 0.833, 2.0, 3,
                "OpenBLAS 2 thread(s) (2 of 3 rounds)", "torch 1 thread(s), OpenBLAS 2"), s);
    }

    @Test
    void withoutAPeerOnlyPanagradsMedian() {
        var s = CompareRounds.summarize("tiny_op_chain", "us_per_op", List.of(m(0.5, "a"), m(0.4, "a")), List.of());
        assertEquals(new CompareRounds.Summary("tiny_op_chain", "us_per_op", 0.45, null, null, null, null, 2, "a", ""), s);
        var e = assertThrows(IllegalArgumentException.class,
                () -> CompareRounds.summarize("w", "ms", List.of(m(1, "a"), m(1, "a")), List.of(m(1, "b"))));
        assertEquals("work w: 2 rounds of Panagrad, 1 of PyTorch", e.getMessage());
    }

    @Test
    void jsonRowKeepsTheMedianAsRatioAndAddsTheRange() {
        var s = new CompareRounds.Summary("mlp_step_b1024", "ms", 52.3, 57.05, 0.917, 0.84, 0.99, 5, "OpenBLAS 2 thread(s)",
                "torch 1 thread(s), OpenBLAS 2");
        Map<String, Object> common = new LinkedHashMap<>();
        common.put("panagrad_blas_core", "Cooperlake");
        common.put("pytorch_blas_core", "Cooperlake");
        common.put("same_core", true);
        common.put("pytorch_auto_core", "Prescott");
        common.put("openblas_coretype", "Cooperlake");
        String json = new GsonBuilder().serializeNulls().create().toJson(CompareRounds.jsonRow(s, common));
        assertEquals("{\"work\":\"mlp_step_b1024\",\"unit\":\"ms\",\"panagrad\":52.3,\"pytorch\":57.05,\"ratio\":0.917,\"ratio_min\":0.84,"
                + "\"ratio_max\":0.99,\"rounds\":5,\"panagrad_setting\":\"OpenBLAS 2 thread(s)\",\"pytorch_setting\":\"torch 1 thread(s), OpenBLAS 2\","
                + "\"panagrad_blas_core\":\"Cooperlake\",\"pytorch_blas_core\":\"Cooperlake\",\"same_core\":true,\"pytorch_auto_core\":\"Prescott\","
                + "\"openblas_coretype\":\"Cooperlake\"}", json);
        var none = new CompareRounds.Summary("tiny_op_chain", "us_per_op", 0.43, null, null, null, null, 5, "OpenBLAS 2 thread(s)", "");
        assertTrue(new GsonBuilder().serializeNulls().create().toJson(CompareRounds.jsonRow(none, Map.of()))
                .contains("\"pytorch\":null,\"ratio\":null,\"ratio_min\":null,\"ratio_max\":null,\"rounds\":5"));
    }

    @Test
    void bestOfTakesEachWorksFastestSetting() throws IOException {
        // the peer's answer to a round of two works at its two settings (recorded on this machine)
        JsonObject reply = JsonParser.parseString("{\"results\": [{\"setting\": \"torch 1 thread(s), OpenBLAS 2\", \"values\": "
                + "{\"mlp_step_b256\": 29.673040000034234, \"tiny_op_chain\": 9.684827499995663}}, {\"setting\": \"torch 2 thread(s), OpenBLAS 1\", "
                + "\"values\": {\"mlp_step_b256\": 776.931814999898, \"tiny_op_chain\": 6.808482499991442}}]}").getAsJsonObject();
        var best = CompareRounds.bestOf(reply);
        assertEquals(List.of("mlp_step_b256", "tiny_op_chain"), new ArrayList<>(best.keySet()));
        assertEquals(m(29.673040000034234, "torch 1 thread(s), OpenBLAS 2"), best.get("mlp_step_b256"));
        assertEquals(m(6.808482499991442, "torch 2 thread(s), OpenBLAS 1"), best.get("tiny_op_chain"));
    }

    @Test
    void bestOfRejectsAnswersWithoutNumbers() {
        assertEquals("a round's reply has no \"results\" list: {\"warmed\":true}",
                assertThrows(IOException.class, () -> CompareRounds.bestOf(obj("{\"warmed\": true}"))).getMessage());
        assertEquals("a round's result needs \"setting\" and \"values\": {\"values\":{\"w\":1}}",
                assertThrows(IOException.class, () -> CompareRounds.bestOf(obj("{\"results\": [{\"values\": {\"w\": 1}}]}"))).getMessage());
        assertEquals("work w has no number in {\"setting\":\"s\",\"values\":{\"w\":\"fast\"}}",
                assertThrows(IOException.class, () -> CompareRounds.bestOf(obj("{\"results\": [{\"setting\": \"s\", \"values\": {\"w\": \"fast\"}}]}"))).getMessage());
        assertEquals("work w took 0.0 in {\"setting\":\"s\",\"values\":{\"w\":0}}",
                assertThrows(IOException.class, () -> CompareRounds.bestOf(obj("{\"results\": [{\"setting\": \"s\", \"values\": {\"w\": 0}}]}"))).getMessage());
    }

    static JsonObject obj(String json) { return JsonParser.parseString(json).getAsJsonObject(); }

    /** A side that logs its turns and answers from a list. */
    record FakeSide(String name, List<String> log, double value) implements CompareRounds.Side {
        @Override
        public Measured measure(JsonObject work) {
            log.add(name + ":" + work.get("work").getAsString());
            return m(value, name + " setting");
        }
    }

    @Test
    void theSidesTakeTurnsWorkByWorkSwappingWhoGoesFirstEachRound() throws IOException {
        List<String> log = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        var plan = CompareBench.plan(true);
        assertEquals(11, plan.size());
        var sides = List.of(new FakeSide("A", log, 2.0), new FakeSide("B", log, 4.0));
        var out = CompareRounds.alternate(sides, plan, 3, () -> log.add("pause"),
                (r, sofar) -> lines.add(CompareRounds.roundLine(r, 3, sofar)));
        List<String> expected = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            for (String w : List.of("mlp_step_b256", "mlp_step_b1024", "mlp_step_b4096", "mlp_step_b256_bf16", "mlp_step_b1024_bf16",
                    "mlp_step_b4096_bf16", "tiny_op_chain", "gpt_step_b32", "attention_fwd_bwd", "cnn_step_b256", "conv2d_fwd_bwd")) {
                for (String s : r % 2 == 0 ? List.of("A", "B") : List.of("B", "A")) expected.addAll(List.of("pause", s + ":" + w));
            }
        }
        assertEquals(expected, log);
        assertEquals(2, out.size());
        assertEquals(3, out.get(0).size());
        assertEquals(m(4.0, "B setting"), out.get(1).get(2).get("tiny_op_chain"));
        assertEquals("round 2/3, ratios: mlp_step_b256 0.500 mlp_step_b1024 0.500 mlp_step_b4096 0.500 mlp_step_b256_bf16 0.500"
                + " mlp_step_b1024_bf16 0.500 mlp_step_b4096_bf16 0.500 tiny_op_chain 0.500 gpt_step_b32 0.500 attention_fwd_bwd 0.500"
                + " cnn_step_b256 0.500 conv2d_fwd_bwd 0.500", lines.get(1));
    }
}
