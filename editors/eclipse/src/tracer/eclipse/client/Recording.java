package tracer.eclipse.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

/**
 * The client side of the server's recording protocol, as plain data: the command names, the
 * argument of `tracer.record` (`{command: [argv...], cwd?, env?, mode?, enable?}`), the recording
 * id it returns, the arguments of `tracer.stop`, `tracer.openTrace`, and the remembered command
 * lines of a workspace.
 */
public final class Recording {
    public static final String RECORD = "tracer.record";
    public static final String ATTACH = "tracer.attach";
    public static final String STOP = "tracer.stop";
    public static final String OPEN_TRACE = "tracer.openTrace";
    public static final String CLEAR_COUNTS = "tracer.clearCounts";
    public static final String SHOW_REFERENCES = "tracer.showReferences";
    public static final String COUNTS_NOTIFICATION = "tracer/counts";

    /** Channel modes: drop new events when a buffer is full, or overwrite the oldest. */
    public static final List<String> MODES = List.of("discard", "overwrite");

    public static final int HISTORY_LIMIT = 10;

    private static final Gson GSON = new Gson();

    private Recording() {
    }

    /** The argument of `tracer.record`; cwd null and enable empty are left out. */
    public static JsonObject recordArguments(CommandLine.Parsed command, String cwd, String mode, List<String> enable) {
        JsonObject args = new JsonObject();
        JsonArray argv = new JsonArray();
        command.argv().forEach(argv::add);
        args.add("command", argv);
        if (cwd != null) {
            args.addProperty("cwd", cwd);
        }
        if (!command.env().isEmpty()) {
            JsonObject env = new JsonObject();
            for (Map.Entry<String, String> e : command.env().entrySet()) {
                env.addProperty(e.getKey(), e.getValue());
            }
            args.add("env", env);
        }
        if (mode != null && MODES.contains(mode)) {
            args.addProperty("mode", mode);
        }
        if (enable != null && !enable.isEmpty()) {
            JsonArray patterns = new JsonArray();
            enable.forEach(patterns::add);
            args.add("enable", patterns);
        }
        return args;
    }

    /** A command's result as JSON: lsp4j hands `Object` results over as gson maps, lists or primitives. */
    private static JsonElement json(Object result) {
        return result instanceof JsonElement e ? e : GSON.toJsonTree(result);
    }

    /**
     * The recording id that `tracer.record` returns (`{id}`, or a bare string or number), kept as
     * the server wrote it so that `tracer.stop` sends it back unchanged; null when there is none.
     */
    public static JsonPrimitive recordingId(Object result) {
        JsonElement e = json(result);
        if (e.isJsonObject()) {
            e = e.getAsJsonObject().get("id");
        }
        if (e == null || !e.isJsonPrimitive()) {
            return null;
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isNumber() && p.getAsDouble() == Math.rint(p.getAsDouble())) {
            // gson reads every JSON number as a double: give an integer id back as an integer.
            return new JsonPrimitive(p.getAsLong());
        }
        return p;
    }

    private static final Pattern TRACE_IN = Pattern.compile("\\btrace in (\\S.*)$");

    /** A progress message without the trace directory it ends with ("…; trace in DIR"). */
    public static String withoutTrace(String message) {
        Matcher m = message == null ? null : TRACE_IN.matcher(message);
        return m != null && m.find() ? message.substring(0, m.start()).replaceAll("[;,]\\s*$", "") : message;
    }

    /** The trace directory a progress message names ("…; trace in DIR"), or null. */
    public static String traceOfProgress(String message) {
        Matcher m = message == null ? null : TRACE_IN.matcher(message);
        return m != null && m.find() ? m.group(1).trim() : null;
    }

    /** A trace directory named in a result (`{trace}` or `{path}`), or null. */
    public static String tracePath(Object result) {
        JsonElement e = json(result);
        if (e.isJsonObject()) {
            for (String key : List.of("trace", "path")) {
                JsonElement v = e.getAsJsonObject().get(key);
                if (v != null && v.isJsonPrimitive() && v.getAsJsonPrimitive().isString()) {
                    return v.getAsString();
                }
            }
        }
        return null;
    }

    /** "12,345 events, 0 lost" from `tracer.openTrace`'s `{trace, events, lost, …}`, or null. */
    public static String openTraceSummary(Object result) {
        JsonElement e = json(result);
        if (!e.isJsonObject()) {
            return null;
        }
        JsonElement events = e.getAsJsonObject().get("events");
        JsonElement lost = e.getAsJsonObject().get("lost");
        if (events == null || !events.isJsonPrimitive() || !events.getAsJsonPrimitive().isNumber()) {
            return null;
        }
        boolean lostKnown = lost != null && lost.isJsonPrimitive() && lost.getAsJsonPrimitive().isNumber();
        return Figures.count(events.getAsDouble()) + " events"
                + (lostKnown ? ", " + Figures.count(lost.getAsDouble()) + " lost" : "");
    }

    /** The arguments of `tracer.stop`: the recording to stop, when the server named it. */
    public static List<Object> stopArguments(JsonPrimitive id) {
        if (id == null) {
            return List.of();
        }
        JsonObject arg = new JsonObject();
        arg.add("id", id);
        return List.of(arg);
    }

    private static final Pattern LIVE_URL = Pattern
            .compile("^net://([^/:\\s]+|\\[[0-9a-fA-F:]+\\])(:(\\d+))?/host/([^/\\s]+)/([^/\\s]+)$");

    /**
     * Why `value` is not a live-session URL (`net://HOST[:PORT]/host/HOSTNAME/SESSION`, as
     * babeltrace2 and `tracer.attach` take it), or null when it is one.
     */
    public static String liveUrlProblem(String value) {
        Matcher m = LIVE_URL.matcher(value == null ? "" : value.trim());
        if (!m.matches()) {
            return "expected net://HOST[:PORT]/host/HOSTNAME/SESSION, e.g. net://localhost/host/board/demo";
        }
        if (m.group(3) != null) {
            long port = m.group(3).length() > 5 ? Long.MAX_VALUE : Long.parseLong(m.group(3));
            if (port < 1 || port > 65535) {
                return "port " + m.group(3) + " is not between 1 and 65535";
            }
        }
        return null;
    }

    /** The argument of `tracer.attach`. */
    public static JsonObject attachArguments(String url) {
        JsonObject arg = new JsonObject();
        arg.addProperty("url", url.trim());
        return arg;
    }

    /** The arguments of `tracer.openTrace`. */
    public static List<Object> openTraceArguments(String path) {
        JsonObject arg = new JsonObject();
        arg.addProperty("path", path);
        return List.of(arg);
    }

    /** Most recent first, without duplicates or blank lines, at most `limit` entries. */
    public static List<String> remember(List<String> history, String line, int limit) {
        List<String> out = new ArrayList<>();
        String trimmed = line.trim();
        if (!trimmed.isEmpty()) {
            out.add(trimmed);
        }
        for (String h : history) {
            if (!h.equals(trimmed) && !h.isBlank() && out.size() < limit) {
                out.add(h);
            }
        }
        return out.subList(0, Math.min(out.size(), limit));
    }
}
