package dev.panagrad.memory;

import java.lang.foreign.ValueLayout;

/**
 * The element types a tensor can hold. F32 is the default, as in PyTorch. BF16 is bfloat16 (the top
 * 16 bits of a float32, stored as a 2-byte short; see {@link BFloat16} for the rounding), the dtype
 * of mixed-precision GEMMs.
 */
public enum DType {
    F32(4, ValueLayout.JAVA_FLOAT, "float32", "FloatTensor", true),
    BF16(2, ValueLayout.JAVA_SHORT, "bfloat16", "BFloat16Tensor", true),
    F64(8, ValueLayout.JAVA_DOUBLE, "float64", "DoubleTensor", true),
    I64(8, ValueLayout.JAVA_LONG, "int64", "LongTensor", false),
    BOOL(1, ValueLayout.JAVA_BYTE, "bool", "BoolTensor", false);

    private final int byteSize;
    private final ValueLayout layout;
    private final String pytorchName;
    private final String tensorTypeName;
    private final boolean floatingPoint;

    DType(int byteSize, ValueLayout layout, String pytorchName, String tensorTypeName, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.layout = layout;
        this.pytorchName = pytorchName;
        this.tensorTypeName = tensorTypeName;
        this.floatingPoint = floatingPoint;
    }

    /** Bytes one element takes. */
    public int byteSize() { return byteSize; }

    /** The unaligned-by-default value layout of one element (native byte order). */
    public ValueLayout layout() { return layout; }

    /** PyTorch's name, as in {@code torch.float32}. */
    public String pytorchName() { return pytorchName; }

    /** PyTorch's legacy CPU type name as its error messages print it: {@code torch.FloatTensor}. */
    public String tensorTypeName() { return "torch." + tensorTypeName; }

    /** True for F32, F64 and BF16, the dtypes that may require gradients. */
    public boolean isFloatingPoint() { return floatingPoint; }
}
