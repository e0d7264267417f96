package tracer.eclipse.ui;

import java.io.File;
import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.eclipse.core.resources.IProject;
import org.eclipse.core.resources.IResourceChangeEvent;
import org.eclipse.core.resources.IResourceChangeListener;
import org.eclipse.core.resources.IResourceDelta;
import org.eclipse.core.resources.ResourcesPlugin;
import org.eclipse.core.runtime.IPath;
import org.eclipse.core.runtime.IStatus;
import org.eclipse.jface.dialogs.MessageDialog;
import org.eclipse.lsp4j.MessageType;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.WorkDoneProgressNotification;
import org.eclipse.swt.widgets.Display;
import org.eclipse.ui.PlatformUI;

import com.google.gson.JsonElement;

import tracer.eclipse.client.CommandLine;
import tracer.eclipse.client.CountsModel;
import tracer.eclipse.client.ServerDiscovery;
import tracer.eclipse.client.ServerEvents;
import tracer.eclipse.client.TracerConnection;

/**
 * Owns the one `tracer-lsp` of the workbench: finds it (Preferences > Tracer, else PATH), starts
 * it off the UI thread with the workspace's open projects as workspace folders, restarts it when
 * the projects or the preferences change, and routes what it sends to the plug-in's parts. The
 * server's log goes to `tracer-lsp.log` in the plug-in's state folder.
 */
public final class ServerManager implements ServerEvents, IResourceChangeListener {
    private final DocumentSync documents;
    private CompletableFuture<TracerConnection> current;
    private List<File> folders = List.of();
    private String lastProblem;
    private PrintWriter log;

    ServerManager(DocumentSync documents) {
        this.documents = documents;
        ResourcesPlugin.getWorkspace().addResourceChangeListener(this, IResourceChangeEvent.POST_CHANGE);
        Prefs.store().addPropertyChangeListener(e -> {
            if (Prefs.SERVER_PATH.equals(e.getProperty()) || Prefs.SERVER_ARGS.equals(e.getProperty())) {
                restart();
            }
        });
    }

    /** The log file of the server (its stderr and window/logMessage). */
    public File logFile() {
        IPath state = TracerPlugin.get().getStateLocation();
        return state.append("tracer-lsp.log").toFile();
    }

    private synchronized void writeLog(String line) {
        try {
            if (log == null) {
                log = new PrintWriter(new FileWriter(logFile(), true), true);
            }
            log.println(line);
        } catch (IOException e) {
            // Logging must never break the editor.
        }
    }

    /** The workspace folders: the locations of the open projects (the workspace root if none). */
    static List<File> projectFolders() {
        List<File> out = new ArrayList<>();
        for (IProject p : ResourcesPlugin.getWorkspace().getRoot().getProjects()) {
            if (p.isOpen() && p.getLocation() != null) {
                out.add(p.getLocation().toFile());
            }
        }
        if (out.isEmpty()) {
            out.add(ResourcesPlugin.getWorkspace().getRoot().getLocation().toFile());
        }
        return out;
    }

    /** Starts the server unless it runs or is starting; returns the pending connection. */
    public synchronized CompletableFuture<TracerConnection> startAsync() {
        if (current != null && !(current.isDone() && (current.isCompletedExceptionally() || !current.join().isAlive()))) {
            return current;
        }
        CompletableFuture<TracerConnection> future = new CompletableFuture<>();
        current = future;
        Thread starter = new Thread(() -> {
            try {
                TracerConnection connection = launch();
                synchronized (ServerManager.this) {
                    if (current != future) {
                        connection.close();
                        return;
                    }
                }
                documents.attach(connection);
                future.complete(connection);
                TracerPlugin.get().recording().serverChanged(connection);
            } catch (IOException | RuntimeException e) {
                future.completeExceptionally(e);
                problem(e.getMessage());
            }
        }, "tracer-lsp start");
        starter.setDaemon(true);
        starter.start();
        return future;
    }

    private TracerConnection launch() throws IOException {
        String configured = Prefs.store().getString(Prefs.SERVER_PATH);
        ServerDiscovery.Result found = ServerDiscovery.find(configured, System.getenv("PATH"),
                System.getProperty("user.home"), f -> new File(f).isFile() && new File(f).canExecute());
        if (!found.found()) {
            throw new IOException(found.missing());
        }
        List<String> command = new ArrayList<>();
        command.add(found.path());
        String args = Prefs.store().getString(Prefs.SERVER_ARGS);
        if (!args.isBlank()) {
            try {
                command.addAll(CommandLine.parse(args, System.getProperty("user.home")).argv());
            } catch (CommandLine.Invalid e) {
                throw new IOException("the server arguments in Preferences > Tracer are invalid: " + e.getMessage());
            }
        }
        List<File> roots = projectFolders();
        synchronized (this) {
            folders = roots;
        }
        File root = ResourcesPlugin.getWorkspace().getRoot().getLocation().toFile();
        writeLog("[client] starting " + String.join(" ", command) + " --stdio (found via " + found.source()
                + ") for " + roots);
        TracerConnection connection = TracerConnection.start(command, root, roots, this);
        writeLog("[client] started tracer-lsp " + connection.serverVersion() + ", commands " + connection.commands());
        return connection;
    }

    /** The running connection, waiting up to `timeoutMs` for a start; null when there is none. */
    public TracerConnection await(long timeoutMs) {
        try {
            TracerConnection c = startAsync().get(timeoutMs, TimeUnit.MILLISECONDS);
            return c.isAlive() ? c : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** The connection if it is up now; never waits (for the UI thread). */
    public TracerConnection now() {
        CompletableFuture<TracerConnection> f;
        synchronized (this) {
            f = current;
        }
        if (f == null || !f.isDone() || f.isCompletedExceptionally()) {
            startAsync();
            return null;
        }
        TracerConnection c = f.join();
        if (!c.isAlive()) {
            startAsync();
            return null;
        }
        return c;
    }

    /** The last reason the server could not start, or null. */
    public synchronized String lastProblem() {
        return lastProblem;
    }

    public void restart() {
        CompletableFuture<TracerConnection> old;
        synchronized (this) {
            old = current;
            current = null;
        }
        documents.attach(null);
        if (old != null) {
            old.thenAccept(TracerConnection::close);
        }
        startAsync();
    }

    void shutdown() {
        ResourcesPlugin.getWorkspace().removeResourceChangeListener(this);
        CompletableFuture<TracerConnection> old;
        synchronized (this) {
            old = current;
            current = null;
        }
        if (old != null && old.isDone() && !old.isCompletedExceptionally()) {
            old.join().close();
        }
        synchronized (this) {
            if (log != null) {
                log.close();
            }
        }
    }

    private void problem(String message) {
        synchronized (this) {
            if (message != null && message.equals(lastProblem)) {
                return;
            }
            lastProblem = message;
        }
        writeLog("[client] " + message);
        TracerPlugin.log(IStatus.ERROR, "Tracer: " + message, null);
        if (PlatformUI.isWorkbenchRunning()) {
            Display.getDefault().asyncExec(() -> MessageDialog.openError(null, "Tracer", message));
        }
    }

    // ---- the projects ---------------------------------------------------------------------

    @Override
    public void resourceChanged(IResourceChangeEvent event) {
        IResourceDelta delta = event.getDelta();
        if (delta == null) {
            return;
        }
        boolean projectsChanged = false;
        for (IResourceDelta child : delta.getAffectedChildren()) {
            if ((child.getKind() & (IResourceDelta.ADDED | IResourceDelta.REMOVED)) != 0
                    || (child.getFlags() & IResourceDelta.OPEN) != 0) {
                projectsChanged = true;
            }
        }
        boolean running;
        synchronized (this) {
            running = current != null;
        }
        if (projectsChanged && running && !projectFolders().equals(folders)) {
            // The server reads its workspace folders at start-up.
            restart();
        }
    }

    // ---- ServerEvents ---------------------------------------------------------------------

    @Override
    public void diagnostics(PublishDiagnosticsParams params) {
        Markers.publish(params, documents);
    }

    @Override
    public void counts(JsonElement params) {
        var parsed = CountsModel.parse(params);
        if (parsed.isEmpty()) {
            writeLog("[client] ignored a malformed tracer/counts notification: " + params);
            return;
        }
        TracerPlugin.get().counts().update(tracer.eclipse.client.Uris.normalize(parsed.get().getKey()),
                parsed.get().getValue());
    }

    @Override
    public void progress(String token, WorkDoneProgressNotification report) {
        TracerPlugin.get().recording().progress(token, report);
    }

    @Override
    public void log(MessageType type, String message) {
        writeLog("[" + type + "] " + message);
    }

    @Override
    public void message(MessageType type, String message) {
        writeLog("[" + type + "] " + message);
        if (type == MessageType.Error || type == MessageType.Warning) {
            TracerPlugin.log(type == MessageType.Error ? IStatus.ERROR : IStatus.WARNING, "tracer-lsp: " + message, null);
        }
    }

    @Override
    public void refreshAnnotations() {
        CodeMinings.refreshAll();
    }

    @Override
    public void exited(int code) {
        writeLog("[client] tracer-lsp exited with status " + code);
        CompletableFuture<TracerConnection> f;
        synchronized (this) {
            f = current;
        }
        // The current server died (not one replaced by a restart): stop sending it documents;
        // the next request starts a new one, which gets them all.
        if (f != null && f.isDone() && !f.isCompletedExceptionally() && !f.join().isAlive()) {
            documents.attach(null);
        }
    }
}
