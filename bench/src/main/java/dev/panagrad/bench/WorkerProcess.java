package dev.panagrad.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One side of {@code ./panagrad bench compare} in a process of its own, kept warm between rounds:
 * Panagrad's {@link CompareWorker} or PyTorch's {@code bench/peers/pytorch/peer.py --serve}. They
 * speak JSON lines: the worker prints a "ready" object when started, then answers each command
 * line ({@code {"cmd": "warmup" | "round" | "quit", ...}}) with one object; {@code {"error": ...}}
 * reports a failure. Other lines on its stdout (a library's chatter) are skipped but kept for the
 * error message. Its stderr goes to ours.
 */
final class WorkerProcess implements CompareRounds.Side, AutoCloseable {
    private final String name;
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final JsonObject ready;
    private final JsonArray works;

    /**
     * Starts {@code command} with {@code env} added to (a null value: removed from) this process's
     * environment and waits for its ready line. {@code works} is the plan the warm-up covers:
     * {@code [{"work": ..., "warmup": iterations, "runs": timed runs}, ...]}.
     */
    WorkerProcess(String name, List<String> command, Map<String, String> env, JsonArray works) throws IOException {
        this.name = name;
        this.works = works;
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        env.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        process = pb.start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        ready = readReply();
        if (!ready.has("blas_core")) throw new IOException(name + " started without saying its BLAS core: " + ready);
    }

    @Override
    public String name() { return name; }

    /** The object the worker printed when it started: version, blas_core, blas_config, ... */
    JsonObject ready() { return ready; }

    String core() { return ready.get("blas_core").getAsString(); }

    JsonObject send(JsonObject command) throws IOException {
        in.write(command.toString());
        in.write('\n');
        in.flush();
        return readReply();
    }

    /** Warms every work for at least {@code seconds} each (the JIT, caches, the pool) before the rounds. */
    void warmUp(double seconds) throws IOException {
        JsonObject cmd = new JsonObject();
        cmd.addProperty("cmd", "warmup");
        cmd.addProperty("seconds", seconds);
        cmd.add("works", works);
        send(cmd);
    }

    /** Runs one work of the plan ({"work": ..., "warmup": ..., "runs": ...}) at each thread setting; its best. */
    @Override
    public CompareRounds.Measured measure(JsonObject work) throws IOException {
        JsonObject cmd = new JsonObject();
        cmd.addProperty("cmd", "round");
        JsonArray works = new JsonArray();
        works.add(work);
        cmd.add("works", works);
        String name = work.get("work").getAsString();
        CompareRounds.Measured m = CompareRounds.bestOf(send(cmd)).get(name);
        if (m == null) throw new IOException(this.name + " answered without a value for " + name);
        return m;
    }

    private JsonObject readReply() throws IOException {
        List<String> skipped = new ArrayList<>();
        for (String line; (line = out.readLine()) != null; ) {
            JsonObject reply = parseLine(line);
            if (reply == null) {
                skipped.add(line);
                continue;
            }
            if (reply.has("error")) throw new IOException(name + " failed: " + reply.get("error").getAsString());
            return reply;
        }
        int exit;
        try {
            exit = process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exit = -1;
        }
        throw new IOException(name + " stopped (exit " + exit + ") without answering"
                + (skipped.isEmpty() ? "; see its messages above" : "; it printed: " + String.join(" | ", skipped)));
    }

    /** The JSON object on {@code line}, or null if the line is not one (a library's message). */
    static JsonObject parseLine(String line) {
        String s = line.strip();
        if (!s.startsWith("{")) return null;
        try {
            JsonElement e = JsonParser.parseString(s);
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (JsonParseException ex) {
            return null;
        }
    }

    @Override
    public void close() {
        try {
            in.write("{\"cmd\": \"quit\"}\n");
            in.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
