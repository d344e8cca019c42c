package dev.panagrad.kernel;

/** Element-wise functions of two values; comparisons give 1 or 0. */
public enum BinaryOp {
    ADD { public double apply(double a, double b) { return a + b; } },
    SUB { public double apply(double a, double b) { return a - b; } },
    MUL { public double apply(double a, double b) { return a * b; } },
    DIV { public double apply(double a, double b) { return a / b; } },
    /** C's pow (as PyTorch): 1 for 1^y and (-1)^±inf, where Math.pow gives NaN. */
    POW { public double apply(double a, double b) { return a == 1 || (a == -1 && Double.isInfinite(b)) ? 1 : Math.pow(a, b); } },
    MAX { public double apply(double a, double b) { return Double.isNaN(a) || a >= b ? a : b; } },
    MIN { public double apply(double a, double b) { return Double.isNaN(a) || a <= b ? a : b; } },
    LT { public double apply(double a, double b) { return a < b ? 1 : 0; } },
    GT { public double apply(double a, double b) { return a > b ? 1 : 0; } },
    LE { public double apply(double a, double b) { return a <= b ? 1 : 0; } },
    GE { public double apply(double a, double b) { return a >= b ? 1 : 0; } },
    EQ { public double apply(double a, double b) { return a == b ? 1 : 0; } },
    NE { public double apply(double a, double b) { return a != b ? 1 : 0; } },
    AND { public double apply(double a, double b) { return a != 0 && b != 0 ? 1 : 0; } },
    OR { public double apply(double a, double b) { return a != 0 || b != 0 ? 1 : 0; } };

    public abstract double apply(double a, double b);

    public boolean isComparison() {
        return this.ordinal() >= LT.ordinal();
    }
}
