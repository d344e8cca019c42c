package dev.panagrad.blas;

/** OpenBLAS (or oneDNN, {@link Dnnl}) could not be loaded or bound. The message says why and what to do about it. */
public final class BlasUnavailableException extends RuntimeException {
    BlasUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
