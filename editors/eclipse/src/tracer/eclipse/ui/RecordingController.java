package tracer.eclipse.ui;

import java.io.File;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.Status;
import org.eclipse.core.runtime.jobs.Job;
import org.eclipse.lsp4j.WorkDoneProgressBegin;
import org.eclipse.lsp4j.WorkDoneProgressEnd;
import org.eclipse.lsp4j.WorkDoneProgressNotification;
import org.eclipse.lsp4j.WorkDoneProgressReport;

import com.google.gson.JsonPrimitive;

import tracer.eclipse.client.CommandLine;
import tracer.eclipse.client.CountsModel;
import tracer.eclipse.client.Figures;
import tracer.eclipse.client.Recording;
import tracer.eclipse.client.ServerDiscovery;
import tracer.eclipse.client.TracerConnection;

/**
 * The recording state behind the Tracer menu, toolbar and view: starts a recording through
 * `tracer.record`, or follows a live session through `tracer.attach` (either with a work-done
 * token whose `$/progress` reports feed the status line), stops it, opens a trace, clears
 * counts, and remembers the last trace directory for Trace Compass. Every action checks that the server advertises the command it needs and says which
 * one is missing otherwise.
 */
public final class RecordingController {
    public enum State {
        IDLE, STARTING, RECORDING
    }

    /** The family of the job that shows a running recording in the Progress view. */
    public static final Object JOB_FAMILY = RecordingController.class;

    private final ServerManager servers;
    private final CountsModel counts;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private State state = State.IDLE;
    /** What is recorded or followed: the command line, or the live session's URL. */
    private String commandLine;
    /** "Recording" or "Following", and "Recorded" or "Followed", for the status line. */
    private String doing = "Recording";
    private String done = "Recorded";
    private JsonPrimitive id;
    private String token;
    private String status = "";
    private String lastTrace;
    private Figures.Progress figures;

    RecordingController(ServerManager servers, CountsModel counts) {
        this.servers = servers;
        this.counts = counts;
    }

    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    private void changed() {
        listeners.forEach(Runnable::run);
    }

    public synchronized State state() {
        return state;
    }

    /** One line for the Tracer view: what is recording and its figures, or the last outcome. */
    public synchronized String status() {
        return status;
    }

    public synchronized String lastTrace() {
        return lastTrace;
    }

    /**
     * The running server when it advertises `command`; else an exception saying why not (no
     * server, or which command this one lacks).
     */
    private TracerConnection require(String command) {
        TracerConnection connection = servers.await(15_000);
        if (connection == null) {
            String why = servers.lastProblem();
            throw new IllegalStateException("the tracer-lsp language server is not running"
                    + (why == null ? "." : ": " + why));
        }
        if (!connection.supportsCommand(command)) {
            throw new IllegalStateException("this tracer-lsp (" + connection.serverVersion() + ") does not support \""
                    + command + "\" yet: it advertises " + connection.commands() + ". Update tracer-lsp (from a"
                    + " checkout: " + ServerDiscovery.INSTALL_COMMAND + ").");
        }
        return connection;
    }

    /** Called when a (new) server is up: a recording of the old one is over. */
    void serverChanged(TracerConnection connection) {
        synchronized (this) {
            if (state == State.IDLE) {
                return;
            }
            state = State.IDLE;
            status = "The language server restarted; the recording ended.";
        }
        changed();
    }

    /**
     * Starts recording `line` (parsed like a shell command, run without one) from `cwd`. The
     * future completes with the recording id when the server accepted it, or fails with the reason.
     */
    public CompletableFuture<JsonPrimitive> record(String line, File cwd) {
        TracerConnection connection;
        try {
            connection = require(Recording.RECORD);
        } catch (IllegalStateException e) {
            return CompletableFuture.failedFuture(e);
        }
        CommandLine.Parsed parsed;
        try {
            parsed = CommandLine.parse(line, System.getProperty("user.home"));
        } catch (CommandLine.Invalid e) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("cannot record \"" + line + "\": "
                    + e.getMessage()));
        }
        String mode = Prefs.store().getString(Prefs.RECORD_MODE);
        var args = Recording.recordArguments(parsed, cwd == null ? null : cwd.getAbsolutePath(), mode, List.of());
        return follow(connection, Recording.RECORD, args, line.trim(), "Recording", "Recorded",
                () -> Prefs.store().setValue(Prefs.RECORD_HISTORY,
                        String.join("\n", Recording.remember(Prefs.history(), line, Recording.HISTORY_LIMIT))));
    }

    /**
     * Follows the live session `url` names (`net://HOST[:PORT]/host/HOSTNAME/SESSION`, served by
     * `tracer-lsp relay` or lttng-relayd) like a recording: counts as they arrive, until the
     * session ends or Stop. The future completes with the attachment's id, or fails with the
     * reason (a bad URL, no relay there, no such session).
     */
    public CompletableFuture<JsonPrimitive> attach(String url) {
        String problem = Recording.liveUrlProblem(url);
        if (problem != null) {
            return CompletableFuture.failedFuture(
                    new IllegalArgumentException("cannot attach to \"" + url + "\": " + problem));
        }
        TracerConnection connection;
        try {
            connection = require(Recording.ATTACH);
        } catch (IllegalStateException e) {
            return CompletableFuture.failedFuture(e);
        }
        return follow(connection, Recording.ATTACH, Recording.attachArguments(url), url.trim(), "Following",
                "Followed", () -> Prefs.store().setValue(Prefs.LIVE_URL, url.trim()));
    }

    /**
     * Runs a server command that starts something to follow (`tracer.record`, `tracer.attach`)
     * with a fresh work-done token; `label` names it in the status line, `accepted` runs once
     * nothing else was running.
     */
    private CompletableFuture<JsonPrimitive> follow(TracerConnection connection, String command, Object args,
            String label, String doingVerb, String doneVerb, Runnable accepted) {
        synchronized (this) {
            if (state != State.IDLE) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        "a recording is already running; stop it first"));
            }
            state = State.STARTING;
            commandLine = label;
            doing = doingVerb;
            done = doneVerb;
            token = "tracer-eclipse-record-" + System.nanoTime();
            figures = null;
            status = "Starting " + commandLine + "…";
        }
        accepted.run();
        changed();
        String myToken;
        synchronized (this) {
            myToken = token;
        }
        return connection.execute(command, List.of(args), myToken).handle((result, error) -> {
            synchronized (this) {
                if (error != null) {
                    state = State.IDLE;
                    status = doing + " " + commandLine + " did not start: " + rootMessage(error);
                } else {
                    id = Recording.recordingId(result);
                    String trace = Recording.tracePath(result);
                    if (trace != null) {
                        lastTrace = trace;
                    }
                    if (state == State.STARTING) {
                        state = State.RECORDING;
                        status = doing + " " + commandLine;
                        new RecordingJob(doing.toLowerCase() + " " + commandLine).schedule();
                    }
                }
            }
            changed();
            if (error != null) {
                throw new IllegalStateException(status, error);
            }
            return id;
        });
    }

    private static String rootMessage(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /** A `$/progress` report; only those of the current recording's token count. */
    void progress(String reportToken, WorkDoneProgressNotification report) {
        synchronized (this) {
            if (token == null || !token.equals(reportToken)) {
                return;
            }
            String message = report instanceof WorkDoneProgressReport r ? r.getMessage()
                    : report instanceof WorkDoneProgressBegin b ? b.getMessage()
                            : report instanceof WorkDoneProgressEnd e ? e.getMessage() : null;
            if (report instanceof WorkDoneProgressEnd) {
                String trace = Recording.traceOfProgress(message);
                if (trace != null) {
                    lastTrace = trace;
                }
                state = State.IDLE;
                token = null;
                // The trace directory is the view's tooltip: long, and rarely what one reads first.
                status = done + " " + commandLine + (message == null ? "" : ": " + Recording.withoutTrace(message));
            } else if (message != null) {
                figures = Figures.progress(message);
                status = doing + " " + commandLine + ": " + message;
            }
        }
        changed();
    }

    /** The figures of the last progress report of this recording (lost events…), or null. */
    public synchronized Figures.Progress figures() {
        return figures;
    }

    public CompletableFuture<Object> stop() {
        JsonPrimitive recording;
        synchronized (this) {
            if (state == State.IDLE) {
                return CompletableFuture.completedFuture(null);
            }
            recording = id;
        }
        TracerConnection connection;
        try {
            connection = require(Recording.STOP);
        } catch (IllegalStateException e) {
            end("Stopped here only: " + e.getMessage());
            return CompletableFuture.failedFuture(e);
        }
        return connection.execute(Recording.STOP, Recording.stopArguments(recording), null)
                .whenComplete((result, error) -> {
                    String trace = Recording.tracePath(result);
                    synchronized (this) {
                        if (trace != null) {
                            lastTrace = trace;
                        }
                        if (error == null && state == State.IDLE) {
                            // The progress end came first and said more than "stopped".
                            return;
                        }
                    }
                    end(error == null ? "Stopped " + commandLine : "Stopping failed: " + rootMessage(error));
                });
    }

    private void end(String message) {
        synchronized (this) {
            state = State.IDLE;
            token = null;
            status = message;
        }
        changed();
    }

    public CompletableFuture<Object> openTrace(String path) {
        TracerConnection connection;
        try {
            connection = require(Recording.OPEN_TRACE);
        } catch (IllegalStateException e) {
            return CompletableFuture.failedFuture(e);
        }
        return connection.execute(Recording.OPEN_TRACE, Recording.openTraceArguments(path), null)
                .whenComplete((result, error) -> {
                    synchronized (this) {
                        if (error == null) {
                            lastTrace = path;
                            String summary = Recording.openTraceSummary(result);
                            status = "Opened " + path + (summary == null ? "" : ": " + summary);
                        } else {
                            status = "Cannot open the trace " + path + ": " + rootMessage(error);
                        }
                    }
                    changed();
                });
    }

    /**
     * A running recording in the Progress view and the status bar: the server's figures as its
     * sub-task, and its Cancel button stops the recording.
     */
    private final class RecordingJob extends Job {
        /** `what`: "recording CMD" or "following URL". */
        RecordingJob(String what) {
            super("Tracer: " + what);
            setPriority(LONG);
        }

        @Override
        public boolean belongsTo(Object family) {
            return family == JOB_FAMILY;
        }

        @Override
        protected IStatus run(IProgressMonitor monitor) {
            monitor.beginTask(getName(), IProgressMonitor.UNKNOWN);
            while (state() != State.IDLE) {
                if (monitor.isCanceled()) {
                    stop();
                    break;
                }
                monitor.subTask(status());
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            monitor.done();
            return Status.OK_STATUS;
        }
    }

    /** Clears the counts here and, when the server has counts of its own, there. */
    public void clearCounts() {
        counts.clear();
        TracerConnection connection = servers.now();
        if (connection != null && connection.supportsCommand(Recording.CLEAR_COUNTS)) {
            connection.execute(Recording.CLEAR_COUNTS, List.of(), null);
        }
        CodeMinings.refreshAll();
    }
}
