package tracer.eclipse.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.eclipse.jface.text.Document;
import org.eclipse.jface.text.DocumentEvent;
import org.eclipse.lsp4j.CodeLens;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.InsertTextFormat;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.WorkDoneProgressEnd;
import org.eclipse.lsp4j.WorkDoneProgressNotification;
import org.junit.After;
import org.junit.Assume;
import org.junit.Before;
import org.junit.Test;

import tracer.eclipse.ui.CompletionProposal;
import tracer.eclipse.ui.LensCommands;
import tracer.eclipse.ui.Markers;

/**
 * The plug-in's client logic against the real `tracer-lsp` on a copy of `examples/`: the same
 * calls the editor makes (TracerConnection), and the plug-in's own processing of the answers
 * (snippet insertion, incremental edits, diagnostics as marker attributes, code lens arguments).
 */
public class RealServerTest {
    private File examples;
    private Servers.Events events;
    private TracerConnection server;

    @Before
    public void start() throws Exception {
        examples = Servers.examples();
        events = new Servers.Events();
        server = TracerConnection.start(Servers.realServer(), examples, List.of(examples), events);
        // The server indexes the folder at start-up and says so with work-done progress.
        events.progressUntilEnd("tracer-lsp/index");
    }

    @After
    public void stop() throws Exception {
        if (server != null) {
            server.close();
            assertTrue("the server exits after shutdown/exit", !server.isAlive());
        }
        Servers.delete(examples);
    }

    private String uri(String rel) {
        return Uris.of(new File(examples, rel));
    }

    private String open(String rel) throws Exception {
        String text = Files.readString(new File(examples, rel).toPath(), StandardCharsets.UTF_8);
        server.didOpen(uri(rel), "c", 1, text);
        return text;
    }

    private static Position at(String text, String needle, int delta) {
        int offset = text.indexOf(needle);
        assertTrue(needle + " is in the text", offset >= 0);
        offset += delta;
        int line = 0;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new Position(line, offset - lineStart);
    }

    @Test
    public void advertisesWhatThePluginUses() {
        assertNotNull(server.serverCapabilities().getCompletionProvider());
        assertTrue(server.hasCodeLens());
        assertTrue("the code lens command", server.supportsCommand(Recording.SHOW_REFERENCES));
    }

    @Test
    public void completionInsideTracepointOffersTheProvidersEventsAsSnippets() throws Exception {
        String text = "void g(void) { tracepoint(hello, ); }\n";
        server.didOpen(uri("c/new.c"), "c", 1, text);
        Document document = new Document(text);
        int offset = text.indexOf(", )") + 2;
        List<CompletionItem> items = server.completion(uri("c/new.c"), TextPositions.position(document, offset));
        assertEquals(List.of("greeting", "work_done", "work_start"),
                items.stream().map(CompletionItem::getLabel).collect(Collectors.toList()));
        CompletionItem workStart = items.get(2);
        assertEquals(InsertTextFormat.Snippet, workStart.getInsertTextFormat());

        // Applied as the editor applies it: the snippet's text in, its tab stops found.
        CompletionProposal proposal = new CompletionProposal(workStart, document, offset);
        proposal.apply(document);
        Snippet.Parsed parsed = proposal.parsed();
        String line = document.get();
        assertTrue(line, line.startsWith("void g(void) { tracepoint(hello, work_start"));
        assertEquals("the placeholders are the TP_ARGS names", List.of("id", "cost"), parsed.tabStops().stream()
                .map(t -> parsed.text().substring(t.ranges().get(0).offset(),
                        t.ranges().get(0).offset() + t.ranges().get(0).length()))
                .collect(Collectors.toList()));
    }

    @Test
    public void definitionGoesFromAProbeSiteToItsDeclaration() throws Exception {
        String text = open("c/hello.c");
        List<Location> defs = server.definition(uri("c/hello.c"), at(text, "work_start", 2));
        assertEquals(1, defs.size());
        assertEquals(uri("c/hello-tp.h"), Uris.normalize(defs.get(0).getUri()));
        assertEquals("TRACEPOINT_EVENT_INSTANCE(hello, work_class, work_start, …) is on line 37", 36,
                defs.get(0).getRange().getStart().getLine());
    }

    @Test
    public void referencesListEveryProbeSite() throws Exception {
        String text = open("c/hello.c");
        List<Location> refs = server.references(uri("c/hello.c"), at(text, "greeting", 2), false);
        assertEquals("greeting is fired from lines 21 and 25", List.of(20, 24),
                refs.stream().map(l -> l.getRange().getStart().getLine()).sorted().collect(Collectors.toList()));
    }

    @Test
    public void hoverShowsThePrototypeAndFieldsAsMarkupThePluginRenders() throws Exception {
        String text = open("c/hello.c");
        String markdown = server.hover(uri("c/hello.c"), at(text, "greeting", 2));
        assertNotNull(markdown);
        assertTrue(markdown, markdown.contains("**hello:greeting**"));
        String html = Markdown.toHtml(markdown);
        assertTrue(html, html.contains("<b>hello:greeting</b>"));
        assertTrue(html, html.contains("<pre>") && html.contains("count"));
    }

    @Test
    public void diagnosticsFollowIncrementalEditsAndBecomeMarkerAttributes() throws Exception {
        String text = open("c/hello.c");
        Document document = new Document(text);
        // The edit as DocumentSync sends it: the change is computed before the document changes.
        int offset = text.indexOf("    return 0;");
        String inserted = "    tracepoint(hello, no_such_event, 1);\n";
        DocumentEvent event = new DocumentEvent(document, offset, 0, inserted);
        var change = TextPositions.change(event);
        document.replace(offset, 0, inserted);
        server.didChange(uri("c/hello.c"), 2, List.of(change));

        PublishDiagnosticsParams published = events.diagnosticsOf(uri("c/hello.c"),
                p -> !p.getDiagnostics().isEmpty());
        assertNotNull("diagnostics for the undeclared event", published);
        Diagnostic d = published.getDiagnostics().get(0);
        assertEquals("no declaration of event `hello:no_such_event` in the workspace", d.getMessage());
        Map<String, Object> marker = Markers.attributes(d, document);
        int line = document.getLineOfOffset(offset);
        assertEquals(line + 1, marker.get("lineNumber"));
        assertEquals("the marker covers the event name", "no_such_event", document.get((Integer) marker.get("charStart"),
                (Integer) marker.get("charEnd") - (Integer) marker.get("charStart")));

        // Undo: the diagnostics go away.
        DocumentEvent undo = new DocumentEvent(document, offset, inserted.length(), "");
        var back = TextPositions.change(undo);
        document.replace(offset, inserted.length(), "");
        server.didChange(uri("c/hello.c"), 3, List.of(back));
        assertNotNull("the diagnostics are cleared", events.diagnosticsOf(uri("c/hello.c"),
                p -> p.getDiagnostics().isEmpty()));
    }

    @Test
    public void codeLensArgumentsGiveTheCallSitesToTheSearchView() throws Exception {
        open("c/hello-tp.h");
        List<CodeLens> lenses = server.codeLens(uri("c/hello-tp.h"));
        CodeLens greeting = lenses.stream().filter(l -> l.getRange().getStart().getLine() == 18).findFirst()
                .orElseThrow(() -> new AssertionError("a lens on greeting's declaration: " + lenses));
        assertEquals("2 call sites", greeting.getCommand().getTitle());
        assertEquals(Recording.SHOW_REFERENCES, greeting.getCommand().getCommand());
        List<Location> locations = LensCommands.showReferencesLocations(greeting.getCommand().getArguments());
        assertNotNull(locations);
        assertEquals(List.of(20, 24), locations.stream().map(l -> l.getRange().getStart().getLine()).sorted()
                .collect(Collectors.toList()));
    }

    /**
     * Recording through the real server, once it implements `tracer.record`. Until then this
     * test is skipped with a message naming what is missing (the fake server covers the client
     * side: FakeServerRecordingTest).
     */
    @Test
    public void recordingTheCExampleGivesCountsOnItsProbeSiteLines() throws Exception {
        if (!server.supportsCommand(Recording.RECORD)) {
            String why = "SKIPPED recording with the real tracer-lsp: it does not advertise \"" + Recording.RECORD
                    + "\" (executeCommandProvider.commands = " + server.commands() + ")";
            System.err.println(why);
            Assume.assumeTrue(why, false);
        }
        String command = System.getenv("TRACER_ECLIPSE_RECORD_COMMAND");
        assertTrue("the server records, but TRACER_ECLIPSE_RECORD_COMMAND names no built C example to record"
                + " (tests/eclipse-plugin.sh sets it)", command != null && !command.isBlank());
        open("c/hello.c");
        CommandLine.Parsed parsed = CommandLine.parse(command, System.getProperty("user.home"));
        open("c/hello-tp.h");
        Object result = server.execute(Recording.RECORD, List.of(Recording.recordArguments(parsed,
                examples.getPath(), "discard", List.of())), "junit-record").get(30, TimeUnit.SECONDS);
        assertNotNull("tracer.record returns a recording id", Recording.recordingId(result));
        List<WorkDoneProgressNotification> reports = events.progressUntilEnd("junit-record");
        String end = ((WorkDoneProgressEnd) reports.get(reports.size() - 1)).getMessage();
        assertTrue(end, end.startsWith("26 events, 0 lost"));
        assertNotNull("the end names the trace: " + end, Recording.traceOfProgress(end));
        assertTrue("the trace directory exists", new File(Recording.traceOfProgress(end)).isDirectory());

        // Every tracer/counts notification, as the plug-in's model keeps them.
        CountsModel counts = new CountsModel();
        for (var n : events.counts) {
            CountsModel.parse(n).ifPresent(e -> counts.update(Uris.normalize(e.getKey()), e.getValue()));
        }
        Map<Integer, Double> byLine = counts.rows().stream().filter(r -> r.uri().equals(uri("c/hello.c")))
                .collect(Collectors.toMap(CountsModel.Row::line, CountsModel.Row::count));
        // hello.c with no argument: work_start and work_done 10 times, greeting once before the
        // loop and 5 times inside it.
        assertEquals(Map.of(9, 10.0, 11, 10.0, 20, 1.0, 24, 5.0), byLine);
        assertTrue("the server asked for refreshes", events.refreshes.get() > 0);

        // The same counts as inlay hints at the ends of those lines, and totals as code lenses.
        Document hello = new Document(Files.readString(new File(examples, "c/hello.c").toPath()));
        List<String> hints = new ArrayList<>();
        for (var hint : server.inlayHints(uri("c/hello.c"), new org.eclipse.lsp4j.Range(new Position(0, 0),
                new Position(hello.getNumberOfLines(), 0)))) {
            assertEquals(TextPositions.endOfLine(hello, hint.getPosition().getLine()),
                    TextPositions.offset(hello, hint.getPosition()));
            hints.add(hint.getPosition().getLine() + ":" + tracer.eclipse.ui.CodeMinings.HintMining.label(hint));
        }
        assertEquals(List.of("9: ● 10", "11: ● 10", "20: ● 1", "24: ● 5"), hints);
        assertTrue(server.codeLens(uri("c/hello-tp.h")).stream()
                .anyMatch(l -> l.getRange().getStart().getLine() == 18
                        && l.getCommand().getTitle().equals("● 6 events recorded")));

        // Cleared, then the trace opened again: the same counts.
        server.execute(Recording.CLEAR_COUNTS, List.of(), null).get(30, TimeUnit.SECONDS);
        assertTrue(server.inlayHints(uri("c/hello.c"), new org.eclipse.lsp4j.Range(new Position(0, 0),
                new Position(hello.getNumberOfLines(), 0))).isEmpty());
        Object opened = server.execute(Recording.OPEN_TRACE, Recording.openTraceArguments(
                Recording.traceOfProgress(end)), null).get(30, TimeUnit.SECONDS);
        assertEquals("26 events, 0 lost", Recording.openTraceSummary(opened));
        assertEquals(4, server.inlayHints(uri("c/hello.c"), new org.eclipse.lsp4j.Range(new Position(0, 0),
                new Position(hello.getNumberOfLines(), 0))).size());
    }

    /**
     * Attach to Live Session: a relay serves a recording (the C example run twice, 2 s apart,
     * so the session is live when the server attaches) and the server follows it through
     * `tracer.attach` until it ends, giving the counts of both runs on hello.c's lines.
     */
    @Test
    public void attachingToALiveSessionGivesItsCountsOnTheProbeSiteLines() throws Exception {
        if (!server.supportsCommand(Recording.ATTACH)) {
            String why = "SKIPPED attaching with the real tracer-lsp: it does not advertise \"" + Recording.ATTACH
                    + "\" (executeCommandProvider.commands = " + server.commands() + ")";
            System.err.println(why);
            Assume.assumeTrue(why, false);
        }
        String command = System.getenv("TRACER_ECLIPSE_RECORD_COMMAND");
        assertTrue("TRACER_ECLIPSE_RECORD_COMMAND names no built C example (tests/eclipse-plugin.sh sets it)",
                command != null && !command.isBlank());
        String bin = Servers.realServer().get(0);
        File root = Files.createTempDirectory("tracer-eclipse-relay-").toFile();
        Process relay = new ProcessBuilder(bin, "relay", "--listen", "127.0.0.1:0", "--targets", "127.0.0.1:0",
                "--root", root.getPath()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Process record = null;
        try {
            String first = new java.io.BufferedReader(new java.io.InputStreamReader(relay.getInputStream(),
                    StandardCharsets.UTF_8)).readLine();
            var port = java.util.regex.Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(
                    String.valueOf(first));
            assertTrue("the relay's first line names its port: " + first, port.find());
            File session = new File(root, "board/demo");
            String twice = command + " && sleep 2 && " + command;
            record = new ProcessBuilder(bin, "record", "--output", session.getPath(), "--", "sh", "-c", twice)
                    .directory(examples).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!new File(session, ".live").exists() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue("the recording went live", new File(session, ".live").exists());

            open("c/hello.c");
            String url = "net://localhost:" + port.group(1) + "/host/board/demo";
            assertEquals(null, Recording.liveUrlProblem(url));
            Object result = server.execute(Recording.ATTACH, List.of(Recording.attachArguments(url)), "junit-attach")
                    .get(30, TimeUnit.SECONDS);
            assertNotNull("tracer.attach returns an id", Recording.recordingId(result));
            List<WorkDoneProgressNotification> reports = events.progressUntilEnd("junit-attach");
            String end = ((WorkDoneProgressEnd) reports.get(reports.size() - 1)).getMessage();
            assertTrue(end, end.startsWith("52 events, 0 lost"));
            assertTrue("record exits", record.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, record.exitValue());

            CountsModel counts = new CountsModel();
            for (var n : events.counts) {
                CountsModel.parse(n).ifPresent(e -> counts.update(Uris.normalize(e.getKey()), e.getValue()));
            }
            Map<Integer, Double> byLine = counts.rows().stream().filter(r -> r.uri().equals(uri("c/hello.c")))
                    .collect(Collectors.toMap(CountsModel.Row::line, CountsModel.Row::count));
            // Two runs of hello.c: twice the counts of one.
            assertEquals(Map.of(9, 20.0, 11, 20.0, 20, 2.0, 24, 10.0), byLine);
        } finally {
            if (record != null) {
                record.destroy();
            }
            relay.destroy();
            relay.waitFor(10, TimeUnit.SECONDS);
            Servers.delete(root);
        }
    }
}
