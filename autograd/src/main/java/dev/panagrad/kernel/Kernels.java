package dev.panagrad.kernel;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.panagrad.memory.BFloat16;

import dev.panagrad.memory.DType;
import java.lang.foreign.MemorySegment;

/**
 * Raw loops over segments: strided copies, element-wise maps, row reductions. Indices and offsets
 * are in elements. Nothing here knows about tensors or graphs.
 */
public final class Kernels {
    private Kernels() {}

    /**
     * Whether the float32 loops run on the Vector API: true when the JVM was started with
     * {@code --add-modules jdk.incubator.vector} (the launcher, the tests and the benchmarks do) and
     * without {@code -Dpanagrad.noVector=true}; otherwise the scalar loops here, which give the same
     * results. A JVM without the module says so once, on stderr, when this class is loaded.
     */
    public static final boolean VECTOR = vectorKernels();

    /** Whether jdk.incubator.vector is in this JVM ({@code --add-modules jdk.incubator.vector}). */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static boolean vectorKernels() {
        if (!vectorModulePresent()) {
            System.err.println("panagrad: jdk.incubator.vector is not in this JVM, so the float32 kernels run scalar (same results,"
                    + " several times slower); start Java with --add-modules jdk.incubator.vector");
            return false;
        }
        return !Boolean.getBoolean("panagrad.noVector");
    }

    /**
     * Below this many elements the scalar loops run. Not for speed (a 1024-element add is ~1 µs either
     * way) but for the JIT: a vector loop called with short arrays gets too few back-edges for C2 to
     * compile it for thousands of calls, and until then (in C1) every lane is boxed: ~18 KB of heap
     * per 1024-element add. Long loops reach C2 through on-stack replacement within a few calls.
     */
    private static final long VECTOR_MIN = 1 << 14;

    private static boolean vector(long n) { return VECTOR && n >= VECTOR_MIN; }

    /** Elements per thread below which a loop stays on one thread (a memory-bound pass over 256K floats takes ~0.1 ms). */
    static final long PARALLEL_GRAIN = 1 << 18;

    public static double get(MemorySegment s, DType t, long i) {
        return switch (t) {
            case F32 -> s.getAtIndex(JAVA_FLOAT, i);
            case F64 -> s.getAtIndex(JAVA_DOUBLE, i);
            case BF16 -> BFloat16.toFloat(s.getAtIndex(JAVA_SHORT, i));
            case I64 -> s.getAtIndex(JAVA_LONG, i);
            case BOOL -> s.get(JAVA_BYTE, i) != 0 ? 1 : 0;
        };
    }

    public static void set(MemorySegment s, DType t, long i, double v) {
        switch (t) {
            case F32 -> s.setAtIndex(JAVA_FLOAT, i, (float) v);
            case F64 -> s.setAtIndex(JAVA_DOUBLE, i, v);
            case BF16 -> s.setAtIndex(JAVA_SHORT, i, BFloat16.fromDouble(v));
            case I64 -> s.setAtIndex(JAVA_LONG, i, (long) v);
            case BOOL -> s.set(JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
        }
    }

    public static long getLong(MemorySegment s, DType t, long i) {
        return t == DType.I64 ? s.getAtIndex(JAVA_LONG, i) : (long) get(s, t, i);
    }

    /** Stores an integer exactly into an int64 (or as 0/1 into a bool) element. */
    static void setLong(MemorySegment s, DType t, long i, long v) {
        if (t == DType.I64) s.setAtIndex(JAVA_LONG, i, v);
        else set(s, t, i, v);
    }

    private static boolean integral(DType t) {
        return t == DType.I64 || t == DType.BOOL;
    }

    /**
     * Walks the rows of a strided view, every dimension but the last: after each {@link #next()},
     * {@link #base} is the storage offset of the row's first element. Kernels run their own inner
     * loop over a row ({@link #length} elements, {@link #step} apart), so no per-element call.
     */
    static final class Rows {
        final int length;
        final long step;
        long base;
        private final int[] shape;
        private final long[] strides;
        private final int[] idx;
        private long remaining;
        private boolean started;

        Rows(int[] shape, long[] strides, long offset) {
            int rank = shape.length;
            this.shape = shape;
            this.strides = strides;
            this.idx = new int[Math.max(0, rank - 1)];
            this.length = rank == 0 ? 1 : shape[rank - 1];
            this.step = rank == 0 ? 0 : strides[rank - 1];
            this.base = offset;
            long rows = 1;
            for (int d = 0; d < rank; d++) rows *= shape[d];
            this.remaining = length == 0 ? 0 : rows / length;
        }

        boolean next() {
            if (remaining == 0) return false;
            remaining--;
            if (!started) {
                started = true;
                return true;
            }
            for (int d = idx.length - 1; d >= 0; d--) {
                base += strides[d];
                if (++idx[d] < shape[d]) break;
                base -= strides[d] * shape[d];
                idx[d] = 0;
            }
            return true;
        }
    }

    /** Copies a strided view into a contiguous destination, converting dtype. */
    public static void gather(MemorySegment src, DType st, int[] shape, long[] strides, long offset,
                              MemorySegment dst, DType dt, long dstOffset) {
        Rows rows = new Rows(shape, strides, offset);
        int n = rows.length;
        long step = rows.step, out = dstOffset;
        if (st == dt && step == 1) {
            long es = st.byteSize();
            while (rows.next()) {
                MemorySegment.copy(src, rows.base * es, dst, out * es, n * es);
                out += n;
            }
        } else if (step == 1 && ((st == DType.F32 && dt == DType.BF16) || (st == DType.BF16 && dt == DType.F32))) {
            while (rows.next()) {
                convert(src, st, rows.base, dst, dt, out, n);
                out += n;
            }
        } else if (st == dt && st == DType.F32) {
            while (rows.next()) {
                long o = rows.base;
                for (int j = 0; j < n; j++, o += step) dst.setAtIndex(JAVA_FLOAT, out++, src.getAtIndex(JAVA_FLOAT, o));
            }
        } else if (st == dt && st == DType.F64) {
            while (rows.next()) {
                long o = rows.base;
                for (int j = 0; j < n; j++, o += step) dst.setAtIndex(JAVA_DOUBLE, out++, src.getAtIndex(JAVA_DOUBLE, o));
            }
        } else if (st == dt && st == DType.I64) {   // exact: a double would round int64 above 2^53
            while (rows.next()) {
                long o = rows.base;
                for (int j = 0; j < n; j++, o += step) dst.setAtIndex(JAVA_LONG, out++, src.getAtIndex(JAVA_LONG, o));
            }
        } else {
            while (rows.next()) {
                long o = rows.base;
                for (int j = 0; j < n; j++, o += step) set(dst, dt, out++, get(src, st, o));
            }
        }
    }

    /**
     * n contiguous float32 elements to bfloat16 or back (round to nearest even, as PyTorch), on the
     * Vector API when it is on and split across threads when long; else the scalar {@link BFloat16} loop.
     * A NaN becomes {@link BFloat16#NAN_OF_FLOAT_TENSOR}, as PyTorch's vectorised {@code float32 → bfloat16} gives.
     */
    public static void convert(MemorySegment src, DType st, long so, MemorySegment dst, DType dt, long dOff, long n) {
        boolean narrow = st == DType.F32 && dt == DType.BF16;
        if (!narrow && !(st == DType.BF16 && dt == DType.F32)) throw new IllegalArgumentException("convert: float32 <-> bfloat16 only, got " + st + " -> " + dt);
        if (VECTOR && n >= 64) {
            if (n < Parallel.BIG) convertVector(narrow, src, so, dst, dOff, n);
            else Parallel.forBigRange(n, (from, to) -> convertVector(narrow, src, so + from, dst, dOff + from, to - from));
        } else if (narrow) {
            for (long i = 0; i < n; i++) {
                float f = src.getAtIndex(JAVA_FLOAT, so + i);
                dst.setAtIndex(JAVA_SHORT, dOff + i, f != f ? BFloat16.NAN_OF_FLOAT_TENSOR : BFloat16.fromFloat(f));
            }
        } else {
            for (long i = 0; i < n; i++) dst.setAtIndex(JAVA_FLOAT, dOff + i, BFloat16.toFloat(src.getAtIndex(JAVA_SHORT, so + i)));
        }
    }

    private static void convertVector(boolean narrow, MemorySegment src, long so, MemorySegment dst, long dOff, long n) {
        if (narrow) VectorKernels.toBf16(src, so, dst, dOff, n);
        else VectorKernels.fromBf16(src, so, dst, dOff, n);
    }

    /** Writes a contiguous source into a strided view, converting dtype. */
    public static void scatter(MemorySegment src, DType st, long srcOffset,
                               MemorySegment dst, DType dt, int[] shape, long[] strides, long offset) {
        Rows rows = new Rows(shape, strides, offset);
        int n = rows.length;
        long step = rows.step, in = srcOffset;
        if (st == dt && step == 1) {
            long es = st.byteSize();
            while (rows.next()) {
                MemorySegment.copy(src, in * es, dst, rows.base * es, n * es);
                in += n;
            }
        } else if (st == dt && st == DType.F32) {
            while (rows.next()) {
                long o = rows.base;
                for (int j = 0; j < n; j++, o += step) dst.setAtIndex(JAVA_FLOAT, o, src.getAtIndex(JAVA_FLOAT, in++));
            }
        } else if (st == dt && st == DType.I64) {
            while (rows.next()) {
                long o = rows.base;
                for (int j = 0; j < n; j++, o += step) dst.setAtIndex(JAVA_LONG, o, src.getAtIndex(JAVA_LONG, in++));
            }
        } else {
            while (rows.next()) {
                long o = rows.base;
                for (int j = 0; j < n; j++, o += step) set(dst, dt, o, get(src, st, in++));
            }
        }
    }

    /** out[i] = op(x[i]) over n contiguous elements (same dtype: F32 or F64, or I64 for {@link UnaryOp#keepsInt64()} ops). */
    public static void map(UnaryOp op, DType t, MemorySegment x, long xo, MemorySegment out, long oo, long n) {
        if (t == DType.F32 && op == UnaryOp.RELU && vector(n)) {
            if (n < Parallel.BIG) VectorKernels.relu(x, xo, out, oo, n);
            else Parallel.forBigRange(n, (from, to) -> VectorKernels.relu(x, xo + from, out, oo + from, to - from));
        } else if (t == DType.F32 && vector(n) && VectorKernels.supports(op)) {
            if (n < Parallel.BIG) VectorKernels.map(op, x, xo, out, oo, n);
            else Parallel.forBigRange(n, (from, to) -> VectorKernels.map(op, x, xo + from, out, oo + from, to - from));
        } else if (t == DType.F32) {
            for (long i = 0; i < n; i++) out.setAtIndex(JAVA_FLOAT, oo + i, (float) op.apply(x.getAtIndex(JAVA_FLOAT, xo + i)));
        } else if (t == DType.I64) {
            for (long i = 0; i < n; i++) out.setAtIndex(JAVA_LONG, oo + i, op.applyLong(x.getAtIndex(JAVA_LONG, xo + i)));
        } else {
            for (long i = 0; i < n; i++) set(out, t, oo + i, op.apply(get(x, t, xo + i)));
        }
    }

    /** out[i] = op(a[i], b[i]) over n contiguous elements. */
    public static void zip(BinaryOp op, DType at, MemorySegment a, long ao, DType bt, MemorySegment b, long bo,
                           DType ot, MemorySegment out, long oo, long n) {
        if (at == DType.F32 && bt == DType.F32 && ot == DType.F32 && vector(n) && isArithmetic(op)) {
            if (n < Parallel.BIG) VectorKernels.zip(op, a, ao, b, bo, out, oo, n);
            else Parallel.forBigRange(n, (from, to) -> VectorKernels.zip(op, a, ao + from, b, bo + from, out, oo + from, to - from));
        } else if (at == DType.F32 && bt == DType.F32 && ot == DType.F32) {
            for (long i = 0; i < n; i++) {
                out.setAtIndex(JAVA_FLOAT, oo + i, (float) op.apply(a.getAtIndex(JAVA_FLOAT, ao + i), b.getAtIndex(JAVA_FLOAT, bo + i)));
            }
        } else if (at == DType.F64 && bt == DType.F64 && ot == DType.F64) {
            for (long i = 0; i < n; i++) {
                out.setAtIndex(JAVA_DOUBLE, oo + i, op.apply(a.getAtIndex(JAVA_DOUBLE, ao + i), b.getAtIndex(JAVA_DOUBLE, bo + i)));
            }
        } else if (integral(at) && integral(bt) && integral(ot) && op != BinaryOp.DIV) {   // exact: a double rounds int64 above 2^53
            for (long i = 0; i < n; i++) setLong(out, ot, oo + i, op.applyLong(getLong(a, at, ao + i), getLong(b, bt, bo + i)));
        } else {
            for (long i = 0; i < n; i++) set(out, ot, oo + i, op.apply(get(a, at, ao + i), get(b, bt, bo + i)));
        }
    }

    /**
     * out[i] = op(a[i], s) over n contiguous elements. For float32 arithmetic (+ − × ÷) the scalar is
     * rounded to float first and the operation done in float, as PyTorch does for a float tensor and a
     * Python number.
     */
    public static void zipScalar(BinaryOp op, DType at, MemorySegment a, long ao, double s, DType ot, MemorySegment out, long oo, long n) {
        if (at == DType.F32 && ot == DType.F32 && isArithmetic(op)) {
            float fs = (float) s;
            if (vector(n)) {
                if (n < Parallel.BIG) VectorKernels.zipScalar(op, a, ao, fs, out, oo, n);
                else Parallel.forBigRange(n, (from, to) -> VectorKernels.zipScalar(op, a, ao + from, fs, out, oo + from, to - from));
            } else {
                for (long i = 0; i < n; i++) out.setAtIndex(JAVA_FLOAT, oo + i, floatArithmetic(op, a.getAtIndex(JAVA_FLOAT, ao + i), fs));
            }
        } else if (at == DType.F32 && ot == DType.F32) {
            for (long i = 0; i < n; i++) out.setAtIndex(JAVA_FLOAT, oo + i, (float) op.apply(a.getAtIndex(JAVA_FLOAT, ao + i), s));
        } else if (at == DType.BF16 && ot == DType.BF16 && isArithmetic(op)) {   // PyTorch rounds the number to bfloat16 first
            float bs = BFloat16.round((float) s);
            for (long i = 0; i < n; i++) set(out, ot, oo + i, op.apply(get(a, at, ao + i), bs));
        } else if (integral(at) && integral(ot) && op != BinaryOp.DIV && s == Math.rint(s) && !Double.isInfinite(s)) {   // exact in int64
            long ls = (long) s;
            for (long i = 0; i < n; i++) setLong(out, ot, oo + i, op.applyLong(getLong(a, at, ao + i), ls));
        } else {
            for (long i = 0; i < n; i++) set(out, ot, oo + i, op.apply(get(a, at, ao + i), s));
        }
    }

    /**
     * a += alpha·b in place over n elements of one floating dtype, rounded as {@code a.add(b, alpha)}
     * is: alpha·b to the dtype first, then the sum.
     */
    public static void addScaled(DType t, MemorySegment a, long ao, MemorySegment b, long bo, double alpha, long n) {
        if (t == DType.F32 && vector(n)) {
            VectorKernels.addScaled(a, ao, b, bo, (float) alpha, n);
        } else if (t == DType.F32) {
            float fa = (float) alpha;
            for (long i = 0; i < n; i++) {
                float scaled = fa == 1f ? b.getAtIndex(JAVA_FLOAT, bo + i) : b.getAtIndex(JAVA_FLOAT, bo + i) * fa;
                a.setAtIndex(JAVA_FLOAT, ao + i, a.getAtIndex(JAVA_FLOAT, ao + i) + scaled);
            }
        } else if (t == DType.F64) {
            for (long i = 0; i < n; i++) {
                double scaled = alpha == 1 ? b.getAtIndex(JAVA_DOUBLE, bo + i) : b.getAtIndex(JAVA_DOUBLE, bo + i) * alpha;
                a.setAtIndex(JAVA_DOUBLE, ao + i, a.getAtIndex(JAVA_DOUBLE, ao + i) + scaled);
            }
        } else if (t == DType.BF16) {   // alpha·b rounded to bfloat16 first (unless alpha is 1), then the sum, as PyTorch's add
            for (long i = 0; i < n; i++) {
                double scaled = alpha == 1 ? get(b, t, bo + i) : BFloat16.round((float) (get(b, t, bo + i) * BFloat16.round((float) alpha)));
                set(a, t, ao + i, get(a, t, ao + i) + scaled);
            }
        } else {
            throw new IllegalArgumentException("addScaled: floating dtypes only, got " + t);
        }
    }

    static boolean isArithmetic(BinaryOp op) {
        return op == BinaryOp.ADD || op == BinaryOp.SUB || op == BinaryOp.MUL || op == BinaryOp.DIV;
    }

    /** One IEEE float operation: what a Vector API lane does. */
    static float floatArithmetic(BinaryOp op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            default -> throw new IllegalArgumentException("not float arithmetic: " + op);
        };
    }

    /** SGD momentum for float32 in one pass: buf = μ·buf + d; p += (−lr)·buf (see {@code SGD}). */
    public static void sgdMomentum(MemorySegment p, long po, MemorySegment buf, long bo, MemorySegment d, long doff, double mu, double lr, long n) {
        float fmu = (float) mu, negLr = (float) -lr;
        if (vector(n)) {
            if (Parallel.threads() == 1 || n < 2 * PARALLEL_GRAIN) VectorKernels.sgdMomentum(p, po, buf, bo, d, doff, fmu, negLr, n);
            else Parallel.forRange(n, PARALLEL_GRAIN, 64, (from, to) -> VectorKernels.sgdMomentum(p, po + from, buf, bo + from, d, doff + from, fmu, negLr, to - from));
            return;
        }
        for (long i = 0; i < n; i++) {
            float b = buf.getAtIndex(JAVA_FLOAT, bo + i) * fmu + d.getAtIndex(JAVA_FLOAT, doff + i);
            buf.setAtIndex(JAVA_FLOAT, bo + i, b);
            p.setAtIndex(JAVA_FLOAT, po + i, p.getAtIndex(JAVA_FLOAT, po + i) + b * negLr);
        }
    }

    /** out = y <= 0 ? 0 : g over n contiguous elements of one floating dtype: relu's backward from its output (g where y is NaN). */
    public static void reluBackward(DType t, MemorySegment g, long go, MemorySegment y, long yo, MemorySegment out, long oo, long n) {
        if (t == DType.F32 && vector(n)) {
            if (n < Parallel.BIG) VectorKernels.reluBackward(g, go, y, yo, out, oo, n);
            else Parallel.forBigRange(n, (from, to) -> VectorKernels.reluBackward(g, go + from, y, yo + from, out, oo + from, to - from));
        } else {
            for (long i = 0; i < n; i++) set(out, t, oo + i, get(y, t, yo + i) <= 0 ? 0 : get(g, t, go + i));
        }
    }

    /** out[j] = Σ_r a[r, j] over a contiguous [rows, cols] block (float32: float partial sums, double total). */
    public static void sumRows(DType t, MemorySegment a, long ao, long rows, int cols, MemorySegment out, long oo) {
        if (t == DType.F32 && vector(rows * cols)) {
            VectorKernels.sumRows(a, ao, rows, cols, out, oo);
            return;
        }
        double[] total = new double[cols];
        for (long r = 0; r < rows; r++) {
            long row = ao + r * cols;
            for (int j = 0; j < cols; j++) total[j] += get(a, t, row + j);
        }
        for (int j = 0; j < cols; j++) set(out, t, oo + j, total[j]);
    }

    public static void fill(MemorySegment s, DType t, long o, long n, double v) {
        if (n <= 0) return;
        if (v == 0 && Double.doubleToRawLongBits(v) == 0 && t != DType.BOOL) {   // +0.0 is all zero bytes in every dtype
            s.asSlice(o * t.byteSize(), n * t.byteSize()).fill((byte) 0);
        } else if (t == DType.F32) {
            float f = (float) v;
            for (long i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, o + i, f);
        } else {
            for (long i = 0; i < n; i++) set(s, t, o + i, v);
        }
    }

    /** Reductions along the last axis of a contiguous rows×cols block. */
    public enum Reduce { SUM, MAX, MIN }

    /** out[r] = reduce(x[r, :]); for MAX/MIN, idx[r] (if not null) gets the first index of the extreme (NaN wins). */
    public static void reduceRows(Reduce op, DType t, MemorySegment x, long xo, long rows, long cols,
                                  DType ot, MemorySegment out, long oo, MemorySegment idx) {
        for (long r = 0; r < rows; r++) {
            long base = xo + r * cols;
            if (op == Reduce.SUM && t == DType.F32 && vector(cols)) {
                set(out, ot, oo + r, VectorKernels.sum(x, base, cols));
            } else if (op == Reduce.SUM && ot == DType.I64) {   // exact, wrapping as PyTorch's int64 sum
                long acc = 0;
                for (long c = 0; c < cols; c++) acc += getLong(x, t, base + c);
                out.setAtIndex(JAVA_LONG, oo + r, acc);
            } else if (t == DType.I64 && op != Reduce.SUM) {
                long best = x.getAtIndex(JAVA_LONG, base);
                long at = 0;
                for (long c = 1; c < cols; c++) {
                    long v = x.getAtIndex(JAVA_LONG, base + c);
                    if (op == Reduce.MAX ? v > best : v < best) {
                        best = v;
                        at = c;
                    }
                }
                setLong(out, ot, oo + r, best);
                if (idx != null) idx.setAtIndex(JAVA_LONG, r, at);
            } else if (op == Reduce.SUM) {
                double acc = 0;
                for (long c = 0; c < cols; c++) acc += get(x, t, base + c);
                set(out, ot, oo + r, acc);
            } else {
                double best = get(x, t, base);
                long at = 0;
                for (long c = 1; c < cols && !Double.isNaN(best); c++) {
                    double v = get(x, t, base + c);
                    if (Double.isNaN(v) || (op == Reduce.MAX ? v > best : v < best)) {
                        best = v;
                        at = c;
                    }
                }
                set(out, ot, oo + r, best);
                if (idx != null) idx.setAtIndex(JAVA_LONG, r, at);
            }
        }
    }

    /** Row-wise softmax (or log-softmax) of a contiguous rows×cols block, max-shifted. */
    public static void softmaxRows(boolean log, DType t, MemorySegment x, long rows, long cols, MemorySegment out) {
        for (long r = 0; r < rows; r++) {
            long base = r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (long c = 0; c < cols; c++) max = Math.max(max, get(x, t, base + c));
            double sum = 0;
            for (long c = 0; c < cols; c++) sum += Math.exp(get(x, t, base + c) - max);
            if (log) {
                double lse = Math.log(sum);
                for (long c = 0; c < cols; c++) set(out, t, base + c, get(x, t, base + c) - max - lse);
            } else {
                for (long c = 0; c < cols; c++) set(out, t, base + c, Math.exp(get(x, t, base + c) - max) / sum);
            }
        }
    }
}
