package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.map;
import static dev.panagrad.ops.Ops.none;
import static dev.panagrad.ops.Ops.save;
import static dev.panagrad.ops.Ops.typeName;
import static dev.panagrad.ops.Ops.zip;

import dev.panagrad.array.Elementwise;
import dev.panagrad.array.Shape;
import dev.panagrad.graph.Node;
import dev.panagrad.kernel.BinaryOp;
import dev.panagrad.kernel.UnaryOp;
import dev.panagrad.memory.DType;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;

/**
 * Element-wise ops: unary maps, the arithmetic with broadcasting and type promotion, {@code where},
 * {@code masked_fill}, and the comparisons (boolean results, no graph). Each differentiable op is one
 * declaration: its node name, its forward, what it saves, and the gradient of each input.
 */
public final class Pointwise {
    private Pointwise() {}

    // ---------------------------------------------------------------- unary

    /** A unary op whose formula reads its input ({@code x}) or its result ({@code y}), as {@code saveInput} says. */
    private static <T extends Operand<T>> T unary(String name, UnaryOp op, T x, boolean saveInput, Node.Backward<T> formula) {
        T y = map(op, x);
        return apply(name, y, in(x), saveInput ? save(x) : save(y), formula);
    }

    @Op("NegBackward0")
    public static <T extends Operand<T>> T neg(T x) {
        if (x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        }
        return apply("NegBackward0", map(UnaryOp.NEG, x), in(x), none(), (n, g) -> grads(neg(g)));
    }

    /** e^x; d/dx = result. */
    @Op("ExpBackward0")
    public static <T extends Operand<T>> T exp(T x) {
        return unary("ExpBackward0", UnaryOp.EXP, x, false, (n, g) -> grads(mul(g, n.saved(0))));
    }

    /** ln x; d/dx = 1/x. */
    @Op("LogBackward0")
    public static <T extends Operand<T>> T log(T x) {
        return unary("LogBackward0", UnaryOp.LOG, x, true, (n, g) -> grads(div(g, n.saved(0))));
    }

    /** √x; d/dx = 1/(2·result). */
    @Op("SqrtBackward0")
    public static <T extends Operand<T>> T sqrt(T x) {
        return unary("SqrtBackward0", UnaryOp.SQRT, x, false, (n, g) -> grads(div(g, mul(n.saved(0), 2))));
    }

    /** |x|; d/dx = sign(x), 0 at 0. */
    @Op("AbsBackward0")
    public static <T extends Operand<T>> T abs(T x) {
        if (x.dtype() == DType.BOOL) throw new IllegalArgumentException("\"abs_cpu\" not implemented for 'Bool'");
        return unary("AbsBackward0", UnaryOp.ABS, x, true, (n, g) -> grads(mul(g, map(UnaryOp.SIGN, n.saved(0)))));
    }

    /** sin x; d/dx = cos x. */
    @Op("SinBackward0")
    public static <T extends Operand<T>> T sin(T x) {
        return unary("SinBackward0", UnaryOp.SIN, x, true, (n, g) -> grads(mul(g, cos(n.saved(0)))));
    }

    /** cos x; d/dx = −sin x. */
    @Op("CosBackward0")
    public static <T extends Operand<T>> T cos(T x) {
        return unary("CosBackward0", UnaryOp.COS, x, true, (n, g) -> grads(neg(mul(g, sin(n.saved(0))))));
    }

    /** tanh x; d/dx = 1 − result². */
    @Op("TanhBackward0")
    public static <T extends Operand<T>> T tanh(T x) {
        return unary("TanhBackward0", UnaryOp.TANH, x, false, (n, g) -> {
            T y = n.saved(0);
            return grads(mul(g, rsub(mul(y, y), 1)));
        });
    }

    /** σ(x); d/dx = result·(1 − result). */
    @Op("SigmoidBackward0")
    public static <T extends Operand<T>> T sigmoid(T x) {
        return unary("SigmoidBackward0", UnaryOp.SIGMOID, x, false, (n, g) -> {
            T y = n.saved(0);
            return grads(mul(mul(g, y), rsub(y, 1)));
        });
    }

    /** The error function ({@code torch.erf}); d/dx = 2/√π·e^(−x²). */
    @Op("ErfBackward0")
    public static <T extends Operand<T>> T erf(T x) {
        return unary("ErfBackward0", UnaryOp.ERF, x, true, (n, g) -> {
            T s = n.saved(0);
            return grads(mul(g, mul(exp(neg(mul(s, s))), 2 / Math.sqrt(Math.PI))));
        });
    }

    /** x·σ(x) ({@code F.silu}); d/dx = σ(x)·(1 + x·(1 − σ(x))). */
    @Op("SiluBackward0")
    public static <T extends Operand<T>> T silu(T x) {
        return unary("SiluBackward0", UnaryOp.SILU, x, true, (n, g) -> {
            T s = n.saved(0), sig = sigmoid(s);
            return grads(mul(g, mul(sig, add(mul(s, rsub(sig, 1)), 1))));
        });
    }

    /** max(x, 0), NaN stays NaN; d/dx = 0 where result ≤ 0, else 1 (so 0 at 0 and 1 at NaN, as PyTorch's threshold_backward). */
    @Op("ReluBackward0")
    public static <T extends Operand<T>> T relu(T x) {
        if (x.dtype() == DType.BOOL) throw new IllegalArgumentException("Boolean inputs not supported for relu");
        return unary("ReluBackward0", UnaryOp.RELU, x, false, (n, g) -> grads(reluGrad(g, n.saved(0), false)));
    }

    /**
     * relu's formula: {@code g} where the relu output {@code y} is positive (or NaN), else 0; one pass when
     * both are contiguous, written into {@code g} itself when {@code intoGrad} (g the engine's own temporary).
     * With grad mode on (a formula being recorded) it is the differentiable {@code masked_fill}.
     */
    static <T extends Operand<T>> T reluGrad(T g, T y, boolean intoGrad) {
        T fused = dev.panagrad.graph.GradMode.isEnabled() ? null : Elementwise.reluBackward(g, y, intoGrad, g.factory());
        return fused != null ? fused : maskedFill(g, le(y, 0), 0);
    }

    /** Clamps into [min, max] (either may be infinite; NaN stays NaN); d/dx = 1 inside, bounds included, 0 at NaN. */
    @Op({"ClampBackward1", "ClampMinBackward0", "ClampMaxBackward0"})
    public static <T extends Operand<T>> T clamp(T x, double min, double max) {
        if (min > max) throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        T out = zip(BinaryOp.MIN, zip(BinaryOp.MAX, x, min), max);
        String name = Double.isInfinite(max) ? "ClampMinBackward0" : Double.isInfinite(min) ? "ClampMaxBackward0" : "ClampBackward1";
        return apply(name, out, in(x), save(x), (n, g) -> {
            T s = n.saved(0);
            return grads(maskedFill(g, eq(and(ge(s, min), le(s, max)), 0), 0));
        });
    }

    // ---------------------------------------------------------------- binary arithmetic

    /** a + alpha·b ({@code torch.add(a, b, alpha=...)}); d/da = g, d/db = alpha·g. */
    @Op("AddBackward0")
    public static <T extends Operand<T>> T add(T a, T b, double alpha) {
        T out = zip(BinaryOp.ADD, a, alpha == 1 ? b : zip(BinaryOp.MUL, b, alpha));
        return apply("AddBackward0", out, in(a, b), none(), (n, g) -> grads(g, n.needsInputGrad(1) ? (alpha == 1 ? g : mul(g, alpha)) : null));
    }

    public static <T extends Operand<T>> T add(T a, T b) { return add(a, b, 1); }

    @Op("AddBackward0")
    public static <T extends Operand<T>> T add(T a, double s) {
        return apply("AddBackward0", zip(BinaryOp.ADD, a, s), in(a), none(), (n, g) -> grads(g));
    }

    /** a − alpha·b; d/da = g, d/db = −alpha·g. */
    @Op("SubBackward0")
    public static <T extends Operand<T>> T sub(T a, T b, double alpha) {
        checkNotBoolSubtraction(a.dtype(), b.dtype());
        T out = zip(BinaryOp.SUB, a, alpha == 1 ? b : zip(BinaryOp.MUL, b, alpha));
        return apply("SubBackward0", out, in(a, b), none(), (n, g) -> grads(g, n.needsInputGrad(1) ? mul(g, -alpha) : null));
    }

    public static <T extends Operand<T>> T sub(T a, T b) { return sub(a, b, 1); }

    @Op("SubBackward0")
    public static <T extends Operand<T>> T sub(T a, double s) {
        checkNotBoolSubtraction(a.dtype(), DType.I64);
        return apply("SubBackward0", zip(BinaryOp.SUB, a, s), in(a), none(), (n, g) -> grads(g));
    }

    /** s − x ({@code s - x} in Python); d/dx = −g. */
    @Op("RsubBackward1")
    public static <T extends Operand<T>> T rsub(T x, double s) {
        checkNotBoolSubtraction(x.dtype(), DType.I64);
        return apply("RsubBackward1", zip(BinaryOp.ADD, map(UnaryOp.NEG, x), s), in(x), none(), (n, g) -> grads(neg(g)));
    }

    /** a·b; d/da = g·b, d/db = g·a. */
    @Op("MulBackward0")
    public static <T extends Operand<T>> T mul(T a, T b) {
        return apply("MulBackward0", zip(BinaryOp.MUL, a, b), in(a, b), save(a, b), (n, g) -> grads(
                n.needsInputGrad(0) ? mul(g, n.saved(1)) : null,
                n.needsInputGrad(1) ? mul(g, n.saved(0)) : null));
    }

    @Op("MulBackward0")
    public static <T extends Operand<T>> T mul(T a, double s) {
        return apply("MulBackward0", zip(BinaryOp.MUL, a, s), in(a), none(), (n, g) -> grads(mul(g, s)));
    }

    /** a / b; d/da = g/b, d/db = −g·a/b². */
    @Op("DivBackward0")
    public static <T extends Operand<T>> T div(T a, T b) {
        return apply("DivBackward0", zip(BinaryOp.DIV, a, b), in(a, b), save(a, b), (n, g) -> {
            T d = n.saved(1);
            return grads(n.needsInputGrad(0) ? div(g, d) : null, n.needsInputGrad(1) ? div(mul(neg(g), n.saved(0)), mul(d, d)) : null);
        });
    }

    @Op("DivBackward0")
    public static <T extends Operand<T>> T div(T a, double s) {
        return apply("DivBackward0", zip(BinaryOp.DIV, a, s), in(a), none(), (n, g) -> grads(div(g, s)));
    }

    /** x^p; d/dx = p·x^(p−1) (0 when p = 0). */
    @Op("PowBackward0")
    public static <T extends Operand<T>> T pow(T x, double p) {
        return apply("PowBackward0", powRaw(x, p), in(x), save(x), (n, g) -> {
            if (p == 0) return grads(Ops.zeros(g, g.dtype(), g.shapeView()));
            return grads(mul(g, mul(pow(n.saved(0), p - 1), p)));
        });
    }

    /**
     * x^p as PyTorch computes a tensor to a number: √x for 0.5 and 1/√x for −0.5 (NaN at −inf, ∓0 at −0,
     * where C's pow differs); an int64 or bool tensor to a whole power stays int64 (exact, wrapping).
     */
    private static <T extends Operand<T>> T powRaw(T x, double p) {
        if (!x.dtype().isFloatingPoint() && p < 0 && p == Math.rint(p)) throw new IllegalArgumentException("Integers to negative integer powers are not allowed.");
        if (p == 0.5) return map(UnaryOp.SQRT, x);
        if (p == -0.5) return map(UnaryOp.RSQRT, x);
        return zip(BinaryOp.POW, x, p);
    }

    /** a^b element-wise; d/da = b·a^(b−1) (0 where b = 0); d/db = result·ln a (0 where a = 0 and b ≥ 0). */
    @Op("PowBackward1")
    public static <T extends Operand<T>> T pow(T a, T b) {
        T out = zip(BinaryOp.POW, a, b);
        return apply("PowBackward1", out, in(a, b), save(a, b, out), (n, g) -> {
            T x = n.saved(0), e = n.saved(1);
            T da = n.needsInputGrad(0) ? maskedFill(mul(g, mul(e, pow(x, sub(e, 1)))), eq(e, 0), 0) : null;
            T db = n.needsInputGrad(1) ? maskedFill(mul(g, mul(n.saved(2), log(x))), and(eq(x, 0), ge(e, 0)), 0) : null;
            return grads(da, db);
        });
    }

    private static void checkNotBoolSubtraction(DType a, DType b) {
        if (a == DType.BOOL && b == DType.BOOL) {
            throw new IllegalArgumentException("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.");
        }
        if (a == DType.BOOL || b == DType.BOOL) {
            throw new IllegalArgumentException("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        }
    }

    // ---------------------------------------------------------------- selection

    /** {@code torch.where(cond, a, b)}: a where cond, else b, broadcast; d/da = g where cond, d/db = g elsewhere. */
    @Op("WhereBackward0")
    public static <T extends Operand<T>> T where(T cond, T a, T b) {
        if (cond.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where expected condition to be a boolean tensor, but got a tensor with dtype " + typeName(cond.dtype()));
        }
        int[] shape = Shape.broadcast("where", cond.shapeView(), Shape.broadcast("where", a.shapeView(), b.shapeView()));
        T out = Elementwise.where(cond, a, b, shape, Elementwise.promote(a, b), a.factory());
        return apply("WhereBackward0", out, in(a, b), save(cond), (n, g) -> {
            T m = n.saved(0);
            return grads(n.needsInputGrad(0) ? maskedFill(g, eq(m, 0), 0) : null, n.needsInputGrad(1) ? maskedFill(g, ne(m, 0), 0) : null);
        });
    }

    /** A copy with {@code value} where {@code mask} is true; d/dx = g where the mask is false. */
    @Op("MaskedFillBackward0")
    public static <T extends Operand<T>> T maskedFill(T x, T mask, double value) {
        if (mask.dtype() != DType.BOOL) throw new IllegalArgumentException("masked_fill only supports boolean masks, but got mask with dtype " + mask.dtype().pytorchName());
        int[] shape = Shape.broadcast("masked_fill", x.shapeView(), mask.shapeView());
        if (!Arrays.equals(shape, x.shapeView())) return maskedFill(Views.expand(x, shape), mask, value);   // out of place, the result takes the broadcast shape
        T out = Elementwise.maskedFill(x, mask, value, x.factory());
        return apply("MaskedFillBackward0", out, in(x), save(mask), (n, g) -> grads(maskedFill(g, n.saved(0), 0)));
    }

    // ---------------------------------------------------------------- comparisons and logic: bool results, no graph

    public static <T extends Operand<T>> T lt(T a, T b) { return zip(BinaryOp.LT, a, b); }
    public static <T extends Operand<T>> T gt(T a, T b) { return zip(BinaryOp.GT, a, b); }
    public static <T extends Operand<T>> T le(T a, T b) { return zip(BinaryOp.LE, a, b); }
    public static <T extends Operand<T>> T ge(T a, T b) { return zip(BinaryOp.GE, a, b); }
    public static <T extends Operand<T>> T eq(T a, T b) { return zip(BinaryOp.EQ, a, b); }
    public static <T extends Operand<T>> T ne(T a, T b) { return zip(BinaryOp.NE, a, b); }
    public static <T extends Operand<T>> T lt(T a, double s) { return zip(BinaryOp.LT, a, s); }
    public static <T extends Operand<T>> T gt(T a, double s) { return zip(BinaryOp.GT, a, s); }
    public static <T extends Operand<T>> T le(T a, double s) { return zip(BinaryOp.LE, a, s); }
    public static <T extends Operand<T>> T ge(T a, double s) { return zip(BinaryOp.GE, a, s); }
    public static <T extends Operand<T>> T eq(T a, double s) { return zip(BinaryOp.EQ, a, s); }
    public static <T extends Operand<T>> T ne(T a, double s) { return zip(BinaryOp.NE, a, s); }
    public static <T extends Operand<T>> T and(T a, T b) { return zip(BinaryOp.AND, a, b); }
    public static <T extends Operand<T>> T or(T a, T b) { return zip(BinaryOp.OR, a, b); }
}
