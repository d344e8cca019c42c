package dev.panagrad.kernel;

/** Element-wise functions of one value, each with its own body (no shared lambda, so each inlines). */
public enum UnaryOp {
    NEG { public double apply(double x) { return -x; } },
    EXP { public double apply(double x) { return Math.exp(x); } },
    LOG { public double apply(double x) { return Math.log(x); } },
    SQRT { public double apply(double x) { return Math.sqrt(x); } },
    ABS { public double apply(double x) { return Math.abs(x); } },
    SIGN { public double apply(double x) { return Math.signum(x); } },
    SIN { public double apply(double x) { return Math.sin(x); } },
    COS { public double apply(double x) { return Math.cos(x); } },
    TANH { public double apply(double x) { return Math.tanh(x); } },
    SIGMOID { public double apply(double x) { return 1 / (1 + Math.exp(-x)); } },
    RELU { public double apply(double x) { return x > 0 ? x : (Double.isNaN(x) ? x : 0); } },
    IDENTITY { public double apply(double x) { return x; } };

    public abstract double apply(double x);
}
