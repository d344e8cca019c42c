package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.panagrad.autograd.SavedTensorHooks;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.Functional;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link SavedTensorHooks} against PyTorch 1.13's {@code saved_tensors_hooks} (recorded by
 * {@code record_golden.py}, {@code saved_tensor_hook_cases()}), and the built-in bfloat16 packing.
 */
class SavedTensorHooksTest {
    static final JsonObject RECORD = FuzzReplayTest.FUZZ.getAsJsonObject("saved_tensor_hooks");

    private final List<Object[]> log = new ArrayList<>();

    private static double[] doubles(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).getAsDouble();
        return d;
    }

    private SavedTensorHooks logging() {
        return SavedTensorHooks.with(t -> {
            log.add(new Object[] {"pack", t.toDoubleArray()});
            return t.mul(1);
        }, p -> {
            Tensor t = (Tensor) p;
            log.add(new Object[] {"unpack", t.toDoubleArray()});
            return t.mul(2);
        });
    }

    /** The calls of one kind, in order; the unpacks as a sorted list (a formula reads its saved values in its own order). */
    private static List<double[]> calls(List<Object[]> entries, String kind, boolean sorted) {
        List<double[]> out = new ArrayList<>();
        for (Object[] e : entries) if (e[0].equals(kind)) out.add((double[]) e[1]);
        if (sorted) out.sort(Comparator.comparingDouble(d -> d[0]));
        return out;
    }

    private static List<Object[]> recorded(JsonArray log) {
        List<Object[]> out = new ArrayList<>();
        for (JsonElement e : log) out.add(new Object[] {e.getAsJsonArray().get(0).getAsString(), doubles(e.getAsJsonArray().get(1))});
        return out;
    }

    private static void assertCalls(List<double[]> want, List<double[]> got, String what) {
        assertEquals(want.size(), got.size(), what + " calls");
        for (int i = 0; i < want.size(); i++) assertArrayEquals(want.get(i), got.get(i), 1e-3 * Math.abs(want.get(i)[0]) + 1e-6, what + " " + i);
    }

    @Test
    void packAtSaveUnpackInBackwardAsPyTorch() {
        // x = torch.tensor([1., 2.], requires_grad=True); w = torch.tensor([3., 4.], requires_grad=True)
        // with saved_tensors_hooks(pack, unpack): y = x * w; z = y.exp()     (pack: t * 1, unpack: p * 2)
        // (z * 1).sum().backward()
        JsonObject c = RECORD.getAsJsonObject("pack_unpack");
        Tensor x = Tensor.of(1, 2).requiresGrad(true), w = Tensor.of(3, 4).requiresGrad(true);
        Tensor z;
        try (var hooks = logging()) {
            z = x.mul(w).exp();
        }
        z.mul(1).sum().backward();
        List<Object[]> want = recorded(c.getAsJsonArray("log"));
        assertCalls(calls(want, "pack", false), calls(log, "pack", false), "pack (in order)");
        assertCalls(calls(want, "unpack", true), calls(log, "unpack", true), "unpack");
        assertArrayEquals(doubles(c.get("x_grad")), x.grad().toDoubleArray(), 0.05);   // float32 values near 5e4
        assertArrayEquals(doubles(c.get("w_grad")), w.grad().toDoubleArray(), 0.05);
    }

    @Test
    void aPackedCopyIsNotVersionCheckedAsInPyTorch() {
        // with saved_tensors_hooks(pack, unpack): y = x.sigmoid()   then y.mul_(2); y.sum().backward(): no error
        JsonObject c = RECORD.getAsJsonObject("inplace_after_pack");
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        Tensor y;
        try (var hooks = logging()) {
            y = x.sigmoid();
        }
        y.mulInPlace(2);
        y.sum().backward();
        assertArrayEquals(doubles(c.get("x_grad")), x.grad().toDoubleArray(), 1e-6);
    }

    @Test
    void scopesNestAndOnlyTheInnermostPacks() {
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        List<String> seen = new ArrayList<>();
        try (var outer = SavedTensorHooks.with(t -> { seen.add("outer"); return t; }, p -> (Tensor) p)) {
            try (var inner = SavedTensorHooks.with(t -> { seen.add("inner"); return t; }, p -> (Tensor) p)) {
                x.mul(x);
            }
            x.exp();
        }
        x.sin();   // outside: no hook
        assertEquals(List.of("inner", "inner", "outer"), seen);   // PyTorch: x * x packs x twice with the inner pair
    }

    @Test
    void bfloat16ActivationsGiveTheGradientsPyTorchGivesWithBfloat16Packing() {
        JsonObject c = RECORD.getAsJsonObject("bfloat16_mlp");
        JsonObject in = c.getAsJsonObject("inputs");
        Tensor x = GoldenData.tensor(in.getAsJsonObject("x")).to(DType.F32);
        Tensor w1 = GoldenData.tensor(in.getAsJsonObject("w1")).to(DType.F32).requiresGrad(true), b1 = GoldenData.tensor(in.getAsJsonObject("b1")).to(DType.F32).requiresGrad(true);
        Tensor w2 = GoldenData.tensor(in.getAsJsonObject("w2")).to(DType.F32).requiresGrad(true), b2 = GoldenData.tensor(in.getAsJsonObject("b2")).to(DType.F32).requiresGrad(true);
        JsonArray ts = c.getAsJsonArray("target");
        long[] target = new long[ts.size()];
        for (int i = 0; i < target.length; i++) target[i] = ts.get(i).getAsLong();
        Tensor loss;
        try (var compact = SavedTensorHooks.bfloat16Activations()) {
            loss = Functional.crossEntropy(Tensor.linear(Tensor.linear(x, w1, b1, true), w2, b2, false), Tensor.fromArray(target, target.length));
        }
        loss.backward();
        assertEquals(c.get("loss").getAsDouble(), loss.item(), 1e-5);
        JsonObject g = c.getAsJsonObject("grads");
        String[] names = {"w1", "b1", "w2", "b2"};
        Tensor[] got = {w1.grad(), b1.grad(), w2.grad(), b2.grad()};
        for (int i = 0; i < names.length; i++) {
            double[] want = GoldenData.expected(g.getAsJsonObject(names[i])).doubles(), have = got[i].toDoubleArray();
            for (int j = 0; j < want.length; j++) assertEquals(want[j], have[j], 2e-6 + 1e-4 * Math.abs(want[j]), names[i] + "[" + j + "]");
        }
        // and the packing did change something: w1's gradient moved off the one without hooks by more than float32 noise
        double[] plain = GoldenData.expected(c.getAsJsonObject("w1_grad_without_hooks")).doubles(), packed = w1.grad().toDoubleArray();
        double moved = 0;
        for (int j = 0; j < plain.length; j++) moved = Math.max(moved, Math.abs(plain[j] - packed[j]));
        assertTrue(moved > 1e-6, "bfloat16 packing changed w1's gradient by " + moved);
    }

    /** Bytes in use (over the start) after the forward and after backward, with or without bfloat16 packing. */
    private static long[] sinOfAnActivation(boolean packed) {
        BufferPool pool = new BufferPool("bf16 " + packed);
        try (var scope = MemoryScope.open("bf16", pool)) {
            Tensor x = new Generator(1).rand(DType.F32, 256, 64).requiresGrad(true);
            long start = pool.stats().bytesInUse();
            Tensor y;
            try (var compact = packed ? SavedTensorHooks.bfloat16Activations() : null) {
                Tensor h = x.mul(2);      // saves nothing
                y = h.sin();              // saves h
                h.dropWhenUnused();       // no one else reads h: its bytes go back once no save holds them
            }
            long forward = pool.stats().bytesInUse() - start;
            y.sum().backward();
            return new long[] {forward, pool.stats().bytesInUse() - start};
        }
    }

    @Test
    void bfloat16PackingHoldsHalfTheBytesAndGivesThemBack() {
        long[] plain = sinOfAnActivation(false), packed = sinOfAnActivation(true);
        long f32 = 256 * 64 * 4, bf16 = 256 * 64 * 2;
        assertEquals(plain[0] - f32 + bf16, packed[0], "after the forward: h's float32 bytes went back, its bfloat16 copy is held");
        assertEquals(plain[1], packed[1], "after backward: the packed copy went back too");
    }
}
