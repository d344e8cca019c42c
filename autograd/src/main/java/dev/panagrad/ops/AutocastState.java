package dev.panagrad.ops;

import dev.panagrad.array.Layout;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.Storage;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The bfloat16 autocast state of the calling thread, as PyTorch's {@code torch.autocast("cpu",
 * dtype=torch.bfloat16)} keeps it: how deep the thread is in autocast scopes, and the cache of the
 * weights' bfloat16 copies. The user's handle is {@code dev.panagrad.Autocast}; the families ask
 * {@link #active()} and cast through here.
 *
 * <p>Which ops do what inside a scope, following PyTorch 1.13's CPU autocast lists:
 * <ul>
 *   <li>matmul (2-D and batched), mm and linear take float32 operands as bfloat16 and return
 *       float32 (PyTorch returns bfloat16; the product is accumulated in float32 either way, and
 *       Panagrad keeps it so rather than round it once more); their backward GEMMs run in bfloat16
 *       too, on the bfloat16 copies the forward saved;</li>
 *   <li>matmul of 1-D operands too (PyTorch casts {@code torch.matmul} whatever the shapes; only
 *       {@code torch.mv} and {@code torch.dot}, which Panagrad reaches only through matmul, are left alone);</li>
 *   <li>cross_entropy, nll_loss and mse_loss take bfloat16 inputs as float32 (PyTorch's float32 list);</li>
 *   <li>everything else (softmax, log_softmax, sums, means, element-wise ops) runs in its inputs' dtype,
 *       which, after a float32 GEMM, is float32.</li>
 * </ul>
 * Parameters, their gradients and optimizer state stay float32 (master weights). A weight's bfloat16
 * copy (a leaf that requires grad, as PyTorch caches) is made once per scope and reused while its
 * version counter says it has not been written and its buffer is live; the cache empties when the
 * outermost scope closes.
 */
public final class AutocastState {
    private AutocastState() {}

    private static final class State {
        int depth;
        long weightCasts;
        final Map<Operand<?>, Cached> cache = new IdentityHashMap<>();
    }

    private record Cached(Storage source, int version, Operand<?> copy) {}

    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

    /** Enters a scope on this thread (scopes nest). */
    public static void enter() { STATE.get().depth++; }

    /** Leaves a scope; leaving the outermost empties the weight cache. */
    public static void exit() {
        State s = STATE.get();
        if (s.depth == 0) throw new IllegalStateException("autocast: exit without a matching enter on thread " + Thread.currentThread().getName());
        if (--s.depth == 0) s.cache.clear();
    }

    /** True inside a bfloat16 autocast scope on this thread. */
    public static boolean active() {
        return STATE.get().depth > 0;
    }

    /** How many weight copies the cache holds now (for tests and reports). */
    public static int cachedWeights() { return STATE.get().cache.size(); }

    /** How many bfloat16 copies of weights this thread has made (cache misses), ever. */
    public static long weightCasts() { return STATE.get().weightCasts; }

    /** True when autocast turns a product of a and b into a bfloat16 one: both float32 or bfloat16, one of them float32. */
    static boolean castsProduct(Operand<?> a, Operand<?> b) {
        DType x = a.dtype(), y = b.dtype();
        return active() && (x == DType.F32 || x == DType.BF16) && (y == DType.F32 || y == DType.BF16) && (x == DType.F32 || y == DType.F32);
    }

    /** x's values as a new bfloat16 array outside the graph (x itself if it is bfloat16). */
    static <T extends Operand<T>> T bf16(T x) {
        return x.dtype() == DType.BF16 ? x : Layout.converted(x, DType.BF16, x.factory());
    }

    /** A weight's bfloat16 copy: from the cache for a leaf that requires grad and was not written since; else a new one. */
    @SuppressWarnings("unchecked")
    static <T extends Operand<T>> T weightBf16(T w) {
        if (w.dtype() == DType.BF16 || !(w.isLeaf() && w.requiresGrad()) || !active()) return bf16(w);
        Map<Operand<?>, Cached> cache = STATE.get().cache;
        Cached c = cache.get(w);
        if (c != null && c.source == w.storage() && c.version == w.storage().version() && !c.copy.storage().isReleased()) return (T) c.copy;
        T copy = bf16(w);
        STATE.get().weightCasts++;
        cache.put(w, new Cached(w.storage(), w.storage().version(), copy));
        return copy;
    }

    /** For PyTorch's float32 list (losses): a bfloat16 x as float32 inside a scope (differentiable), else x. */
    static <T extends Operand<T>> T fp32(T x) {
        return active() && x.dtype() == DType.BF16 ? Views.to(x, DType.F32) : x;
    }
}
