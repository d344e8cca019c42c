package dev.panagrad.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.io.Checkpoint;
import dev.panagrad.io.SafeTensors;
import dev.panagrad.memory.DType;
import dev.panagrad.optim.Adam;
import dev.panagrad.optim.Optimizer;
import dev.panagrad.optim.SGD;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleAndCheckpointTest {
    @TempDir Path dir;

    private static Sequential mlp(int in, int hidden, int out, long seed) {
        Generator g = new Generator(seed);
        return new Sequential(new Linear(in, hidden, true, DType.F32, g), new ReLU(), new Linear(hidden, out, true, DType.F32, g));
    }

    @Test
    void sequentialNamesParametersAsPyTorch() {
        Sequential m = mlp(4, 5, 3, 1);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(m.namedParameters().keySet()));
        assertEquals(4 * 5 + 5 + 5 * 3 + 3, m.parameterCount());
        assertArrayEquals(new int[] {5, 4}, m.namedParameters().get("0.weight").shape());
        assertEquals("Sequential(\n  (0): Linear(in_features=4, out_features=5, bias=True)\n  (1): ReLU()\n"
                + "  (2): Linear(in_features=5, out_features=3, bias=True)\n)", m.toString());
        assertTrue(m.isTraining());
        m.eval();
        assertFalse(m.get(0).isTraining());
        // Linear's init bound is 1/sqrt(in)
        for (double w : m.namedParameters().get("0.weight").toDoubleArray()) assertTrue(Math.abs(w) <= 0.5, "weight " + w);
    }

    @Test
    void fusedLinearReluMatchesTheOpsItReplaces() {
        Sequential m = mlp(6, 5, 3, 4);
        Tensor x = new Generator(9).randn(DType.F32, 7, 6);
        Tensor out = m.forward(x);
        assertEquals("AddmmBackward0", out.gradFn().name());
        assertEquals("ReluBackward0", out.gradFn().nextFunctions().get(0).name());   // Linear + ReLU as one node
        out.pow(2).sum().backward();

        List<Tensor> p = m.parameters(), q = new java.util.ArrayList<>();
        for (Tensor t : p) q.add(t.detach().clone().requiresGrad(true));
        Tensor h = x.matmul(q.get(0).t()).add(q.get(1)).relu();
        Tensor ref = h.matmul(q.get(2).t()).add(q.get(3));
        ref.pow(2).sum().backward();
        assertArrayEquals(ref.toFloatArray(), out.toFloatArray(), 1e-5f);
        for (int i = 0; i < p.size(); i++) assertArrayEquals(q.get(i).grad().toFloatArray(), p.get(i).grad().toFloatArray(), 1e-4f, "grad " + i);
    }

    @Test
    void zeroGradKeepsBuffersAndToNoneDrops() {
        Sequential m = mlp(3, 4, 2, 2);
        m.forward(Tensor.ones(2, 3)).sum().backward();
        Tensor g = m.parameters().get(0).grad();
        assertNotEquals(0.0, g.abs().sum().item());
        m.zeroGrad();
        assertSame(g, m.parameters().get(0).grad());
        assertEquals(0.0, g.abs().sum().item());
        m.zeroGradToNone();
        assertNull(m.parameters().get(0).grad());
    }

    @Test
    void loadStateDictOfADifferentModelListsEveryDifferenceAndCopiesNothing() {
        Sequential a = mlp(4, 5, 3, 1), b = mlp(4, 6, 3, 2);
        double[] before = a.parameters().get(0).toDoubleArray();
        Map<String, Tensor> state = new LinkedHashMap<>(b.stateDict());
        state.remove("2.bias");
        state.put("extra", Tensor.zeros(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.loadStateDict(state));
        assertEquals("Error(s) in loading state_dict for Sequential:\n"
                + "\tMissing key(s) in state_dict: \"2.bias\".\n"
                + "\tUnexpected key(s) in state_dict: \"extra\".\n"
                + "\tsize mismatch for 0.weight: copying a param with shape torch.Size([6, 4]) from checkpoint, the shape in current model is torch.Size([5, 4]).\n"
                + "\tsize mismatch for 0.bias: copying a param with shape torch.Size([6]) from checkpoint, the shape in current model is torch.Size([5]).\n"
                + "\tsize mismatch for 2.weight: copying a param with shape torch.Size([3, 6]) from checkpoint, the shape in current model is torch.Size([3, 5]).",
                e.getMessage());
        assertArrayEquals(before, a.parameters().get(0).toDoubleArray());
    }

    @Test
    void safetensorsRoundTripIsBitExactForEveryDtypeAndLayout() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("f32", Tensor.fromArray(new float[] {1.5f, -0f, Float.NaN, Float.MIN_VALUE, 3e38f, -1e-30f}, 2, 3));
        in.put("f64.transposed", Tensor.fromArray(DType.F64, new double[] {Math.PI, -0.0, 1e-310, 7}, 2, 2).t());
        in.put("i64", Tensor.fromArray(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, 4));
        in.put("bool", Tensor.of(1, 0, 1).gt(0.5));
        in.put("scalar", Tensor.scalar(2.25));
        in.put("empty", Tensor.zeros(0, 3));
        Path f = dir.resolve("t.safetensors");
        SafeTensors.save(f, in, Map.of("epoch", "3"));
        SafeTensors.Contents out = SafeTensors.load(f);
        assertEquals(List.copyOf(in.keySet()), List.copyOf(out.tensors().keySet()));
        assertEquals(Map.of("epoch", "3"), out.metadata());
        for (String k : in.keySet()) {
            Tensor a = in.get(k), b = out.tensors().get(k);
            assertEquals(a.dtype(), b.dtype(), k);
            assertArrayEquals(a.shape(), b.shape(), k);
            if (a.dtype() == DType.I64 || a.dtype() == DType.BOOL) {
                assertArrayEquals(a.toLongArray(), b.toLongArray(), k);
            } else {
                double[] x = a.toDoubleArray(), y = b.toDoubleArray();
                for (int i = 0; i < x.length; i++) assertEquals(Double.doubleToRawLongBits(x[i]), Double.doubleToRawLongBits(y[i]), k + "[" + i + "]");
            }
        }
        // the layout other tools read: u64 LE header length, JSON, data 8-byte aligned
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"f32\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"), header);
        assertEquals(8 + n + 24 + 32 + 32 + 3 + 4, bytes.length);
    }

    @Test
    void truncatedOrCorruptFilesFailWithAReason() throws IOException {
        Path f = dir.resolve("m.safetensors");
        SafeTensors.save(f, Map.of("w", Tensor.ones(10, 10)));
        byte[] good = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(good, good.length - 1));
        assertTrue(assertThrows(IOException.class, () -> SafeTensors.load(f)).getMessage().contains("holds only 399 data bytes (truncated?)"));
        Files.write(f, Arrays.copyOf(good, 5));
        assertTrue(assertThrows(IOException.class, () -> SafeTensors.load(f)).getMessage().contains("shorter than the 8-byte header length"));
        byte[] bad = good.clone();
        bad[9] = '!';
        Files.write(f, bad);
        assertTrue(assertThrows(IOException.class, () -> SafeTensors.load(f)).getMessage().contains("not valid JSON"));
        byte[] huge = good.clone();
        huge[7] = 0x7f;
        Files.write(f, huge);
        assertTrue(assertThrows(IOException.class, () -> SafeTensors.load(f)).getMessage().contains("is larger than the format's limit of 100000000 bytes"));
    }

    @Test
    void aFailedSaveLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = dir.resolve("ck.safetensors");
        SafeTensors.save(f, Map.of("w", Tensor.ones(3)));
        byte[] old = Files.readAllBytes(f);
        Tensor released = Tensor.ones(1000);
        released.storage().release();
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a", Tensor.zeros(1000));
        m.put("b", released);   // fails mid-write, after "a" went out
        assertThrows(IllegalStateException.class, () -> SafeTensors.save(f, m));
        assertArrayEquals(old, Files.readAllBytes(f));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    private static void trainSteps(Module m, Optimizer opt, int steps, long seed) {
        Generator g = new Generator(seed);
        for (int s = 0; s < steps; s++) {
            Tensor x = g.randn(DType.F32, 8, 4);
            Tensor y = g.randint(0, 3, 8);
            opt.zeroGrad();
            Functional.crossEntropy(m.forward(x), y).backward();
            opt.step();
        }
    }

    private void checkpointResumesExactly(Function<List<Tensor>, Optimizer> make) throws IOException {
        Sequential a = mlp(4, 5, 3, 7);
        Optimizer oa = make.apply(a.parameters());
        trainSteps(a, oa, 3, 100);
        Path f = dir.resolve("resume.safetensors");
        Checkpoint.save(f, a, oa, Map.of("step", "3"));

        Sequential b = mlp(4, 5, 3, 99);
        Optimizer ob = make.apply(b.parameters());
        assertEquals(Map.of("step", "3"), Checkpoint.load(f, b, ob));
        trainSteps(a, oa, 2, 200);
        trainSteps(b, ob, 2, 200);
        for (int i = 0; i < a.parameters().size(); i++) {
            assertArrayEquals(a.parameters().get(i).toFloatArray(), b.parameters().get(i).toFloatArray(), "parameter " + i);
        }
    }

    @Test
    void checkpointWithSgdMomentumResumesBitExact() throws IOException {
        checkpointResumesExactly(p -> new SGD(p, 0.1, 0.9, 0, 1e-4, false));
    }

    @Test
    void checkpointWithAdamResumesBitExact() throws IOException {
        checkpointResumesExactly(p -> new Adam(p, 0.01));
    }

    @Test
    void checkpointOfADifferentModelIsRefused() throws IOException {
        Sequential a = mlp(4, 5, 3, 1);
        Path f = dir.resolve("a.safetensors");
        Checkpoint.save(f, a, null, Map.of());
        Sequential b = mlp(4, 8, 3, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(f, b, null));
        assertTrue(e.getMessage().startsWith("checkpoint " + f + " does not fit this model: Error(s) in loading state_dict for Sequential:"), e.getMessage());
        assertTrue(e.getMessage().contains("size mismatch for 0.weight"), e.getMessage());
    }

    @Test
    void optimizerStateOfTheWrongShapeIsRefused() {
        Sequential a = mlp(4, 5, 3, 1);
        SGD opt = new SGD(a.parameters(), 0.1, 0.9, 0, 0, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> opt.loadStateDict(Map.of("state.0.momentum_buffer", Tensor.zeros(2, 2), "state.9.momentum_buffer", Tensor.zeros(1))));
        assertTrue(e.getMessage().contains("state for parameter 0 (state.0.momentum_buffer) has shape [2, 2] float32, the parameter [5, 4] float32"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected key \"state.9.momentum_buffer\""), e.getMessage());
    }
}
