package dev.panagrad.io;

import dev.panagrad.array.Shape;
import dev.panagrad.memory.DType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a safetensors header: {@code {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
 * ..., "__metadata__": {"key": "value", ...}}}. The parser follows that schema and nothing else, so
 * it needs no recursion (20 000 nested brackets are a "found '['" like any other), and it says in
 * its own words what is wrong and where: a duplicate name or field, a shape that is not a list of
 * non-negative integers, an element count or byte size that overflows, metadata that is not a
 * string. Offsets against each other and the file size are the caller's business.
 */
final class SafeTensorsHeader {
    /** A problem in the header; the caller adds the file name. */
    static final class Invalid extends Exception {
        Invalid(String message) { super(message, null, false, false); }
    }

    record Entry(String name, DType dtype, int[] shape, long byteSize, long begin, long end) {}

    record Parsed(List<Entry> entries, Map<String, String> metadata) {}

    private static final String METADATA = "__metadata__";

    private final String s;
    private int pos;

    private SafeTensorsHeader(String s) { this.s = s; }

    static Parsed parse(String header) throws Invalid {
        return new SafeTensorsHeader(header).header();
    }

    private Parsed header() throws Invalid {
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Set<String> names = new HashSet<>();
        boolean sawMetadata = false;
        ws();
        if (peek() != '{') throw new Invalid("the header must be a JSON object, found " + found());
        pos++;
        ws();
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                ws();
                String name = string("a tensor name");
                ws();
                expect(':');
                ws();
                if (name.equals(METADATA)) {
                    if (sawMetadata) throw new Invalid(METADATA + " appears twice");
                    sawMetadata = true;
                    metadata(metadata);
                } else {
                    if (!names.add(name)) throw new Invalid("duplicate tensor name " + quote(name));
                    entries.add(entry(name));
                }
                if (!endOfMember()) break;
            }
        }
        ws();
        if (pos < s.length()) throw new Invalid("the header has more after its JSON object, at byte " + byteOffset(pos) + ": " + found());
        return new Parsed(entries, metadata);
    }

    /** After a member: true on ',' (another follows), false on '}' (the object ends). */
    private boolean endOfMember() throws Invalid {
        ws();
        char c = peek();
        if (c == ',') { pos++; return true; }
        if (c == '}') { pos++; return false; }
        throw syntax("expected ',' or '}', found " + found());
    }

    private void metadata(Map<String, String> out) throws Invalid {
        if (peek() != '{') throw new Invalid(METADATA + " must be an object of strings, found " + found());
        pos++;
        ws();
        if (peek() == '}') { pos++; return; }
        while (true) {
            ws();
            String key = string("a metadata key");
            ws();
            expect(':');
            ws();
            if (pos >= s.length()) throw syntax("the header ends inside " + METADATA);
            if (peek() != '"') throw new Invalid(METADATA + ": the value of " + quote(key) + " is " + kind(peek()) + ", not a string");
            String value = string("a metadata value");
            if (out.putIfAbsent(key, value) != null) throw new Invalid(METADATA + ": duplicate key " + quote(key));
            if (!endOfMember()) return;
        }
    }

    private Entry entry(String name) throws Invalid {
        String t = "tensor " + quote(name);
        if (peek() != '{') throw new Invalid(t + " must be an object {dtype, shape, data_offsets}, found " + found());
        pos++;
        DType dtype = null;
        long[] shape = null, offsets = null;
        ws();
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                ws();
                String field = string("a field name");
                ws();
                expect(':');
                ws();
                boolean seen = switch (field) {
                    case "dtype" -> { boolean had = dtype != null; dtype = dtype(name, string("a dtype")); yield had; }
                    case "shape" -> { boolean had = shape != null; shape = integers(t + ": shape"); yield had; }
                    case "data_offsets" -> { boolean had = offsets != null; offsets = integers(t + ": data_offsets"); yield had; }
                    default -> throw new Invalid(t + ": unknown field " + quote(field) + " (a tensor has dtype, shape and data_offsets)");
                };
                if (seen) throw new Invalid(t + ": duplicate field " + quote(field));
                if (!endOfMember()) break;
            }
        }
        if (dtype == null) throw new Invalid(t + ": missing field 'dtype'");
        if (shape == null) throw new Invalid(t + ": missing field 'shape'");
        if (offsets == null) throw new Invalid(t + ": missing field 'data_offsets'");
        if (offsets.length != 2) throw new Invalid(t + ": data_offsets must be [begin, end], got " + offsets.length + " numbers");
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw new Invalid(t + " has data_offsets [" + begin + ", " + end + "]: the end is before the beginning");

        int[] dims = new int[shape.length];
        long count = 1;
        boolean overflow = false;
        for (int i = 0; i < dims.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new Invalid(t + ": shape: dimension " + shape[i] + " is larger than Panagrad's limit of " + Integer.MAX_VALUE);
            }
            dims[i] = (int) shape[i];
            if (!overflow) {
                try {
                    count = Math.multiplyExact(count, shape[i]);
                } catch (ArithmeticException e) {
                    overflow = true;   // a later 0 does not make the header sensible
                }
            }
        }
        if (overflow) throw new Invalid(t + ": the element count of shape " + Shape.str(dims) + " overflows a 64-bit integer");
        long bytes;
        try {
            bytes = Math.multiplyExact(count, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new Invalid(t + ": the byte size of " + code(dtype) + " " + Shape.str(dims) + " overflows a 64-bit integer");
        }
        if (end - begin != bytes) {
            throw new Invalid(t + " is " + code(dtype) + " " + Shape.str(dims) + " = " + bytes + " bytes, but its data_offsets ["
                    + begin + ", " + end + "] span " + (end - begin));
        }
        return new Entry(name, dtype, dims, bytes, begin, end);
    }

    /** A JSON array of non-negative integers (no fraction, no exponent, within a long). */
    private long[] integers(String what) throws Invalid {
        if (peek() != '[') throw new Invalid(what + ": expected a list of numbers, found " + found());
        pos++;
        long[] out = new long[4];
        int n = 0;
        ws();
        if (peek() == ']') { pos++; return new long[0]; }
        while (true) {
            ws();
            if (n == out.length) out = Arrays.copyOf(out, n * 2);
            out[n++] = integer(what);
            ws();
            char c = peek();
            if (c == ',') { pos++; continue; }
            if (c == ']') { pos++; return Arrays.copyOf(out, n); }
            throw syntax("expected ',' or ']', found " + found());
        }
    }

    private long integer(String what) throws Invalid {
        int start = pos;
        if (peek() == '-') pos++;
        while (pos < s.length() && isNumberChar(s.charAt(pos))) pos++;
        String text = s.substring(start, pos);
        if (text.isEmpty()) throw new Invalid(what + ": expected a number, found " + found());
        if (!text.matches("-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][-+]?[0-9]+)?")) {
            throw syntax("'" + text + "' is not a JSON number");
        }
        if (text.startsWith("-")) throw new Invalid(what + ": " + text + " is negative");
        if (!text.matches("[0-9]+")) throw new Invalid(what + ": " + text + " is not a whole number");
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new Invalid(what + ": " + text + " is too large");
        }
    }

    private static boolean isNumberChar(char c) {
        return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
    }

    /** A JSON string, escapes decoded; unpaired surrogates and raw control characters refused. */
    private String string(String what) throws Invalid {
        if (peek() != '"') throw syntax("expected " + what + " (a string), found " + found());
        pos++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw syntaxAt(pos, "the string is not closed");
            char c = s.charAt(pos);
            if (c == '"') { pos++; break; }
            if (c < 0x20) throw syntaxAt(pos, String.format("a control character (\\u%04x) inside a string", (int) c));
            if (c != '\\') {
                b.append(c);
                pos++;
                continue;
            }
            int escape = pos;
            if (pos + 1 >= s.length()) throw syntaxAt(pos, "the string is not closed");
            char e = s.charAt(pos + 1);
            pos += 2;
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    char u = unicodeEscape(escape);
                    b.append(u);
                    if (Character.isHighSurrogate(u) && s.startsWith("\\u", pos)) {
                        pos += 2;
                        char low = unicodeEscape(pos - 2);
                        if (!Character.isLowSurrogate(low)) throw syntaxAt(escape, String.format("\\u%04X is half of a surrogate pair", (int) u));
                        b.append(low);
                    } else if (Character.isSurrogate(u)) {
                        throw syntaxAt(escape, String.format("\\u%04X is half of a surrogate pair", (int) u));
                    }
                }
                default -> throw syntaxAt(escape, "'\\" + printable(e) + "' is not a JSON escape");
            }
        }
        return b.toString();
    }

    private char unicodeEscape(int at) throws Invalid {
        if (pos + 4 > s.length()) throw syntaxAt(at, "a \\u escape needs four hex digits");
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(s.charAt(pos + i), 16);
            if (d < 0 || s.charAt(pos + i) > 'f') throw syntaxAt(at, "a \\u escape needs four hex digits");
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private DType dtype(String name, String code) throws Invalid {
        return switch (code) {
            case "F32" -> DType.F32;
            case "F64" -> DType.F64;
            case "BF16" -> DType.BF16;
            case "I64" -> DType.I64;
            case "BOOL" -> DType.BOOL;
            default -> throw new Invalid("tensor " + quote(name) + " has dtype " + printable(code)
                    + ", which Panagrad does not support (F32, F64, BF16, I64, BOOL)");
        };
    }

    static String code(DType d) {
        return switch (d) {
            case F32 -> "F32";
            case F64 -> "F64";
            case BF16 -> "BF16";
            case I64 -> "I64";
            case BOOL -> "BOOL";
        };
    }

    private void ws() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private char peek() { return pos < s.length() ? s.charAt(pos) : '\0'; }

    private void expect(char c) throws Invalid {
        if (peek() != c) throw syntax("expected '" + c + "', found " + found());
        pos++;
    }

    private String found() {
        return pos >= s.length() ? "the end of the header" : "'" + printable(s.charAt(pos)) + "'";
    }

    private static String kind(char c) {
        return switch (c) {
            case '{' -> "an object";
            case '[' -> "a list";
            case 't', 'f' -> "a boolean";
            case 'n' -> "null";
            default -> c == '-' || (c >= '0' && c <= '9') ? "a number" : "'" + printable(c) + "...'";
        };
    }

    private Invalid syntax(String what) { return syntaxAt(pos, what); }

    private Invalid syntaxAt(int at, String what) {
        return new Invalid("the header is not valid JSON at byte " + byteOffset(at) + ": " + what);
    }

    /** The UTF-8 byte offset of character {@code at} in the header. */
    private long byteOffset(int at) {
        return s.substring(0, Math.min(at, s.length())).getBytes(StandardCharsets.UTF_8).length;
    }

    /** A name for a message: quoted, control characters escaped, long names cut, so the message stays one line. */
    static String quote(String name) { return "'" + printable(name) + "'"; }

    private static String printable(String text) {
        StringBuilder b = new StringBuilder();
        int limit = Math.min(text.length(), 100);
        for (int i = 0; i < limit; i++) b.append(printable(text.charAt(i)));
        if (limit < text.length()) b.append("...");
        return b.toString();
    }

    private static String printable(char c) {
        if (c == '\n') return "\\n";
        if (c == '\r') return "\\r";
        if (c == '\t') return "\\t";
        if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029' || c == '\u0085') return String.format("\\u%04x", (int) c);
        return String.valueOf(c);
    }
}
