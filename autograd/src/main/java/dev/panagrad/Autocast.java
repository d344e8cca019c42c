package dev.panagrad;

import dev.panagrad.blas.Dnnl;
import dev.panagrad.ops.AutocastState;

/**
 * bfloat16 mixed precision on the CPU, as PyTorch's {@code torch.autocast("cpu", dtype=torch.bfloat16)}:
 * a scope, per thread, inside which matmul and linear run as bfloat16 GEMMs with float32 accumulation
 * and float32 results (oneDNN's {@code gemm_bf16bf16f32}, AVX512-BF16 or AMX), their backward GEMMs
 * too; losses, softmax and reductions stay float32; parameters, gradients and optimizer state stay
 * float32. The rules, op by op, are in {@link AutocastState}.
 *
 * {@snippet :
 * try (var step = MemoryScope.open("step")) {
 *     Tensor loss;
 *     try (var amp = Autocast.bf16()) {                 // with torch.autocast("cpu", dtype=torch.bfloat16):
 *         loss = Functional.crossEntropy(model.forward(x), y);
 *     }
 *     loss.backward();                                  // the GEMMs recorded inside run in bfloat16 here too
 *     optimizer.step();                                 // float32 master weights
 * }
 * }
 *
 * Needs oneDNN ({@code org.bytedeco:dnnl:3.11-1.5.13}, classifier {@code linux-x86_64}, an optional
 * dependency) and a CPU on which oneDNN computes bfloat16 natively ({@code ./panagrad doctor} says);
 * otherwise {@link #bf16()} refuses with one line saying which is missing.
 */
public final class Autocast implements AutoCloseable {
    private final Thread owner = Thread.currentThread();
    private boolean closed;

    private Autocast() {
        AutocastState.enter();
    }

    /**
     * Opens a bfloat16 autocast scope on this thread; close it (try-with-resources) on the same thread.
     *
     * @throws dev.panagrad.blas.BlasUnavailableException if oneDNN is not on the class path or cannot load (the message names the artifact)
     * @throws IllegalStateException if oneDNN's ISA here has no bfloat16 arithmetic (it would emulate it, slower than float32)
     */
    public static Autocast bf16() {
        Dnnl dnnl = Dnnl.get();
        if (!dnnl.nativeBf16()) {
            throw new IllegalStateException("Autocast.bf16(): oneDNN " + dnnl.version() + " runs on ISA " + dnnl.isa() + " here, which has no bfloat16"
                    + " arithmetic (it needs AVX512-BF16 or AMX: AMD Zen 4 and later, Intel Cooper Lake or Sapphire Rapids and later), so bfloat16"
                    + " GEMMs would be emulated, slower than float32; train in float32 on this CPU");
        }
        return new Autocast();
    }

    /** True inside a bfloat16 autocast scope on this thread ({@code torch.is_autocast_cpu_enabled()}). */
    public static boolean isEnabled() { return AutocastState.active(); }

    /** Leaves the scope; leaving the outermost drops the cached bfloat16 copies of the weights. */
    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("Autocast scope opened on thread " + owner.getName() + " closed on " + Thread.currentThread().getName());
        }
        closed = true;
        AutocastState.exit();
    }
}
