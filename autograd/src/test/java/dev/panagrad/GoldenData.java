package dev.panagrad;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.panagrad.memory.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reading the files {@code autograd/src/test/python/record_golden.py} writes, and comparing values
 * with them. A tensor is {@code {shape, dtype, values}}: row-major values, floats as text that reads
 * back as the same value of their dtype, {@code "nan"}, {@code "inf"}, {@code "-inf"} as strings,
 * int64 exact, bool as 0/1.
 */
final class GoldenData {
    private GoldenData() {}

    static JsonObject read(String resource) {
        try (InputStream in = GoldenData.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing test resource " + resource + " (record it with autograd/src/test/python/record_golden.py)");
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static DType dtype(String name) {
        return switch (name) {
            case "float32" -> DType.F32;
            case "float64" -> DType.F64;
            case "bfloat16" -> DType.BF16;
            case "int64" -> DType.I64;
            case "bool" -> DType.BOOL;
            default -> throw new IllegalArgumentException("unknown dtype " + name);
        };
    }

    static int[] shape(JsonObject t) {
        JsonArray a = t.getAsJsonArray("shape");
        int[] s = new int[a.size()];
        for (int i = 0; i < s.length; i++) s[i] = a.get(i).getAsInt();
        return s;
    }

    /** A JSON number or one of "nan", "inf", "-inf" (read as the float32 it spells when {@code f32}). */
    static double number(JsonElement e, boolean f32) {
        String s = e.getAsString();
        return switch (s) {
            case "nan" -> Double.NaN;
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            default -> f32 ? Float.parseFloat(s) : Double.parseDouble(s);
        };
    }

    static double number(JsonElement e) {
        return number(e, false);
    }

    /** Expected values: doubles for floating dtypes and bool, exact longs for int64. */
    record Values(int[] shape, DType dtype, double[] doubles, long[] longs) {
        int count() { return dtype == DType.I64 ? longs.length : doubles.length; }

        String at(int i) {
            if (dtype == DType.I64) return Long.toString(longs[i]);
            double v = doubles[i];
            if (dtype == DType.BOOL) return v != 0 ? "True" : "False";
            return dtype == DType.F32 ? Float.toString((float) v) : Double.toString(v);
        }

        String all() {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < count(); i++) b.append(i == 0 ? "" : ", ").append(at(i));
            return b.append("]").toString();
        }

        String describe() {
            return dtype.pytorchName() + " " + Arrays.toString(shape) + (count() <= 16 ? " " + all() : "");
        }
    }

    static Values expected(JsonObject t) {
        DType d = dtype(t.get("dtype").getAsString());
        JsonArray a = t.getAsJsonArray("values");
        if (d == DType.I64) {
            long[] v = new long[a.size()];
            for (int i = 0; i < v.length; i++) v[i] = Long.parseLong(a.get(i).getAsString());
            return new Values(shape(t), d, null, v);
        }
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = number(a.get(i), d == DType.F32);
        return new Values(shape(t), d, v, null);
    }

    /** An input tensor, exactly as recorded (a leaf; requires grad if the file says so). */
    static Tensor tensor(JsonObject spec) {
        Values v = expected(spec);
        Tensor t = v.dtype == DType.I64 ? Tensor.fromArray(v.longs, v.shape) : Tensor.fromArray(v.dtype, v.doubles, v.shape);
        if (spec.has("requires_grad") && spec.get("requires_grad").getAsBoolean()) t.requiresGrad(true);
        return t;
    }

    /** A tensor's values now, copied (no graph is recorded). */
    static Values snapshot(Tensor t) {
        Tensor d = t.detach();
        if (t.dtype() == DType.I64) return new Values(t.shape(), t.dtype(), null, d.toLongArray());
        return new Values(t.shape(), t.dtype(), d.toDoubleArray(), null);
    }

    /** Tolerance of a comparison: |got − want| ≤ atol + rtol·|want|; NaN only matches NaN, ±inf only itself. */
    record Tolerance(double rtol, double atol) {
        static final Tolerance EXACT = new Tolerance(0, 0);

        boolean accepts(double want, double got) {
            if (Double.isNaN(want) || Double.isNaN(got)) return Double.isNaN(want) && Double.isNaN(got);
            if (Double.isInfinite(want) || Double.isInfinite(got)) return want == got;
            return Math.abs(got - want) <= atol + rtol * Math.abs(want);
        }
    }

    /** Null when {@code got} matches {@code want}; otherwise what differs (shape, dtype, or the elements, with examples). */
    static String mismatch(Values want, Values got, Tolerance tol) {
        if (!Arrays.equals(want.shape, got.shape) || want.dtype != got.dtype) {
            return "expected " + want.describe() + ", got " + got.describe();
        }
        List<Integer> bad = new ArrayList<>();
        for (int i = 0; i < want.count(); i++) {
            boolean ok = want.dtype == DType.I64 ? want.longs[i] == got.longs[i] : tol.accepts(want.doubles[i], got.doubles[i]);
            if (!ok) bad.add(i);
        }
        if (bad.isEmpty()) return null;
        if (want.count() <= 16) return "expected " + want.all() + ", got " + got.all() + " (" + want.dtype.pytorchName() + " " + Arrays.toString(want.shape) + ")";
        StringBuilder b = new StringBuilder(bad.size() + " of " + want.count() + " elements differ");
        for (int k = 0; k < Math.min(4, bad.size()); k++) {
            int i = bad.get(k);
            b.append(k == 0 ? ": " : "; ").append("[").append(i).append("] expected ").append(want.at(i)).append(", got ").append(got.at(i));
        }
        return b.append(bad.size() > 4 ? "; ..." : "").toString();
    }
}
