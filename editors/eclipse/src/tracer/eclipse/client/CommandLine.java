package tracer.eclipse.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the command line a user types for "Record…" into the argv and environment that
 * `tracer.record` takes. The program is started without a shell, so this follows POSIX shell
 * quoting (quotes, backslash escapes, leading `NAME=value` assignments, `~`) and refuses the
 * shell features it cannot honour (pipes, redirections, `$` expansion) with a message saying so.
 * The same rules as the VS Code extension's.
 */
public final class CommandLine {
    /** The program and its arguments (never empty), and the variables of leading assignments. */
    public record Parsed(List<String> argv, Map<String, String> env) {
    }

    /** A command line that cannot be run as typed; column is 1-based. */
    public static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;
        public final int column;

        Invalid(String message, int column) {
            super(message + " (column " + column + ")");
            this.column = column;
        }
    }

    private static final Set<Character> SHELL_OPERATORS = Set.of('|', '&', ';', '<', '>', '(', ')');
    private static final Set<Character> ESCAPABLE_IN_DOUBLE_QUOTES = Set.of('$', '`', '"', '\\', '\n');
    private static final Pattern ASSIGNMENT = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*=");

    private CommandLine() {
    }

    private static final class Word {
        final StringBuilder text = new StringBuilder();
        /** Length of the leading part written unquoted and unescaped. */
        int plainPrefix;
        boolean plain = true;
        /** Starts with an unquoted `~`. */
        boolean tilde;
    }

    private static List<Word> split(String line) throws Invalid {
        List<Word> words = new ArrayList<>();
        Word current = null;
        int i = 0;
        while (i < line.length()) {
            char c = line.charAt(i);
            int column = i + 1;
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                if (current != null) {
                    words.add(current);
                    current = null;
                }
                i++;
            } else if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new Invalid("unterminated single quote", column);
                }
                current = append(current, line.substring(i + 1, end), false);
                i = end + 1;
            } else if (c == '"') {
                int j = i + 1;
                StringBuilder text = new StringBuilder();
                for (;;) {
                    if (j >= line.length()) {
                        throw new Invalid("unterminated double quote", column);
                    }
                    char d = line.charAt(j);
                    if (d == '"') {
                        break;
                    }
                    if (d == '\\' && j + 1 < line.length() && ESCAPABLE_IN_DOUBLE_QUOTES.contains(line.charAt(j + 1))) {
                        if (line.charAt(j + 1) != '\n') {
                            text.append(line.charAt(j + 1));
                        }
                        j += 2;
                        continue;
                    }
                    if (d == '$' || d == '`') {
                        throw new Invalid("\"" + d + "\" expansion is not supported (the program is started without a"
                                + " shell): write the value, or escape it as \\" + d, j + 1);
                    }
                    text.append(d);
                    j++;
                }
                current = append(current, text.toString(), false);
                i = j + 1;
            } else if (c == '\\') {
                if (i + 1 >= line.length()) {
                    throw new Invalid("a backslash ends the command line", column);
                }
                if (line.charAt(i + 1) != '\n') {
                    current = append(current, String.valueOf(line.charAt(i + 1)), false);
                }
                i += 2;
            } else if (SHELL_OPERATORS.contains(c)) {
                throw new Invalid("\"" + c + "\" needs a shell, and the program is started without one: quote it,"
                        + " or record \"sh -c '…'\"", column);
            } else if (c == '$' || c == '`') {
                throw new Invalid("\"" + c + "\" expansion is not supported (the program is started without a shell):"
                        + " write the value, or quote it", column);
            } else {
                current = append(current, String.valueOf(c), true);
                i++;
            }
        }
        if (current != null) {
            words.add(current);
        }
        return words;
    }

    private static Word append(Word word, String chars, boolean unquoted) {
        if (word == null) {
            word = new Word();
            word.tilde = unquoted && chars.equals("~");
            word.plain = unquoted;
        }
        word.text.append(chars);
        if (unquoted && word.plain) {
            word.plainPrefix = word.text.length();
        } else {
            word.plain = false;
        }
        return word;
    }

    private static String expandTilde(String text, boolean tilde, String home) {
        if (!tilde || home == null) {
            return text;
        }
        if (text.equals("~")) {
            return home;
        }
        return text.startsWith("~/") ? home + text.substring(1) : text;
    }

    /** Parses `line` as a POSIX shell splits a simple command; `home` expands a leading `~`. */
    public static Parsed parse(String line, String home) throws Invalid {
        List<Word> words = split(line);
        Map<String, String> env = new LinkedHashMap<>();
        int first = 0;
        for (; first < words.size(); first++) {
            Word word = words.get(first);
            String text = word.text.toString();
            Matcher m = ASSIGNMENT.matcher(text);
            if (!m.find() || m.end() > word.plainPrefix) {
                break;
            }
            String value = text.substring(m.end());
            boolean valueTilde = word.plainPrefix > m.end() && value.startsWith("~");
            env.put(text.substring(0, m.end() - 1), expandTilde(value, valueTilde, home));
        }
        List<String> argv = new ArrayList<>();
        for (Word w : words.subList(first, words.size())) {
            argv.add(expandTilde(w.text.toString(), w.tilde, home));
        }
        if (argv.isEmpty()) {
            throw new Invalid(first == 0 ? "the command line is empty" : "only variable assignments, no program to run",
                    line.length() + 1);
        }
        return new Parsed(List.copyOf(argv), Map.copyOf(env));
    }
}
