package dev.panagrad.memory;

/** The pool's restricted calls ({@code MemorySegment.reinterpret}) refused by the JVM: say which flag to add. */
final class NativeAccess {
    private NativeAccess() {}

    static IllegalCallerException denied(IllegalCallerException e) {
        Module module = NativeAccess.class.getModule();
        return new IllegalCallerException("Panagrad's buffer pool needs native access (MemorySegment.reinterpret binds each lease's"
                + " memory to its lifetime) and this JVM denies it (" + e.getMessage() + "). Fix: start the JVM with"
                + " --enable-native-access=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED")
                + " (on the java command line, in surefire's argLine, in MAVEN_OPTS for exec:java, or as Enable-Native-Access:"
                + " ALL-UNNAMED in an executable jar's manifest).", e);
    }
}
