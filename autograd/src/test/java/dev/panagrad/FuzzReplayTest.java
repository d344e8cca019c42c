package dev.panagrad;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.panagrad.memory.DType;
import dev.panagrad.memory.MemoryScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The differential fuzz test: op programs recorded from PyTorch 1.13.1 by
 * {@code autograd/src/test/python/record_golden.py} ({@code golden/pytorch-fuzz.json}), run again here
 * through {@link Programs}. For every program: each step's result as it was made, every leaf's
 * {@code .grad} (and every retained non-leaf's), every tensor written through another at the end, and
 * where PyTorch raised, that the same step raises here (with PyTorch's message for the errors the
 * engine words as PyTorch does). Random programs (fixed seed) and the named cases of issue 10.
 *
 * <p>Tolerances: float64 |got − want| ≤ 1e-9 + 1e-9·|want| (the file keeps 12 significant digits);
 * float32 ≤ 2e-5 + 2e-5·|want| (a few float32 roundings in different orders: sums, exp, pow), and so
 * for every value of a program with a float32 input (a float64 result of float32 values carries
 * their rounding); a case may carry its own, looser tolerance (the bfloat16 autocast cases: bfloat16
 * rounding of the GEMM inputs, and PyTorch's bfloat16 outputs); int64 and bool exact; NaN matches only NaN and ±inf only itself; −0.0 matches 0.0.
 */
class FuzzReplayTest {
    static final JsonObject FUZZ = GoldenData.read("/golden/pytorch-fuzz.json");

    static final GoldenData.Tolerance F64 = new GoldenData.Tolerance(1e-9, 1e-9);
    static final GoldenData.Tolerance F32 = new GoldenData.Tolerance(2e-5, 2e-5);

    /**
     * PyTorch messages the engine gives word for word (the semantics table in docs/semantics.md): where PyTorch
     * raised one of these, the Java message must contain PyTorch's. Other errors need only be raised
     * at the same step.
     */
    static final List<String> WORDED_AS_PYTORCH = List.of(
            "a leaf Variable that requires grad is being used in an in-place operation.",
            "a view of a leaf Variable that requires grad is being used in an in-place operation.",
            "one of the variables needed for gradient computation has been modified by an inplace operation",
            "Trying to backward through the graph a second time",
            "grad can be implicitly created only for scalar outputs",
            "element 0 of tensors does not require grad and does not have a grad_fn",
            "you can only change requires_grad flags of leaf variables.",
            "can't retain_grad on Tensor that has requires_grad=False",
            "Only Tensors of floating point and complex dtype can require gradients");

    /** Exceptions that are the library's internals, never an answer to the user. */
    static final List<Class<? extends RuntimeException>> INTERNAL = List.of(ArrayIndexOutOfBoundsException.class,
            StringIndexOutOfBoundsException.class, NegativeArraySizeException.class, NumberFormatException.class,
            ArithmeticException.class, NullPointerException.class, ClassCastException.class);

    @Test
    void theFileHoldsTheRecordedProgramsAndTheNamedCases() {
        assertEquals(FUZZ.getAsJsonObject("meta").get("programs").getAsInt(), FUZZ.getAsJsonArray("programs").size());
        assertTrue(FUZZ.getAsJsonArray("programs").size() >= 300, "at least 300 random programs");
        assertTrue(FUZZ.getAsJsonArray("named").size() >= 30, "the named cases of issue 10");
    }

    /** Issue 10's cases by item: each is the exact snippet of the issue, and PyTorch's answer. */
    @TestFactory
    Stream<DynamicNode> issue10Cases() {
        Map<String, List<DynamicNode>> groups = new LinkedHashMap<>();
        for (JsonElement e : FUZZ.getAsJsonArray("named")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("name").getAsString();
            groups.computeIfAbsent(c.get("group").getAsString(), g -> new ArrayList<>())
                    .add(DynamicTest.dynamicTest(name, () -> replay(c, name + " (" + c.get("why").getAsString() + ")")));
        }
        return groups.entrySet().stream().map(g -> DynamicContainer.dynamicContainer(g.getKey(), g.getValue().stream()));
    }

    /** The random programs: fixed seed, ops, views, in-place, NaN/±inf, 0-dim and empty tensors, backward. */
    @TestFactory
    Stream<DynamicTest> randomPrograms() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonElement e : FUZZ.getAsJsonArray("programs")) {
            JsonObject p = e.getAsJsonObject();
            List<String> ops = new ArrayList<>();
            for (JsonElement s : p.getAsJsonArray("steps")) ops.add(s.getAsJsonObject().get("op").getAsString());
            String name = p.get("name").getAsString();
            tests.add(DynamicTest.dynamicTest(name + " " + String.join(",", ops), () -> replay(p, name)));
        }
        return tests.stream();
    }

    static void replay(JsonObject program, String label) {
        try (var scope = MemoryScope.open("fuzz " + program.get("name").getAsString())) {
            List<String> problems = compare(program, Programs.run(program));
            if (!problems.isEmpty()) {
                fail(label + ": " + String.join("\n  ", problems) + "\nprogram:\n" + Programs.listing(program));
            }
        }
    }

    /** Everything that differs between the Java run and PyTorch's record; empty when they agree. */
    static List<String> compare(JsonObject program, Programs.Run run) {
        List<String> problems = new ArrayList<>();
        JsonObject expect = program.getAsJsonObject("expect");
        JsonArray steps = program.getAsJsonArray("steps");
        JsonObject error = expect.has("error") ? expect.getAsJsonObject("error") : null;
        int errorStep = error == null ? -1 : error.get("step").getAsInt();
        boolean messageRequired = program.has("match_message") && program.get("match_message").getAsBoolean();
        GoldenData.Tolerance tol = F64;
        for (Map.Entry<String, JsonElement> e : program.getAsJsonObject("inputs").entrySet()) {
            if (e.getValue().getAsJsonObject().get("dtype").getAsString().equals("float32")) tol = F32;
        }
        if (program.has("tolerance")) {   // a case's own (bfloat16 autocast: bfloat16 rounding of the GEMM inputs)
            JsonObject t = program.getAsJsonObject("tolerance");
            tol = new GoldenData.Tolerance(t.get("rtol").getAsDouble(), t.get("atol").getAsDouble());
        }


        if (run.error != null) {
            String op = steps.get(run.errorStep).getAsJsonObject().get("op").getAsString();
            String java = run.error.getClass().getSimpleName() + ": " + run.error.getMessage();
            if (run.errorStep != errorStep) {
                JsonArray recorded = expect.getAsJsonArray("values");
                JsonElement pyResult = run.errorStep < recorded.size() ? recorded.get(run.errorStep) : null;
                problems.add("step " + run.errorStep + " (" + op + "): Java raised " + java + "; PyTorch "
                        + (pyResult != null && pyResult.isJsonObject() ? "gave " + GoldenData.expected(pyResult.getAsJsonObject()).describe() + " and " : "")
                        + (error == null ? "ran the whole program" : "ran this step and raised only at step " + errorStep + " (" + error.get("message").getAsString() + ")"));
            } else {
                String want = error.get("message").getAsString();
                if (INTERNAL.stream().anyMatch(c -> c.isInstance(run.error))) {
                    problems.add("step " + errorStep + " (" + op + "): Java raised an internal " + java + "; PyTorch raised " + error.get("type").getAsString() + ": " + want);
                } else if ((messageRequired || WORDED_AS_PYTORCH.stream().anyMatch(want::startsWith))
                        && (run.error.getMessage() == null || !run.error.getMessage().contains(want))) {
                    problems.add("step " + errorStep + " (" + op + "): PyTorch's message is \"" + want + "\"; Java's is \"" + run.error.getMessage() + "\"");
                }
            }
        } else if (error != null) {
            problems.add("step " + errorStep + " (" + error.get("op").getAsString() + "): PyTorch raised " + error.get("type").getAsString() + ": "
                    + error.get("message").getAsString() + "; Java ran it" + describeResult(run.values.size() > errorStep ? run.values.get(errorStep) : null));
        }

        JsonArray values = expect.getAsJsonArray("values");
        for (int k = 0; k < Math.min(values.size(), run.values.size()); k++) {
            JsonElement want = values.get(k);
            Object got = run.values.get(k);
            String op = steps.get(k).getAsJsonObject().get("op").getAsString();
            String out = steps.get(k).getAsJsonObject().has("out") ? steps.get(k).getAsJsonObject().get("out").toString() : "";
            if (want.isJsonNull()) {
                if (got != null && !op.equals("grad_of")) problems.add("step " + k + " (" + op + "): PyTorch gave no result, Java did");
                if (got != null && op.equals("grad_of")) problems.add("step " + k + " " + out + " = grad_of: PyTorch's .grad is None, Java's is " + ((GoldenData.Values) got).describe());
                continue;
            }
            if (want.isJsonArray()) {
                @SuppressWarnings("unchecked")
                List<GoldenData.Values> gots = (List<GoldenData.Values>) got;
                for (int i = 0; i < want.getAsJsonArray().size(); i++) {
                    if (want.getAsJsonArray().get(i).isJsonNull() || gots.get(i) == null) {   // autograd.grad's None for an unused input
                        if (want.getAsJsonArray().get(i).isJsonNull() != (gots.get(i) == null)) {
                            problems.add("step " + k + " " + out + "[" + i + "] = " + op + ": PyTorch gave " + want.getAsJsonArray().get(i) + ", Java " + gots.get(i));
                        }
                        continue;
                    }
                    check(problems, "step " + k + " " + out + "[" + i + "] = " + op, want.getAsJsonArray().get(i).getAsJsonObject(), gots.get(i), tol);
                }
            } else if (got == null) {
                problems.add("step " + k + " " + out + " = " + op + ": PyTorch gave " + GoldenData.expected(want.getAsJsonObject()).describe() + ", Java no tensor");
            } else {
                check(problems, "step " + k + " " + out + " = " + op, want.getAsJsonObject(), (GoldenData.Values) got, tol);
            }
        }
        if (error != null || run.error != null) return problems;

        for (Map.Entry<String, JsonElement> e : expect.getAsJsonObject("grads").entrySet()) {
            Tensor t = run.env.get(e.getKey());
            Tensor g = t == null ? null : t.grad();
            if (e.getValue().isJsonNull()) {
                if (g != null) problems.add(e.getKey() + ".grad: PyTorch's is None, Java's is " + GoldenData.snapshot(g).describe());
            } else if (g == null) {
                problems.add(e.getKey() + ".grad: PyTorch's is " + GoldenData.expected(e.getValue().getAsJsonObject()).describe() + ", Java's is null");
            } else {
                check(problems, e.getKey() + ".grad", e.getValue().getAsJsonObject(), GoldenData.snapshot(g), tol);
            }
        }
        if (expect.has("final")) {
            for (Map.Entry<String, JsonElement> e : expect.getAsJsonObject("final").entrySet()) {
                Tensor t = run.env.get(e.getKey());
                check(problems, e.getKey() + " at the end", e.getValue().getAsJsonObject(), GoldenData.snapshot(t), tol);
            }
        }
        return problems;
    }

    private static String describeResult(Object got) {
        if (got instanceof GoldenData.Values v) return " and gave " + v.describe();
        return "";
    }

    static void check(List<String> problems, String what, JsonObject want, GoldenData.Values got, GoldenData.Tolerance tol) {
        GoldenData.Values w = GoldenData.expected(want);
        String m = GoldenData.mismatch(w, got, w.dtype() == DType.F32 && tol.rtol() <= F32.rtol() ? F32 : tol);
        if (m != null) problems.add(what + ": " + m);
    }
}
