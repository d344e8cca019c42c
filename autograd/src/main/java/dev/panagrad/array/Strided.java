package dev.panagrad.array;

import dev.panagrad.kernel.Kernels;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.Storage;
import java.lang.foreign.MemorySegment;

/**
 * A strided view of a storage: (storage, dtype, shape, strides, offset), in elements. The raw
 * layer's value, with no graph: {@code Tensor} extends it with autograd state, and the raw
 * operations of this package ({@link Layout}, {@link Elementwise}, {@link Reduce}, {@link Gemm},
 * {@link Scatter}) read and make them, allocating through a {@link Factory} so that they return
 * the caller's own type.
 */
public abstract class Strided {
    protected final Storage storage;
    protected final DType dtype;
    protected final int[] shape;
    protected final long[] strides;
    protected final long offset;

    protected Strided(Storage storage, DType dtype, int[] shape, long[] strides, long offset) {
        this.storage = storage;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    /** Makes arrays of the caller's type: a new contiguous one, or another view of an existing storage. */
    public interface Factory<T extends Strided> {
        /** An uninitialised contiguous array. */
        T empty(DType dtype, int[] shape);

        /** An array over {@code storage} with this layout, outside any graph. */
        T wrap(Storage storage, DType dtype, int[] shape, long[] strides, long offset);

        /** Another view of {@code of}'s storage (same dtype), outside any graph. */
        default T view(Strided of, int[] shape, long[] strides, long offset) {
            return wrap(of.storage, of.dtype, shape, strides, offset);
        }

        /** A contiguous array of {@code value}s. */
        default T full(DType dtype, double value, int[] shape) {
            T t = empty(dtype, shape);
            Kernels.fill(t.segment(), dtype, 0, t.numel(), value);
            return t;
        }
    }

    public int[] shape() { return shape.clone(); }

    public int dim() { return shape.length; }

    public long numel() { return Shape.numel(shape); }

    public DType dtype() { return dtype; }

    public long[] strides() { return strides.clone(); }

    public long storageOffset() { return offset; }

    public Storage storage() { return storage; }

    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** A 2-D view whose transpose is contiguous (strides [1, rows]), such as {@code w.t()}. */
    public boolean isTransposedContiguous() {
        return shape.length == 2 && strides[0] == 1 && strides[1] == shape[0] && shape[0] > 1 && shape[1] > 1;
    }

    /** The storage's kernel segment: for this package's loops and the subclass, for one operation at a time. */
    protected MemorySegment segment() { return storage.kernelSegment(); }

    /** The value at element offset {@code o} of the storage. */
    protected double valueAt(long o) { return Kernels.get(segment(), dtype, o); }
}
