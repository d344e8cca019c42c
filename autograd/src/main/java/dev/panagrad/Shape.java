package dev.panagrad;

import java.util.Arrays;

/** Static helpers for shapes ({@code int[]}) and element strides ({@code long[]}). */
public final class Shape {
    private Shape() {}

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
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

    public static int[] of(int... dims) {
        for (int d : dims) if (d < 0) throw new IllegalArgumentException("negative size in shape " + str(dims));
        return dims.clone();
    }
}
