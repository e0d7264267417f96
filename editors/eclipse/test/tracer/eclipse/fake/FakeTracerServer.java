package tracer.eclipse.fake;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.Document;
import org.eclipse.lsp4j.CodeLens;
import org.eclipse.lsp4j.CodeLensOptions;
import org.eclipse.lsp4j.CodeLensParams;
import org.eclipse.lsp4j.Command;
import org.eclipse.lsp4j.DidChangeConfigurationParams;
import org.eclipse.lsp4j.DidChangeTextDocumentParams;
import org.eclipse.lsp4j.DidChangeWatchedFilesParams;
import org.eclipse.lsp4j.DidCloseTextDocumentParams;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.DidSaveTextDocumentParams;
import org.eclipse.lsp4j.ExecuteCommandOptions;
import org.eclipse.lsp4j.ExecuteCommandParams;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializeResult;
import org.eclipse.lsp4j.InlayHint;
import org.eclipse.lsp4j.InlayHintParams;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.ProgressParams;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.ServerCapabilities;
import org.eclipse.lsp4j.ServerInfo;
import org.eclipse.lsp4j.TextDocumentContentChangeEvent;
import org.eclipse.lsp4j.TextDocumentSyncKind;
import org.eclipse.lsp4j.WorkDoneProgressBegin;
import org.eclipse.lsp4j.WorkDoneProgressEnd;
import org.eclipse.lsp4j.WorkDoneProgressNotification;
import org.eclipse.lsp4j.WorkDoneProgressReport;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.lsp4j.jsonrpc.messages.ResponseError;
import org.eclipse.lsp4j.jsonrpc.messages.ResponseErrorCode;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageServer;
import org.eclipse.lsp4j.services.TextDocumentService;
import org.eclipse.lsp4j.services.WorkspaceService;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import tracer.eclipse.client.Figures;
import tracer.eclipse.client.Recording;
import tracer.eclipse.client.SiteCount;
import tracer.eclipse.client.TextPositions;
import tracer.eclipse.client.TracerLanguageClient;

/**
 * A scripted stand-in for a `tracer-lsp` that records, for what a short real recording of the C
 * example cannot show deterministically: large counts and live rates while a recording runs,
 * distinct heat levels, and stopping in the middle. It speaks LSP on stdio and follows the
 * recording protocol (`tracer.record` and friends, `tracer/counts`, inlay hints, code lenses,
 * refresh requests), but runs nothing: after
 * `tracer.record` it "counts" every `tracepoint(` line of the open documents on a timer (site k,
 * in source order, gains (k + 1) × 100 events per tick, 4 ticks a second, for 12 ticks), reports
 * `$/progress`, sends `tracer/counts`, answers inlay hints at the ends of those lines and a code
 * lens with the file's total, and asks the client to refresh them. The counts are made up; the
 * lines are the documents' real probe-site lines.
 *
 * Usage: java -cp ... tracer.eclipse.fake.FakeTracerServer [--stdio]
 */
public final class FakeTracerServer implements LanguageServer {
    static final int TICKS = 12;
    static final long TICK_MS = 250;

    private final Map<String, Document> documents = new LinkedHashMap<>();
    /** Counts per document per 0-based line. */
    private final Map<String, Map<Integer, SiteCount>> counts = new LinkedHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fake recording");
        t.setDaemon(true);
        return t;
    });
    private TracerLanguageClient client;
    private ScheduledFuture<?> recording;
    private String token;
    private int tick;
    private int recordings;

    public static void main(String[] args) throws Exception {
        FakeTracerServer server = new FakeTracerServer();
        Launcher<TracerLanguageClient> launcher = new LSPLauncher.Builder<TracerLanguageClient>()
                .setLocalService(server)
                .setRemoteInterface(TracerLanguageClient.class)
                .setInput(System.in)
                .setOutput(System.out)
                .create();
        server.client = launcher.getRemoteProxy();
        launcher.startListening().get();
        System.exit(0);
    }

    @Override
    public CompletableFuture<InitializeResult> initialize(InitializeParams params) {
        ServerCapabilities caps = new ServerCapabilities();
        caps.setTextDocumentSync(TextDocumentSyncKind.Incremental);
        caps.setCodeLensProvider(new CodeLensOptions(false));
        caps.setInlayHintProvider(true);
        caps.setExecuteCommandProvider(new ExecuteCommandOptions(List.of(Recording.SHOW_REFERENCES, Recording.RECORD,
                Recording.STOP, Recording.OPEN_TRACE, Recording.CLEAR_COUNTS)));
        return CompletableFuture.completedFuture(new InitializeResult(caps, new ServerInfo("fake-tracer-lsp", "0")));
    }

    @Override
    public CompletableFuture<Object> shutdown() {
        timer.shutdownNow();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void exit() {
        System.exit(0);
    }

    @Override
    public TextDocumentService getTextDocumentService() {
        return text;
    }

    @Override
    public WorkspaceService getWorkspaceService() {
        return workspace;
    }

    private final TextDocumentService text = new TextDocumentService() {
        @Override
        public void didOpen(DidOpenTextDocumentParams params) {
            FakeTracerServer.this.didOpen(params);
        }

        @Override
        public void didChange(DidChangeTextDocumentParams params) {
            FakeTracerServer.this.didChange(params);
        }

        @Override
        public void didClose(DidCloseTextDocumentParams params) {
            FakeTracerServer.this.didClose(params);
        }

        @Override
        public void didSave(DidSaveTextDocumentParams params) {
        }

        @Override
        public CompletableFuture<List<InlayHint>> inlayHint(InlayHintParams params) {
            return FakeTracerServer.this.inlayHint(params);
        }

        @Override
        public CompletableFuture<List<? extends CodeLens>> codeLens(CodeLensParams params) {
            return FakeTracerServer.this.codeLens(params);
        }
    };

    private final WorkspaceService workspace = new WorkspaceService() {
        @Override
        public CompletableFuture<Object> executeCommand(ExecuteCommandParams params) {
            return FakeTracerServer.this.executeCommand(params);
        }

        @Override
        public void didChangeConfiguration(DidChangeConfigurationParams params) {
        }

        @Override
        public void didChangeWatchedFiles(DidChangeWatchedFilesParams params) {
        }
    };

    // ---- documents ----------------------------------------------------------------------------

    synchronized void didOpen(DidOpenTextDocumentParams params) {
        documents.put(params.getTextDocument().getUri(), new Document(params.getTextDocument().getText()));
    }

    synchronized void didChange(DidChangeTextDocumentParams params) {
        Document document = documents.get(params.getTextDocument().getUri());
        if (document == null) {
            return;
        }
        for (TextDocumentContentChangeEvent change : params.getContentChanges()) {
            try {
                if (change.getRange() == null) {
                    document.set(change.getText());
                } else {
                    int start = TextPositions.offset(document, change.getRange().getStart());
                    int end = TextPositions.offset(document, change.getRange().getEnd());
                    document.replace(start, end - start, change.getText());
                }
            } catch (BadLocationException e) {
                document.set("");
            }
        }
    }

    synchronized void didClose(DidCloseTextDocumentParams params) {
        documents.remove(params.getTextDocument().getUri());
    }

    /** The 0-based lines of a document that fire a probe. */
    private static List<Integer> siteLines(Document document) {
        List<Integer> lines = new ArrayList<>();
        for (int line = 0; line < document.getNumberOfLines(); line++) {
            try {
                String text = document.get(document.getLineOffset(line), document.getLineLength(line));
                if (text.contains("tracepoint(") && !text.trim().startsWith("#")) {
                    lines.add(line);
                }
            } catch (BadLocationException e) {
                break;
            }
        }
        return lines;
    }

    // ---- annotations --------------------------------------------------------------------------

    synchronized CompletableFuture<List<InlayHint>> inlayHint(InlayHintParams params) {
        List<InlayHint> hints = new ArrayList<>();
        Document document = documents.get(params.getTextDocument().getUri());
        Map<Integer, SiteCount> sites = counts.getOrDefault(params.getTextDocument().getUri(), Map.of());
        for (SiteCount site : sites.values()) {
            try {
                int end = TextPositions.endOfLine(document, site.line());
                InlayHint hint = new InlayHint(TextPositions.position(document, end),
                        Either.forLeft(Figures.afterLine(site)));
                hint.setPaddingLeft(true);
                hints.add(hint);
            } catch (BadLocationException | NullPointerException e) {
                // The document changed: no hint for that line.
            }
        }
        return CompletableFuture.completedFuture(hints);
    }

    synchronized CompletableFuture<List<? extends CodeLens>> codeLens(CodeLensParams params) {
        Map<Integer, SiteCount> sites = counts.getOrDefault(params.getTextDocument().getUri(), Map.of());
        if (sites.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        double total = sites.values().stream().mapToDouble(SiteCount::count).sum();
        Range top = new Range(new Position(0, 0), new Position(0, 0));
        return CompletableFuture.completedFuture(List.of(new CodeLens(top,
                new Command(Figures.count(total) + " events in this file (fake server)", ""), null)));
    }

    // ---- commands -----------------------------------------------------------------------------

    synchronized CompletableFuture<Object> executeCommand(ExecuteCommandParams params) {
        switch (params.getCommand()) {
            case Recording.RECORD:
                return CompletableFuture.completedFuture(record(params));
            case Recording.STOP:
                finish("stopped");
                return CompletableFuture.completedFuture(null);
            case Recording.CLEAR_COUNTS:
                for (String uri : counts.keySet()) {
                    client.counts(countsParams(uri, Map.of()));
                }
                counts.clear();
                refresh();
                return CompletableFuture.completedFuture(null);
            case Recording.OPEN_TRACE:
                return CompletableFuture.failedFuture(error("the fake server reads no traces"));
            default:
                return CompletableFuture.failedFuture(error("unknown command `" + params.getCommand() + "`"));
        }
    }

    private static ResponseErrorException error(String message) {
        return new ResponseErrorException(new ResponseError(ResponseErrorCode.InvalidParams, message, null));
    }

    private Object record(ExecuteCommandParams params) {
        List<Object> args = params.getArguments();
        if (args == null || args.size() != 1 || !(args.get(0) instanceof JsonObject arg)
                || !(arg.get("command") instanceof JsonArray argv) || argv.isEmpty()) {
            throw error("tracer.record takes one argument {command: [argv...], cwd?, env?, mode?, enable?}");
        }
        if (recording != null) {
            throw error("a recording is already running");
        }
        token = params.getWorkDoneToken() == null ? null
                : params.getWorkDoneToken().isLeft() ? params.getWorkDoneToken().getLeft()
                        : String.valueOf(params.getWorkDoneToken().getRight());
        tick = 0;
        counts.clear();
        String program = argv.get(0).getAsString();
        WorkDoneProgressBegin begin = new WorkDoneProgressBegin();
        begin.setTitle("Recording " + program);
        begin.setMessage("0 events, 0/s, 0 lost");
        progress(begin);
        recording = timer.scheduleAtFixedRate(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        JsonObject result = new JsonObject();
        result.addProperty("id", "fake-" + ++recordings);
        return result;
    }

    private synchronized void tick() {
        tick++;
        double rate = 0;
        double total = 0;
        for (Map.Entry<String, Document> doc : documents.entrySet()) {
            List<Integer> lines = siteLines(doc.getValue());
            Map<Integer, SiteCount> sites = new LinkedHashMap<>();
            for (int k = 0; k < lines.size(); k++) {
                double perTick = (k + 1) * 100.0;
                sites.put(lines.get(k), new SiteCount(lines.get(k), perTick * tick, perTick * 1000 / TICK_MS));
                rate += perTick * 1000 / TICK_MS;
                total += perTick * tick;
            }
            if (!sites.isEmpty()) {
                counts.put(doc.getKey(), sites);
                client.counts(countsParams(doc.getKey(), sites));
            }
        }
        WorkDoneProgressReport report = new WorkDoneProgressReport();
        report.setMessage(Figures.count(total) + " events, " + Figures.rate(rate) + ", 0 lost");
        progress(report);
        refresh();
        if (tick >= TICKS) {
            finish("the program exited");
        }
    }

    private synchronized void finish(String why) {
        if (recording == null) {
            return;
        }
        recording.cancel(false);
        recording = null;
        double total = counts.values().stream().flatMap(m -> m.values().stream()).mapToDouble(SiteCount::count).sum();
        for (Map.Entry<String, Map<Integer, SiteCount>> doc : counts.entrySet()) {
            Map<Integer, SiteCount> idle = new LinkedHashMap<>();
            doc.getValue().forEach((line, s) -> idle.put(line, new SiteCount(line, s.count(), 0)));
            doc.setValue(idle);
            client.counts(countsParams(doc.getKey(), idle));
        }
        WorkDoneProgressEnd end = new WorkDoneProgressEnd();
        end.setMessage(Figures.count(total) + " events, 0 lost (" + why + ")");
        progress(end);
        refresh();
    }

    private void progress(WorkDoneProgressNotification notification) {
        if (token != null) {
            client.notifyProgress(new ProgressParams(Either.forLeft(token), Either.forLeft(notification)));
        }
    }

    private void refresh() {
        client.refreshInlayHints();
        client.refreshCodeLenses();
    }

    private static JsonElement countsParams(String uri, Map<Integer, SiteCount> sites) {
        JsonObject params = new JsonObject();
        params.addProperty("uri", uri);
        JsonArray array = new JsonArray();
        for (SiteCount s : sites.values()) {
            JsonObject site = new JsonObject();
            site.addProperty("line", s.line());
            site.addProperty("count", s.count());
            site.addProperty("rate", s.rate());
            array.add(site);
        }
        params.add("sites", array);
        return params;
    }
}
