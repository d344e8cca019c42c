package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Anomaly detection ({@link Grad#detectAnomaly}). PyTorch's messages are replayed from recorded programs
 * in {@link FuzzReplayTest} (group "issue 12: anomaly detection"); here: what is printed, the trace
 * pointing at the forward call, the scope, and that nothing is captured outside it.
 */
class AnomalyModeTest {
    /** Runs {@code r}, returning what it printed on stderr. */
    static String stderrOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static Tensor logTimesZero(Tensor x) {
        return x.log().mul(0).sum();   // the forward call the report must point at
    }

    @Test
    void aNanGradientNamesTheNodeAndPrintsWhereItWasMadeInTheForward() {
        // x = torch.tensor([0., 2.], requires_grad=True)
        // with torch.autograd.detect_anomaly(): (x.log() * 0).sum().backward()
        // -> RuntimeError: Function 'LogBackward0' returned nan values in its 0th output.
        //    (stderr: "Error detected in LogBackward0. Traceback of forward call that caused the error: ...")
        Tensor x = Tensor.of(0, 2).requiresGrad(true);
        IllegalStateException[] thrown = new IllegalStateException[1];
        String err = stderrOf(() -> {
            try (var anomaly = Grad.detectAnomaly()) {
                assertTrue(Grad.isAnomalyEnabled());
                Tensor s = logTimesZero(x);
                thrown[0] = assertThrows(IllegalStateException.class, s::backward);
            }
        });
        assertFalse(Grad.isAnomalyEnabled(), "the scope restored the setting");
        assertEquals("Function 'LogBackward0' returned nan values in its 0th output.", thrown[0].getMessage());
        assertTrue(err.startsWith(Grad.ANOMALY_WARNING), err);
        assertTrue(err.contains("Error detected in LogBackward0. Traceback of forward call that caused the error:"), err);
        assertTrue(err.contains("Traceback of forward call that caused the error:\n  at dev.panagrad.AnomalyModeTest.logTimesZero("),
                "the trace starts at the forward call (the recording machinery's frames left out): " + err);
        assertEquals(1, thrown[0].getSuppressed().length, "the forward trace travels with the exception");
        assertNull(x.grad(), "nothing accumulated past the failing node");
    }

    @Test
    void outsideTheScopeNothingIsCheckedOrCaptured() {
        Tensor x = Tensor.of(0, 2).requiresGrad(true);
        String err = stderrOf(() -> logTimesZero(x).backward());
        assertEquals("", err);
        assertTrue(Double.isNaN(x.grad().toDoubleArray()[0]));   // PyTorch: x.grad = [nan, 0.]
        // a graph recorded outside anomaly mode, run backward inside it: PyTorch's words for the missing trace
        Tensor y = Tensor.of(0, 2).requiresGrad(true);
        Tensor s = logTimesZero(y);
        String late = stderrOf(() -> {
            try (var anomaly = Grad.setDetectAnomaly(true)) {
                assertThrows(IllegalStateException.class, s::backward);
            }
        });
        assertTrue(late.contains("Error detected in LogBackward0. No forward pass information available. Enable detect anomaly during forward pass for more information."), late);
    }

    @Test
    void theVersionErrorsHintNamesTheJavaScopeAndChangesInsideIt() {
        Tensor x = Tensor.of(1, 2).requiresGrad(true);
        Tensor y = x.sigmoid();
        y.mulInPlace(2);
        var e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().endsWith(" Hint: enable anomaly detection to find the operation that failed to compute its gradient,"
                + " with torch.autograd.set_detect_anomaly(True). (In Java: try (var anomaly = Grad.detectAnomaly()) { ... } around the forward and the backward.)"), e.getMessage());
        String err = stderrOf(() -> {
            try (var anomaly = Grad.setDetectAnomaly(true)) {
                Tensor z = x.sigmoid();
                z.mulInPlace(2);
                var inside = assertThrows(IllegalStateException.class, () -> z.sum().backward());
                assertTrue(inside.getMessage().endsWith("Hint: the backtrace further above shows the operation that failed to compute its gradient."
                        + " The variable in question was changed in there or anywhere later. Good luck!"), inside.getMessage());
            }
        });
        assertTrue(err.contains("Error detected in SigmoidBackward0. Traceback of forward call that caused the error:"), err);
    }
}
