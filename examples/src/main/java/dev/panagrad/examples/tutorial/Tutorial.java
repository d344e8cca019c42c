package dev.panagrad.examples.tutorial;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The PyTorch autograd tutorial ({@code autograd-tutorial.zh.md}, a resource beside this class) in
 * Java, one section per entry, in the tutorial's order. Each does the same computation and prints
 * the same values (labels in English). {@code ./panagrad tutorial} runs them all;
 * {@code ./panagrad tutorial NAME} one.
 */
public final class Tutorial {
    private Tutorial() {}

    /** A section's body: prints to {@code out}; files (the loss plot) go under {@code outDir}. */
    @FunctionalInterface
    public interface Body {
        void run(PrintStream out, Path outDir) throws Exception;
    }

    public record Section(String name, String title, Body body) {}

    public static final List<Section> SECTIONS = List.of(
            new Section("quick", "Quick example: z = 2x² + 3", (o, d) -> Basics.quick(o)),
            new Section("graph", "The computation graph and its grad_fn names", (o, d) -> Basics.graph(o)),
            new Section("leaves", "Leaf and non-leaf tensors, retain_grad", (o, d) -> Basics.leaves(o)),
            new Section("scalar", "Gradient of a scalar output", (o, d) -> Basics.scalar(o)),
            new Section("non-scalar", "Gradient of a non-scalar output", (o, d) -> Basics.nonScalar(o)),
            new Section("variables", "Several variables", (o, d) -> Basics.variables(o)),
            new Section("chain-rule", "The chain rule", (o, d) -> Basics.chainRule(o)),
            new Section("no-grad", "Stopping gradient tracking: no_grad, detach, requires_grad_", (o, d) -> GradManagement.noGrad(o)),
            new Section("zeroing", "Zeroing and accumulating gradients", (o, d) -> GradManagement.zeroing(o)),
            new Section("clipping", "Gradient clipping", (o, d) -> GradManagement.clipping(o)),
            new Section("my-relu", "A custom Function: MyReLU", (o, d) -> CustomFunctions.myRelu(o)),
            new Section("gradcheck", "Gradient check of MySquare", (o, d) -> CustomFunctions.gradcheck(o)),
            new Section("linear-regression", "Case 1: linear regression by hand (with a loss plot)", Cases::linearRegression),
            new Section("mlp", "Case 2: a multi-layer perceptron", (o, d) -> Cases.mlp(o)),
            new Section("accumulation", "Case 3: gradient accumulation", (o, d) -> Cases.accumulation(o)),
            new Section("pitfall-zero-grad", "Pitfall 1: forgetting to zero gradients", (o, d) -> Pitfalls.forgetZeroGrad(o)),
            new Section("pitfall-in-place", "Pitfall 2: in-place change inside the graph", (o, d) -> Pitfalls.inPlace(o)),
            new Section("pitfall-backward-twice", "Pitfall 3: backward twice", (o, d) -> Pitfalls.backwardTwice(o)),
            new Section("debugging", "Debugging tips", (o, d) -> Pitfalls.debugging(o)));

    public static Section section(String name) {
        for (Section s : SECTIONS) if (s.name().equals(name)) return s;
        throw new IllegalArgumentException("no tutorial section '" + name + "'; sections: " + String.join(", ", SECTIONS.stream().map(Section::name).toList()));
    }

    /** Runs one section with its heading. */
    public static void run(Section s, PrintStream out, Path outDir) throws Exception {
        out.println("== " + s.name() + ": " + s.title());
        s.body().run(out, outDir);
        out.println();
    }

    /** {@code ./panagrad tutorial [NAME] [--out DIR]}. */
    public static int main(String[] args, PrintStream out, PrintStream err) {
        Path outDir = Path.of("out", "tutorial");
        String only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> {
                    if (i + 1 == args.length) { err.println("tutorial: --out needs a directory"); return 2; }
                    outDir = Path.of(args[++i]);
                }
                case "-h", "--help" -> {
                    out.println("usage: ./panagrad tutorial [NAME] [--out DIR]   (files go to DIR, default out/tutorial)");
                    out.println("sections: " + String.join(", ", SECTIONS.stream().map(Section::name).toList()));
                    return 0;
                }
                default -> {
                    if (only != null) { err.println("tutorial: one section at a time, got '" + only + "' and '" + args[i] + "'"); return 2; }
                    only = args[i];
                }
            }
        }
        try {
            List<Section> todo = only == null ? SECTIONS : List.of(section(only));
            for (Section s : todo) run(s, out, outDir);
            return 0;
        } catch (IllegalArgumentException | java.io.IOException e) {   // a bad section name; --out DIR that cannot be written
            err.println("tutorial: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("tutorial: " + e);
            return 1;
        }
    }
}
