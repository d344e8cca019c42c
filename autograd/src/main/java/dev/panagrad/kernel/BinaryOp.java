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

    /**
     * The op on int64 values, exactly (a double rounds above 2^53), wrapping on overflow as C's int64
     * and PyTorch's do; comparisons give 1 or 0. Not DIV: integers divide into a float.
     */
    public long applyLong(long a, long b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case POW -> powLong(a, b);
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case LT -> a < b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case AND -> a != 0 && b != 0 ? 1 : 0;
            case OR -> a != 0 || b != 0 ? 1 : 0;
            case DIV -> throw new IllegalArgumentException("int64 division is true division: divide in floating point");
        };
    }

    /** a^b in int64 as PyTorch's powi: squaring, wrapping; for b < 0: 1 if a = 1, ±1 if a = -1, else 0. */
    private static long powLong(long a, long b) {
        if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
        long result = 1;
        for (long base = a, e = b; e > 0; e >>= 1, base *= base) if ((e & 1) == 1) result *= base;
        return result;
    }

    public boolean isComparison() {
        return this.ordinal() >= LT.ordinal();
    }
}
