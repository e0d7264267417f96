package tracer.eclipse.client;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.eclipse.lsp4j.ClientCapabilities;
import org.eclipse.lsp4j.ClientInfo;
import org.eclipse.lsp4j.CodeLens;
import org.eclipse.lsp4j.CodeLensCapabilities;
import org.eclipse.lsp4j.CodeLensParams;
import org.eclipse.lsp4j.CodeLensWorkspaceCapabilities;
import org.eclipse.lsp4j.CompletionCapabilities;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionItemCapabilities;
import org.eclipse.lsp4j.CompletionParams;
import org.eclipse.lsp4j.DefinitionCapabilities;
import org.eclipse.lsp4j.DefinitionParams;
import org.eclipse.lsp4j.DidChangeTextDocumentParams;
import org.eclipse.lsp4j.DidChangeWatchedFilesCapabilities;
import org.eclipse.lsp4j.DidCloseTextDocumentParams;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.ExecuteCommandCapabilities;
import org.eclipse.lsp4j.ExecuteCommandParams;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.HoverCapabilities;
import org.eclipse.lsp4j.HoverParams;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializeResult;
import org.eclipse.lsp4j.InitializedParams;
import org.eclipse.lsp4j.InlayHint;
import org.eclipse.lsp4j.InlayHintCapabilities;
import org.eclipse.lsp4j.InlayHintParams;
import org.eclipse.lsp4j.InlayHintWorkspaceCapabilities;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.MarkedString;
import org.eclipse.lsp4j.MarkupKind;
import org.eclipse.lsp4j.MessageActionItem;
import org.eclipse.lsp4j.MessageParams;
import org.eclipse.lsp4j.MessageType;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.ProgressParams;
import org.eclipse.lsp4j.PublishDiagnosticsCapabilities;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.ReferenceContext;
import org.eclipse.lsp4j.ReferenceParams;
import org.eclipse.lsp4j.ReferencesCapabilities;
import org.eclipse.lsp4j.ServerCapabilities;
import org.eclipse.lsp4j.ShowMessageRequestParams;
import org.eclipse.lsp4j.SynchronizationCapabilities;
import org.eclipse.lsp4j.TextDocumentClientCapabilities;
import org.eclipse.lsp4j.TextDocumentContentChangeEvent;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.lsp4j.TextDocumentItem;
import org.eclipse.lsp4j.VersionedTextDocumentIdentifier;
import org.eclipse.lsp4j.WindowClientCapabilities;
import org.eclipse.lsp4j.WorkDoneProgressCreateParams;
import org.eclipse.lsp4j.WorkspaceClientCapabilities;
import org.eclipse.lsp4j.WorkspaceFolder;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageServer;

import com.google.gson.JsonElement;

/**
 * One running `tracer-lsp --stdio` and the lsp4j connection to it: starts the process, runs the
 * initialize handshake with the client capabilities the plug-in implements (snippets, markdown
 * hover, work-done progress, code-lens and inlay-hint refresh), keeps the server's
 * capabilities, and wraps the requests the editor makes into calls that return plain lsp4j
 * data. Knows nothing of Eclipse's UI: the JUnit tests drive it against the real binary.
 */
public final class TracerConnection implements AutoCloseable {
    /** How long an editor request (completion, hover, definition…) may take before it is dropped. */
    public static final long REQUEST_TIMEOUT_MS = 5_000;

    private final Process process;
    private final LanguageServer server;
    private final InitializeResult initialized;
    private final Launcher<LanguageServer> launcher;

    private TracerConnection(Process process, Launcher<LanguageServer> launcher, InitializeResult initialized) {
        this.process = process;
        this.launcher = launcher;
        this.server = launcher.getRemoteProxy();
        this.initialized = initialized;
    }

    /**
     * Starts `command` (the server and its arguments; `--stdio` is appended) in `root` and runs
     * the handshake with `folders` as the workspace folders.
     */
    public static TracerConnection start(List<String> command, File root, List<File> folders, ServerEvents events)
            throws IOException {
        List<String> argv = new ArrayList<>(command);
        argv.add("--stdio");
        ProcessBuilder builder = new ProcessBuilder(argv).directory(root);
        Process process = builder.start();
        Thread stderr = new Thread(() -> forwardStderr(process, events), "tracer-lsp stderr");
        stderr.setDaemon(true);
        stderr.start();
        Launcher<LanguageServer> launcher = new LSPLauncher.Builder<LanguageServer>()
                .setLocalService(new Client(events))
                .setRemoteInterface(LanguageServer.class)
                .setInput(process.getInputStream())
                .setOutput(process.getOutputStream())
                .create();
        launcher.startListening();
        process.onExit().thenAccept(p -> events.exited(p.exitValue()));

        InitializeParams params = new InitializeParams();
        params.setProcessId((int) ProcessHandle.current().pid());
        params.setClientInfo(new ClientInfo("Eclipse (tracer-lsp plug-in)"));
        setRootUri(params, Uris.of(root));
        List<WorkspaceFolder> workspaceFolders = new ArrayList<>();
        for (File folder : folders) {
            workspaceFolders.add(new WorkspaceFolder(Uris.of(folder), folder.getName()));
        }
        params.setWorkspaceFolders(workspaceFolders);
        params.setCapabilities(capabilities());
        try {
            InitializeResult result = launcher.getRemoteProxy().initialize(params).get(30, TimeUnit.SECONDS);
            launcher.getRemoteProxy().initialized(new InitializedParams());
            return new TracerConnection(process, launcher, result);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", argv) + " did not complete the LSP handshake: " + e, e);
        }
    }

    /** rootUri is deprecated in favour of workspace folders, and still read by older servers. */
    @SuppressWarnings("deprecation")
    private static void setRootUri(InitializeParams params, String uri) {
        params.setRootUri(uri);
    }

    /** What the plug-in implements, so the server only sends what it can show. */
    static ClientCapabilities capabilities() {
        TextDocumentClientCapabilities text = new TextDocumentClientCapabilities();
        text.setSynchronization(new SynchronizationCapabilities(false, false, true));
        text.setCompletion(new CompletionCapabilities(new CompletionItemCapabilities(true)));
        text.setHover(new HoverCapabilities(List.of(MarkupKind.MARKDOWN, MarkupKind.PLAINTEXT), false));
        text.setDefinition(new DefinitionCapabilities(false));
        text.setReferences(new ReferencesCapabilities(false));
        text.setPublishDiagnostics(new PublishDiagnosticsCapabilities());
        text.setCodeLens(new CodeLensCapabilities(false));
        text.setInlayHint(new InlayHintCapabilities());
        WorkspaceClientCapabilities workspace = new WorkspaceClientCapabilities();
        workspace.setWorkspaceFolders(true);
        workspace.setExecuteCommand(new ExecuteCommandCapabilities(false));
        workspace.setCodeLens(new CodeLensWorkspaceCapabilities(true));
        workspace.setInlayHint(new InlayHintWorkspaceCapabilities(true));
        workspace.setDidChangeWatchedFiles(new DidChangeWatchedFilesCapabilities(false));
        WindowClientCapabilities window = new WindowClientCapabilities();
        window.setWorkDoneProgress(true);
        ClientCapabilities caps = new ClientCapabilities(workspace, text, null);
        caps.setWindow(window);
        return caps;
    }

    private static void forwardStderr(Process process, ServerEvents events) {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                events.log(MessageType.Log, line);
            }
        } catch (IOException e) {
            // The process ended; its exit is reported by onExit.
        }
    }

    public ServerCapabilities serverCapabilities() {
        return initialized.getCapabilities();
    }

    public String serverVersion() {
        return initialized.getServerInfo() == null ? "?" : initialized.getServerInfo().getVersion();
    }

    /** The commands of the server's `executeCommandProvider`. */
    public List<String> commands() {
        ServerCapabilities caps = initialized.getCapabilities();
        if (caps.getExecuteCommandProvider() == null || caps.getExecuteCommandProvider().getCommands() == null) {
            return List.of();
        }
        return caps.getExecuteCommandProvider().getCommands();
    }

    public boolean supportsCommand(String command) {
        return commands().contains(command);
    }

    public boolean hasCodeLens() {
        return initialized.getCapabilities().getCodeLensProvider() != null;
    }

    public boolean hasInlayHints() {
        Either<Boolean, ?> p = initialized.getCapabilities().getInlayHintProvider();
        return p != null && (p.isRight() || Boolean.TRUE.equals(p.getLeft()));
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The server's process (tests end it to check that the plug-in recovers). */
    public ProcessHandle process() {
        return process.toHandle();
    }

    // ---- documents ---------------------------------------------------------------------------

    public void didOpen(String uri, String languageId, int version, String text) {
        server.getTextDocumentService().didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(uri, languageId,
                version, text)));
    }

    public void didChange(String uri, int version, List<TextDocumentContentChangeEvent> changes) {
        server.getTextDocumentService().didChange(new DidChangeTextDocumentParams(
                new VersionedTextDocumentIdentifier(uri, version), changes));
    }

    public void didClose(String uri) {
        server.getTextDocumentService().didClose(new DidCloseTextDocumentParams(new TextDocumentIdentifier(uri)));
    }

    // ---- requests ----------------------------------------------------------------------------

    private static <T> T await(CompletableFuture<T> future) throws IOException {
        try {
            return future.get(REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause() != null ? e.getCause().getMessage() : e.getMessage(), e);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new IOException("tracer-lsp did not answer within " + REQUEST_TIMEOUT_MS + " ms", e);
        }
    }

    public List<CompletionItem> completion(String uri, Position position) throws IOException {
        var result = await(server.getTextDocumentService().completion(
                new CompletionParams(new TextDocumentIdentifier(uri), position)));
        if (result == null) {
            return List.of();
        }
        return result.isLeft() ? result.getLeft() : result.getRight().getItems();
    }

    /** Declarations (LocationLinks are turned into Locations of their target selection). */
    public List<Location> definition(String uri, Position position) throws IOException {
        var result = await(server.getTextDocumentService().definition(
                new DefinitionParams(new TextDocumentIdentifier(uri), position)));
        List<Location> out = new ArrayList<>();
        if (result != null && result.isLeft()) {
            out.addAll(result.getLeft());
        } else if (result != null) {
            result.getRight().forEach(l -> out.add(new Location(l.getTargetUri(), l.getTargetSelectionRange())));
        }
        return out;
    }

    public List<Location> references(String uri, Position position, boolean includeDeclaration) throws IOException {
        var result = await(server.getTextDocumentService().references(
                new ReferenceParams(new TextDocumentIdentifier(uri), position, new ReferenceContext(includeDeclaration))));
        return result == null ? List.of() : new ArrayList<>(result);
    }

    /** The hover's text as Markdown (plain strings are Markdown too), or null when none. */
    @SuppressWarnings("deprecation") // MarkedString: older servers still send it.
    public String hover(String uri, Position position) throws IOException {
        Hover hover = await(server.getTextDocumentService().hover(
                new HoverParams(new TextDocumentIdentifier(uri), position)));
        if (hover == null || hover.getContents() == null) {
            return null;
        }
        if (hover.getContents().isRight()) {
            return hover.getContents().getRight().getValue();
        }
        StringBuilder text = new StringBuilder();
        for (Either<String, MarkedString> part : hover.getContents().getLeft()) {
            if (text.length() > 0) {
                text.append("\n\n");
            }
            text.append(part.isLeft() ? part.getLeft()
                    : "```" + part.getRight().getLanguage() + "\n" + part.getRight().getValue() + "\n```");
        }
        return text.toString();
    }

    public List<CodeLens> codeLens(String uri) throws IOException {
        if (!hasCodeLens()) {
            return List.of();
        }
        List<? extends CodeLens> lenses = await(server.getTextDocumentService().codeLens(
                new CodeLensParams(new TextDocumentIdentifier(uri))));
        return lenses == null ? List.of() : new ArrayList<>(lenses);
    }

    public List<InlayHint> inlayHints(String uri, Range range) throws IOException {
        if (!hasInlayHints()) {
            return List.of();
        }
        List<InlayHint> hints = await(server.getTextDocumentService().inlayHint(
                new InlayHintParams(new TextDocumentIdentifier(uri), range)));
        return hints == null ? List.of() : hints;
    }

    /** `workspace/executeCommand`, with a work-done token when `token` is not null. */
    public CompletableFuture<Object> execute(String command, List<Object> arguments, String token) {
        ExecuteCommandParams params = new ExecuteCommandParams(command, arguments);
        if (token != null) {
            params.setWorkDoneToken(token);
        }
        return server.getWorkspaceService().executeCommand(params);
    }

    /** shutdown, exit, then the process is waited for (and killed if it lingers). */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                server.shutdown().get(3, TimeUnit.SECONDS);
                server.exit();
            }
        } catch (Exception e) {
            // Ending anyway.
        }
        try {
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(3, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** The client side of the protocol: forwards to {@link ServerEvents}. */
    private static final class Client implements TracerLanguageClient {
        private final ServerEvents events;

        Client(ServerEvents events) {
            this.events = events;
        }

        @Override
        public void counts(JsonElement params) {
            events.counts(params);
        }

        @Override
        public void telemetryEvent(Object object) {
        }

        @Override
        public void publishDiagnostics(PublishDiagnosticsParams diagnostics) {
            events.diagnostics(diagnostics);
        }

        @Override
        public void showMessage(MessageParams message) {
            events.message(message.getType(), message.getMessage());
        }

        @Override
        public CompletableFuture<MessageActionItem> showMessageRequest(ShowMessageRequestParams request) {
            events.message(request.getType(), request.getMessage());
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void logMessage(MessageParams message) {
            events.log(message.getType(), message.getMessage());
        }

        @Override
        public CompletableFuture<Void> createProgress(WorkDoneProgressCreateParams params) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void notifyProgress(ProgressParams params) {
            if (params.getValue() != null && params.getValue().isLeft() && params.getToken() != null) {
                String token = params.getToken().isLeft() ? params.getToken().getLeft()
                        : String.valueOf(params.getToken().getRight());
                events.progress(token, params.getValue().getLeft());
            }
        }

        @Override
        public CompletableFuture<Void> refreshCodeLenses() {
            events.refreshAnnotations();
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> refreshInlayHints() {
            events.refreshAnnotations();
            return CompletableFuture.completedFuture(null);
        }
    }
}
