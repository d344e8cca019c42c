package dev.panagrad.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.Generator;
import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.memory.DType;
import org.junit.jupiter.api.Test;

/** Sequential hands its hidden activations to the graph but never the caller's input (issue 10, item 9). */
class SequentialInputTest {
    /** A first layer returning a view of its input: {@code x.view(x.size(0), -1)}. */
    static final class Rows extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x.view(x.size(0), -1);
        }
    }

    @Test
    void sequentialNeverReleasesTheCallersInputWhenTheFirstLayerReturnsAView() {
        // x = torch.tensor([[[0.5,-1.,2.],[1.5,.25,-.75]],[[-2.,1.,.5],[0.,-.5,1.25]]], dtype=torch.float64, requires_grad=True)
        // out = F.linear(F.relu(F.linear(x.view(2, -1), w1, b1)), w2, b2); out.sum().backward()
        double[] values = {0.5, -1.0, 2.0, 1.5, 0.25, -0.75, -2.0, 1.0, 0.5, 0.0, -0.5, 1.25};
        Tensor x = Tensor.fromArray(DType.F64, values, 2, 2, 3).requiresGrad(true);
        Tensor firstRow = x.index("0");
        Linear l1 = new Linear(6, 3, true, DType.F64, new Generator(0)), l2 = new Linear(3, 1, true, DType.F64, new Generator(0));
        try (var off = Grad.disabled()) {
            l1.weight().copyFrom(Tensor.fromArray(DType.F64, new double[] {0.25, -0.5, 0.5, 1.0, -0.25, 0.75, -1.0, 0.5, 0.25, -0.5, 1.0, 0.5,
                    0.5, 0.5, -0.75, 0.25, 0.25, -1.0}, 3, 6));
            l1.bias().copyFrom(Tensor.fromArray(DType.F64, new double[] {0.5, -0.25, 0.125}, 3));
            l2.weight().copyFrom(Tensor.fromArray(DType.F64, new double[] {1.5, -0.5, 2.0}, 1, 3));
            l2.bias().copyFrom(Tensor.fromArray(DType.F64, new double[] {0.25}, 1));
        }
        Sequential model = new Sequential(new Rows(), l1, new ReLU(), l2);
        Tensor out = model.forward(x);
        out.sum().backward();
        assertArrayEquals(values, x.toDoubleArray());   // the caller's tensor and its views stay readable
        assertArrayEquals(new double[] {0.5, -1.0, 2.0, 1.5, 0.25, -0.75}, firstRow.toDoubleArray());
        assertArrayEquals(new double[] {4.75, 0.21875}, out.toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {0.375, -0.75, 0.75, 1.5, -0.375, 1.125, 0.875, -1.0, 0.625, 1.75, -0.875, 0.875}, x.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {-2.25, 0.0, 3.75, 2.25, -0.375, 0.75, 1.0, -0.5, -0.25, 0.0, 0.25, -0.625, 0, 0, 0, 0, 0, 0},
                l1.weight().grad().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {3.0, -0.5, 0.0}, l1.bias().grad().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {3.8125, 2.5, 0.0}, l2.weight().grad().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {2.0}, l2.bias().grad().toDoubleArray(), 1e-12);

        // a second forward and backward on the same input: still the caller's
        model.forward(x).sum().backward();
        assertArrayEquals(values, x.toDoubleArray());
        assertArrayEquals(new double[] {0.75, -1.5, 1.5, 3.0, -0.75, 2.25, 1.75, -2.0, 1.25, 3.5, -1.75, 1.75}, x.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void withoutGradTheInputSurvivesAViewFirstLayerAndTheIdentity() {
        // with torch.no_grad(): nothing saves the activations, so Sequential's hand-off releases them at once; the input must stay
        Identity first = new Identity();
        Linear l = new Linear(3, 2, true, DType.F32, new Generator(3));
        Tensor x = Tensor.fromArray(DType.F32, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor expected;
        try (var off = Grad.disabled()) {
            expected = l.forward(x).relu();
            for (Module head : new Module[] {new Rows(), first}) {
                Tensor out = new Sequential(head, l, new ReLU()).forward(x);
                assertArrayEquals(expected.toDoubleArray(), out.toDoubleArray(), 1e-6);
                assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, x.toDoubleArray());
            }
        }
    }

    /** Returns its input itself. */
    static final class Identity extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x;
        }
    }
}
