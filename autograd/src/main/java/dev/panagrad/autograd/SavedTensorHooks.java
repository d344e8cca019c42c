package dev.panagrad.autograd;

import dev.panagrad.Tensor;
import dev.panagrad.graph.SavedHooks;
import dev.panagrad.kernel.BFloat16;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.Storage;
import java.util.IdentityHashMap;
import java.util.function.Function;

/**
 * PyTorch's {@code torch.autograd.graph.saved_tensors_hooks}: while the returned scope is open, every
 * tensor an op saves for backward on this thread is handed to {@code pack}, whose result is kept instead
 * of the tensor; backward calls {@code unpack} on it to get the tensor back. Scopes nest (the innermost
 * is used) and must be closed on the thread that opened them, innermost first.
 *
 * {@snippet :
 * try (var hooks = SavedTensorHooks.with(t -> t.detach().clone(), p -> (Tensor) p)) {   // with saved_tensors_hooks(pack, unpack):
 *     loss = model.forward(x).sum();
 * }
 * loss.backward();   // unpack runs here
 * }
 *
 * As in PyTorch, a packed value is not version-checked (the pack made its own copy); a pack that returns
 * the tensor itself keeps it as an ordinary save does. A packed value that is {@link AutoCloseable} is
 * closed when backward has used it for the last time (or its graph is released), so a compact copy
 * leased from the pool goes back promptly.
 */
public final class SavedTensorHooks implements AutoCloseable {
    private final AutoCloseable pushed;

    private SavedTensorHooks(AutoCloseable pushed) {
        this.pushed = pushed;
    }

    /** Opens a scope with {@code pack} (at save time) and {@code unpack} (in backward). */
    public static SavedTensorHooks with(Function<Tensor, Object> pack, Function<Object, Tensor> unpack) {
        return new SavedTensorHooks(SavedHooks.push(pack, unpack));
    }

    @Override
    public void close() {
        try {
            pushed.close();
        } catch (Exception e) {
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
    }

    /** The smallest tensor (elements) {@link #bfloat16Activations()} packs: below it the bookkeeping costs more than it saves. */
    public static final long BFLOAT16_MIN_ELEMENTS = 4096;

    /**
     * A built-in use for memory-constrained training: saved float32 activations (contiguous, at least
     * {@link #BFLOAT16_MIN_ELEMENTS} elements, not parameters, that is not leaves that require grad) are
     * kept as bfloat16 (half the bytes, 8 bits of mantissa, rounded to nearest even) in the current
     * scope's pool and restored to float32 in backward; the float32 buffer itself is then not held by the
     * graph, so an activation the code declared unused ({@code dropWhenUnused}, as {@code Sequential}
     * does) goes back to the pool during the forward. A tensor saved twice (a layer's output and the next
     * layer's input) is packed once. Gradients change in the bits below bfloat16's precision (relative
     * error ≤ 2⁻⁹ per saved value).
     */
    public static SavedTensorHooks bfloat16Activations() {
        IdentityHashMap<Tensor, Packed> packedOf = new IdentityHashMap<>();
        return with(t -> {
            if (t.dtype() != DType.F32 || !t.isContiguous() || t.numel() < BFLOAT16_MIN_ELEMENTS || (t.isLeaf() && t.requiresGrad())) return t;
            Packed p = packedOf.get(t);
            if (p == null) {
                p = new Packed(t, packedOf);
                packedOf.put(t, p);
            }
            p.references++;
            return p;
        }, p -> p instanceof Packed b ? b.restore() : (Tensor) p);
    }

    /** bfloat16 bits of a float32 tensor in a lease of their own; closed by each save that shares it, released at the last. */
    private static final class Packed implements AutoCloseable {
        private final Storage bits;
        private final int[] shape;
        private final long count;
        private final Tensor key;
        private final IdentityHashMap<Tensor, Packed> table;
        int references;

        Packed(Tensor t, IdentityHashMap<Tensor, Packed> table) {
            this.count = t.numel();
            this.shape = t.shape();
            this.key = t;
            this.table = table;
            this.bits = Storage.allocate(count * 2, "bfloat16 saved activation");
            BFloat16.pack(t.storage().kernelSegment(), t.storageOffset(), count, bits.kernelSegment());
        }

        Tensor restore() {
            Tensor out = Tensor.empty(DType.F32, shape);
            BFloat16.unpack(bits.kernelSegment(), count, out.storage().kernelSegment());
            return out;
        }

        @Override
        public void close() {
            if (--references > 0) return;
            table.remove(key);
            bits.release();
        }
    }
}
