package dev.panagrad.ops;

import static dev.panagrad.ops.Ops.apply;
import static dev.panagrad.ops.Ops.grads;
import static dev.panagrad.ops.Ops.in;
import static dev.panagrad.ops.Ops.reshapeRaw;
import static dev.panagrad.ops.Ops.save;
import static dev.panagrad.ops.Pointwise.mul;
import static dev.panagrad.ops.Views.reshape;
import static dev.panagrad.ops.Views.t;
import static dev.panagrad.ops.Views.transpose;
import static dev.panagrad.ops.Views.unsqueeze;

import dev.panagrad.array.Elementwise;
import dev.panagrad.array.Gemm;
import dev.panagrad.array.Layout;
import dev.panagrad.array.Shape;
import dev.panagrad.graph.GradMode;
import dev.panagrad.kernel.UnaryOp;
import dev.panagrad.memory.DType;
import dev.panagrad.ops.Ops.Op;
import java.util.Arrays;

/**
 * Matrix products with PyTorch's rules (dot, mv, mm, batched and broadcast bmm, and the folds PyTorch
 * makes of a batch against a matrix), and the fused linear layer. The GEMMs go to the BLAS bridge
 * through {@link Gemm}, zero-copy when a layout is one BLAS can read.
 */
public final class LinearAlgebra {
    private LinearAlgebra() {}

    /** Matrix product: 1D·1D dot, 2D·1D, 1D·2D, 2D·2D, batched and broadcast ND. */
    @Op({"DotBackward0", "MvBackward0", "MmBackward0", "BmmBackward0"})
    public static <T extends Operand<T>> T matmul(T a, T b) {
        int[] as = a.shapeView(), bs = b.shapeView();
        boolean autocast = AutocastState.castsProduct(a, b);
        if (!autocast && (!a.dtype().isFloatingPoint() || a.dtype() != b.dtype())) {
            throw new IllegalArgumentException("matmul: expected both operands to have the same floating dtype, but got " + a.dtype().pytorchName() + " and " + b.dtype().pytorchName());
        }
        if (as.length == 0 || bs.length == 0) throw new IllegalArgumentException("both arguments to matmul need to be at least 1D, but they are " + as.length + "D and " + bs.length + "D");
        int k1 = as[as.length - 1];
        int k2 = bs.length == 1 ? bs[0] : bs[bs.length - 2];
        if (k1 != k2) {
            throw new IllegalArgumentException("matmul: " + Shape.str(as) + " @ " + Shape.str(bs) + ": inner sizes " + k1 + " != " + k2
                    + " (mat1 and mat2 shapes cannot be multiplied)");
        }
        if (autocast) return autocastMatmul(a, b);
        if (as.length == 1 && bs.length == 1) {
            T out = reshapeRaw(mmRaw(reshapeRaw(a, new int[] {1, k1}), reshapeRaw(b, new int[] {k1, 1})), new int[0]);
            return apply("DotBackward0", out, in(a, b), save(a, b), (n, g) -> grads(
                    n.needsInputGrad(0) ? mul(n.saved(1), g) : null,
                    n.needsInputGrad(1) ? mul(n.saved(0), g) : null));
        }
        if (as.length == 2 && bs.length == 1) {
            T out = reshapeRaw(mmRaw(a, reshapeRaw(b, new int[] {k1, 1})), new int[] {as[0]});
            return apply("MvBackward0", out, in(a, b), save(a, b), (n, g) -> grads(
                    n.needsInputGrad(0) ? matmul(unsqueeze(g, 1), unsqueeze(n.saved(1), 0)) : null,
                    n.needsInputGrad(1) ? matmul(t(n.saved(0)), g) : null));
        }
        if (as.length == 1 && bs.length == 2) return Views.squeeze(matmul(unsqueeze(a, 0), b), -2);
        if (bs.length >= 3 && as.length <= 2) return foldedMatmulFrom(a, b);
        if (as.length >= 3 && bs.length <= 2) {
            // PyTorch folds the batch into the rows: one mm (or mv) on [batch * m, k]
            int[] out = Arrays.copyOf(as, as.length - (bs.length == 1 ? 1 : 0));
            if (bs.length == 2) out[out.length - 1] = bs[1];
            return reshape(matmul(reshape(a, foldedRows(as, as.length - 1, 1), k1), b), out);   // not -1: k1 may be 0
        }
        if (as.length == 2 && bs.length == 2) {
            return apply("MmBackward0", mmRaw(a, b), in(a, b), save(a, b), (n, g) -> {
                T x = n.saved(0), y = n.saved(1);
                // an input that is a transposed view (a Linear's weight.t()) gets its gradient computed in the
                // weight's own layout and returned transposed: the weight's .grad then adds contiguously
                T ga = !n.needsInputGrad(0) ? null : x.isTransposedContiguous() ? t(matmul(y, t(g))) : matmul(g, t(y));
                T gb = !n.needsInputGrad(1) ? null : y.isTransposedContiguous() ? t(matmul(t(g), x)) : matmul(t(x), g);
                return grads(ga, gb);
            });
        }
        // batched: broadcast the batch dimensions, then one strided-batched GEMM over all the matrices
        int[] batch = Shape.broadcast("matmul", Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        int m = as[as.length - 2], n = bs[bs.length - 1];
        int count = Shape.dimSize(Shape.numel(batch), "matmul batch");
        int[] aShape = Arrays.copyOf(batch, batch.length + 2), bShape = Arrays.copyOf(batch, batch.length + 2), outShape = Arrays.copyOf(batch, batch.length + 2);
        aShape[batch.length] = m; aShape[batch.length + 1] = k1;
        bShape[batch.length] = k1; bShape[batch.length + 1] = n;
        outShape[batch.length] = m; outShape[batch.length + 1] = n;
        T a3 = reshapeRaw(Ops.expandRaw(a, aShape), new int[] {count, m, k1});
        T b3 = reshapeRaw(Ops.expandRaw(b, bShape), new int[] {count, k1, n});
        T out = reshapeRaw(Gemm.bmm(a3, b3, a.factory()), outShape);   // one strided-batched GEMM
        if (a3.storage() != a.storage()) a3.storage().release("matmul: the broadcast batch of an operand, after the product");
        if (b3.storage() != b.storage()) b3.storage().release("matmul: the broadcast batch of an operand, after the product");
        return apply("BmmBackward0", out, in(a, b), save(a, b), (nd, g) -> grads(
                nd.needsInputGrad(0) ? matmul(g, transpose(nd.saved(1), -1, -2)) : null,
                nd.needsInputGrad(1) ? matmul(transpose(nd.saved(0), -1, -2), g) : null));
    }

    /**
     * A 1-D or 2-D {@code a} times a batch {@code b} (3 dims or more), as PyTorch folds it: the batch's
     * transposed matrices stacked into one [batch * n, k] operand (a copy, so what backward saves does
     * not alias b), one mv or mm, then the batch shape back.
     */
    private static <T extends Operand<T>> T foldedMatmulFrom(T a, T b) {
        int[] as = a.shapeView(), bs = b.shapeView();
        int k = bs[bs.length - 2], n = bs[bs.length - 1];
        int[] batch = Arrays.copyOf(bs, bs.length - 2);
        T folded = reshape(transpose(b, -1, -2), foldedRows(bs, bs.length - 2, n), k);   // not -1: k may be 0
        if (as.length == 1) {
            int[] out = Arrays.copyOf(batch, batch.length + 1);
            out[batch.length] = n;
            return reshape(matmul(folded, a), out);
        }
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = n;
        out[batch.length + 1] = as[0];
        return Views.contiguous(transpose(reshape(matmul(folded, t(a)), out), -1, -2));
    }

    /** The rows a fold stacks: the product of {@code sizes[0 .. upTo)} times {@code times}, as one dimension. */
    private static int foldedRows(int[] sizes, int upTo, int times) {
        long rows = times;
        for (int d = 0; d < upTo; d++) rows = Math.multiplyExact(rows, sizes[d]);
        return Shape.dimSize(rows, "matmul");
    }

    private static <T extends Operand<T>> T mmRaw(T a, T b) { return Gemm.mm(a, b, a.factory()); }

    /**
     * matmul inside {@code Autocast.bf16()} (see {@link AutocastState}): a 2-D product is one bfloat16
     * GEMM with float32 output (MmBackward0, whose backward GEMMs are bfloat16 too, on the copies the
     * forward saved); any other shape is matmul of the operands cast to bfloat16 (ToCopyBackward0),
     * back to float32.
     */
    private static <T extends Operand<T>> T autocastMatmul(T a, T b) {
        if (a.dim() != 2 || b.dim() != 2) return Views.to(matmul(Views.to(a, DType.BF16), Views.to(b, DType.BF16)), DType.F32);
        T ab = AutocastState.weightBf16(a), bb = AutocastState.weightBf16(b);
        T out = Gemm.mmMixed(ab, bb, a.factory());
        DType da = a.dtype(), db = b.dtype();
        return apply("MmBackward0", out, in(a, b), save(a, b, ab, bb), (n, g) -> {
            if (GradMode.isEnabled()) {   // a formula being recorded: the differentiable composition
                return grads(n.needsInputGrad(0) ? matmul(g, t(n.saved(1))) : null, n.needsInputGrad(1) ? matmul(t(n.saved(0)), g) : null);
            }
            T gb = AutocastState.bf16(g), xb = n.saved(2), yb = n.saved(3);
            return grads(n.needsInputGrad(0) ? as(Gemm.mmMixed(gb, Layout.transpose(yb, 0, 1, g.factory()), g.factory()), da) : null,
                    n.needsInputGrad(1) ? as(Gemm.mmMixed(Layout.transpose(xb, 0, 1, g.factory()), gb, g.factory()), db) : null);
        });
    }

    /** A float32 gradient in its input's dtype (raw: the formulas that call it run with grad mode off). */
    private static <T extends Operand<T>> T as(T grad, DType dtype) {
        return grad.dtype() == dtype ? grad : Layout.converted(grad, dtype, grad.factory());
    }

    /** {@code torch.bmm}: {@link #matmul} for two 3-D operands of one batch size (no broadcasting), PyTorch's checks. */
    public static <T extends Operand<T>> T bmm(T a, T b) {
        if (a.dim() != 3) throw new IllegalArgumentException("batch1 must be a 3D tensor");
        if (b.dim() != 3) throw new IllegalArgumentException("batch2 must be a 3D tensor");
        int[] as = a.shapeView(), bs = b.shapeView();
        if (as[0] != bs[0] || as[2] != bs[1]) {
            throw new IllegalArgumentException("Expected size for first two dimensions of batch2 tensor to be: [" + as[0] + ", " + as[2] + "] but got: [" + bs[0] + ", " + bs[1] + "].");
        }
        return matmul(a, b);
    }

    /** {@code torch.mm}: {@link #matmul} for 2-D operands only. */
    public static <T extends Operand<T>> T mm(T a, T b) {
        if (a.dim() != 2 || b.dim() != 2) throw new IllegalArgumentException("mm: expected 2-D tensors, got " + Shape.str(a.shapeView()) + " and " + Shape.str(b.shapeView()));
        return matmul(a, b);
    }

    /**
     * {@code x·wᵀ + b} for x [N, in], w [out, in], b [out] (or null), optionally followed by relu: a
     * Linear layer in one GEMM. The bias is laid into the output first and the GEMM adds to it (β = 1);
     * relu then runs in place. Backward (AddmmBackward0, or ReluBackward0 with relu) computes the
     * weight's gradient straight into {@code w.grad} with one GEMM (β = 1) when w is a leaf with a
     * contiguous gradient, so no weight-sized temporary is made.
     */
    @Op({"AddmmBackward0", "MmBackward0", "ReluBackward0"})
    public static <T extends Operand<T>> T linear(T x, T w, T b, boolean relu) {
        int[] xs = x.shapeView(), ws = w.shapeView();
        boolean autocast = AutocastState.castsProduct(x, w) && (b == null || b.dtype() == DType.F32 || b.dtype() == DType.BF16);
        if (x.dim() != 2 || w.dim() != 2 || xs[1] != ws[1] || (b != null && (b.dim() != 1 || b.shapeView()[0] != ws[0]))
                || (!autocast && (x.dtype() != w.dtype() || (b != null && b.dtype() != w.dtype())))) {
            throw new IllegalArgumentException("linear: input " + Shape.str(xs) + " " + x.dtype().pytorchName() + ", weight " + Shape.str(ws)
                    + (b == null ? "" : ", bias " + Shape.str(b.shapeView())) + ": expected input [N, in], weight [out, in], bias [out] of one dtype");
        }
        if (autocast) return autocastLinear(x, w, b, relu);
        T out = Ops.empty(x, x.dtype(), new int[] {xs[0], ws[0]});
        if (b != null) Gemm.fillRows(out, b, x.factory());
        Gemm.mmInto(x, Layout.transpose(w, 0, 1, w.factory()), out, b != null, x.factory());   // a view for BLAS's transpose flag, not a graph op
        if (relu) Elementwise.mapInPlace(UnaryOp.RELU, out);
        String name = relu ? "ReluBackward0" : b != null ? "AddmmBackward0" : "MmBackward0";
        return apply(name, out, in(x, w, b), relu ? save(x, w, out) : save(x, w), (n, g) -> {
            T gz = relu ? Pointwise.reluGrad(g, n.saved(2), n.canOverwriteGrad()) : g;
            T sx = n.saved(0), sw = n.saved(1);
            T gx = n.needsInputGrad(0) ? matmul(gz, sw) : null;
            T gw = null;
            if (n.needsInputGrad(1) && !(n.accumulatesIntoLeaves() && sw.accumulateGradProduct(t(gz), sx))) gw = matmul(t(gz), sx);
            T gb = n.needsInputGrad(2) ? Reductions.sum(gz, new int[] {0}, false) : null;
            return grads(gx, gw, gb);
        });
    }

    /**
     * linear inside {@code Autocast.bf16()}: x and the weight's cached bfloat16 copy in one oneDNN GEMM
     * with float32 output, the float32 bias laid in first (β = 1), relu in place. Backward casts the
     * incoming gradient to bfloat16 once and runs both GEMMs in bfloat16 with float32 results, on the
     * copies the forward saved; the weight's gradient goes straight into its float32 {@code .grad}.
     */
    private static <T extends Operand<T>> T autocastLinear(T x, T w, T b, boolean relu) {
        T xb = AutocastState.bf16(x), wb = AutocastState.weightBf16(w);
        T out = Ops.empty(x, DType.F32, new int[] {x.shapeView()[0], w.shapeView()[0]});
        if (b != null) Gemm.fillRows(out, b, x.factory());
        Gemm.mmInto(xb, Layout.transpose(wb, 0, 1, w.factory()), out, b != null, x.factory());
        if (relu) Elementwise.mapInPlace(UnaryOp.RELU, out);
        String name = relu ? "ReluBackward0" : b != null ? "AddmmBackward0" : "MmBackward0";
        DType dx = x.dtype(), dw = w.dtype(), dbias = b == null ? null : b.dtype();
        return apply(name, out, in(x, w, b), relu ? save(x, w, xb, wb, out) : save(x, w, xb, wb), (n, g) -> {
            T gz = relu ? Pointwise.reluGrad(g, n.saved(4), n.canOverwriteGrad()) : g;
            if (GradMode.isEnabled()) {   // a formula being recorded: the differentiable composition
                T sx = n.saved(0), sw = n.saved(1);
                return grads(n.needsInputGrad(0) ? matmul(gz, sw) : null, n.needsInputGrad(1) ? matmul(t(gz), sx) : null,
                        n.needsInputGrad(2) ? Reductions.sum(gz, new int[] {0}, false) : null);
            }
            T gzb = AutocastState.bf16(gz), sxb = n.saved(2), swb = n.saved(3), sw = n.saved(1);
            T gx = n.needsInputGrad(0) ? as(Gemm.mmMixed(gzb, swb, g.factory()), dx) : null;
            T gw = null;
            T gzt = Layout.transpose(gzb, 0, 1, g.factory());
            if (n.needsInputGrad(1) && !(dw == DType.F32 && sw.accumulateGradProduct(gzt, sxb))) gw = as(Gemm.mmMixed(gzt, sxb, g.factory()), dw);
            T gb = n.needsInputGrad(2) ? as(Reductions.sum(gz, new int[] {0}, false), dbias) : null;
            return grads(gx, gw, gb);
        });
    }
}
