package dev.panagrad.graph;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.IdentityHashMap;

/**
 * Runs backward: counts each node's dependencies, then walks the graph with an explicit stack (no
 * recursion, so a chain of 100 000 ops is fine), summing the gradients that reach the same node,
 * reducing each to its input's shape ({@code sumTo}: the one place broadcasting is undone), and
 * releasing each node's saved values after it ran unless {@code retainGraph}. Which gradient buffers
 * go back to the pool, and when, is {@code GradBuffers}'s. Runs on the calling thread and shares
 * nothing between calls: independent graphs train on several threads at once.
 */
public final class Engine {
    private Engine() {}

    /**
     * Backward from {@code root}, seeded with {@code gradient} (root's shape), or with ones when it is
     * null and root has one element.
     */
    public static <T extends Differentiable<T>> void backward(T root, T gradient, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("element 0 of tensors does not require grad and does not have a grad_fn");
        }
        GradBuffers memory = new GradBuffers();
        T seed;
        if (gradient == null) {
            if (numel(root.shape()) != 1) throw new IllegalArgumentException("grad can be implicitly created only for scalar outputs");
            seed = memory.make(root::onesLike);
        } else {
            if (!Arrays.equals(gradient.shape(), root.shape())) {
                throw new IllegalArgumentException("Mismatch in shape: grad_output[0] has a shape of " + Arrays.toString(gradient.shape())
                        + " and output[0] has a shape of " + Arrays.toString(root.shape()) + ".");
            }
            seed = gradient;
        }
        boolean gradMode = GradMode.set(false);
        try {
            Node<T> fn = root.gradFn();
            if (fn == null) {   // a leaf: its gradient is the seed
                root.accumulateGrad(seed);
                return;
            }
            run(fn, seed, memory, retainGraph);
        } finally {
            GradMode.set(gradMode);
        }
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** How many edges reach each node from {@code start} (start itself: 0). */
    private static <T extends Differentiable<T>> IdentityHashMap<Node<T>, int[]> dependencies(Node<T> start) {
        IdentityHashMap<Node<T>, int[]> dependencies = new IdentityHashMap<>();
        ArrayDeque<Node<T>> stack = new ArrayDeque<>();
        dependencies.put(start, new int[1]);
        stack.push(start);
        while (!stack.isEmpty()) {
            Node<T> n = stack.pop();
            for (Node<T> next : n.next) {
                if (next == null) continue;
                int[] count = dependencies.get(next);
                if (count == null) {
                    dependencies.put(next, count = new int[1]);
                    stack.push(next);
                }
                count[0]++;
            }
        }
        return dependencies;
    }

    private static <T extends Differentiable<T>> void run(Node<T> start, T seed, GradBuffers memory, boolean retainGraph) {
        IdentityHashMap<Node<T>, int[]> dependencies = dependencies(start);
        IdentityHashMap<Node<T>, T> inputs = new IdentityHashMap<>();   // the gradient summed so far for each node's output
        inputs.put(start, seed);
        memory.pending(seed.storage());
        ArrayDeque<Node<T>> ready = new ArrayDeque<>();
        ready.push(start);
        while (!ready.isEmpty()) {
            Node<T> node = ready.pop();
            T grad = inputs.remove(node);
            if (grad != null) memory.consumed(grad.storage());
            if (node.retainers != null && grad != null) {
                for (T t : node.retainers) t.accumulateRetainedGrad(grad);   // copies: never recorded below
            }
            memory.nodeStarts();
            try {
                node.gradWritable = grad != null && memory.exclusive(grad.storage());
                T[] grads;
                try {
                    grads = grad == null ? null : node.apply(grad);
                } finally {
                    node.gradWritable = false;
                }
                for (int i = 0; i < node.next.length; i++) {
                    Node<T> next = node.next[i];
                    if (next == null) continue;
                    T g = grads != null && i < grads.length ? grads[i] : null;
                    if (g != null) {
                        g = g.sumTo(node.inputShapes[i]);
                        if (g.dtype() != node.inputDtypes[i]) g = g.to(node.inputDtypes[i]);
                        T sum = inputs.get(next);
                        T total = sum == null ? g : sum.add(g);
                        inputs.put(next, total);
                        memory.pending(total.storage());
                        if (sum != null) memory.consumed(sum.storage());
                    }
                    if (--dependencies.get(next)[0] == 0) ready.push(next);
                }
            } finally {
                memory.nodeStops();
            }
            if (!retainGraph) node.release();
            memory.nodeDone();
        }
    }
}
