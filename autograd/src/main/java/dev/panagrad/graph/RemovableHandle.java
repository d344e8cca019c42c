package dev.panagrad.graph;

/**
 * What {@code registerHook} returns: PyTorch's {@code torch.utils.hooks.RemovableHandle}.
 * {@link #remove()} unregisters the hook; calling it again does nothing.
 */
public final class RemovableHandle {
    private Runnable onRemove;

    public RemovableHandle(Runnable onRemove) {
        this.onRemove = onRemove;
    }

    /** Unregisters the hook (idempotent). */
    public void remove() {
        Runnable r = onRemove;
        onRemove = null;
        if (r != null) r.run();
    }
}
