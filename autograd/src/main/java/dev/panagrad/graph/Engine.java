package dev.panagrad.graph;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

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
        backward(root, gradient, retainGraph, false);
    }

    /**
     * As above; with {@code createGraph} the formulas run with grad mode on, so the gradients they
     * compute are themselves recorded (PyTorch's {@code create_graph=True}: higher-order gradients),
     * leaves' {@code .grad} get a grad_fn, and no buffer the engine made goes back to the pool (each may
     * be part of the new graph).
     */
    public static <T extends Differentiable<T>> void backward(T root, T gradient, boolean retainGraph, boolean createGraph) {
        GradBuffers memory = new GradBuffers(!createGraph);
        T seed = seed(root, gradient, 0, memory);
        boolean gradMode = GradMode.set(createGraph);
        try {
            Node<T> fn = root.gradFn();
            if (fn == null) {   // a leaf: its gradient is the seed, through the leaf's hooks
                Node<T> acc = root.gradAccumulator();
                root.accumulateGrad(acc.preHooks == null ? seed : acc.runPreHooks(seed));
                return;
            }
            run(fn, seed, null, null, memory, retainGraph, null);
        } finally {
            GradMode.set(gradMode);
        }
    }

    /** Root {@code i}'s seed: the gradient given (checked against its shape), or ones for a one-element root. */
    private static <T extends Differentiable<T>> T seed(T root, T gradient, int i, GradBuffers memory) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("element " + i + " of tensors does not require grad and does not have a grad_fn");
        }
        if (gradient == null) {
            if (numel(root.shape()) != 1) throw new IllegalArgumentException("grad can be implicitly created only for scalar outputs");
            return memory.make(root::onesLike);
        }
        if (!Arrays.equals(gradient.shape(), root.shape())) {
            throw new IllegalArgumentException("Mismatch in shape: grad_output[" + i + "] has a shape of " + Arrays.toString(gradient.shape())
                    + " and output[" + i + "] has a shape of " + Arrays.toString(root.shape()) + ".");
        }
        return gradient;
    }

    /**
     * PyTorch's {@code torch.autograd.grad}: the gradients of {@code outputs} (weighted by
     * {@code gradOutputs}, null entries or a null list for one-element outputs) with respect to
     * {@code inputs}, returned rather than accumulated: no {@code .grad} changes. Only the nodes on a path
     * from an output to an input run. An input the outputs do not depend on gets null with
     * {@code allowUnused}, else PyTorch's error. With {@code createGraph} the results are recorded
     * (differentiable again) and none of the engine's buffers go back to the pool.
     */
    public static <T extends Differentiable<T>> List<T> grad(List<T> outputs, List<T> inputs, List<T> gradOutputs,
                                                             boolean retainGraph, boolean createGraph, boolean allowUnused) {
        if (gradOutputs != null && gradOutputs.size() != outputs.size()) {
            throw new IllegalArgumentException("grad requires one gradient per output: " + gradOutputs.size() + " gradients for " + outputs.size() + " outputs");
        }
        for (T in : inputs) {
            if (!in.requiresGrad()) throw new IllegalStateException("One of the differentiated Tensors does not require grad");
        }
        GradBuffers memory = new GradBuffers(!createGraph);
        List<Node<T>> starts = new ArrayList<>(outputs.size());
        List<T> seeds = new ArrayList<>(outputs.size());
        for (int i = 0; i < outputs.size(); i++) {
            T out = outputs.get(i);
            T seed = seed(out, gradOutputs == null ? null : gradOutputs.get(i), i, memory);
            starts.add(out.gradFn());
            seeds.add(seed);
        }
        // where each input's gradient is caught: its grad_fn's incoming gradient, or its AccumulateGrad's
        IdentityHashMap<Node<T>, Object> captures = new IdentityHashMap<>();
        List<Node<T>> at = new ArrayList<>(inputs.size());
        for (T in : inputs) {
            Node<T> n = in.gradFn() != null ? in.gradFn() : in.gradAccumulator();
            at.add(n);
            captures.put(n, NOT_REACHED);
        }
        boolean gradMode = GradMode.set(createGraph);
        try {
            List<Node<T>> graphStarts = new ArrayList<>();
            List<T> graphSeeds = new ArrayList<>();
            for (int i = 0; i < starts.size(); i++) {
                Node<T> fn = starts.get(i);
                if (fn == null) {   // a leaf output: its own gradient is the seed, if it is an input
                    T seed = seeds.get(i);
                    Node<T> acc = outputs.get(i).gradAccumulator();
                    if (captures.containsKey(acc)) captures.put(acc, add(captures.get(acc), seed));
                } else {
                    graphStarts.add(fn);
                    graphSeeds.add(seeds.get(i));
                }
            }
            if (!graphStarts.isEmpty()) run(null, null, graphStarts, graphSeeds, memory, retainGraph, captures);
        } finally {
            GradMode.set(gradMode);
        }
        List<T> result = new ArrayList<>(inputs.size());
        for (Node<T> n : at) {
            Object g = captures.get(n);
            if (g == NOT_REACHED) {
                if (!allowUnused) {
                    throw new IllegalStateException("One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.");
                }
                result.add(null);
            } else {
                @SuppressWarnings("unchecked") T t = (T) g;
                memory.escape(t.storage());
                result.add(t);
            }
        }
        return result;
    }

    private static final Object NOT_REACHED = new Object();

    @SuppressWarnings("unchecked")
    private static <T extends Differentiable<T>> Object add(Object sum, T g) {
        return sum == NOT_REACHED ? g : ((T) sum).add(g);
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** How many edges reach each node from {@code start1} or {@code starts} (a start no other start reaches: 0). */
    private static <T extends Differentiable<T>> IdentityHashMap<Node<T>, int[]> dependencies(Node<T> start1, List<Node<T>> starts) {
        IdentityHashMap<Node<T>, int[]> dependencies = new IdentityHashMap<>();
        ArrayDeque<Node<T>> stack = new ArrayDeque<>();
        for (int i = 0, n = starts == null ? 1 : starts.size(); i < n; i++) {
            Node<T> start = starts == null ? start1 : starts.get(i);
            if (dependencies.putIfAbsent(start, new int[1]) == null) stack.push(start);
        }
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

    /**
     * The walk. {@code captures} is null for a backward (every node reached runs, leaves accumulate);
     * for {@code grad} it maps each node where an input's gradient is caught to that gradient: only
     * nodes with a capture below them run, and an AccumulateGrad never does.
     */
    private static <T extends Differentiable<T>> void run(Node<T> start1, T seed1, List<Node<T>> starts, List<T> seeds, GradBuffers memory,
                                                          boolean retainGraph, IdentityHashMap<Node<T>, Object> captures) {
        boolean anomaly = GradMode.anomalyEnabled();
        int roots = starts == null ? 1 : starts.size();   // one root (a backward): no lists made
        IdentityHashMap<Node<T>, int[]> dependencies = dependencies(start1, starts);
        IdentityHashMap<Node<T>, Boolean> needed = captures == null ? null : needed(dependencies.keySet(), captures);
        IdentityHashMap<Node<T>, T> inputs = new IdentityHashMap<>();   // the gradient summed so far for each node's output
        ArrayDeque<Node<T>> ready = new ArrayDeque<>();
        for (int i = 0; i < roots; i++) {
            Node<T> start = starts == null ? start1 : starts.get(i);
            T seed = starts == null ? seed1 : seeds.get(i), sum = inputs.get(start);
            T total = sum == null ? seed : sum.add(seed);
            inputs.put(start, total);
            memory.pending(total.storage());
            if (sum != null) memory.consumed(sum.storage());
            if (sum == null && dependencies.get(start)[0] == 0 && (needed == null || needed.containsKey(start))) ready.push(start);
        }
        while (!ready.isEmpty()) {
            Node<T> node = ready.pop();
            T grad = inputs.remove(node);
            if (grad != null) memory.consumed(grad.storage());
            if (captures != null && captures.containsKey(node)) {
                if (grad != null) {
                    captures.put(node, grad);
                    memory.escape(grad.storage());
                }
                if (!leadsToNeeded(node, needed)) {   // an AccumulateGrad, or a non-leaf input with nothing asked below it
                    if (!retainGraph) node.release();
                    continue;
                }
            }
            if (node.preHooks != null && grad != null) {   // hooks and retained gradients
                if (node.hasTensorHooks()) memory.escape(grad.storage());   // a hook may keep the gradient it is given
                grad = node.runPreHooks(grad);
            }
            memory.nodeStarts();
            try {
                node.gradWritable = grad != null && memory.exclusive(grad.storage());
                node.accumulatesIntoLeaves = captures == null && memory.returnsBuffers();
                T[] grads;
                try {
                    grads = grad == null ? null : node.apply(grad);
                    if (anomaly && grads != null) checkNaN(node, grads);
                } catch (RuntimeException e) {
                    if (anomaly) node.reportAnomaly(e);
                    throw e;
                } finally {
                    node.gradWritable = false;
                    node.accumulatesIntoLeaves = false;
                }
                for (int i = 0; i < node.next.length; i++) {
                    Node<T> next = node.next[i];
                    if (next == null || (needed != null && !needed.containsKey(next))) continue;
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

    /** Anomaly detection: PyTorch's error for a node that returned NaN. */
    private static <T extends Differentiable<T>> void checkNaN(Node<T> node, T[] grads) {
        for (int i = 0; i < grads.length; i++) {
            if (grads[i] != null && grads[i].anyNaN()) {
                throw new IllegalStateException("Function '" + node.name() + "' returned nan values in its " + i + "th output.");
            }
        }
    }

    private static <T extends Differentiable<T>> boolean leadsToNeeded(Node<T> node, IdentityHashMap<Node<T>, Boolean> needed) {
        for (Node<T> next : node.next) if (next != null && needed.containsKey(next)) return true;
        return false;
    }

    /** The nodes among {@code reached} from which a capture can be reached (captures included): those autograd.grad runs. */
    private static <T extends Differentiable<T>> IdentityHashMap<Node<T>, Boolean> needed(java.util.Set<Node<T>> reached,
                                                                                           IdentityHashMap<Node<T>, Object> captures) {
        IdentityHashMap<Node<T>, Boolean> needed = new IdentityHashMap<>();
        IdentityHashMap<Node<T>, Boolean> finished = new IdentityHashMap<>();   // FALSE: its next nodes are being visited; TRUE: done
        ArrayDeque<Node<T>> stack = new ArrayDeque<>();
        for (Node<T> root : reached) {   // an iterative post-order walk (the graph is acyclic)
            if (finished.containsKey(root)) continue;
            stack.push(root);
            while (!stack.isEmpty()) {
                Node<T> n = stack.peek();
                Boolean state = finished.get(n);
                if (state == null) {
                    finished.put(n, Boolean.FALSE);
                    for (Node<T> next : n.next) if (next != null && !finished.containsKey(next)) stack.push(next);
                    continue;
                }
                stack.pop();
                if (state) continue;
                boolean need = captures.containsKey(n);
                for (Node<T> next : n.next) need |= next != null && needed.containsKey(next);
                if (need) needed.put(n, Boolean.TRUE);
                finished.put(n, Boolean.TRUE);
            }
        }
        return needed;
    }
}
