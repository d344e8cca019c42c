package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.panagrad.graph.Node;
import dev.panagrad.ops.Ops;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Walks the op table (every method of {@link Ops#FAMILIES} marked {@link Ops.Op}, with the node names it
 * records) against the two kinds of evidence every differentiable op must have:
 * <ul>
 *   <li>a gradcheck row ({@link GradCheckTest#ops()}, {@link GradCheckTest#throughFloat32()}) whose graph contains the node, and
 *   <li>a golden case recorded from PyTorch whose graph contains it: the cases of
 *       {@code golden/pytorch-golden.json} ({@link GoldenTest}) and the programs of
 *       {@code golden/pytorch-fuzz.json} ({@link FuzzReplayTest}: the named cases and the random programs),
 *       replayed here for their graphs.
 * </ul>
 * It also fails for a node that a row or a case records and no declaration names, so the table
 * cannot drift from what the ops do. Nodes that are the engine's own (AccumulateGrad, CopySlices,
 * AsStridedBackward0, and AsStridedScatterBackward0, which only the create_graph gradients of views
 * written in place record) and custom Functions' nodes are not ops of a family.
 */
class OpTableTest {
    /** The graph's own nodes, not declared by a family. */
    static final Set<String> ENGINE_NODES = Set.of("AccumulateGrad", "CopySlices", "AsStridedBackward0", "AsStridedScatterBackward0");

    /** Node name → the family methods that declare it. */
    static Map<String, List<String>> declared() {
        Map<String, List<String>> table = new TreeMap<>();
        for (Class<?> family : Ops.FAMILIES) {
            for (Method m : family.getDeclaredMethods()) {
                Ops.Op op = m.getAnnotation(Ops.Op.class);
                if (op == null) continue;
                assertTrue(Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()), family.getSimpleName() + "." + m.getName() + ": an op is a public static method");
                for (String node : op.value()) table.computeIfAbsent(node, k -> new ArrayList<>()).add(family.getSimpleName() + "." + m.getName());
            }
        }
        return table;
    }

    /** Every node name reachable from {@code t}'s grad_fn (seen: nodes already walked, across calls). */
    static void collect(Tensor t, Set<String> names, Map<Node<Tensor>, Boolean> seen) {
        if (t == null || t.gradFn() == null) return;
        Deque<Node<Tensor>> todo = new ArrayDeque<>();
        todo.push(t.gradFn());
        while (!todo.isEmpty()) {
            Node<Tensor> n = todo.pop();
            if (seen.put(n, Boolean.TRUE) != null) continue;
            names.add(n.name());
            for (Node<Tensor> next : n.nextFunctions()) if (next != null) todo.push(next);
        }
    }

    /** Node names recorded by the gradcheck rows, each mapped to the rows that record it. */
    static Map<String, List<String>> gradcheckNodes() {
        Map<String, List<String>> byNode = new TreeMap<>();
        for (Arguments row : (Iterable<Arguments>) Stream.concat(GradCheckTest.ops(), GradCheckTest.throughFloat32())::iterator) {
            Object[] a = row.get();
            String name = (String) a[0];
            Tensor out = ((GradCheckTest.Op) a[1]).apply((Tensor[]) a[2]);
            Set<String> names = new TreeSet<>();
            collect(out, names, new IdentityHashMap<>());
            for (String n : names) byNode.computeIfAbsent(n, k -> new ArrayList<>()).add(name);
        }
        return byNode;
    }

    /** Node names recorded while replaying the PyTorch-recorded cases and programs, each mapped to the cases that record it. */
    static Map<String, List<String>> goldenNodes() {
        Map<String, List<String>> byNode = new TreeMap<>();
        for (JsonElement el : GoldenTest.golden().getAsJsonArray("cases")) {
            JsonObject c = el.getAsJsonObject();
            String name = c.get("name").getAsString();
            GoldenTest.Replay replay = GoldenTest.REPLAYS.get(name);
            if (replay == null) continue;   // GoldenTest fails for it
            Map<String, Tensor> in = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> i : c.getAsJsonObject("inputs").entrySet()) in.put(i.getKey(), GoldenTest.tensor(i.getValue().getAsJsonObject()));
            Map<String, Object> out = new HashMap<>();
            replay.run(in, out);
            Set<String> names = new TreeSet<>();
            Map<Node<Tensor>, Boolean> seen = new IdentityHashMap<>();
            for (Object o : out.values()) if (o instanceof Tensor t) collect(t, names, seen);
            for (String n : names) byNode.computeIfAbsent(n, k -> new ArrayList<>()).add("pytorch-golden.json " + name);
        }
        List<JsonElement> programs = new ArrayList<>();
        FuzzReplayTest.FUZZ.getAsJsonArray("named").forEach(programs::add);
        FuzzReplayTest.FUZZ.getAsJsonArray("programs").forEach(programs::add);
        for (JsonElement el : programs) {
            JsonObject p = el.getAsJsonObject();
            Programs.Run run = Programs.run(p);
            Set<String> names = new TreeSet<>();
            Map<Node<Tensor>, Boolean> seen = new IdentityHashMap<>();
            for (Tensor t : run.env.values()) collect(t, names, seen);
            for (String n : names) byNode.computeIfAbsent(n, k -> new ArrayList<>()).add("pytorch-fuzz.json " + p.get("name").getAsString());
        }
        return byNode;
    }

    @Test
    void everyDeclaredOpHasAGradcheckRowAndAGoldenCase() {
        Map<String, List<String>> table = declared();
        assertTrue(table.size() >= 40, "the op table lists " + table.size() + " nodes: " + table.keySet());
        Map<String, List<String>> checked = gradcheckNodes(), golden = goldenNodes();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : table.entrySet()) {
            if (!checked.containsKey(e.getKey())) missing.add(e.getKey() + " (declared by " + e.getValue() + "): no gradcheck row records it");
            if (!golden.containsKey(e.getKey())) missing.add(e.getKey() + " (declared by " + e.getValue() + "): no golden case records it");
        }
        assertTrue(missing.isEmpty(), String.join("\n", missing));
    }

    @Test
    void everyRecordedNodeIsDeclaredByAFamily() {
        Map<String, List<String>> table = declared();
        List<String> undeclared = new ArrayList<>();
        Map<String, List<String>> seen = new TreeMap<>(gradcheckNodes());
        goldenNodes().forEach((k, v) -> seen.merge(k, v, (a, b) -> { List<String> m = new ArrayList<>(a); m.addAll(b); return m; }));
        for (Map.Entry<String, List<String>> e : seen.entrySet()) {
            String node = e.getKey();
            if (table.containsKey(node) || ENGINE_NODES.contains(node) || isCustomFunction(node)) continue;
            undeclared.add(node + " (recorded by " + e.getValue().subList(0, Math.min(3, e.getValue().size())) + "): no family method declares it with @Op");
        }
        assertTrue(undeclared.isEmpty(), String.join("\n", undeclared));
    }

    /** A custom Function's node: its class name + "Backward", no digit (PyTorch's own nodes end in one, or are listed). */
    static boolean isCustomFunction(String node) {
        return node.endsWith("Backward") && !node.equals("CopyBackwards");
    }

    @Test
    void aNodeNoRowRecordsIsReported() {
        // the check itself can fail: a made-up node is neither in the gradcheck rows nor in a golden case
        Map<String, List<String>> checked = gradcheckNodes();
        assertFalse(checked.containsKey("MadeUpBackward0"));
        assertTrue(checked.containsKey("MulBackward0"), "the rows' graphs are walked: " + checked.keySet());
    }
}
