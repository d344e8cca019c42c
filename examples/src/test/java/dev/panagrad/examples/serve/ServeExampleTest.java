package dev.panagrad.examples.serve;

import static org.junit.jupiter.api.Assertions.*;

import dev.panagrad.memory.BufferPool;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code serve-demo}: threads serving one model, every answer checked, nothing left leased; bad options named. */
class ServeExampleTest {
    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int status = ServeExample.main(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void eightThreadsServeOneModel() {
        Run r = run("--threads", "8", "--requests", "6", "--batch", "4");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("model   784-512-10 MLP, 407,050 parameters, seed 0, one instance shared by 8 threads"), r.out());
        assertTrue(r.out().contains("served  48 requests of 4 rows in "), r.out());
        assertTrue(r.out().contains("check   every answer equal"), r.out());
        assertTrue(r.out().contains("memory  0 B leased after the last request (0 leases)"), r.out());
    }

    @Test
    void everyThreadGetsTheOneThreadAnswers() {
        BufferPool pool = new BufferPool("test requests");
        Server server = new Server(ServeExample.model(3), ServeExample.IN, pool);
        float[][] requests = ServeExample.requests(4, 16, 2);
        float[][] expected = ServeExample.answers(server, requests);
        var load = ServeExample.drive(server, requests, expected, 8, 10, Long.MAX_VALUE);
        assertEquals(80, load.requests());
        assertEquals(0, load.mismatches(), "largest difference " + load.maxDiff());
        assertTrue(load.maxDiff() <= ServeExample.TOLERANCE);
        assertEquals(0, pool.stats().bytesInUse(), pool.stats().toString());

        float[][] wrong = expected.clone();   // the check can fail: the answers of another model
        wrong[0] = ServeExample.answers(new Server(ServeExample.model(5), ServeExample.IN, pool), new float[][] {requests[0]})[0];
        assertEquals(8, ServeExample.drive(server, requests, wrong, 8, 16, Long.MAX_VALUE).mismatches(), "each of 8 threads sends request 0 once");
    }

    @Test
    void badOptionsAreNamed() {
        assertEquals("serve-demo: --threads must be a whole number from 1 to 1024, got '0'\n", run("--threads", "0").err());
        assertEquals("serve-demo: --batch must be a whole number, got 'x'\n", run("--batch", "x").err());
        assertEquals("serve-demo: unknown option '--bogus' (--threads, --requests, --batch, --seed)\n", run("--bogus", "1").err());
        assertEquals("serve-demo: --requests needs a value\n", run("--requests").err());
        assertEquals(2, run("--threads", "0").status());
    }

    @Test
    void aRequestOfPartRowsIsRefused() {
        Server server = new Server(ServeExample.model(0), ServeExample.IN, null);
        var e = assertThrows(IllegalArgumentException.class, () -> server.predict(new float[785]));
        assertEquals("a request of 785 values is not whole rows of 784 features", e.getMessage());
    }
}
