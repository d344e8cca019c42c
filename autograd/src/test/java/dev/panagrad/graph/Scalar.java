package dev.panagrad.graph;

import dev.panagrad.memory.DType;
import dev.panagrad.memory.Storage;
import java.util.ArrayList;
import java.util.List;

/**
 * A toy value for the engine's own tests: one double (a 0-dim float64, as PyTorch would print it),
 * with micrograd's two ops. Its number lives in a field; its 8-byte {@link Storage} is there for what
 * the graph core asks of a value: a version counter and a buffer identity for the memory policy.
 */
final class Scalar implements Differentiable<Scalar> {
    /** Every scalar made while this is non-null, so a test can see which buffers the engine returned. */
    static List<Scalar> made;

    final double value;
    private final Storage storage;
    private boolean requiresGrad;
    private Node<Scalar> gradFn;
    private AccumulateGrad<Scalar> accumulator;
    private Scalar grad;
    int accumulateCalls;

    private Scalar(double value, Storage storage) {
        this.value = value;
        this.storage = storage;
        if (made != null) made.add(this);
    }

    Scalar(double value) {
        this(value, Storage.allocate(8, "scalar"));
    }

    static Scalar leaf(double value) {
        Scalar s = new Scalar(value);
        s.requiresGrad = true;
        return s;
    }

    Scalar grad() { return grad; }

    Scalar mul(Scalar o) {
        return new Scalar(value * o.value).record("MulBackward0", new Scalar[] {this, o}, new Scalar[] {this, o},
                (n, g) -> new Scalar[] {n.needsInputGrad(0) ? g.mul(n.saved(1)) : null, n.needsInputGrad(1) ? g.mul(n.saved(0)) : null});
    }

    Scalar mul(double c) {
        return new Scalar(value * c).record("MulBackward0", new Scalar[] {this}, new Scalar[0], (n, g) -> new Scalar[] {g.mul(c)});
    }

    @Override
    public Scalar add(Scalar o) {
        return new Scalar(value + o.value).record("AddBackward0", new Scalar[] {this, o}, new Scalar[0], (n, g) -> new Scalar[] {g, g});
    }

    /** An in-place write outside the graph ({@code with torch.no_grad(): s.fill_(v)}): bumps the version. */
    void overwrittenInPlace() {
        storage.bumpVersion();
    }

    private Scalar record(String name, Scalar[] inputs, Scalar[] toSave, Node.Backward<Scalar> backward) {
        if (!GradMode.isEnabled()) return this;
        List<Node<Scalar>> next = new ArrayList<>();
        boolean any = false;
        for (Scalar in : inputs) {
            next.add(in.edge());
            any |= in.requiresGrad();
        }
        if (!any) return this;
        gradFn = new Node<>(name, next, new int[inputs.length][0], dtypes(inputs.length), backward, this, toSave);
        return this;
    }

    private static DType[] dtypes(int n) {
        DType[] d = new DType[n];
        java.util.Arrays.fill(d, DType.F64);
        return d;
    }

    private Node<Scalar> edge() {
        if (gradFn != null) return gradFn;
        if (!requiresGrad) return null;
        if (accumulator == null) accumulator = new AccumulateGrad<>(this);
        return accumulator;
    }

    @Override public boolean anyNaN() { return Double.isNaN(value); }

    @Override public Node<Scalar> gradAccumulator() { return gradFn != null ? null : edge(); }

    @Override public int[] shape() { return new int[0]; }
    @Override public DType dtype() { return DType.F64; }
    @Override public boolean requiresGrad() { return requiresGrad || gradFn != null; }
    @Override public Node<Scalar> gradFn() { return gradFn; }
    @Override public Storage storage() { return storage; }
    @Override public Scalar sumTo(int[] shape) { return this; }
    @Override public Scalar to(DType dtype) { return this; }
    @Override public Scalar onesLike() { return new Scalar(1); }

    /** As a tensor's .grad: leased with the leaf's lifetime ({@code allocateLike}), so the engine never counts it as its own. */
    @Override
    public void accumulateGrad(Scalar g) {
        accumulateCalls++;
        double sum = grad == null ? g.value : grad.value + g.value;
        grad = new Scalar(sum, storage.pool().allocateLike(storage, 8, "grad"));
    }

    @Override
    public void accumulateRetainedGrad(Scalar g) {
        grad = new Scalar(grad == null ? g.value : grad.value + g.value);
    }

    @Override
    public String toString() {
        return "Scalar(" + value + (gradFn != null ? ", grad_fn=<" + gradFn.name() + ">" : "") + ")";
    }
}
