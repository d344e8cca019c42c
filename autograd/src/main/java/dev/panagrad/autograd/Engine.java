package dev.panagrad.autograd;

import dev.panagrad.Grad;
import dev.panagrad.Shape;
import dev.panagrad.Tensor;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.IdentityHashMap;

/**
 * Runs backward: counts each node's dependencies, then walks the graph with an explicit stack (no
 * recursion, so a chain of 100 000 ops is fine), summing the gradients that reach the same node,
 * reducing each to its input's shape ({@code sumTo}: the one place broadcasting is undone), and
 * releasing each node's saved tensors after it ran unless {@code retainGraph}. Runs on the calling
 * thread and shares nothing between calls: independent graphs train on several threads at once.
 */
public final class Engine {
    private Engine() {}

    public static void backward(Tensor root, Tensor gradient, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("element 0 of tensors does not require grad and does not have a grad_fn");
        }
        Tensor seed;
        if (gradient == null) {
            if (root.numel() != 1) throw new IllegalArgumentException("grad can be implicitly created only for scalar outputs");
            seed = Tensor.onesLike(root);
        } else {
            if (!Arrays.equals(gradient.shape(), root.shape())) {
                throw new IllegalArgumentException("Mismatch in shape: grad_output[0] has a shape of " + Shape.str(gradient.shape())
                        + " and output[0] has a shape of " + Shape.str(root.shape()) + ".");
            }
            seed = gradient;
        }
        try (var off = Grad.disabled()) {
            if (root.gradFn() == null) {   // a leaf: its gradient is the seed
                root.accumulateGrad(seed);
                return;
            }
            run(root.gradFn(), seed, retainGraph);
        }
    }

    private static void run(Node start, Tensor seed, boolean retainGraph) {
        IdentityHashMap<Node, int[]> dependencies = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        dependencies.put(start, new int[1]);
        stack.push(start);
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            for (Node next : n.next) {
                if (next == null) continue;
                int[] count = dependencies.get(next);
                if (count == null) {
                    dependencies.put(next, count = new int[1]);
                    stack.push(next);
                }
                count[0]++;
            }
        }
        IdentityHashMap<Node, Tensor> buffers = new IdentityHashMap<>();
        buffers.put(start, seed);
        ArrayDeque<Node> ready = new ArrayDeque<>();
        ready.push(start);
        while (!ready.isEmpty()) {
            Node node = ready.pop();
            Tensor grad = buffers.remove(node);
            if (node.retainers != null && grad != null) {
                for (Tensor t : node.retainers) t.accumulateRetainedGrad(grad);
            }
            Tensor[] grads = grad == null ? new Tensor[node.next.length] : node.apply(grad);
            if (!retainGraph) node.release();
            for (int i = 0; i < node.next.length; i++) {
                Node next = node.next[i];
                if (next == null) continue;
                Tensor g = i < grads.length ? grads[i] : null;
                if (g != null) {
                    g = g.sumTo(node.inputShapes[i]);
                    if (g.dtype() != node.inputDtypes[i]) g = g.to(node.inputDtypes[i]);
                    Tensor sum = buffers.get(next);
                    buffers.put(next, sum == null ? g : sum.add(g));
                }
                if (--dependencies.get(next)[0] == 0) ready.push(next);
            }
        }
    }
}
