package dev.panagrad;

import dev.panagrad.memory.DType;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/** {@link Tensor#toString()} in PyTorch's format (torch/_tensor_str.py: precision 4, line width 80, summarised above 1000 elements). */
final class TensorFormat {
    private static final int PRECISION = 4, LINE_WIDTH = 80, THRESHOLD = 1000, EDGE_ITEMS = 3;

    private TensorFormat() {}

    static String format(Tensor t) {
        StringBuilder sb = new StringBuilder("tensor(");
        int indent = sb.length();
        boolean summarize = t.numel() > THRESHOLD;
        double[] all = t.toDoubleArray();
        List<Double> shown = new ArrayList<>();
        collect(all, t.shape(), 0, 0, summarize, shown);
        Formatter f = new Formatter(t.dtype(), shown);
        if (t.dim() == 0) sb.append(f.format(all[0]));
        else sb.append(str(all, t.shape(), 0, 0, indent, summarize, f));
        List<String> suffixes = new ArrayList<>();
        if (t.dtype() == DType.F64 || t.dtype() == DType.BF16) suffixes.add("dtype=torch." + t.dtype().pytorchName());
        if (t.gradFn() != null) suffixes.add("grad_fn=<" + t.gradFn().name() + ">");
        else if (t.requiresGrad()) suffixes.add("requires_grad=True");
        addSuffixes(sb, suffixes, indent);
        return sb.append(')').toString();
    }

    /** torch/_tensor_str.py's _add_suffixes: ", suffix" on the last line while it fits in the line width, else on a new line. */
    private static void addSuffixes(StringBuilder sb, List<String> suffixes, int indent) {
        int lastLine = sb.length() - sb.lastIndexOf("\n") + 1;
        for (String suffix : suffixes) {
            if (lastLine + suffix.length() + 2 > LINE_WIDTH) {
                sb.append(",\n").append(" ".repeat(indent)).append(suffix);
                lastLine = indent + suffix.length();
            } else {
                sb.append(", ").append(suffix);
                lastLine += suffix.length() + 2;
            }
        }
    }

    private static long stride(int[] shape, int dim) {
        long s = 1;
        for (int i = dim + 1; i < shape.length; i++) s *= shape[i];
        return s;
    }

    private static void collect(double[] v, int[] shape, int dim, long base, boolean summarize, List<Double> out) {
        if (shape.length == 0) {
            out.add(v[0]);
            return;
        }
        for (int i : indices(shape[dim], summarize)) {
            long at = base + i * stride(shape, dim);
            if (dim == shape.length - 1) out.add(v[(int) at]);
            else collect(v, shape, dim + 1, at, summarize, out);
        }
    }

    private static List<Integer> indices(int size, boolean summarize) {
        List<Integer> idx = new ArrayList<>();
        if (summarize && size > 2 * EDGE_ITEMS) {
            for (int i = 0; i < EDGE_ITEMS; i++) idx.add(i);
            for (int i = size - EDGE_ITEMS; i < size; i++) idx.add(i);
        } else {
            for (int i = 0; i < size; i++) idx.add(i);
        }
        return idx;
    }

    private static String str(double[] v, int[] shape, int dim, long base, int indent, boolean summarize, Formatter f) {
        int size = shape[dim];
        boolean cut = summarize && size > 2 * EDGE_ITEMS;
        List<String> parts = new ArrayList<>();
        for (int i : indices(size, summarize)) {
            if (cut && i == size - EDGE_ITEMS) parts.add("...");
            long at = base + i * stride(shape, dim);
            parts.add(dim == shape.length - 1 ? f.format(v[(int) at]) : str(v, shape, dim + 1, at, indent + 1, summarize, f));
        }
        if (dim == shape.length - 1) {
            int perLine = Math.max(1, (LINE_WIDTH - indent) / (f.width + 2));
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < parts.size(); i += perLine) lines.add(String.join(", ", parts.subList(i, Math.min(parts.size(), i + perLine))));
            return "[" + String.join(",\n" + " ".repeat(indent + 1), lines) + "]";
        }
        String sep = "," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + 1);
        return "[" + String.join(sep, parts) + "]";
    }

    /** torch/_tensor_str.py's _Formatter: int mode ("2."), fixed ("0.5000") or scientific ("1.0000e-05"), right-aligned. */
    private static final class Formatter {
        final boolean floating;
        final boolean bool;
        boolean intMode = true, sciMode;
        int width = 1;

        Formatter(DType dtype, List<Double> values) {
            floating = dtype.isFloatingPoint();
            bool = dtype == DType.BOOL;
            if (!floating) {
                for (double v : values) width = Math.max(width, plain(v).length());
                return;
            }
            double min = Double.POSITIVE_INFINITY, max = 0;
            boolean any = false;
            for (double v : values) {
                if (v == 0 || !Double.isFinite(v)) continue;
                any = true;
                min = Math.min(min, Math.abs(v));
                max = Math.max(max, Math.abs(v));
                if (v != Math.ceil(v)) intMode = false;
            }
            if (!any) return;
            if (intMode) {
                sciMode = max / min > 1000 || max > 1e8;
            } else {
                sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
            }
            for (double v : values) {
                if (v == 0 || !Double.isFinite(v)) continue;
                String s = sciMode ? sci(v) : intMode ? fixed(v, 0) + "." : fixed(v, PRECISION);
                width = Math.max(width, s.length());
            }
        }

        private String plain(double v) {
            if (bool) return v != 0 ? "True" : "False";
            return Long.toString((long) v);
        }

        String format(double v) {
            String s;
            if (!floating) s = plain(v);
            else if (!Double.isFinite(v)) s = Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
            else if (sciMode) s = sci(v);
            else if (intMode) s = fixed(v, 0) + ".";
            else s = fixed(v, PRECISION);
            return " ".repeat(Math.max(0, width - s.length())) + s;
        }

        /** Python's '{:.Nf}': the exact binary value rounded half-even. */
        static String fixed(double v, int digits) {
            String s = new BigDecimal(v).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
            if ((v < 0 || (v == 0 && 1 / v < 0)) && !s.startsWith("-")) s = "-" + s;
            return s;
        }

        /** Python's '{:.4e}': d.dddde±XX. */
        static String sci(double v) {
            BigDecimal b = new BigDecimal(v).round(new MathContext(PRECISION + 1, RoundingMode.HALF_EVEN));
            int exponent = b.precision() - b.scale() - 1;
            BigDecimal mantissa = b.movePointLeft(exponent).setScale(PRECISION, RoundingMode.HALF_EVEN);
            String e = Math.abs(exponent) < 10 ? "0" + Math.abs(exponent) : Integer.toString(Math.abs(exponent));
            String sign = v == 0 && 1 / v < 0 ? "-" : "";   // -0.0 keeps its sign, as Python's format does
            return sign + mantissa.toPlainString() + "e" + (exponent < 0 ? "-" : "+") + e;
        }
    }
}
