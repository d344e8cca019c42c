package dev.panagrad;

/** Run in a child JVM by {@link AutocastTest}: opens a bfloat16 autocast scope, or prints the exception's class and message (status 1). */
public final class AutocastProbe {
    private AutocastProbe() {}

    public static void main(String[] args) {
        try (var amp = Autocast.bf16()) {
            System.out.println("autocast on");
        } catch (RuntimeException e) {
            System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
