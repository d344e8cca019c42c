package dev.panagrad.blas;

/** Run in a child JVM by {@link DnnlTest}: loads oneDNN and prints what it is, or the exception's class and message (status 1). */
public final class DnnlProbe {
    private DnnlProbe() {}

    public static void main(String[] args) {
        try {
            System.out.println(Dnnl.get());
        } catch (RuntimeException e) {
            System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
