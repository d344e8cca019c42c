package dev.panagrad.bench;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The line protocol {@code bench compare} speaks with its two workers, against fake workers written
 * in sh (no Python or torch here): the ready line among a library's chatter, a round, a worker that
 * reports an error, one that dies.
 */
class WorkerProcessTest {
    static final String READY = "{\"ready\": true, \"version\": \"torch 1.13.0a0\", \"blas_core\": \"Cooperlake\", "
            + "\"blas_config\": \"OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64\"}";

    static WorkerProcess fake(String script, Map<String, String> env) throws IOException {
        return new WorkerProcess("the fake peer", List.of("sh", "-c", script), env, CompareBench.plan(true));
    }

    @Test
    void readsTheReadyLineAmongOtherOutputAndAnswersARound() throws IOException {
        // the first command and the worker's OPENBLAS_CORETYPE come back inside the answer, so the test sees them
        String script = """
                echo 'OpenBLAS : Your OS does not support AVX512VL'
                echo '%s'
                read cmd
                printf '{"results": [], "sent": %%s, "coretype": "%%s"}\n' "$cmd" "$OPENBLAS_CORETYPE"
                read cmd
                echo '{"results": [{"setting": "s", "values": {"mlp_step_b256": 16.5}}]}'
                read cmd
                """.formatted(READY);
        try (WorkerProcess w = fake(script, Map.of("OPENBLAS_CORETYPE", "Haswell"))) {
            assertEquals("Cooperlake", w.core());
            assertEquals("torch 1.13.0a0", w.ready().get("version").getAsString());
            JsonObject cmd = new JsonObject();
            cmd.addProperty("cmd", "round");
            cmd.add("works", CompareBench.plan(true));
            JsonObject reply = w.send(cmd);
            assertEquals(cmd, reply.getAsJsonObject("sent"));
            assertEquals("Haswell", reply.get("coretype").getAsString());
            assertEquals(new CompareRounds.Measured(16.5, "s"), w.measure(CompareBench.plan(true).get(0).getAsJsonObject()));
        }
    }

    @Test
    void aWorkerThatAnswersWithoutTheWorkFails() throws IOException {
        String script = "echo '" + READY + "'; read cmd; echo '{\"results\": [{\"setting\": \"s\", \"values\": {\"tiny_op_chain\": 5.1}}]}'";
        try (WorkerProcess w = fake(script, Map.of())) {
            var e = assertThrows(IOException.class, () -> w.measure(CompareBench.plan(true).get(0).getAsJsonObject()));
            assertEquals("the fake peer answered without a value for mlp_step_b256", e.getMessage());
        }
    }

    @Test
    void theWorkersErrorIsTheMessage() throws IOException {
        String script = "echo '" + READY + "'; read cmd; echo '{\"error\": \"RuntimeError: mlp step at batch 256: loss nan\"}'; exit 1";
        try (WorkerProcess w = fake(script, Map.of())) {
            var e = assertThrows(IOException.class, () -> w.warmUp(1));
            assertEquals("the fake peer failed: RuntimeError: mlp step at batch 256: loss nan", e.getMessage());
        }
    }

    @Test
    void aWorkerThatDiesIsNamedWithItsExitCodeAndOutput() {
        var e = assertThrows(IOException.class, () -> fake("echo 'Illegal instruction'; exit 132", Map.of()));
        assertEquals("the fake peer stopped (exit 132) without answering; it printed: Illegal instruction", e.getMessage());
        var noCore = assertThrows(IOException.class, () -> fake("echo '{\"ready\": true}'", Map.of()));
        assertEquals("the fake peer started without saying its BLAS core: {\"ready\":true}", noCore.getMessage());
    }

    @Test
    void onlyJsonObjectLinesAreAnswers() {
        assertNull(WorkerProcess.parseLine("OpenBLAS WARNING - could not determine the L2 cache size on this system"));
        assertNull(WorkerProcess.parseLine("[1, 2]"));
        assertNull(WorkerProcess.parseLine("{not json"));
        assertEquals("Prescott", WorkerProcess.parseLine("  {\"blas_core\": \"Prescott\"}  ").get("blas_core").getAsString());
        assertEquals("b", CompareBench.lastObject("{\"k\": \"a\"}\n{\"k\": \"b\"}\nbye\n").orElseThrow().get("k").getAsString());
        assertTrue(CompareBench.lastObject("no json here").isEmpty());
    }
}
