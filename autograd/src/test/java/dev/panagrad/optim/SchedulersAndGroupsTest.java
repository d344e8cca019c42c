package dev.panagrad.optim;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The LR schedulers against PyTorch 1.13's recorded sequences ({@code golden/lr-schedules.json}, from
 * {@code record_schedules.py}: get_last_lr() after construction and after every step), parameter groups
 * (AdamW over two groups against PyTorch), the builders and the schedulers' state dicts.
 */
class SchedulersAndGroupsTest {
    static final JsonObject GOLDEN = read();

    static JsonObject read() {
        try (var in = SchedulersAndGroupsTest.class.getResourceAsStream("/golden/lr-schedules.json")) {
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Optimizer sgdOverGroups(JsonArray initial) {
        List<ParamGroup> groups = new ArrayList<>();
        for (var lr : initial) groups.add(ParamGroup.of(List.of(Tensor.zeros(1).requiresGrad(true))).lr(lr.getAsDouble()));
        return SGD.builderOfGroups(groups).lr(initial.get(0).getAsDouble()).build();
    }

    static void matchesPyTorch(String name, Function<Optimizer, LRScheduler> make) {
        JsonObject c = GOLDEN.getAsJsonObject("cases").getAsJsonObject(name);
        Optimizer opt = sgdOverGroups(c.getAsJsonArray("initial"));
        LRScheduler s = make.apply(opt);
        JsonArray lrs = c.getAsJsonArray("lrs");
        for (int k = 0; k < lrs.size(); k++) {
            if (k > 0) {
                opt.step();
                s.step();
            }
            JsonArray want = lrs.get(k).getAsJsonArray();
            for (int g = 0; g < want.size(); g++) {
                double w = want.get(g).getAsDouble();
                assertEquals(w, s.lastLr().get(g), 1e-15 + 1e-12 * Math.abs(w), name + ": lr of group " + g + " after " + k + " steps");
            }
        }
    }

    @Test
    void stepLR() { matchesPyTorch("step_lr", o -> new StepLR(o, 3, 0.5)); }

    @Test
    void cosineAnnealingLRPastTMax() { matchesPyTorch("cosine_annealing_lr", o -> new CosineAnnealingLR(o, 5, 0.01)); }

    @Test
    void linearWarmUp() { matchesPyTorch("linear_lr_warmup", o -> new LinearLR(o, 0.25, 1.0, 4)); }

    @Test
    void warmUpThenCosineAsSequentialLR() {
        matchesPyTorch("warmup_then_cosine", o -> new SequentialLR(o, List.of(new LinearLR(o, 0.1, 1.0, 3), new CosineAnnealingLR(o, 7, 1e-4)), List.of(3)));
    }

    @Test
    void oneCycleCosine() { matchesPyTorch("one_cycle_cos", o -> new OneCycleLR(o, 0.1, 10)); }

    @Test
    void oneCycleLinearThreePhase() { matchesPyTorch("one_cycle_linear_three_phase", o -> new OneCycleLR(o, 0.2, 12, 0.25, false, 10, 100, true)); }

    @Test
    void oneCycleRefusesAStepPastItsTotal() {
        OneCycleLR s = new OneCycleLR(sgdOverGroups(GOLDEN.getAsJsonObject("cases").getAsJsonObject("one_cycle_cos").getAsJsonArray("initial")), 0.1, 2);
        s.step();
        s.step();
        var e = assertThrows(IllegalStateException.class, s::step);
        assertEquals("Tried to step 3 times. The specified number of total steps is 2", e.getMessage());
    }

    @Test
    void aSchedulersStateDictResumesTheSequence() {
        Optimizer a = sgdOverGroups(GOLDEN.getAsJsonObject("cases").getAsJsonObject("step_lr").getAsJsonArray("initial"));
        StepLR s = new StepLR(a, 3, 0.5);
        for (int i = 0; i < 4; i++) s.step();
        Map<String, Double> state = new LinkedHashMap<>(s.stateDict());
        assertEquals(Map.of("last_epoch", 4.0, "base_lrs.0", 0.1, "base_lrs.1", 0.01), state);
        Optimizer b = sgdOverGroups(GOLDEN.getAsJsonObject("cases").getAsJsonObject("step_lr").getAsJsonArray("initial"));
        StepLR t = new StepLR(b, 3, 0.5);
        t.loadStateDict(state);
        assertEquals(s.lastLr(), t.lastLr());
        s.step();
        t.step();
        assertEquals(s.lastLr(), t.lastLr());
        var e = assertThrows(IllegalArgumentException.class, () -> t.loadStateDict(Map.of("last_epoch", 1.0)));
        assertTrue(e.getMessage().contains("expected last_epoch and base_lrs.0 .. base_lrs.1"), e.getMessage());
    }

    @Test
    void adamWOverTwoGroupsMatchesPyTorch() {
        // torch.optim.AdamW([{"params": [w], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0, "lr": 0.05}], lr=0.01), 3 steps
        Tensor w = Tensor.fromArray(DType.F32, new double[] {0.5, -1.0, 2.0, 0.25}, 2, 2).requiresGrad(true);
        Tensor b = Tensor.of(0.1, -0.2).requiresGrad(true);
        Adam opt = AdamW.builderOfGroups(List.of(ParamGroup.of(List.of(w)).weightDecay(0.1), ParamGroup.of(List.of(b)).weightDecay(0).lr(0.05))).lr(0.01).build();
        assertInstanceOf(AdamW.class, opt);
        for (int k = 1; k <= 3; k++) {
            w.setGrad(Tensor.fromArray(DType.F32, new double[] {0.3 * k, -0.2 * k, 0.1 * k, 0.4 * k}, 2, 2));
            b.setGrad(Tensor.of(-0.5 * k, 0.25 * k));
            opt.step();
        }
        JsonObject want = GOLDEN.getAsJsonObject("adamw_groups");
        double[] gw = w.toDoubleArray(), gb = b.toDoubleArray();
        for (int i = 0; i < 4; i++) assertEquals(want.getAsJsonArray("w").get(i).getAsDouble(), gw[i], 1e-6, "w[" + i + "]");
        for (int i = 0; i < 2; i++) assertEquals(want.getAsJsonArray("b").get(i).getAsDouble(), gb[i], 1e-6, "b[" + i + "]");
    }

    @Test
    void decayAndNoDecaySplitsMatricesFromVectors() {
        Map<String, Tensor> named = new LinkedHashMap<>();
        named.put("fc.weight", Tensor.zeros(3, 2).requiresGrad(true));
        named.put("fc.bias", Tensor.zeros(3).requiresGrad(true));
        named.put("ln.weight", Tensor.zeros(2).requiresGrad(true));
        List<ParamGroup> g = ParamGroup.decayAndNoDecay(named, 0.1);
        assertEquals(2, g.size());
        assertEquals(List.of(named.get("fc.weight")), g.get(0).params());
        assertEquals(0.1, g.get(0).weightDecay());
        assertEquals(List.of(named.get("fc.bias"), named.get("ln.weight")), g.get(1).params());
        assertEquals(0.0, g.get(1).weightDecay());
    }

    @Test
    void theBuilderGivesWhatThePositionalConstructorGives() {
        Tensor p1 = Tensor.of(1, 2, 3).requiresGrad(true), p2 = Tensor.of(1, 2, 3).requiresGrad(true);
        SGD a = new SGD(List.of(p1), 0.05, 0.9, 0, 1e-3, true), b = SGD.builder(List.of(p2)).lr(0.05).momentum(0.9).weightDecay(1e-3).nesterov(true).build();
        for (int k = 0; k < 3; k++) {
            p1.setGrad(Tensor.of(0.5, -1, 2));
            p2.setGrad(Tensor.of(0.5, -1, 2));
            a.step();
            b.step();
        }
        assertArrayEquals(p1.toDoubleArray(), p2.toDoubleArray());
        b.setLr(0.5);
        assertEquals(0.5, b.lr());
        assertEquals(0.5, b.paramGroups().get(0).lr());
        assertThrows(IllegalArgumentException.class, () -> SGD.builder(List.of(p1)).build(), "the learning rate is required");
        var e = assertThrows(IllegalArgumentException.class, () -> SGD.builderOfGroups(List.of(ParamGroup.of(List.of(p1)), ParamGroup.of(List.of(p1)))).lr(0.1).build());
        assertEquals("some parameters appear in more than one parameter group", e.getMessage());
    }
}
