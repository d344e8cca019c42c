package dev.panagrad.examples.serve;

import dev.panagrad.Grad;
import dev.panagrad.Tensor;
import dev.panagrad.memory.BufferPool;
import dev.panagrad.memory.MemoryScope;
import dev.panagrad.nn.Module;

/**
 * One model, shared by every thread that serves requests. A request runs with grad off (no graph,
 * nothing saved) in a {@link MemoryScope} of its own, so every buffer it leases goes back to the pool
 * when it ends; the answer is copied out to a Java array before that. The model is only read, so
 * no lock is needed; {@code predict} may be called from any number of threads at once.
 */
public final class Server {
    private final Module model;
    private final int features;
    private final BufferPool pool;

    /**
     * @param features the input width the model takes
     * @param pool     where requests lease their buffers (null: the calling thread's current pool)
     */
    public Server(Module model, int features, BufferPool pool) {
        this.model = model;
        this.features = features;
        this.pool = pool;
    }

    /** The model's outputs for {@code rows.length / features} input rows, row after row. */
    public float[] predict(float[] rows) {
        if (rows.length == 0 || rows.length % features != 0) {
            throw new IllegalArgumentException("a request of " + rows.length + " values is not whole rows of " + features + " features");
        }
        try (var request = MemoryScope.open("request", pool); var noGrad = Grad.disabled()) {
            Tensor x = Tensor.fromArray(rows, rows.length / features, features);
            return model.forward(x).toFloatArray();
        }
    }
}
