package dev.panagrad.autograd;

import dev.panagrad.Grad;
import dev.panagrad.Shape;
import dev.panagrad.Tensor;
import dev.panagrad.memory.AllocationLog;
import dev.panagrad.memory.Storage;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

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
        List<Storage> made = List.of();   // the seed, when the engine makes it
        if (gradient == null) {
            if (root.numel() != 1) throw new IllegalArgumentException("grad can be implicitly created only for scalar outputs");
            int mark = AllocationLog.start();
            try {
                seed = Tensor.onesLike(root);
            } finally {
                made = AllocationLog.stop(mark);
            }
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
            run(root.gradFn(), seed, made, retainGraph);
        }
    }

    /**
     * Gradient buffers the engine made, and how many pending gradients use each: a buffer goes back
     * to the pool as soon as the last node that reads it has run. Every storage leased while a node's
     * formula ran (its temporaries: masks, products, reductions) is returned right after it, unless it
     * became one of the pending gradients.
     */
    private static final class Buffers {
        private final IdentityHashMap<Storage, int[]> pending = new IdentityHashMap<>();
        private final IdentityHashMap<Storage, Boolean> owned = new IdentityHashMap<>();

        void own(List<Storage> made) {
            for (int i = 0; i < made.size(); i++) owned.put(made.get(i), Boolean.TRUE);
        }

        void use(Tensor t) {
            pending.computeIfAbsent(t.storage(), k -> new int[1])[0]++;
        }

        void done(Tensor t) {
            int[] n = pending.get(t.storage());
            if (n != null && --n[0] == 0) pending.remove(t.storage());
        }

        /** Whether {@code s} is a buffer the engine made that no pending gradient reads. */
        boolean exclusive(Storage s) {
            return owned.containsKey(s) && !pending.containsKey(s);
        }

        /** Returns {@code s} to the pool if the engine made it and no pending gradient reads it. */
        void releaseIfDead(Storage s) {
            if (pending.containsKey(s) || owned.remove(s) == null || s.isReleased()) return;
            s.release(RELEASED_BY);
        }
    }

    private static final String RELEASED_BY = "the autograd engine (a gradient temporary, consumed)";

    private static void run(Node start, Tensor seed, List<Storage> madeSeed, boolean retainGraph) {
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
        Buffers memory = new Buffers();
        memory.own(madeSeed);
        buffers.put(start, seed);
        memory.use(seed);
        ArrayDeque<Node> ready = new ArrayDeque<>();
        ready.push(start);
        ArrayList<Storage> consumed = new ArrayList<>(), made = new ArrayList<>();
        while (!ready.isEmpty()) {
            Node node = ready.pop();
            Tensor grad = buffers.remove(node);
            if (grad != null) {
                memory.done(grad);
                consumed.add(grad.storage());
            }
            if (node.retainers != null && grad != null) {
                for (Tensor t : node.retainers) t.accumulateRetainedGrad(grad);   // copies: never recorded below
            }
            int mark = AllocationLog.start();
            try {
                node.gradWritable = grad != null && memory.exclusive(grad.storage());
                Tensor[] grads;
                try {
                    grads = grad == null ? new Tensor[node.next.length] : node.apply(grad);
                } finally {
                    node.gradWritable = false;
                }
                for (int i = 0; i < node.next.length; i++) {
                    Node next = node.next[i];
                    if (next == null) continue;
                    Tensor g = i < grads.length ? grads[i] : null;
                    if (g != null) {
                        g = g.sumTo(node.inputShapes[i]);
                        if (g.dtype() != node.inputDtypes[i]) g = g.to(node.inputDtypes[i]);
                        Tensor sum = buffers.get(next);
                        Tensor total = sum == null ? g : sum.add(g);
                        buffers.put(next, total);
                        memory.use(total);
                        if (sum != null) {
                            memory.done(sum);
                            consumed.add(sum.storage());
                        }
                    }
                    if (--dependencies.get(next)[0] == 0) ready.push(next);
                }
            } finally {
                AllocationLog.stop(mark, made);
            }
            if (!retainGraph) node.release();
            memory.own(made);
            for (int i = 0; i < made.size(); i++) memory.releaseIfDead(made.get(i));
            for (int i = 0; i < consumed.size(); i++) memory.releaseIfDead(consumed.get(i));
            made.clear();
            consumed.clear();
        }
    }
}
