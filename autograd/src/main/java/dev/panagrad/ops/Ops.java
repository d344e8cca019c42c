package dev.panagrad.ops;

import dev.panagrad.array.Elementwise;
import dev.panagrad.array.Layout;
import dev.panagrad.array.Reduce;
import dev.panagrad.graph.Node;
import dev.panagrad.kernel.BinaryOp;
import dev.panagrad.kernel.UnaryOp;
import dev.panagrad.memory.DType;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;

/**
 * What every op family shares: the one {@link #apply} that records an op, the helpers a declaration
 * is written with ({@link #in}, {@link #save}, {@link #grads}), the raw forwards over the caller's
 * type ({@link #zip}, {@link #map}, ...), and the op table ({@link #FAMILIES}, each op marked
 * {@link Op} with the node names it records).
 *
 * <p>A declaration reads like an entry of PyTorch's {@code derivatives.yaml}: the node name, the
 * forward, the inputs, what is saved, and one formula per input, written with the families' own
 * (differentiable) ops so that a formula can itself be recorded:
 *
 * {@snippet :
 * @Op("MulBackward0")
 * public static <T extends Operand<T>> T mul(T a, T b) {
 *     return apply("MulBackward0", zip(BinaryOp.MUL, a, b), in(a, b), save(a, b), (n, g) -> grads(
 *             n.needsInputGrad(0) ? mul(g, n.saved(1)) : null,     // self:  grad * other
 *             n.needsInputGrad(1) ? mul(g, n.saved(0)) : null));   // other: grad * self
 * }
 * }
 */
public final class Ops {
    private Ops() {}

    /** The op families, in the order the op table lists them. */
    public static final List<Class<?>> FAMILIES = List.of(Pointwise.class, Reductions.class, Views.class, Indexing.class,
            LinearAlgebra.class, Losses.class, InPlace.class, Embedding.class, Transformer.class, Convolution.class, Pooling.class,
            Normalization.class, Activations.class);

    /** Marks a differentiable op of a family with the node names (PyTorch's grad_fn names) it may record. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    public @interface Op {
        String[] value();
    }

    /**
     * Records {@code out}, computed by the op's forward, as the output of node {@code name} when grad mode
     * is on and an input requires grad, and returns it. Saved values are version-checked when the
     * formula reads them back ({@code n.saved(i)}).
     */
    public static <T extends Operand<T>> T apply(String name, T out, T[] inputs, T[] saved, Node.Backward<T> formula) {
        out.record(name, inputs, saved, formula);
        return out;
    }

    /** The op's inputs, in the order its formula returns their gradients. */
    @SafeVarargs
    public static <T> T[] in(T... inputs) { return inputs; }

    /** What the formula reads back. */
    @SafeVarargs
    public static <T> T[] save(T... values) { return values; }

    /** Nothing saved. */
    public static <T> T[] none() { return null; }

    /** A formula's result: one gradient per input, null where the input needs none. */
    @SafeVarargs
    public static <T> T[] grads(T... grads) { return grads; }

    // ---------------------------------------------------------------- raw forwards, over the caller's type

    static <T extends Operand<T>> T zip(BinaryOp op, T a, T b) { return Elementwise.zip(op, a, b, a.factory()); }

    static <T extends Operand<T>> T zip(BinaryOp op, T a, double s) { return Elementwise.zipScalar(op, a, s, a.factory()); }

    static <T extends Operand<T>> T map(UnaryOp op, T a) { return Elementwise.map(op, a, a.factory()); }

    static <T extends Operand<T>> T sumRaw(T a, int[] dims, boolean keepdim) { return Reduce.sum(a, dims, keepdim, a.factory()); }

    static <T extends Operand<T>> T reshapeRaw(T a, int[] shape) { return Layout.reshape(a, shape, a.factory()); }

    static <T extends Operand<T>> T expandRaw(T a, int[] shape) { return Layout.expand(a, shape, a.factory()); }

    static <T extends Operand<T>> T copyRaw(T a) { return Layout.contiguousCopy(a, a.factory()); }

    static <T extends Operand<T>> T broadcastRaw(T a, int[] shape) { return Layout.broadcastData(a, shape, a.factory()); }

    static <T extends Operand<T>> T zeros(T like, DType dtype, int[] shape) { return like.factory().full(dtype, 0, shape); }

    static <T extends Operand<T>> T empty(T like, DType dtype, int[] shape) { return like.factory().empty(dtype, shape); }

    /** Writes {@code src}'s values (broadcast to dst's shape) into {@code dst}'s elements, outside the graph. */
    static <T extends Operand<T>> void assign(T dst, T src) { Layout.assign(dst, src, dst.factory()); }

    /** PyTorch's name of a dtype in messages: Float, Double, BFloat16, Long, Bool. */
    public static String typeName(DType t) {
        return switch (t) {
            case F32 -> "Float";
            case F64 -> "Double";
            case BF16 -> "BFloat16";
            case I64 -> "Long";
            case BOOL -> "Bool";
        };
    }
}
