package dev.panagrad.examples.tutorial;

import static dev.panagrad.examples.output.Py.bool;
import static dev.panagrad.examples.output.Py.fixed;
import static dev.panagrad.examples.output.Py.repr;

import dev.panagrad.Generator;
import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import dev.panagrad.nn.ClipGrad;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** no_grad, detach, requires_grad_, zeroing and accumulation, clipping. */
final class GradManagement {
    private GradManagement() {}

    static void noGrad(PrintStream out) {
        Tensor x = Tensor.of(1.0).requiresGrad(true);
        try (var off = Grad.disabled()) {   // with torch.no_grad(): no graph is built
            Tensor y = x.pow(2);
            out.println("no_grad: y.requires_grad: " + bool(y.requiresGrad()));
        }

        Tensor y = x.pow(2);
        Tensor z = y.detach();             // shares y's memory, no graph
        out.println("detach: z.requires_grad: " + bool(z.requiresGrad()));
        Tensor w = y.pow(2);               // y itself is untouched
        w.backward();
        out.println("detach: x.grad: " + x.grad());

        Generator g = new Generator(0);
        Tensor t = g.randn(DType.F32, 3, 4);
        out.println("requires_grad_: initially " + bool(t.requiresGrad()));
        t.requiresGrad(true);
        out.println("requires_grad_: after requires_grad_(True) " + bool(t.requiresGrad()));
        t.requiresGrad(false);
        out.println("requires_grad_: after requires_grad_(False) " + bool(t.requiresGrad()));
    }

    static void zeroing(PrintStream out) {
        Tensor x = Tensor.of(2.0).requiresGrad(true);
        x.pow(2).backward();
        out.println("first gradient: " + x.grad());              // 4
        x.pow(3).backward();
        out.println("accumulated gradient: " + x.grad());        // 4 + 12 = 16
        x.grad().zeroInPlace();
        out.println("after zeroing: " + x.grad());               // 0
        x.pow(3).backward();
        out.println("gradient after zeroing: " + x.grad());      // 12

        out.println("why gradients accumulate (a mini-batch loop without zeroing):");
        x = Tensor.of(1.0).requiresGrad(true);
        for (int i = 0; i < 3; i++) {
            x.pow(2).backward();
            out.println("iteration " + (i + 1) + ", gradient: " + x.grad());   // 2, 4, 6
        }
        x.grad().zeroInPlace();
    }

    static void clipping(PrintStream out) {
        Generator g = new Generator(0);
        List<Tensor> params = new ArrayList<>();
        for (int i = 0; i < 5; i++) params.add(g.randn(DType.F32, 100, 100).requiresGrad(true));
        Tensor loss = null;
        for (Tensor p : params) loss = loss == null ? p.pow(2).sum() : loss.add(p.pow(2).sum());
        loss.backward();

        double total = ClipGrad.clipGradNorm(params, 1.0);   // way 1: clip the total norm
        out.println("clip_grad_norm_: total norm before clipping = " + fixed(total, 4)
                + ", after = " + fixed(totalNorm(params), 4));
        ClipGrad.clipGradValue(params, 0.5);                 // way 2: clip each value
        double largest = 0;
        for (Tensor p : params) largest = Math.max(largest, p.grad().abs().max().item());
        out.println("clip_grad_value_: largest |gradient| = " + repr(largest) + " (<= 0.5)");
        out.println("gradients clipped");
    }

    private static double totalNorm(List<Tensor> params) {
        double s = 0;
        for (Tensor p : params) s += p.grad().pow(2).sum().item();
        return Math.sqrt(s);
    }
}
