package dev.panagrad.memory;

/** A lease would take a {@link BufferPool} over its byte budget. The message says who holds the memory. */
public final class MemoryBudgetExceededException extends RuntimeException {
    private final long requestedBytes;
    private final long budgetBytes;
    private final long bytesInUse;

    MemoryBudgetExceededException(String message, long requestedBytes, long budgetBytes, long bytesInUse) {
        super(message);
        this.requestedBytes = requestedBytes;
        this.budgetBytes = budgetBytes;
        this.bytesInUse = bytesInUse;
    }

    public long requestedBytes() { return requestedBytes; }
    public long budgetBytes() { return budgetBytes; }
    public long bytesInUse() { return bytesInUse; }
}
