package dev.panagrad.kernel;

/** The error function in double precision, for {@link UnaryOp#ERF} and the GELU kernels of the array layer. */
public final class Erf {
    private Erf() {}

    /** 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)), the Maclaurin coefficients of erf, enough for |x| ≤ 2.5 to double precision. */
    private static final double[] SERIES = new double[60];

    static {
        double fact = 1;
        for (int k = 0; k < SERIES.length; k++) {
            if (k > 0) fact *= k;
            SERIES[k] = (k % 2 == 0 ? 1 : -1) * 2 / Math.sqrt(Math.PI) / (fact * (2 * k + 1));
        }
    }

    /**
     * erf in double precision (relative error ~1e-15): the Maclaurin series for |x| < 2.5, else
     * 1 − erfc(x) with erfc from its continued fraction, erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + ...)))).
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        if (a < 2.5) {
            double z = a * a, sum = 0;
            for (int k = SERIES.length - 1; k >= 0; k--) sum = sum * z + SERIES[k];
            return x < 0 ? -a * sum : a * sum;
        }
        if (a > 6) return x < 0 ? -1 : 1;
        double frac = a;
        for (int k = 80; k >= 1; k--) frac = a + (k / 2.0) / frac;
        double erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / frac;
        return x < 0 ? erfc - 1 : 1 - erfc;
    }
}
