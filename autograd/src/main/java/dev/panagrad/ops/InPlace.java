package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.none;

import dev.panagrad.array.Elementwise;
import dev.panagrad.array.Layout;
import dev.panagrad.array.Shape;
import dev.panagrad.graph.GradMode;
import dev.panagrad.kernel.BinaryOp;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * In-place ops ({@code add_}, {@code mul_}, {@code fill_}, {@code copy_}, ...). Each has two paths: when
 * nothing is recorded and the layouts allow, one kernel writes straight into the tensor; otherwise the
 * out-of-place op computes the result and {@link Operand#inPlace} writes it, bumps the version
 * counter and rebases the history (PyTorch's rules and messages for leaves and views).
 */
public final class InPlace {
    private InPlace() {}

    /** x += alpha·o. */
    public static <T extends Operand<T>> T add(T x, T o, double alpha) {
        x.checkWritable(o);
        if (!x.writesDirectly(o)) return x.inPlace(v -> Pointwise.add(v, o, alpha), o);
        Elementwise.addScaledInPlace(x, o, alpha);
        return x.wrote();
    }

    public static <T extends Operand<T>> T add(T x, double s) { return scalar(x, BinaryOp.ADD, s, v -> Pointwise.add(v, s)); }

    public static <T extends Operand<T>> T sub(T x, T o) { return zip(x, BinaryOp.SUB, o, v -> Pointwise.sub(v, o)); }

    public static <T extends Operand<T>> T sub(T x, double s) { return scalar(x, BinaryOp.SUB, s, v -> Pointwise.sub(v, s)); }

    public static <T extends Operand<T>> T mul(T x, T o) { return zip(x, BinaryOp.MUL, o, v -> Pointwise.mul(v, o)); }

    public static <T extends Operand<T>> T mul(T x, double s) { return scalar(x, BinaryOp.MUL, s, v -> Pointwise.mul(v, s)); }

    public static <T extends Operand<T>> T div(T x, T o) { return zip(x, BinaryOp.DIV, o, v -> Pointwise.div(v, o)); }

    public static <T extends Operand<T>> T div(T x, double s) { return scalar(x, BinaryOp.DIV, s, v -> Pointwise.div(v, s)); }

    public static <T extends Operand<T>> T clamp(T x, double min, double max) {
        x.checkWritable(null);
        if (!x.writesDirectly(null) || min > max) return x.inPlace(v -> Pointwise.clamp(v, min, max), null);
        Elementwise.zipScalarInPlace(BinaryOp.MAX, x, min);
        Elementwise.zipScalarInPlace(BinaryOp.MIN, x, max);
        return x.wrote();
    }

    public static <T extends Operand<T>> T maskedFill(T x, T mask, double value) {
        int[] target = Shape.broadcast("masked_fill_", x.shapeView(), mask.shapeView());
        if (!Arrays.equals(target, x.shapeView())) {
            throw new IllegalArgumentException("masked_fill_: a mask of shape " + Shape.str(mask.shapeView()) + " does not broadcast to the written-to tensor's shape " + Shape.str(x.shapeView()));
        }
        return x.inPlace(v -> Pointwise.maskedFill(v, mask, value), null);
    }

    /** {@code fill_(value)}; recorded as FillBackward0 (a zero gradient to the old value). */
    @Op("FillBackward0")
    public static <T extends Operand<T>> T fill(T x, double value) {
        x.checkNotInferenceOutside();
        if (!(GradMode.isEnabled() && x.requiresGrad())) {   // nothing to record: write in place, no temporary
            if (x.isContiguous()) Elementwise.fillInPlace(x, value);
            else Ops.assign(x, x.factory().full(x.dtype(), value, new int[0]));
            return x.wrote();
        }
        return x.inPlace(v -> apply("FillBackward0", v.factory().full(v.dtype(), value, v.shape()), in(v), none(),
                (n, g) -> grads(Ops.zeros(g, g.dtype(), g.shapeView()))), null);
    }

    /** {@code copy_(src)}: src's values (broadcast, converted to x's dtype) into x; CopyBackwards sends g to src. */
    @Op("CopyBackwards")
    public static <T extends Operand<T>> T copy(T x, T src) {
        int[] target = x.shapeView();
        if (!Arrays.equals(Shape.broadcast("copy_", target, src.shapeView()), target)) {
            throw new IllegalArgumentException("copy_: source of shape " + Shape.str(src.shapeView()) + " does not broadcast to " + Shape.str(target));
        }
        x.checkWritable(src);
        if (x.writesDirectly(src)) {
            Elementwise.copyInPlace(x, src);
            return x.wrote();
        }
        return x.inPlace(v -> apply("CopyBackwards", Layout.converted(Ops.expandRaw(src, target), x.dtype(), x.factory()), in(v, src), none(),
                (n, g) -> grads(n.needsInputGrad(0) ? Ops.zeros(g, g.dtype(), g.shapeView()) : null, g)), src);
    }

    private static <T extends Operand<T>> T scalar(T x, BinaryOp op, double s, UnaryOperator<T> general) {
        x.checkWritable(null);
        if (!x.writesDirectly(null)) return x.inPlace(general, null);
        Elementwise.zipScalarInPlace(op, x, s);
        return x.wrote();
    }

    private static <T extends Operand<T>> T zip(T x, BinaryOp op, T o, UnaryOperator<T> general) {
        x.checkWritable(o);
        if (!x.writesDirectly(o)) return x.inPlace(general, o);
        Elementwise.zipInPlace(op, x, o);
        return x.wrote();
    }
}
