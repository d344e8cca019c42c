package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Products with one row ([1, k]·[k, n]) or one column ([m, k]·[k, 1]) go to BLAS as one matrix-vector
 * product (GEMV) over the operands' own memory: every layout BLAS can read without a copy (contiguous,
 * transposed, a strided row or column of a bigger matrix), float32 and float64, against a float64
 * reference computed element by element. Sizes are above the small-product threshold, so they reach
 * the selected BLAS.
 */
class OneRowProductTest {
    static final int K = 37, N = 29;

    static Tensor values(DType t, int rows, int cols, int salt) {
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = Math.sin(0.37 * i + salt) * 1.5;
        return Tensor.fromArray(t, v, rows, cols);
    }

    /** The layouts of a [rows, cols] operand: contiguous, a transposed buffer, a strided window of a bigger one. */
    static List<Supplier<Tensor>> layouts(DType t, int rows, int cols, int salt) {
        List<Supplier<Tensor>> out = new ArrayList<>();
        out.add(() -> values(t, rows, cols, salt));
        out.add(() -> values(t, cols, rows, salt).t());
        out.add(() -> values(t, rows + 2, 2 * cols + 1, salt).slice(0, 1, 1 + rows).slice(1, 1, 1 + 2 * cols, 2));   // strides [2 cols + 1, 2]
        out.add(() -> values(t, 2 * cols + 3, rows + 1, salt).t().slice(0, 0, rows).slice(1, 3, 3 + cols));          // a transposed window
        return out;
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            List<Supplier<Tensor>> rowsA = layouts(t, 1, K, 1), colsB = layouts(t, K, 1, 2), matsA = layouts(t, N, K, 3), matsB = layouts(t, K, N, 4);
            for (int i = 0; i < rowsA.size(); i++) {
                for (int j = 0; j < matsB.size(); j++) cases.add(Arguments.of(t + " row layout " + i + " · matrix layout " + j, rowsA.get(i), matsB.get(j)));
            }
            for (int i = 0; i < matsA.size(); i++) {
                for (int j = 0; j < colsB.size(); j++) cases.add(Arguments.of(t + " matrix layout " + i + " · column layout " + j, matsA.get(i), colsB.get(j)));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void oneRowAndOneColumnProductsMatchTheReference(String name, Supplier<Tensor> left, Supplier<Tensor> right) {
        Tensor a = left.get(), b = right.get();
        Tensor c = a.matmul(b);
        int m = a.size(0), k = a.size(1), n = b.size(1);
        assertArrayEquals(new int[] {m, n}, c.shape(), name);
        double tol = a.dtype() == DType.F32 ? 2e-5 : 1e-12;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double want = 0;
                for (int p = 0; p < k; p++) want += a.get(i, p) * b.get(p, j);
                assertEquals(want, c.get(i, j), tol * Math.max(1, Math.abs(want)), name + ": c[" + i + "][" + j + "]");
            }
        }
    }

    /** Linear(37 → 1): the weight's gradient (1 row) is a GEMV accumulated straight into .grad (β = 1) on the second backward. */
    @Test
    void aOneOutputLinearAccumulatesItsWeightGradientAcrossBackwards() {
        Tensor x = values(DType.F32, 40, K, 5);
        Tensor w = values(DType.F32, 1, K, 6).detach().requiresGrad(true);
        for (int pass = 1; pass <= 2; pass++) {
            Tensor y = Tensor.linear(x, w, null, false);
            y.sum().backward();
            for (int p = 0; p < K; p++) {
                double want = 0;
                for (int r = 0; r < 40; r++) want += x.get(r, p);
                want *= pass;
                assertEquals(want, w.grad().get(0, p), 2e-5 * Math.max(1, Math.abs(want)), "pass " + pass + ": w.grad[0][" + p + "]");
            }
        }
    }
}
