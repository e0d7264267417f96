package tracer.eclipse.ui;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.eclipse.core.commands.AbstractHandler;
import org.eclipse.core.commands.ExecutionEvent;
import org.eclipse.core.resources.IFile;
import org.eclipse.jface.dialogs.InputDialog;
import org.eclipse.jface.dialogs.MessageDialog;
import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.ITextSelection;
import org.eclipse.jface.window.Window;
import org.eclipse.search.ui.NewSearchUI;
import org.eclipse.swt.widgets.DirectoryDialog;
import org.eclipse.swt.widgets.Display;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.ui.IEditorPart;
import org.eclipse.ui.PartInitException;
import org.eclipse.ui.PlatformUI;
import org.eclipse.ui.handlers.HandlerUtil;
import org.eclipse.ui.texteditor.ITextEditor;

import tracer.eclipse.client.CommandLine;
import tracer.eclipse.client.Recording;
import tracer.eclipse.client.TextPositions;
import tracer.eclipse.ui.search.ReferencesQuery;

/** The handlers of the Tracer menu's commands (plugin.xml names them `Handlers$Name`). */
public final class Handlers {
    /** The optional parameter of the Record command: the command line, skipping the dialog. */
    public static final String COMMAND_LINE_PARAMETER = "tracer.eclipse.record.commandLine";
    /** The optional parameter of the Attach command: the live session's URL, skipping the dialog. */
    public static final String URL_PARAMETER = "tracer.eclipse.attach.url";

    private Handlers() {
    }

    static void error(String message) {
        Display.getDefault().asyncExec(() -> MessageDialog.openError(null, "Tracer", message));
    }

    /** Reports a failed future's reason in a dialog. */
    static <T> CompletableFuture<T> reportFailure(CompletableFuture<T> future) {
        return future.whenComplete((r, e) -> {
            if (e != null) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                error(cause.getMessage());
            }
        });
    }

    /** The folder a recording runs in: the active file's project, else the first project. */
    static File workingDirectory(ExecutionEvent event) {
        IEditorPart editor = event == null ? null : HandlerUtil.getActiveEditor(event);
        IFile file = editor == null ? null : editor.getEditorInput().getAdapter(IFile.class);
        if (file != null && file.getProject().getLocation() != null) {
            return file.getProject().getLocation().toFile();
        }
        return ServerManager.projectFolders().get(0);
    }

    /** Record…: asks for a command line (or takes the command's parameter) and records it. */
    public static final class Record extends AbstractHandler {
        @Override
        public Object execute(ExecutionEvent event) {
            RecordingController recording = TracerPlugin.get().recording();
            String line = event.getParameter(COMMAND_LINE_PARAMETER);
            if (line == null) {
                line = ask(HandlerUtil.getActiveShell(event));
                if (line == null) {
                    return null;
                }
            }
            File cwd = workingDirectory(event);
            String commandLine = line;
            CompletableFuture.runAsync(() -> reportFailure(recording.record(commandLine, cwd)));
            showView();
            return null;
        }

        private static String ask(Shell shell) {
            String fromPrefs = Prefs.store().getString(Prefs.RECORD_COMMAND).trim();
            List<String> history = Prefs.history();
            String proposal = !fromPrefs.isEmpty() ? fromPrefs : history.isEmpty() ? "" : history.get(0);
            String message = "Command line of the program to record (run from the project folder, without a shell;"
                    + " quotes and backslashes work as in a shell, NAME=value words set the environment)."
                    + (history.isEmpty() ? "" : "\nRecent: " + String.join("   |   ", history));
            InputDialog dialog = new InputDialog(shell, "Tracer: Record", message, proposal, text -> {
                try {
                    CommandLine.parse(text, System.getProperty("user.home"));
                    return null;
                } catch (CommandLine.Invalid e) {
                    return e.getMessage();
                }
            });
            return dialog.open() == Window.OK ? dialog.getValue() : null;
        }
    }

    /**
     * Attach to Live Session…: asks for the URL of a session a relay serves (a program recorded on
     * a board and streamed to the host, say) and shows its counts as they arrive.
     */
    public static final class Attach extends AbstractHandler {
        @Override
        public Object execute(ExecutionEvent event) {
            String url = event.getParameter(URL_PARAMETER);
            if (url == null) {
                InputDialog dialog = new InputDialog(HandlerUtil.getActiveShell(event), "Tracer: Attach to Live Session",
                        "URL of a live session served by `tracer-lsp relay` (or lttng-relayd):"
                                + " net://HOST[:PORT]/host/HOSTNAME/SESSION",
                        Prefs.store().getString(Prefs.LIVE_URL), Recording::liveUrlProblem);
                if (dialog.open() != Window.OK) {
                    return null;
                }
                url = dialog.getValue();
            }
            RecordingController recording = TracerPlugin.get().recording();
            String liveUrl = url;
            CompletableFuture.runAsync(() -> reportFailure(recording.attach(liveUrl)));
            showView();
            return null;
        }
    }

    public static final class Stop extends AbstractHandler {
        @Override
        public Object execute(ExecutionEvent event) {
            CompletableFuture.runAsync(() -> reportFailure(TracerPlugin.get().recording().stop()));
            return null;
        }
    }

    /** Open Trace…: a CTF trace directory (ours or LTTng's) becomes the current counts. */
    public static final class OpenTrace extends AbstractHandler {
        @Override
        public Object execute(ExecutionEvent event) {
            DirectoryDialog dialog = new DirectoryDialog(HandlerUtil.getActiveShell(event));
            dialog.setText("Tracer: Open Trace");
            dialog.setMessage("A CTF trace directory (recorded by tracer-lsp or LTTng)");
            String last = TracerPlugin.get().recording().lastTrace();
            dialog.setFilterPath(last != null ? last : workingDirectory(event).getPath());
            String path = dialog.open();
            if (path != null) {
                CompletableFuture.runAsync(() -> reportFailure(TracerPlugin.get().recording().openTrace(path)));
                showView();
            }
            return null;
        }
    }

    public static final class ClearCounts extends AbstractHandler {
        @Override
        public Object execute(ExecutionEvent event) {
            TracerPlugin.get().recording().clearCounts();
            return null;
        }
    }

    /** Toggle Heat Map: the heat-map preference, flipped. */
    public static final class ToggleHeatMap extends AbstractHandler {
        @Override
        public Object execute(ExecutionEvent event) {
            Prefs.store().setValue(Prefs.HEAT_MAP_ENABLED, !Prefs.store().getBoolean(Prefs.HEAT_MAP_ENABLED));
            return null;
        }
    }

    public static final class RestartServer extends AbstractHandler {
        @Override
        public Object execute(ExecutionEvent event) {
            TracerPlugin.get().servers().restart();
            return null;
        }
    }

    /** Open in Trace Compass: the last trace (or one picked) in an installed Trace Compass. */
    public static final class OpenInTraceCompass extends AbstractHandler {
        @Override
        public Object execute(ExecutionEvent event) {
            String configured = Prefs.store().getString(Prefs.TRACE_COMPASS_PATH).trim();
            String launcher = !configured.isEmpty() ? configured : onPath("tracecompass");
            if (launcher == null || !new File(launcher).canExecute()) {
                MessageDialog.openInformation(HandlerUtil.getActiveShell(event), "Tracer",
                        "Trace Compass was not found (" + (configured.isEmpty() ? "no tracecompass on PATH"
                                : configured + " is not executable") + "). Install Trace Compass, or set its launcher"
                                + " in Preferences > Tracer; it reads tracer-lsp's CTF traces directly.");
                return null;
            }
            String trace = TracerPlugin.get().recording().lastTrace();
            if (trace == null) {
                DirectoryDialog dialog = new DirectoryDialog(HandlerUtil.getActiveShell(event));
                dialog.setText("Open in Trace Compass");
                dialog.setMessage("A CTF trace directory");
                trace = dialog.open();
                if (trace == null) {
                    return null;
                }
            }
            try {
                new ProcessBuilder(launcher, "--open", trace).inheritIO().start();
            } catch (IOException e) {
                error("cannot start Trace Compass (" + launcher + "): " + e.getMessage());
            }
            return null;
        }
    }

    static String onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            File candidate = new File(dir, name);
            if (!dir.isEmpty() && candidate.isFile() && candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        return null;
    }

    /** Find References: the event under the caret, into the Search view. */
    public static final class FindReferences extends AbstractHandler {
        @Override
        public Object execute(ExecutionEvent event) {
            IEditorPart editor = HandlerUtil.getActiveEditor(event);
            if (!(editor instanceof ITextEditor text)) {
                return null;
            }
            IDocument document = text.getDocumentProvider().getDocument(text.getEditorInput());
            DocumentSync.Tracked tracked = TracerPlugin.get().documents().of(document);
            if (tracked == null) {
                return null;
            }
            ITextSelection selection = (ITextSelection) text.getSelectionProvider().getSelection();
            try {
                var word = DefinitionHyperlinks.word(document, selection.getOffset());
                String name = document.get(word.getOffset(), word.getLength());
                NewSearchUI.runQueryInBackground(new ReferencesQuery("References to " + name, tracked.uri,
                        TextPositions.position(document, selection.getOffset())));
            } catch (BadLocationException e) {
                return null;
            }
            return null;
        }
    }

    static void showView() {
        Display.getDefault().asyncExec(() -> {
            try {
                PlatformUI.getWorkbench().getActiveWorkbenchWindow().getActivePage().showView(TracerView.ID);
            } catch (PartInitException | NullPointerException e) {
                TracerPlugin.warn("cannot show the Tracer view", e);
            }
        });
    }
}
