package dev.panagrad.nn;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.panagrad.Generator;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The transformer modules against PyTorch 1.13: a causal pre-norm block with PyTorch's weights
 * ({@code golden/transformer-block.json}, recorded by {@code record_transformer.py} in float64 from
 * F.layer_norm, F.linear, softmax(masked q·kᵀ/√d)·v, F.gelu) gives PyTorch's output and the gradients of
 * sum(y·g) for every parameter and the input; and the modules' refusals.
 */
class TransformerBlockTest {
    static JsonObject golden() {
        try (var in = TransformerBlockTest.class.getResourceAsStream("/golden/transformer-block.json")) {
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Tensor tensor(JsonObject spec) {
        JsonArray s = spec.getAsJsonArray("shape"), v = spec.getAsJsonArray("values");
        int[] shape = new int[s.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = s.get(i).getAsInt();
        double[] values = new double[v.size()];
        for (int i = 0; i < values.length; i++) values[i] = v.get(i).getAsDouble();
        return Tensor.fromArray(DType.F64, values, shape);
    }

    static void assertClose(JsonObject want, Tensor got, String what) {
        Tensor w = tensor(want);
        assertArrayEquals(w.shape(), got.shape(), what + ": shape");
        double[] a = w.toDoubleArray(), b = got.toDoubleArray();
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-10 + 1e-9 * Math.abs(a[i]), what + " [" + i + "]");
    }

    /** A causal block of width 8 and 2 heads (float64) with the recorded PyTorch block's weights. */
    static TransformerBlock pyTorchsBlock(JsonObject g, double dropout, long seed) {
        TransformerBlock block = new TransformerBlock(8, 2, true, dropout, DType.F64, new Generator(seed));
        Map<String, Tensor> state = new LinkedHashMap<>();
        g.getAsJsonObject("params").entrySet().forEach(e -> state.put(e.getKey(), tensor(e.getValue().getAsJsonObject())));
        block.loadStateDict(state);
        return block;
    }

    /** y = block(x) against PyTorch's output; then (y·g).sum().backward() against its input and parameter gradients. */
    static void assertOutputAndGradients(JsonObject g, TransformerBlock block, Tensor x, Tensor y) {
        assertClose(g.getAsJsonObject("y"), y, "output");
        y.mul(tensor(g.getAsJsonObject("g"))).sum().backward();
        assertClose(g.getAsJsonObject("x_grad"), x.grad(), "input gradient");
        block.namedParameters().forEach((name, p) -> assertClose(g.getAsJsonObject("grads").getAsJsonObject(name), p.grad(), "gradient of " + name));
    }

    @Test
    void aCausalBlockGivesPyTorchsOutputAndGradients() {
        JsonObject g = golden();
        TransformerBlock block = pyTorchsBlock(g, 0, 0);
        Tensor x = tensor(g.getAsJsonObject("x")).requiresGrad(true);
        assertOutputAndGradients(g, block, x, block.forward(x));
    }

    @Test
    void aCheckpointedBlockGivesTheSameOutputAndGradientsAsPyTorch() {
        JsonObject g = golden();
        TransformerBlock block = pyTorchsBlock(g, 0, 0);
        Tensor x = tensor(g.getAsJsonObject("x")).requiresGrad(true);
        Tensor y = ActivationCheckpoint.checkpoint(block, x);
        assertEquals("CheckpointFunctionBackward", y.gradFn().name());
        assertEquals(1, y.gradFn().nextFunctions().size(), "the only edge is to the input: nothing inside the block was recorded");
        assertOutputAndGradients(g, block, x, y);
    }

    /**
     * Dropout in the block (GPT-2's three places): in eval it is the plain block, PyTorch's numbers; in
     * training it changes the output, the same seed gives the same masks, and the gradient still flows
     * to every parameter. (PyTorch's masks come from its own generator, so training values cannot be
     * compared with PyTorch's; eval can, and is.)
     */
    @Test
    void dropoutActsOnlyInTrainingSeededAndGradientsStillFlow() {
        JsonObject g = golden();
        TransformerBlock block = pyTorchsBlock(g, 0.5, 0);
        block.eval();
        assertClose(g.getAsJsonObject("y"), block.forward(tensor(g.getAsJsonObject("x"))), "eval output with dropout 0.5");
        block.train();
        Tensor x = tensor(g.getAsJsonObject("x")).requiresGrad(true);
        Tensor y = block.forward(x);
        double[] plain = tensor(g.getAsJsonObject("y")).toDoubleArray(), dropped = y.toDoubleArray();
        assertFalse(java.util.Arrays.equals(plain, dropped), "training output differs from eval's");
        TransformerBlock again = pyTorchsBlock(g, 0.5, 0);
        again.train();
        assertArrayEquals(dropped, again.forward(tensor(g.getAsJsonObject("x"))).toDoubleArray(), "same seed, same masks");
        y.sum().backward();
        assertTrue(java.util.Arrays.stream(x.grad().toDoubleArray()).allMatch(Double::isFinite));
        block.namedParameters().forEach((name, p) -> assertNotNull(p.grad(), "gradient of " + name));
        assertTrue(block.toString().contains("(drop): Dropout(p=0.5, inplace=False)"), block.toString());
    }

    @Test
    void aHeadCountThatDoesNotDivideTheWidthIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> new MultiheadAttention(10, 3, true));
        assertEquals("embed_dim must be divisible by num_heads (embed_dim 10, num_heads 3)", e.getMessage());
    }

    @Test
    void aMaskOfTheWrongShapeIsRefusedNamingBothShapes() {
        MultiheadAttention attn = new MultiheadAttention(8, 2, false, DType.F32, new Generator(1));
        Tensor x = Tensor.zeros(1, 4, 8), mask = Tensor.ones(3, 3).eq(1);
        var e = assertThrows(IllegalArgumentException.class, () -> attn.forward(x, mask));
        assertEquals("attention mask of shape [3, 3] does not broadcast to the attention scores of shape [1, 2, 4, 4] [batch..., L, S]", e.getMessage());
    }

    @Test
    void embeddingModuleZeroesItsPaddingRowAndLayerNormStartsAsIdentityAffine() {
        Embedding emb = new Embedding(5, 3, -1, DType.F32, new Generator(2));
        assertArrayEquals(new double[] {0, 0, 0}, emb.weight().select(0, 4).toDoubleArray());
        assertEquals("Embedding(5, 3, padding_idx=4)", emb.toString());
        LayerNorm ln = new LayerNorm(4);
        assertArrayEquals(new double[] {1, 1, 1, 1}, ln.weight().toDoubleArray());
        assertEquals("LayerNorm((4,), eps=1.0E-5, elementwise_affine=True)", ln.toString());
    }
}
