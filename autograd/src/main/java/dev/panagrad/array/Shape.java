package dev.panagrad.array;

import java.util.Arrays;

/** Static helpers for shapes ({@code int[]}) and element strides ({@code long[]}). */
public final class Shape {
    private Shape() {}

    /** The number of elements: the sizes multiplied in order, refused (as PyTorch does) if the product passes 2^63. */
    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            long next = n * d;
            if (Math.multiplyHigh(n, d) != (next >> 63)) throw new IllegalArgumentException("numel: integer multiplication overflow: sizes " + str(shape));
            n = next;
        }
        return n;
    }

    /**
     * Bytes of a new contiguous tensor of this shape, {@code numel · itemBytes}, refusing a negative size
     * or a product past 2^63 with PyTorch's messages (the sizes multiplied in order, as PyTorch does).
     */
    public static long storageBytes(int[] shape, int itemBytes) {
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("Trying to create tensor with negative dimension " + d + ": " + str(shape));
        }
        long n = itemBytes;
        for (int d : shape) {
            long next = n * d;
            if (Math.multiplyHigh(n, d) != (next >> 63)) throw new IllegalArgumentException("Storage size calculation overflowed with sizes=" + str(shape));
            n = next;
        }
        return n;
    }

    /** {@code n} as an int for a dimension's size, or a clear refusal naming {@code what}. */
    public static int dimSize(long n, String what) {
        if (n < 0 || n > Integer.MAX_VALUE) throw new IllegalArgumentException(what + ": " + n + " elements do not fit one dimension (at most " + Integer.MAX_VALUE + ")");
        return (int) n;
    }

    /** Row-major strides, in elements. */
    public static long[] contiguousStrides(int[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(1, shape[i]);
        }
        return s;
    }

    /** PyTorch prints sizes as {@code [2, 3]}; a scalar as {@code []}. */
    /** The shape without its leading size-1 dims ({@code [1, 1, 3] -> [3]}). */
    public static int[] stripLeadingOnes(int[] shape) {
        int i = 0;
        while (i < shape.length && shape[i] == 1) i++;
        return Arrays.copyOfRange(shape, i, shape.length);
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** The broadcast shape of a and b, by NumPy's rules. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)];
            int db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast: the size of tensor a (" + da + ") must match the size of tensor b (" + db
                        + ") at non-singleton dimension " + i);
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** A dimension index, allowing negative values counted from the end. */
    public static int dim(int dim, int rank) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r) {
            throw new IndexOutOfBoundsException("Dimension out of range (expected to be in range of [" + -r + ", " + (r - 1) + "], but got " + dim + ")");
        }
        return dim < 0 ? dim + r : dim;
    }

    /** A copy of the sizes of a new tensor, refusing negative sizes with PyTorch's message. */
    public static int[] of(int... dims) {
        for (int d : dims) if (d < 0) throw new IllegalArgumentException("Trying to create tensor with negative dimension " + d + ": " + str(dims));
        return dims.clone();
    }
}
