package dev.panagrad.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * No import cycle among the packages of the main sources of every module (docs/architecture.md):
 * reads {@code MODULE/src/main/java} of every module of the repository (found from the working directory up), builds
 * the package graph from the imports and fully qualified names in code ({@link PackageGraph}), and
 * fails naming each cycle and the lines that make it.
 *
 * <p>{@link #KNOWN_CYCLES} lists the cycles the code had when this test was written, so that the
 * suite passes while they are being removed. The list can only shrink: a cycle not in it fails,
 * and so does a listed cycle that no longer exists (delete its line). When the list is empty, the
 * import graph is a one-way graph, as docs/architecture.md says it must be.
 */
class ImportCycleTest {
    /**
     * Cycles allowed for now, each written as {@link PackageGraph#cycles} writes it: from its
     * alphabetically first package back to it. Do not add to this list; remove a line when its cycle
     * is gone.
     */
    static final List<String> KNOWN_CYCLES = List.of();   // the last one (Tensor <-> the graph core) went with dev.panagrad.graph

    static final PackageGraph MAIN = PackageGraph.ofMainSources(PackageGraph.repositoryRoot());

    @Test
    void everyImportCycleIsAKnownOne() {
        List<String> unknown = new ArrayList<>();
        for (String c : MAIN.cycles(1000)) if (!KNOWN_CYCLES.contains(c)) unknown.add(MAIN.explain(c));
        assertTrue(unknown.isEmpty(), unknown.size() + " import cycle(s) among the main sources' packages; the imports only go one way"
                + " (docs/architecture.md). Each cycle, then for each of its steps the first line making it:\n  "
                + String.join("\n  ", unknown));
    }

    @Test
    void everyKnownCycleStillExists() {
        List<String> cycles = MAIN.cycles(1000);
        List<String> gone = KNOWN_CYCLES.stream().filter(c -> !cycles.contains(c)).toList();
        assertTrue(gone.isEmpty(), "these cycles are gone: delete them from ImportCycleTest.KNOWN_CYCLES so that they cannot come back:\n  "
                + String.join("\n  ", gone));
    }

    @Test
    void theScanSeesEveryModule() {   // so that a wrong root cannot make the two tests above pass on nothing
        for (String p : List.of("dev.panagrad.memory", "dev.panagrad.blas", "dev.panagrad", "dev.panagrad.nn",
                "dev.panagrad.examples.train", "dev.panagrad.bench")) {
            assertTrue(MAIN.packages().contains(p), "package " + p + " not among the scanned " + MAIN.packages());
        }
        assertTrue(MAIN.files() > 60, "only " + MAIN.files() + " main source files found");
        assertFalse(MAIN.uses("dev.panagrad.bench", "dev.panagrad").isEmpty(), "bench's uses of Tensor were not seen");
    }

    // ---------------------------------------------------------------- the scanner on small sources

    @Test
    void importsStaticImportsWildcardsAndQualifiedNamesAreUses() {
        PackageGraph g = PackageGraph.of(Map.of(
                "A.java", """
                        package dev.panagrad.toy.a;

                        import dev.panagrad.toy.b.B;
                        import static dev.panagrad.toy.c.C.max;
                        import dev.panagrad.toy.d.*;
                        import java.util.List;

                        class A { Object e = new dev.panagrad.toy.e.E(); }
                        """,
                "B.java", "package dev.panagrad.toy.b; class B {}",
                "C.java", "package dev.panagrad.toy.c; class C {}",
                "D.java", "package dev.panagrad.toy.d; class D {}",
                "E.java", "package dev.panagrad.toy.e; class E {}"));
        for (String to : List.of("b", "c", "d", "e")) {
            assertFalse(g.uses("dev.panagrad.toy.a", "dev.panagrad.toy." + to).isEmpty(), "a -> " + to);
        }
        assertEquals("A.java:3: import dev.panagrad.toy.b.B;", g.uses("dev.panagrad.toy.a", "dev.panagrad.toy.b").getFirst().toString());
        assertEquals(8, g.uses("dev.panagrad.toy.a", "dev.panagrad.toy.e").getFirst().line());
        assertEquals(List.of(), g.cycles(10));
    }

    @Test
    void commentsStringsAndTheOwnPackageAreNotUses() {
        PackageGraph g = PackageGraph.of(Map.of(
                "A.java", """
                        package dev.panagrad.toy.a;

                        /** See {@link dev.panagrad.toy.b.B}. */
                        class A {
                            // dev.panagrad.toy.b.B
                            String s = "dev.panagrad.toy.b.B", t = \"""
                                dev.panagrad.toy.b.B
                                \""";
                            char q = '"';
                            dev.panagrad.toy.a.A self;
                        }
                        """,
                "B.java", "package dev.panagrad.toy.b; class B { dev.panagrad.toy.a.A a; }"));
        assertEquals(List.of(), g.uses("dev.panagrad.toy.a", "dev.panagrad.toy.b"));
        assertEquals(List.of(), g.uses("dev.panagrad.toy.a", "dev.panagrad.toy.a"));
        assertEquals(1, g.uses("dev.panagrad.toy.b", "dev.panagrad.toy.a").size());
        assertEquals(List.of(), g.cycles(10));
    }

    @Test
    void everyCycleIsFoundOnceFromItsFirstPackageWithTheLinesMakingIt() {
        PackageGraph g = PackageGraph.of(Map.of(
                "x/A.java", "package dev.panagrad.toy.a;\nimport dev.panagrad.toy.b.B;\nclass A {}",
                "x/B.java", "package dev.panagrad.toy.b;\nimport dev.panagrad.toy.c.C;\nimport dev.panagrad.toy.a.A;\nclass B {}",
                "x/C.java", "package dev.panagrad.toy.c;\nclass C { dev.panagrad.toy.a.A a; dev.panagrad.toy.a.A b; }",
                "x/D.java", "package dev.panagrad.toy.d;\nimport dev.panagrad.toy.a.A;\nclass D {}"));
        assertEquals(List.of("dev.panagrad.toy.a -> dev.panagrad.toy.b -> dev.panagrad.toy.a",
                "dev.panagrad.toy.a -> dev.panagrad.toy.b -> dev.panagrad.toy.c -> dev.panagrad.toy.a"), g.cycles(10));
        assertEquals("""
                dev.panagrad.toy.a -> dev.panagrad.toy.b -> dev.panagrad.toy.c -> dev.panagrad.toy.a
                    dev.panagrad.toy.a -> dev.panagrad.toy.b: x/A.java:2: import dev.panagrad.toy.b.B;
                    dev.panagrad.toy.b -> dev.panagrad.toy.c: x/B.java:2: import dev.panagrad.toy.c.C;
                    dev.panagrad.toy.c -> dev.panagrad.toy.a: x/C.java:2: class C { dev.panagrad.toy.a.A a; dev.panagrad.toy.a.A b; }  (and 1 more)""",
                g.explain(g.cycles(10).get(1)));
    }
}
