package dev.panagrad.examples.output;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Python's way of printing numbers, so an example's output reads exactly like the tutorial's. */
public final class Py {
    private Py() {}

    /** {@code repr(float)}: the shortest digits that round-trip, scientific below 1e-4 and from 1e16. */
    public static String repr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return 1 / d < 0 ? "-0.0" : "0.0";
        BigDecimal shortest = new BigDecimal(Double.toString(d)).stripTrailingZeros();   // JDK 19+: shortest round-trip digits
        String digits = shortest.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - shortest.scale();
        String sign = d < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
        }
        String plain = shortest.abs().toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }

    /** {@code f"{d:.Nf}"}: the exact binary value rounded half-even, as Python does (Java's %f rounds the shortest digits half-up). */
    public static String fixed(double d, int decimals) {
        if (Double.isNaN(d) || Double.isInfinite(d)) return repr(d);
        String s = new BigDecimal(d).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
        return (d < 0 || (d == 0 && 1 / d < 0)) && !s.startsWith("-") ? "-" + s : s;
    }

    public static String bool(boolean b) { return b ? "True" : "False"; }

    /** {@code torch.Size([2, 3])}. */
    public static String size(int[] shape) {
        StringBuilder sb = new StringBuilder("torch.Size([");
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
        return sb.append("])").toString();
    }
}
