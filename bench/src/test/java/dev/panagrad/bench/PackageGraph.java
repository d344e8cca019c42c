package dev.panagrad.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which package of the project uses which, read from Java sources: every {@code import} (plain,
 * static, wildcard) and every fully qualified name of a project class written in code (comments
 * and string literals do not count; a class's uses of its own package do not either). The graph's
 * packages are those the sources declare; uses of other packages (the JDK, libraries) are dropped.
 * Used by {@link ImportCycleTest}; no compiled classes needed, so it sees every module from here.
 */
final class PackageGraph {
    /** Where a use was written: the file (relative to the scanned root), its line, the line's text. */
    record Use(String file, int line, String text) {
        @Override
        public String toString() { return file + ":" + line + ": " + text; }
    }

    /** from package -> to package -> where the uses are, all sorted. */
    private final Map<String, Map<String, List<Use>>> edges = new TreeMap<>();
    private final TreeSet<String> packages = new TreeSet<>();
    private int files;

    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+?)(\\.\\*)?\\s*;", Pattern.MULTILINE);
    /** A dotted name starting with a lower-case segment and reaching a class (an upper-case segment). */
    private static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.])((?:[a-z_][\\w]*\\.)+)[A-Z]\\w*");

    /**
     * The repository's root: the first folder, from the working directory up, whose pom.xml is the
     * parent pom (it lists the modules; a module's pom names the parent too, but lists none).
     */
    static Path repositoryRoot() {
        Path start = Path.of("").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            Path pom = p.resolve("pom.xml");
            try {
                if (!Files.isRegularFile(pom)) continue;
                String text = Files.readString(pom);
                if (text.contains("<artifactId>panagrad-parent</artifactId>") && text.contains("<modules>")) return p;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + pom, e);
            }
        }
        throw new IllegalStateException("no folder from " + start + " up holds the parent pom.xml (artifactId panagrad-parent, with <modules>)");
    }

    /** Every {@code MODULE/src/main/java/**.java} under {@code root}. */
    static PackageGraph ofMainSources(Path root) {
        PackageGraph g = new PackageGraph();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path module : modules.sorted().toList()) {
                Path main = module.resolve("src/main/java");
                if (!Files.isDirectory(main)) continue;
                try (Stream<Path> walk = Files.walk(main)) {
                    for (Path f : walk.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                        g.add(root.relativize(f).toString(), Files.readString(f, StandardCharsets.UTF_8));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the sources under " + root, e);
        }
        return g.prune();
    }

    /** A graph of the given sources (name -> text), for tests of the scanner itself. */
    static PackageGraph of(Map<String, String> sources) {
        PackageGraph g = new PackageGraph();
        new TreeMap<>(sources).forEach(g::add);
        return g.prune();
    }

    private void add(String file, String source) {
        files++;
        String code = codeOnly(source);
        Matcher pm = PACKAGE.matcher(code);
        if (!pm.find()) throw new IllegalArgumentException(file + ": no package declaration");
        String pkg = pm.group(1);
        packages.add(pkg);
        String[] lines = source.split("\n", -1);
        int[] lineStarts = lineStarts(code);
        Matcher im = IMPORT.matcher(code);
        int importsEnd = pm.end();
        while (im.find()) {
            String name = im.group(1);
            use(pkg, im.group(2) != null ? packageOfWildcard(name) : packageOf(name), file, line(lineStarts, im.start(1)), lines);
            importsEnd = im.end();
        }
        Matcher qm = QUALIFIED.matcher(code);
        qm.region(importsEnd, code.length());
        while (qm.find()) {
            String prefix = qm.group(1);
            use(pkg, prefix.substring(0, prefix.length() - 1), file, line(lineStarts, qm.start()), lines);
        }
    }

    private static int[] lineStarts(String code) {
        List<Integer> starts = new ArrayList<>(List.of(0));
        for (int i = 0; i < code.length(); i++) if (code.charAt(i) == '\n') starts.add(i + 1);
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The 1-based line of {@code offset}. */
    private static int line(int[] lineStarts, int offset) {
        int i = Arrays.binarySearch(lineStarts, offset);
        return i >= 0 ? i + 1 : -i - 1;
    }

    private void use(String from, String to, String file, int line, String[] lines) {
        if (to == null || to.equals(from)) return;
        edges.computeIfAbsent(from, k -> new TreeMap<>()).computeIfAbsent(to, k -> new ArrayList<>())
                .add(new Use(file, line, lines[line - 1].strip()));
    }

    /** Drops the uses of packages no scanned source declares (the JDK, libraries). */
    private PackageGraph prune() {
        for (Map<String, List<Use>> out : edges.values()) out.keySet().retainAll(packages);
        edges.values().removeIf(Map::isEmpty);
        return this;
    }

    /** {@code a.b.C.D} and {@code a.b.C.method} -> {@code a.b}: the segments before the first capitalised one. */
    static String packageOf(String name) {
        String[] parts = name.split("\\.");
        StringBuilder pkg = new StringBuilder();
        for (String part : parts) {
            if (!part.isEmpty() && Character.isUpperCase(part.charAt(0))) return pkg.isEmpty() ? null : pkg.toString();
            if (!pkg.isEmpty()) pkg.append('.');
            pkg.append(part);
        }
        return null;   // no class named: not a type use
    }

    /** {@code import a.b.*} names the package a.b; {@code import a.b.C.*} names C's members: package a.b. */
    private static String packageOfWildcard(String name) {
        String pkg = packageOf(name);
        return pkg != null ? pkg : name;
    }

    /**
     * The source with comments, string, text-block and character literals blanked (line breaks kept,
     * so offsets still give line numbers): what remains is code.
     */
    static String codeOnly(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
                while (i < n && s.charAt(i) != '\n') { out.append(' '); i++; }
            } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                blank(s, i, end, out);
                i = end;
            } else if (s.startsWith("\"\"\"", i)) {
                int end = i + 3;
                while (end < n && !s.startsWith("\"\"\"", end)) end += s.charAt(end) == '\\' ? 2 : 1;
                end = Math.min(n, end + 3);
                blank(s, i, end, out);
                i = end;
            } else if (c == '"' || c == '\'') {
                int end = i + 1;
                while (end < n && s.charAt(end) != c && s.charAt(end) != '\n') end += s.charAt(end) == '\\' ? 2 : 1;
                end = Math.min(n, end + 1);
                blank(s, i, end, out);
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static void blank(String s, int from, int to, StringBuilder out) {
        for (int k = from; k < to; k++) out.append(s.charAt(k) == '\n' ? '\n' : ' ');
    }

    int files() { return files; }

    TreeSet<String> packages() { return packages; }

    /** The uses that make {@code from} depend on {@code to} (empty if none). */
    List<Use> uses(String from, String to) {
        return edges.getOrDefault(from, Map.of()).getOrDefault(to, List.of());
    }

    /**
     * Every elementary cycle of the graph, each written {@code "a -> b -> ... -> a"} starting at its
     * alphabetically first package, in alphabetical order. Stops with an error past {@code limit}.
     */
    List<String> cycles(int limit) {
        List<String> found = new ArrayList<>();
        for (String start : packages) {
            List<String> path = new ArrayList<>(List.of(start));
            walk(start, start, path, found, limit);
        }
        found.sort(null);
        return found;
    }

    private void walk(String start, String at, List<String> path, List<String> found, int limit) {
        for (String next : edges.getOrDefault(at, Map.of()).keySet()) {
            if (next.equals(start)) {
                if (found.size() >= limit) throw new IllegalStateException("more than " + limit + " import cycles, among them " + found.subList(0, 5));
                found.add(String.join(" -> ", path) + " -> " + start);
            } else if (next.compareTo(start) > 0 && !path.contains(next)) {   // a cycle is found once, from its first package
                path.add(next);
                walk(start, next, path, found, limit);
                path.removeLast();
            }
        }
    }

    /** A cycle, then for each of its edges the first use that makes it and how many more there are. */
    String explain(String cycle) {
        String[] p = cycle.split(" -> ");
        StringBuilder sb = new StringBuilder(cycle);
        for (int i = 0; i + 1 < p.length; i++) {
            List<Use> u = uses(p[i], p[i + 1]);
            sb.append("\n    ").append(p[i]).append(" -> ").append(p[i + 1]).append(": ")
                    .append(u.isEmpty() ? "(no use)" : u.getFirst());
            if (u.size() > 1) sb.append("  (and ").append(u.size() - 1).append(" more)");
        }
        return sb.toString();
    }
}
