package dev.panagrad.nn;

import dev.panagrad.Grad;
import dev.panagrad.array.Shape;
import dev.panagrad.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or a model: PyTorch's {@code nn.Module}. Subclasses register their parameters and child
 * modules in the constructor; names follow PyTorch ("0.weight" for the first layer of a Sequential),
 * so a state dict saved here loads into the same model built in PyTorch and back.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    public abstract Tensor forward(Tensor input);

    /** {@code register_forward_pre_hook}: sees the input before {@link #forward}; may return a replacement (null: unchanged). */
    @FunctionalInterface
    public interface ForwardPreHook {
        Tensor apply(Module module, Tensor input);
    }

    /** {@code register_forward_hook}: sees the input and the output after {@link #forward}; may return a replacement output (null: unchanged). */
    @FunctionalInterface
    public interface ForwardHook {
        Tensor apply(Module module, Tensor input, Tensor output);
    }

    /**
     * {@code register_full_backward_hook}: during backward, the gradients with respect to the module's
     * input ({@code gradInput}, null where the input needs none) and output; may return a replacement
     * gradInput (null: unchanged).
     */
    @FunctionalInterface
    public interface BackwardHook {
        Tensor[] apply(Module module, Tensor[] gradInput, Tensor[] gradOutput);
    }

    private final List<ForwardPreHook> forwardPreHooks = new ArrayList<>(0);
    private final List<ForwardHook> forwardHooks = new ArrayList<>(0);
    private final List<BackwardHook> backwardHooks = new ArrayList<>(0);

    private static <H> dev.panagrad.graph.RemovableHandle add(List<H> list, H hook) {
        list.add(hook);
        return new dev.panagrad.graph.RemovableHandle(() -> list.remove(hook));
    }

    public final dev.panagrad.graph.RemovableHandle registerForwardPreHook(ForwardPreHook hook) { return add(forwardPreHooks, hook); }

    public final dev.panagrad.graph.RemovableHandle registerForwardHook(ForwardHook hook) { return add(forwardHooks, hook); }

    /** As PyTorch's, the output's grad_fn becomes {@code BackwardHookFunctionBackward} (and the input's, inside forward). */
    public final dev.panagrad.graph.RemovableHandle registerFullBackwardHook(BackwardHook hook) { return add(backwardHooks, hook); }

    /** Whether any hook is registered on this module (not its children). */
    public final boolean hasHooks() {
        return !forwardPreHooks.isEmpty() || !forwardHooks.isEmpty() || !backwardHooks.isEmpty();
    }

    /**
     * PyTorch's {@code module(x)} ({@code __call__}): {@link #forward} with this module's hooks around it,
     * in PyTorch's order (forward pre-hooks, the backward hook's input side, forward, forward hooks, the
     * backward hook's output side). {@code Sequential} calls its layers this way; calling
     * {@code forward} directly skips the hooks, as in PyTorch.
     */
    public final Tensor call(Tensor input) {
        if (!hasHooks()) return forward(input);
        Tensor x = input;
        for (ForwardPreHook h : List.copyOf(forwardPreHooks)) {
            Tensor r = h.apply(this, x);
            if (r != null) x = r;
        }
        Tensor[] gradOutput = new Tensor[1];
        List<BackwardHook> bw = backwardHooks.isEmpty() || !Grad.isEnabled() ? List.of() : List.copyOf(backwardHooks);
        boolean inputHooked = !bw.isEmpty() && x.requiresGrad();
        if (inputHooked) {   // hooks on identity nodes' outputs: the engine lets a hook keep the gradient it is given
            x = new BackwardHookFunction().apply(x);
            x.registerHook(g -> runBackwardHooks(bw, g, gradOutput));
        }
        Tensor out = forward(x);
        for (ForwardHook h : List.copyOf(forwardHooks)) {
            Tensor r = h.apply(this, x, out);
            if (r != null) out = r;
        }
        if (bw.isEmpty() || !out.requiresGrad()) return out;
        Tensor hooked = new BackwardHookFunction().apply(out);
        hooked.registerHook(g -> {
            gradOutput[0] = g;
            if (!inputHooked) runBackwardHooks(bw, null, gradOutput);   // no input gradient: the hooks get (None,) when the output's arrives
            return null;
        });
        return hooked;
    }

    private Tensor runBackwardHooks(List<BackwardHook> hooks, Tensor gradInput, Tensor[] gradOutput) {
        Tensor[] gi = {gradInput};
        for (BackwardHook h : hooks) {
            Tensor[] r = h.apply(this, gi.clone(), gradOutput.clone());
            if (r != null) {
                if (r.length != 1) throw new IllegalStateException("Backward hook returned an invalid number of grad_input, got " + r.length + ", but expected 1");
                gi = r;
            }
        }
        return gi[0];
    }

    /** The identity node a full backward hook puts on a module's input and output: PyTorch's BackwardHookFunction. */
    private static final class BackwardHookFunction extends dev.panagrad.autograd.Function {
        @Override
        protected Tensor forward(dev.panagrad.autograd.Context ctx, Tensor... in) { return in[0]; }

        @Override
        protected Tensor[] backward(dev.panagrad.autograd.Context ctx, Tensor grad) { return new Tensor[] {grad}; }

        @Override
        protected String nodeName() { return "BackwardHookFunctionBackward"; }
    }

    /** Registers a trainable parameter: a leaf that requires grad (see {@link Parameter}). */
    protected final Tensor registerParameter(String name, Tensor value) {
        checkName(name);
        if (!value.isLeaf() || !value.requiresGrad()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter '" + name + "' must be a leaf that requires grad; wrap it with Parameter.of");
        }
        parameters.put(name, value);
        return value;
    }

    /**
     * Registers a buffer: state that is not trained but saved and loaded with the parameters (a batch
     * norm's running statistics), PyTorch's {@code register_buffer}. It is in {@link #stateDict()} after
     * the module's own parameters, as in PyTorch, and {@link #loadStateDict} copies into it in place.
     */
    protected final Tensor registerBuffer(String name, Tensor value) {
        checkName(name);
        if (value.requiresGrad()) throw new IllegalArgumentException(getClass().getSimpleName() + ": buffer '" + name + "' must not require grad");
        buffers.put(name, value);
        return value;
    }

    protected final <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("module attribute name can't be empty or contain \".\", got '" + name + "'");
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) throw new IllegalArgumentException("attribute '" + name + "' already exists");
    }

    /** Every parameter of this module and its children, depth first, in registration order. */
    public final List<Tensor> parameters() { return List.copyOf(namedParameters().values()); }

    /** Parameters keyed by dotted path ("0.weight", "2.bias"), PyTorch's {@code named_parameters()}. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Tensor> out) {
        parameters.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, m) -> m.collect(prefix + n + ".", out));
    }

    /** Buffers keyed by dotted path ("1.running_mean"), PyTorch's {@code named_buffers()}. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectState("", out, false);
        return Collections.unmodifiableMap(out);
    }

    /** Per module, depth first: its parameters, then (with {@code withParameters}) or only its buffers, then its children's. */
    private void collectState(String prefix, Map<String, Tensor> out, boolean withParameters) {
        if (withParameters) parameters.forEach((n, p) -> out.put(prefix + n, p));
        buffers.forEach((n, b) -> out.put(prefix + n, b));
        children.forEach((n, m) -> m.collectState(prefix + n + ".", out, withParameters));
    }

    public final Map<String, Module> children() { return Collections.unmodifiableMap(children); }

    /** Zeroes every gradient in place, keeping the buffers (torch 1.13's default). */
    public final void zeroGrad() {
        try (var off = Grad.disabled()) {
            for (Tensor p : parameters()) if (p.grad() != null) p.grad().zeroInPlace();
        }
    }

    /** Drops every gradient (torch 2.x's {@code zero_grad(set_to_none=True)}). */
    public final void zeroGradToNone() {
        for (Tensor p : parameters()) p.setGrad(null);
    }

    /** Training mode (true, the default) or evaluation: {@link Dropout} and batch norm behave differently; PyTorch's {@code train(mode)}. */
    public final Module train(boolean mode) {
        training = mode;
        for (Module m : children.values()) m.train(mode);
        return this;
    }

    public final Module train() { return train(true); }

    /** Evaluation mode: dropout passes its input through, batch norm uses its running statistics. */
    public final Module eval() { return train(false); }

    public final boolean isTraining() { return training; }

    /**
     * The parameters and buffers by name, detached: the tensors share memory with the model (as
     * PyTorch's state_dict, and in its order: each module's parameters, then its buffers, then its
     * children's).
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> all = new LinkedHashMap<>(), out = new LinkedHashMap<>();
        collectState("", all, true);
        all.forEach((n, p) -> out.put(n, p.detach()));
        return out;
    }

    /**
     * Copies {@code state} into the parameters, strictly: every key must match and every shape and
     * dtype agree, or nothing is copied and the error lists all the differences, as PyTorch's does.
     */
    public final void loadStateDict(Map<String, Tensor> state) {
        Map<String, Tensor> own = new LinkedHashMap<>();
        collectState("", own, true);
        List<String> errors = new ArrayList<>();
        List<String> missing = own.keySet().stream().filter(k -> !state.containsKey(k)).toList();
        List<String> unexpected = state.keySet().stream().filter(k -> !own.containsKey(k)).toList();
        if (!missing.isEmpty()) errors.add("Missing key(s) in state_dict: " + quoted(missing) + ".");
        if (!unexpected.isEmpty()) errors.add("Unexpected key(s) in state_dict: " + quoted(unexpected) + ".");
        own.forEach((name, p) -> {
            Tensor t = state.get(name);
            if (t == null) return;
            if (!Arrays.equals(t.shape(), p.shape())) {
                errors.add("size mismatch for " + name + ": copying a param with shape torch.Size(" + Shape.str(t.shape())
                        + ") from checkpoint, the shape in current model is torch.Size(" + Shape.str(p.shape()) + ").");
            } else if (t.dtype() != p.dtype()) {
                errors.add("dtype mismatch for " + name + ": the checkpoint holds " + t.dtype().pytorchName() + ", the model " + p.dtype().pytorchName() + ".");
            }
        });
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + getClass().getSimpleName() + ":\n\t" + String.join("\n\t", errors));
        }
        try (var off = Grad.disabled()) {
            own.forEach((name, p) -> p.copyFrom(state.get(name)));
        }
    }

    private static String quoted(List<String> keys) {
        return String.join(", ", keys.stream().map(k -> "\"" + k + "\"").toList());
    }

    /** Parameter count, handy for logs. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor p : parameters()) n += p.numel();
        return n;
    }

    /** PyTorch's repr: {@code Sequential(\n  (0): Linear(in_features=784, ...)\n)}. */
    @Override
    public String toString() {
        if (children.isEmpty()) return getClass().getSimpleName() + "(" + extraRepr() + ")";
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append("(\n");
        children.forEach((n, m) -> sb.append("  (").append(n).append("): ").append(m.toString().replace("\n", "\n  ")).append('\n'));
        return sb.append(')').toString();
    }

    protected String extraRepr() { return ""; }
}
