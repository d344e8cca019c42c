package dev.panagrad.kernel;

/** Element-wise functions of one value, each with its own body (no shared lambda, so each inlines). */
public enum UnaryOp {
    NEG { public double apply(double x) { return -x; } },
    EXP { public double apply(double x) { return Math.exp(x); } },
    LOG { public double apply(double x) { return Math.log(x); } },
    SQRT { public double apply(double x) { return Math.sqrt(x); } },
    ABS { public double apply(double x) { return Math.abs(x); } },
    /** PyTorch's sign: 0 for NaN and for either zero (Math.signum keeps NaN and -0.0). */
    SIGN { public double apply(double x) { return (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0); } },
    SIN { public double apply(double x) { return Math.sin(x); } },
    COS { public double apply(double x) { return Math.cos(x); } },
    TANH { public double apply(double x) { return Math.tanh(x); } },
    SIGMOID { public double apply(double x) { return 1 / (1 + Math.exp(-x)); } },
    /** max(x, 0) as PyTorch's relu: NaN stays NaN and -0.0 stays -0.0. */
    RELU { public double apply(double x) { return x < 0 ? 0 : x; } },
    /** x·σ(x), computed as PyTorch's silu: x / (1 + e^−x). */
    SILU { public double apply(double x) { return x / (1 + Math.exp(-x)); } },
    /** The error function, 2/√π·∫₀ˣ e^(−t²) dt ({@code torch.erf}), to ~1e-15 relative. */
    ERF { public double apply(double x) { return Erf.erf(x); } },
    /** 1/√x: what PyTorch computes for {@code x.pow(-0.5)}. */
    RSQRT { public double apply(double x) { return 1 / Math.sqrt(x); } },
    IDENTITY { public double apply(double x) { return x; } };

    public abstract double apply(double x);

    /** Whether the op maps int64 to int64 (PyTorch keeps the dtype for these; the others give a float). */
    public boolean keepsInt64() {
        return this == NEG || this == ABS || this == RELU || this == IDENTITY;
    }

    /** The op on an int64 value, exactly: only for {@link #keepsInt64()} ops. */
    public long applyLong(long x) {
        return switch (this) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case RELU -> Math.max(x, 0);
            case IDENTITY -> x;
            default -> throw new IllegalArgumentException(name() + " of int64 gives a float");
        };
    }
}
