package tracer.eclipse.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An LSP snippet (`trace_demo_wakeup(${1:pid}, ${2:cpu})`) read into the text it inserts and its
 * tab stops, so the editor can turn the placeholders into linked positions. Supports `$1`,
 * `${1}`, `${1:placeholder}` (nested too), `${1|one,two|}` (the first choice), variables (their
 * default, or nothing) and the `\$`, `\}`, `\\` escapes.
 */
public final class Snippet {
    /** A range of the inserted text, relative to its start. */
    public record Range(int offset, int length) {
    }

    /** A numbered tab stop and the ranges it covers (several when the number repeats). */
    public record TabStop(int number, List<Range> ranges) {
    }

    /** The text to insert, its tab stops in visiting order ($0 excluded), and where the caret ends. */
    public record Parsed(String text, List<TabStop> tabStops, int exitOffset) {
    }

    private final String source;
    private int pos;
    private final StringBuilder out = new StringBuilder();
    private final Map<Integer, List<Range>> stops = new TreeMap<>();
    private int exit = -1;

    private Snippet(String source) {
        this.source = source;
    }

    public static Parsed parse(String snippet) {
        Snippet s = new Snippet(snippet);
        s.parseUntil('\0');
        List<TabStop> tabStops = new ArrayList<>();
        s.stops.forEach((n, ranges) -> {
            if (n != 0) {
                tabStops.add(new TabStop(n, List.copyOf(ranges)));
            }
        });
        return new Parsed(s.out.toString(), List.copyOf(tabStops), s.exit >= 0 ? s.exit : s.out.length());
    }

    /** Text, escapes and `$` constructs up to an unescaped `end` (or the end of the source). */
    private void parseUntil(char end) {
        while (pos < source.length()) {
            char c = source.charAt(pos);
            if (c == end) {
                return;
            }
            if (c == '\\' && pos + 1 < source.length() && "$}\\,|".indexOf(source.charAt(pos + 1)) >= 0) {
                out.append(source.charAt(pos + 1));
                pos += 2;
            } else if (c == '$' && !dollar()) {
                out.append('$');
                pos++;
            } else if (c != '$') {
                out.append(c);
                pos++;
            }
        }
    }

    /** Reads a `$` construct at pos; false (nothing consumed) when it is a literal `$`. */
    private boolean dollar() {
        int start = pos;
        int outStart = out.length();
        pos++;
        if (pos < source.length() && Character.isDigit(source.charAt(pos))) {
            int n = number();
            stop(n, out.length(), 0);
            return true;
        }
        if (pos < source.length() && isNameStart(source.charAt(pos))) {
            name();
            return true;
        }
        if (pos < source.length() && source.charAt(pos) == '{') {
            pos++;
            if (pos < source.length() && Character.isDigit(source.charAt(pos))) {
                int n = number();
                int at = out.length();
                if (pos < source.length() && source.charAt(pos) == ':') {
                    pos++;
                    parseUntil('}');
                } else if (pos < source.length() && source.charAt(pos) == '|') {
                    pos++;
                    choice();
                }
                if (pos < source.length() && source.charAt(pos) == '}') {
                    pos++;
                    stop(n, at, out.length() - at);
                    return true;
                }
            } else if (pos < source.length() && isNameStart(source.charAt(pos))) {
                name();
                if (pos < source.length() && source.charAt(pos) == ':') {
                    pos++;
                    parseUntil('}');
                }
                if (pos < source.length() && source.charAt(pos) == '}') {
                    pos++;
                    return true;
                }
            }
        }
        // Not a well-formed construct: the `$` is literal text.
        out.setLength(outStart);
        pos = start;
        return false;
    }

    private void choice() {
        int at = out.length();
        boolean first = true;
        while (pos < source.length() && source.charAt(pos) != '|') {
            char c = source.charAt(pos);
            if (c == '\\' && pos + 1 < source.length()) {
                if (first) {
                    out.append(source.charAt(pos + 1));
                }
                pos += 2;
                continue;
            }
            if (c == ',') {
                first = false;
            } else if (first) {
                out.append(c);
            }
            pos++;
        }
        pos++; // the closing '|'
        if (out.length() < at) {
            out.setLength(at);
        }
    }

    private int number() {
        int start = pos;
        while (pos < source.length() && Character.isDigit(source.charAt(pos))) {
            pos++;
        }
        return Integer.parseInt(source.substring(start, Math.min(pos, start + 9)));
    }

    private void name() {
        while (pos < source.length() && (isNameStart(source.charAt(pos)) || Character.isDigit(source.charAt(pos)))) {
            pos++;
        }
    }

    private static boolean isNameStart(char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private void stop(int number, int offset, int length) {
        if (number == 0) {
            exit = offset;
            return;
        }
        stops.computeIfAbsent(number, k -> new ArrayList<>()).add(new Range(offset, length));
    }
}
