package tracer.eclipse.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;
import java.util.Map;

import org.eclipse.jface.text.Document;
import org.eclipse.jface.text.DocumentEvent;
import org.eclipse.lsp4j.Position;
import org.junit.Test;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

/** Snippets, hover markup, command lines, record arguments, positions and server discovery. */
public class TextTest {
    private static String placeholder(Snippet.Parsed p, int stop) {
        Snippet.Range r = p.tabStops().get(stop).ranges().get(0);
        return p.text().substring(r.offset(), r.offset() + r.length());
    }

    @Test
    public void snippetPlaceholdersBecomeTabStopsInOrder() {
        Snippet.Parsed p = Snippet.parse("trace_demo_wakeup(${1:pid}, ${2:cpu})$0");
        assertEquals("trace_demo_wakeup(pid, cpu)", p.text());
        assertEquals("pid", placeholder(p, 0));
        assertEquals("cpu", placeholder(p, 1));
        assertEquals(p.text().length(), p.exitOffset());
        Snippet.Parsed q = Snippet.parse("f(${2:b}, $1, ${1}) \\$x ${3|one,two|} ${TM_FILENAME:name} $ {");
        assertEquals("f(b, , ) $x one name $ {", q.text());
        assertEquals(List.of(1, 2, 3), q.tabStops().stream().map(Snippet.TabStop::number).toList());
        assertEquals("a repeated stop is linked", 2, q.tabStops().get(0).ranges().size());
        assertEquals("one", placeholder(q, 2));
        Snippet.Parsed nested = Snippet.parse("${1:outer ${2:inner}} end$0 tail");
        assertEquals("outer inner end tail", nested.text());
        assertEquals("outer inner", placeholder(nested, 0));
        assertEquals("inner", placeholder(nested, 1));
        assertEquals("outer inner end".length(), nested.exitOffset());
        assertEquals("${1:unclosed", Snippet.parse("${1:unclosed").text());
    }

    @Test
    public void hoverMarkdownBecomesTheHtmlSubsetOfJFace() {
        String html = Markdown.toHtml("**hello:greeting** — ust `TRACEPOINT_EVENT`\n\n```c\nhello:greeting(int count, "
                + "const char *name)\n```\n\n| field | type |\n|---|---|\n| `count` | `int` |\n| `name` | `string` |\n\n"
                + "a < b");
        assertEquals("<b>hello:greeting</b> — ust TRACEPOINT_EVENT<p><pre>hello:greeting(int count, const char *name)\n"
                + "</pre><pre>field  type\ncount  int\nname   string\n</pre>a &lt; b", html);
    }

    @Test
    public void commandLinesSplitLikeAShellWithoutOne() throws Exception {
        CommandLine.Parsed p = CommandLine.parse("FOO=1 BAR=\"a b\" ./build/hello 'x y' z\\ w ~/t \"q\\\"\"", "/home/u");
        assertEquals(List.of("./build/hello", "x y", "z w", "/home/u/t", "q\""), p.argv());
        assertEquals(Map.of("FOO", "1", "BAR", "a b"), p.env());
        assertEquals(List.of("A=1"), CommandLine.parse("'A=1'", null).argv());
        for (String bad : new String[] {"a | b", "echo $HOME", "'open", "", "X=1", "a > f", "x\\"}) {
            try {
                CommandLine.parse(bad, null);
                fail("accepted: " + bad);
            } catch (CommandLine.Invalid e) {
                assertTrue(e.getMessage(), e.getMessage().contains("column"));
            }
        }
    }

    @Test
    public void recordArgumentsFollowTheProtocol() throws Exception {
        JsonObject args = Recording.recordArguments(CommandLine.parse("N=2 ./hello world", null), "/ws", "overwrite",
                List.of("hello:*"));
        assertEquals("{\"command\":[\"./hello\",\"world\"],\"cwd\":\"/ws\",\"env\":{\"N\":\"2\"},\"mode\":\"overwrite\","
                + "\"enable\":[\"hello:*\"]}", args.toString());
        JsonObject minimal = Recording.recordArguments(CommandLine.parse("./hello", null), null, "bogus", List.of());
        assertEquals("{\"command\":[\"./hello\"]}", minimal.toString());
        JsonObject id = new JsonObject();
        id.addProperty("id", 7);
        assertEquals(new JsonPrimitive(7L), Recording.recordingId(id));
        assertEquals(new JsonPrimitive("r1"), Recording.recordingId(new JsonPrimitive("r1")));
        assertEquals(null, Recording.recordingId(new JsonArray()));
        assertEquals("as lsp4j hands it over", new JsonPrimitive("r2"), Recording.recordingId(Map.of("id", "r2")));
        assertEquals("gson's doubles become integers again", "[{\"id\":1}]",
                Recording.stopArguments(Recording.recordingId(Map.of("id", 1.0))).toString());
        assertTrue(Recording.stopArguments(null).isEmpty());
        assertEquals("/w/.tracer/traces/20261127-081143", Recording.traceOfProgress(
                "10,016 events, 0 lost; trace in /w/.tracer/traces/20261127-081143"));
        assertEquals(null, Recording.traceOfProgress("12 events, 3/s, 0 lost"));
        assertEquals("10,016 events, 0 lost", Recording.withoutTrace("10,016 events, 0 lost; trace in /w/t"));
        assertEquals("12 events, 3/s, 0 lost", Recording.withoutTrace("12 events, 3/s, 0 lost"));
        assertEquals("12,345 events, 2 lost", Recording.openTraceSummary(Map.of("trace", "/t", "events", 12345.0,
                "lost", 2.0, "errors", List.of())));
        JsonObject trace = new JsonObject();
        trace.addProperty("trace", "/t/1");
        assertEquals("/t/1", Recording.tracePath(trace));
        assertEquals(List.of("c", "a", "b"), Recording.remember(List.of("a", "c", "b"), " c ", 10));
        assertEquals(List.of("n", "a"), Recording.remember(List.of("a", "b"), "n", 2));
        assertEquals("{\"url\":\"net://board:5344/host/b/s\"}",
                Recording.attachArguments(" net://board:5344/host/b/s ").toString());
        for (String good : new String[] {"net://localhost/host/board/demo", "net://10.0.0.2:5344/host/b/s",
                "net://[::1]:1/host/h/s"}) {
            assertEquals(good, null, Recording.liveUrlProblem(good));
        }
        for (String bad : new String[] {"", "http://x/host/h/s", "net://localhost/h/s", "net://x/host/h",
                "net://x:0/host/h/s", "net://x:65536/host/h/s", "net://x:99999999999/host/h/s"}) {
            assertNotNull(bad, Recording.liveUrlProblem(bad));
        }
    }

    @Test
    public void positionsAreUtf16AndEditsAreComputedBeforeTheyApply() throws Exception {
        Document d = new Document("ab\n😀x\nlast");
        assertEquals(new Position(1, 2), TextPositions.position(d, 5));
        assertEquals("x", d.get(TextPositions.offset(d, new Position(1, 2)), 1));
        assertEquals("clamped to the line's end", 6, TextPositions.offset(d, new Position(1, 99)));
        assertEquals("past the last line: the end", d.getLength(), TextPositions.offset(d, new Position(9, 0)));
        var change = TextPositions.change(new DocumentEvent(d, 3, 3, "Z"));
        assertEquals(new Position(1, 0), change.getRange().getStart());
        assertEquals(new Position(1, 3), change.getRange().getEnd());
        assertEquals("Z", change.getText());
        assertEquals(6, TextPositions.endOfLine(d, 1));
    }

    @Test
    public void theServerIsTheConfiguredOneElseTheOneOnPath() {
        var found = ServerDiscovery.find("", "/nope:/usr/bin", "/home/u", f -> f.equals("/usr/bin/tracer-lsp"));
        assertEquals("/usr/bin/tracer-lsp", found.path());
        assertEquals("PATH", found.source());
        assertEquals("/home/u/bin/t", ServerDiscovery.find("~/bin/t", "", "/home/u", f -> true).path());
        var missing = ServerDiscovery.find("", "/a:/b", "/home/u", f -> false);
        assertFalse(missing.found());
        assertTrue(missing.missing(), missing.missing().contains(ServerDiscovery.INSTALL_COMMAND));
        var bad = ServerDiscovery.find("/opt/x/tracer-lsp", "/usr/bin", "/home/u", f -> false);
        assertTrue(bad.missing(), bad.missing().contains("/opt/x/tracer-lsp"));
    }

    @Test
    public void fileUrisCompareEqualWhateverTheirSpelling() {
        assertEquals("file:///tmp/a%20b/c.c", Uris.of(new java.io.File("/tmp/a b/./c.c")));
        assertEquals("file:///tmp/a%20b/c.c", Uris.normalize("file:/tmp/a%20b/c.c"));
        assertEquals("untitled:1", Uris.normalize("untitled:1"));
    }
}
