package tracer.eclipse.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.eclipse.jface.text.Document;
import org.eclipse.lsp4j.CodeLens;
import org.eclipse.lsp4j.InlayHint;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.WorkDoneProgressEnd;
import org.eclipse.lsp4j.WorkDoneProgressNotification;
import org.eclipse.lsp4j.WorkDoneProgressReport;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import tracer.eclipse.ui.CodeMinings;

/**
 * The client side of the recording protocol (`tracer.record` with a work-done token, progress
 * figures, `tracer/counts`, inlay hints, code lenses, refresh requests, `tracer.stop`,
 * `tracer.clearCounts`) against the fake server of the test tree, which follows the protocol
 * with made-up counts on the C example's real probe-site lines.
 */
public class FakeServerRecordingTest {
    private File examples;
    private Servers.Events events;
    private TracerConnection server;
    private String uri;
    private Document document;

    @Before
    public void start() throws Exception {
        examples = Servers.examples();
        events = new Servers.Events();
        server = TracerConnection.start(Servers.fakeServer(), examples, List.of(examples), events);
        File hello = new File(examples, "c/hello.c");
        uri = Uris.of(hello);
        document = new Document(Files.readString(hello.toPath(), StandardCharsets.UTF_8));
        server.didOpen(uri, "c", 1, document.get());
    }

    @After
    public void stop() throws Exception {
        server.close();
        Servers.delete(examples);
    }

    private Object record(String line) throws Exception {
        CommandLine.Parsed parsed = CommandLine.parse(line, "/home/u");
        return server.execute(Recording.RECORD, List.of(Recording.recordArguments(parsed, examples.getPath(),
                "discard", List.of())), "rec-1").get(10, TimeUnit.SECONDS);
    }

    @Test
    public void recordingFeedsCountsProgressHintsAndLenses() throws Exception {
        assertTrue(server.supportsCommand(Recording.RECORD));
        assertTrue(server.hasInlayHints());
        Object result = record("./hello world");
        assertEquals("fake-1", Recording.recordingId(result).getAsString());

        // Progress on our token until the end, with figures the status line can read.
        List<WorkDoneProgressNotification> reports = events.progressUntilEnd("rec-1");
        assertTrue("only our token", events.progress.isEmpty());
        WorkDoneProgressReport last = (WorkDoneProgressReport) reports.get(reports.size() - 2);
        Figures.Progress figures = Figures.progress(last.getMessage());
        assertTrue(last.getMessage(), figures.events().isPresent() && figures.rate().isPresent()
                && figures.lost().isPresent());
        assertEquals(0, figures.lost().getAsDouble(), 0);

        // The counts notifications, as the plug-in's model keeps them: the four tracepoint lines.
        CountsModel counts = new CountsModel();
        for (var n : events.counts) {
            var parsed = CountsModel.parse(n).orElseThrow();
            counts.update(Uris.normalize(parsed.getKey()), parsed.getValue());
        }
        assertEquals(List.of(9, 11, 20, 24), counts.rows().stream().map(CountsModel.Row::line)
                .collect(Collectors.toList()));
        assertEquals("after the program ends, rates drop to 0", 0, counts.totalRate(), 0);
        List<CountsModel.LineDecoration> heat = counts.decorations(uri, document.getNumberOfLines(), HeatScale.LEVELS);
        assertEquals("the busiest site is the hottest", HeatScale.LEVELS, heat.get(3).level());
        assertTrue("the quietest is the coldest", heat.get(0).level() < heat.get(3).level());
        assertEquals("● 1,200", heat.get(0).text());

        // Inlay hints at the ends of those lines, and the refresh requests that ask for them.
        assertTrue("the server asked for refreshes", events.refreshes.get() > 0);
        List<InlayHint> hints = server.inlayHints(uri, new Range(new Position(0, 0), new Position(30, 0)));
        assertEquals(4, hints.size());
        for (InlayHint hint : hints) {
            int line = hint.getPosition().getLine();
            assertEquals("at the end of line " + line, TextPositions.endOfLine(document, line),
                    TextPositions.offset(document, hint.getPosition()));
        }
        assertEquals(" ● 1,200", CodeMinings.HintMining.label(hints.get(0)));
        List<CodeLens> lenses = server.codeLens(uri);
        assertEquals("12,000 events in this file (fake server)", lenses.get(0).getCommand().getTitle());
    }

    @Test
    public void stopEndsTheProgressAndClearCountsEmptiesTheDocuments() throws Exception {
        record("./hello");
        assertNotNull(events.counts.poll(10, TimeUnit.SECONDS));
        server.execute(Recording.STOP, Recording.stopArguments(new com.google.gson.JsonPrimitive("fake-1")), null)
                .get(10, TimeUnit.SECONDS);
        List<WorkDoneProgressNotification> reports = events.progressUntilEnd("rec-1");
        assertTrue(((WorkDoneProgressEnd) reports.get(reports.size() - 1)).getMessage().contains("stopped"));

        events.counts.clear();
        server.execute(Recording.CLEAR_COUNTS, List.of(), null).get(10, TimeUnit.SECONDS);
        var cleared = CountsModel.parse(events.counts.poll(10, TimeUnit.SECONDS)).orElseThrow();
        assertEquals(uri, cleared.getKey());
        assertTrue(cleared.getValue().isEmpty());
        assertTrue(server.inlayHints(uri, new Range(new Position(0, 0), new Position(30, 0))).isEmpty());
    }

    @Test
    public void aRecordCallWithoutACommandIsRefusedWithTheServersReason() throws Exception {
        try {
            server.execute(Recording.RECORD, List.of(new com.google.gson.JsonObject()), null).get(10, TimeUnit.SECONDS);
            throw new AssertionError("accepted");
        } catch (ExecutionException e) {
            assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("{command: [argv...]"));
        }
    }
}
