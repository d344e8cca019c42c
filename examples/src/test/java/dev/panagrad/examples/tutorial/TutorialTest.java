package dev.panagrad.examples.tutorial;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs every tutorial section and checks its printed numbers against the tutorial's (and PyTorch's). */
class TutorialTest {
    @TempDir Path dir;

    private String run(String name) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            Tutorial.section(name).body().run(out, dir);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theTutorialItselfShipsBesideItsJavaSections() throws Exception {   // the docs point at it
        try (var in = Tutorial.class.getResourceAsStream("autograd-tutorial.zh.md")) {
            assertNotNull(in, "autograd-tutorial.zh.md is not a resource beside " + Tutorial.class.getName());
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(text.startsWith("# 自动微分机制"), text.substring(0, Math.min(80, text.length())));
            assertTrue(text.contains("x = torch.tensor([2.0], requires_grad=True)"), "the quick example the 'quick' section runs");
        }
    }

    private static void has(String output, String... lines) {
        List<String> got = output.lines().toList();
        for (String line : lines) assertTrue(got.contains(line), "missing line '" + line + "' in:\n" + output);
    }

    @Test
    void everySectionOfTheTutorialIsHereInOrder() {
        assertEquals(List.of("quick", "graph", "leaves", "scalar", "non-scalar", "variables", "chain-rule", "no-grad", "zeroing", "clipping",
                "my-relu", "gradcheck", "linear-regression", "mlp", "accumulation", "pitfall-zero-grad", "pitfall-in-place",
                "pitfall-backward-twice", "debugging"), Tutorial.SECTIONS.stream().map(Tutorial.Section::name).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tutorial.section("nope"));
        assertTrue(e.getMessage().startsWith("no tutorial section 'nope'; sections: quick, graph"), e.getMessage());
    }

    @Test
    void quickExample() throws Exception {
        has(run("quick"), "x = 2.0", "z = 11.0", "dz/dx = 8.0   (theory: 4x = 8)");
    }

    @Test
    void graphNamesAndTheBackwardValues12_2_1() throws Exception {
        has(run("graph"), "w.grad_fn: MulBackward0", "z.grad_fn: AddBackward0", "y.grad_fn: PowBackward0", "x.grad_fn: None",
                "values: x = 3.0, y = 9.0, z = 14.0, w = 28.0", "dw/dw = 1, dw/dz = 2.0, dw/dy = 2.0, dw/dx = 12.0");
    }

    @Test
    void leavesAndRetainGrad() throws Exception {
        has(run("leaves"), "x.is_leaf: True", "y.is_leaf: False", "z.is_leaf: False", "x.grad: tensor([6.])", "y.grad: None",
                "y.grad after retain_grad: tensor([6.])");
    }

    @Test
    void scalarNonScalarSeveralVariablesChainRule() throws Exception {
        has(run("scalar"), "x: tensor([2., 3.], requires_grad=True)", "y: tensor(13., grad_fn=<SumBackward0>)", "x.grad: tensor([4., 6.])   (2x₁ = 4, 2x₂ = 6)");
        has(run("non-scalar"), "x.grad: tensor([2., 4., 6.])", "way 1 (gradient argument) - x.grad: tensor([2., 4.])",
                "way 2 (sum, then backward) - x.grad: tensor([2., 4.])");
        has(run("variables"), "z = 43.0", "dz/dx = 10.0   (2x + 2y = 10)", "dz/dy = 31.0   (3y² + 2x = 31)");
        has(run("chain-rule"), "d/dx = 96.0");
    }

    @Test
    void noGradDetachRequiresGrad() throws Exception {
        has(run("no-grad"), "no_grad: y.requires_grad: False", "detach: z.requires_grad: False", "detach: x.grad: tensor([4.])",
                "requires_grad_: initially False", "requires_grad_: after requires_grad_(True) True", "requires_grad_: after requires_grad_(False) False");
    }

    @Test
    void zeroingGives4_16_0_12AndAccumulationGives2_4_6() throws Exception {
        has(run("zeroing"), "first gradient: tensor([4.])", "accumulated gradient: tensor([16.])", "after zeroing: tensor([0.])",
                "gradient after zeroing: tensor([12.])", "iteration 1, gradient: tensor([2.])", "iteration 2, gradient: tensor([4.])",
                "iteration 3, gradient: tensor([6.])");
    }

    /** The number after {@code after} on the line starting with {@code prefix}. */
    private static double number(String output, String prefix, String after) {
        String line = output.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError("no line '" + prefix + "...' in:\n" + output));
        String rest = line.substring(line.indexOf(after) + after.length()).strip();
        return Double.parseDouble(rest.split("[ ,]")[0]);
    }

    /** The values printed inside {@code tensor([...])} on the line starting with {@code prefix}. */
    private static double[] printed(String output, String prefix) {
        String line = output.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError("no line '" + prefix + "...' in:\n" + output));
        String inside = line.substring(line.indexOf("([") + 2, line.indexOf("]"));
        return java.util.Arrays.stream(inside.split(",")).map(String::strip).mapToDouble(Double::parseDouble).toArray();
    }

    /**
     * The section's 5 parameters of [100, 100] are Generator(0)'s first 50 000 normals (float32), loss
     * Σ p², so every gradient is 2p. PyTorch's clip_grad_norm_: total = ‖(‖2p‖)‖, each gradient times
     * 1 / (total + 1e-6); clip_grad_value_(0.5) then changes nothing (every |gradient| is far below 0.5).
     * The expected numbers are computed here, in double, from the same draws.
     */
    @Test
    void clippingPrintsTheTotalNormAndTheLargestClippedGradient() throws Exception {
        String out = run("clipping");
        dev.panagrad.Generator g = new dev.panagrad.Generator(0);
        double sumSquares = 0, largest = 0;
        for (int i = 0; i < 5; i++) {
            for (float p : g.randn(dev.panagrad.memory.DType.F32, 100, 100).toFloatArray()) {
                sumSquares += 4.0 * p * p;
                largest = Math.max(largest, Math.abs(2.0 * p));
            }
        }
        double total = Math.sqrt(sumSquares), coef = 1 / (total + 1e-6);
        assertEquals(total, number(out, "clip_grad_norm_: total norm before clipping", "= "), 5e-5, out);   // printed with 4 decimals
        has(out, "clip_grad_norm_: total norm before clipping = " + String.format(java.util.Locale.ROOT, "%.4f", total) + ", after = 1.0000", "gradients clipped");
        assertEquals(largest * coef, number(out, "clip_grad_value_: largest |gradient|", "= "), 1e-6 * largest * coef, out);   // float32 gradients
    }

    /**
     * MyReLU (forward clamp(min=0), backward grad_input[input < 0] = 0) on the printed x: y = max(x, 0)
     * and, after y.sum().backward(), x.grad = 0 where x < 0 and 1 elsewhere. PyTorch, on the same x:
     * {@code MyReLU.apply(x).sum().backward()} gives the same 0/1 pattern.
     */
    @Test
    void customFunctionAndGradcheck() throws Exception {
        String out = run("my-relu");
        double[] x = printed(out, "x: "), y = printed(out, "y: "), grad = printed(out, "x.grad: ");
        assertEquals(5, x.length, out);
        assertTrue(java.util.Arrays.stream(x).anyMatch(v -> v < 0) && java.util.Arrays.stream(x).anyMatch(v -> v > 0), "x has both signs, so both branches are checked:\n" + out);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Math.max(x[i], 0), y[i], 0, "y[" + i + "] = max(x, 0):\n" + out);   // printed with the same 4 decimals
            assertEquals(x[i] < 0 ? 0 : 1, grad[i], 0, "x.grad[" + i + "]:\n" + out);
        }
        assertTrue(out.lines().anyMatch(l -> l.startsWith("y: tensor([") && l.endsWith("grad_fn=<MyReLUBackward>)")), out);
        has(run("gradcheck"), "gradient check passed: True");
    }

    @Test
    void linearRegressionPrintsPyTorchsLossesAndWeightsAndWritesThePlot() throws Exception {
        String out = run("linear-regression");
        // PyTorch 1.13.1 on the same data (golden case linear_regression_seed_float64): losses[19], [39], ..., final w and b
        has(out, "Epoch 20: Loss = 4.8620, w = 2.9187, b = 0.3870", "Epoch 40: Loss = 3.5636, w = 2.9664, b = 0.8350",
                "Epoch 60: Loss = 3.0900, w = 2.9709, b = 1.1362", "Epoch 80: Loss = 2.8763, w = 2.9735, b = 1.3385",
                "Epoch 100: Loss = 2.7800, w = 2.9752, b = 1.4743", "final: w = 2.9752, b = 1.4743");
        byte[] png = Files.readAllBytes(dir.resolve("linear_regression_loss.png"));
        assertEquals(0x89, png[0] & 0xff);
        assertEquals("PNG", new String(png, 1, 3, StandardCharsets.US_ASCII));
    }

    /**
     * Case 2's gradients, value by value, against backpropagation written out here in double: h = relu(x·w1 + b1),
     * ŷ = h·w2 + b2, loss = mean((ŷ − y)²); dŷ = 2(ŷ − y)/32, dw2 = hᵀ·dŷ, db2 = Σ dŷ, dh = dŷ·w2ᵀ where
     * x·w1 + b1 > 0, dw1 = xᵀ·dh, db1 = Σ dh. Float32 tolerance: 1e-5 + 1e-4·|value|.
     */
    @Test
    void mlpGradientsHaveTheValuesOfBackpropagation() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Cases.MlpRun r = Cases.mlp(new PrintStream(buf, true, StandardCharsets.UTF_8));
        double[] x = r.x().toDoubleArray(), y = r.y().toDoubleArray();
        double[] w1 = r.parameters().get(0).toDoubleArray(), b1 = r.parameters().get(1).toDoubleArray();
        double[] w2 = r.parameters().get(2).toDoubleArray(), b2 = r.parameters().get(3).toDoubleArray();
        int n = 32, in = 10, hid = 20;
        double[] pre = new double[n * hid], dyp = new double[n];
        for (int i = 0; i < n; i++) {
            double yp = b2[0];
            for (int j = 0; j < hid; j++) {
                double s = b1[j];
                for (int k = 0; k < in; k++) s += x[i * in + k] * w1[k * hid + j];
                pre[i * hid + j] = s;
                yp += Math.max(s, 0) * w2[j];
            }
            dyp[i] = 2 * (yp - y[i]) / n;
        }
        double[] dw1 = new double[in * hid], db1 = new double[hid], dw2 = new double[hid], db2 = new double[1];
        for (int i = 0; i < n; i++) {
            db2[0] += dyp[i];
            for (int j = 0; j < hid; j++) {
                dw2[j] += Math.max(pre[i * hid + j], 0) * dyp[i];
                double dh = pre[i * hid + j] > 0 ? dyp[i] * w2[j] : 0;
                db1[j] += dh;
                for (int k = 0; k < in; k++) dw1[k * hid + j] += x[i * in + k] * dh;
            }
        }
        double[][] want = {dw1, db1, dw2, db2};
        for (int p = 0; p < 4; p++) {
            double[] got = r.parameters().get(p).grad().toDoubleArray();
            assertEquals(want[p].length, got.length, "parameter " + p);
            for (int i = 0; i < got.length; i++) assertEquals(want[p][i], got[i], 1e-5 + 1e-4 * Math.abs(want[p][i]), "parameter " + p + " gradient element " + i);
        }
        assertTrue(java.util.Arrays.stream(db1).filter(v -> v != 0).count() > 5, "the ReLU lets gradients through for most hidden units");
    }

    @Test
    void mlpAndAccumulation() throws Exception {
        has(run("mlp"), "parameter 0 gradient shape: torch.Size([10, 20])", "parameter 1 gradient shape: torch.Size([20])",
                "parameter 2 gradient shape: torch.Size([20, 1])", "parameter 3 gradient shape: torch.Size([1])");
        has(run("accumulation"), "max |accumulated - full-batch| weight gradient: < 1e-6", "gradient accumulation done");
    }

    @Test
    void pitfallsPrintPyTorchsMessages() throws Exception {
        has(run("pitfall-zero-grad"), "iteration 1: x.grad = tensor([2.])", "iteration 2: x.grad = tensor([4.])", "iteration 3: x.grad = tensor([6.])",
                "after optimizer.zero_grad(): x.grad = tensor([0.])");
        has(run("pitfall-in-place"), "RuntimeError: a leaf Variable that requires grad is being used in an in-place operation.",
                "x after x.detach().add_(1): tensor([2.], requires_grad=True)",
                "and then y.backward(): RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation:"
                        + " [torch.FloatTensor [1]] is at version 1; expected version 0 instead. Hint: enable anomaly detection to find the operation"
                        + " that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True)."
                        + " (In Java: try (var anomaly = Grad.detectAnomaly()) { ... } around the forward and the backward.)");
        has(run("pitfall-backward-twice"), "RuntimeError: Trying to backward through the graph a second time (or directly access saved tensors after"
                + " they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad()."
                + " Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after"
                + " calling backward. (In Java, retain_graph=True is tensor.backward(gradient, true), gradient null for a scalar.)", "with retain_graph=True both backward calls ran: x.grad = tensor([4.])");
        has(run("debugging"), "requires_grad: True", "grad_fn: <PowBackward0>", "is_leaf: False", "grad: tensor([2.])",
                "anomaly detection: RuntimeError: Function 'LogBackward0' returned nan values in its 0th output.");
    }

    @Test
    void theCommandRunsOneSectionOrRefusesAnUnknownOne() {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        assertEquals(0, Tutorial.main(new String[] {"chain-rule", "--out", dir.toString()}, new PrintStream(o), new PrintStream(e)));
        assertTrue(o.toString().startsWith("== chain-rule: The chain rule\nd/dx = 96.0\n"), o.toString());
        assertEquals(2, Tutorial.main(new String[] {"chain"}, new PrintStream(o), new PrintStream(e)));
        assertTrue(e.toString().contains("tutorial: no tutorial section 'chain'"), e.toString());
    }

    @Test
    void anOutputDirectoryThatCannotBeMadeIsNamedWithTheReason() throws java.io.IOException {
        Path file = Files.writeString(dir.resolve("afile"), "x");
        Path png = file.resolve("sub").resolve("linear_regression_loss.png");
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        assertEquals(2, Tutorial.main(new String[] {"linear-regression", "--out", file.resolve("sub").toString()}, new PrintStream(o), new PrintStream(e)));
        assertEquals("tutorial: cannot write " + png + ": " + file + " is not a directory\n", e.toString());
    }
}
