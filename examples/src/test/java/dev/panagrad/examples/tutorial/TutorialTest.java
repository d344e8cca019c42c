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

    @Test
    void clippingBringsTheNormToOneAndValuesIntoRange() throws Exception {
        String out = run("clipping");
        assertTrue(out.lines().anyMatch(l -> l.matches("clip_grad_norm_: total norm before clipping = \\d+\\.\\d{4}, after = 1\\.0000")), out);
        has(out, "gradients clipped");
    }

    @Test
    void customFunctionAndGradcheck() throws Exception {
        String out = run("my-relu");
        String[] lines = out.lines().toArray(String[]::new);
        // y is x with the negatives zeroed, x.grad is 1 where x > 0
        assertTrue(lines[0].startsWith("x: tensor(["), out);
        assertTrue(lines[1].endsWith("grad_fn=<MyReLUBackward>)"), out);
        assertTrue(lines[2].matches("x.grad: tensor\\(\\[[01]\\., [01]\\., [01]\\., [01]\\., [01]\\.]\\)"), out);
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
                        + " that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).");
        has(run("pitfall-backward-twice"), "RuntimeError: Trying to backward through the graph a second time (or directly access saved tensors after"
                + " they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad()."
                + " Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after"
                + " calling backward.", "with retain_graph=True both backward calls ran: x.grad = tensor([4.])");
        has(run("debugging"), "requires_grad: True", "grad_fn: <PowBackward0>", "is_leaf: False", "grad: tensor([2.])");
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
