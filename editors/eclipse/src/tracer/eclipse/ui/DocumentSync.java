package tracer.eclipse.ui;

import java.io.File;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.eclipse.core.filebuffers.FileBuffers;
import org.eclipse.core.filebuffers.IFileBuffer;
import org.eclipse.core.filebuffers.IFileBufferListener;
import org.eclipse.core.filebuffers.ITextFileBuffer;
import org.eclipse.core.filebuffers.ITextFileBufferManager;
import org.eclipse.core.runtime.IPath;
import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.DocumentEvent;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.IDocumentListener;
import org.eclipse.lsp4j.TextDocumentContentChangeEvent;

import tracer.eclipse.client.TextPositions;
import tracer.eclipse.client.TracerConnection;
import tracer.eclipse.client.Uris;

/**
 * Keeps the server's view of open documents equal to Eclipse's: every text file buffer of a C,
 * C++ or Rust file (whichever editor opened it: the Generic Editor, CDT's, or none) is sent as
 * `didOpen`, each edit as an incremental `didChange` and the buffer's disposal as `didClose`.
 * Also answers which document and buffer belong to a URI, for the features that need them.
 */
public final class DocumentSync implements IFileBufferListener {
    /** A tracked document: its buffer, URI, language and LSP version. */
    public static final class Tracked implements IDocumentListener {
        public final ITextFileBuffer buffer;
        public final String uri;
        final String languageId;
        int version = 1;
        private TextDocumentContentChangeEvent pending;
        private final DocumentSync owner;

        Tracked(DocumentSync owner, ITextFileBuffer buffer, String uri, String languageId) {
            this.owner = owner;
            this.buffer = buffer;
            this.uri = uri;
            this.languageId = languageId;
        }

        public IDocument document() {
            return buffer.getDocument();
        }

        @Override
        public void documentAboutToBeChanged(DocumentEvent event) {
            try {
                pending = TextPositions.change(event);
            } catch (BadLocationException e) {
                pending = null;
            }
        }

        @Override
        public void documentChanged(DocumentEvent event) {
            owner.changed(this, pending);
            pending = null;
        }
    }

    private final Map<String, Tracked> byUri = new LinkedHashMap<>();
    private TracerConnection attached;
    private final List<Runnable> listeners = new ArrayList<>();

    /** The LSP language of a file name, or null when the server does not handle it. */
    public static String languageOf(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        int dot = lower.lastIndexOf('.');
        String ext = dot < 0 ? "" : lower.substring(dot + 1);
        return switch (ext) {
            case "c", "h" -> "c";
            case "cc", "cpp", "cxx", "hh", "hpp", "hxx" -> "cpp";
            case "rs" -> "rust";
            default -> null;
        };
    }

    void install() {
        ITextFileBufferManager manager = FileBuffers.getTextFileBufferManager();
        manager.addFileBufferListener(this);
        for (IFileBuffer buffer : manager.getFileBuffers()) {
            bufferCreated(buffer);
        }
    }

    void uninstall() {
        FileBuffers.getTextFileBufferManager().removeFileBufferListener(this);
        synchronized (this) {
            for (Tracked t : byUri.values()) {
                t.document().removeDocumentListener(t);
            }
            byUri.clear();
        }
    }

    /** Called (by the server manager) when a server is up: it gets every open document. */
    synchronized void attach(TracerConnection connection) {
        attached = connection;
        if (connection != null) {
            for (Tracked t : byUri.values()) {
                t.version = 1;
                send(() -> attached.didOpen(t.uri, t.languageId, t.version, t.document().get()));
            }
        }
    }

    /**
     * Sends a notification to the attached server. A server that went away must never break
     * an edit: the failure detaches it, and the next server gets every document anew.
     */
    private synchronized void send(Runnable notification) {
        if (attached == null) {
            return;
        }
        try {
            notification.run();
        } catch (RuntimeException e) {
            TracerPlugin.warn("tracer-lsp no longer takes documents: " + e.getMessage(), null);
            attached = null;
        }
    }

    public void addListener(Runnable listener) {
        synchronized (listeners) {
            listeners.add(listener);
        }
    }

    private void fireChanged() {
        List<Runnable> copy;
        synchronized (listeners) {
            copy = new ArrayList<>(listeners);
        }
        copy.forEach(Runnable::run);
    }

    public synchronized Tracked get(String uri) {
        return byUri.get(Uris.normalize(uri));
    }

    /** The tracked document of `document`, or null. */
    public synchronized Tracked of(IDocument document) {
        for (Tracked t : byUri.values()) {
            if (t.document() == document) {
                return t;
            }
        }
        return null;
    }

    public synchronized List<Tracked> all() {
        return new ArrayList<>(byUri.values());
    }

    private static String uriOf(IFileBuffer buffer) {
        try {
            URI uri = buffer.getFileStore().toURI();
            return "file".equals(uri.getScheme()) ? Uris.of(new File(uri)) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void bufferCreated(IFileBuffer buffer) {
        if (!(buffer instanceof ITextFileBuffer text)) {
            return;
        }
        IPath location = buffer.getLocation();
        String language = location == null ? null : languageOf(location.lastSegment());
        String uri = language == null ? null : uriOf(buffer);
        if (uri == null) {
            return;
        }
        Tracked tracked = new Tracked(this, text, uri, language);
        boolean start;
        synchronized (this) {
            if (byUri.containsKey(uri)) {
                return;
            }
            byUri.put(uri, tracked);
            text.getDocument().addDocumentListener(tracked);
            send(() -> attached.didOpen(uri, language, tracked.version, text.getDocument().get()));
            start = attached == null;
        }
        if (start) {
            TracerPlugin plugin = TracerPlugin.get();
            if (plugin != null) {
                plugin.servers().startAsync();
            }
        }
        fireChanged();
    }

    @Override
    public void bufferDisposed(IFileBuffer buffer) {
        synchronized (this) {
            Tracked tracked = null;
            for (Tracked t : byUri.values()) {
                if (t.buffer == buffer) {
                    tracked = t;
                }
            }
            if (tracked == null) {
                return;
            }
            byUri.remove(tracked.uri);
            tracked.document().removeDocumentListener(tracked);
            String uri = tracked.uri;
            send(() -> attached.didClose(uri));
        }
        fireChanged();
    }

    private synchronized void changed(Tracked tracked, TextDocumentContentChangeEvent change) {
        if (attached == null || !byUri.containsKey(tracked.uri)) {
            return;
        }
        tracked.version++;
        TextDocumentContentChangeEvent sent = change != null ? change
                : new TextDocumentContentChangeEvent(tracked.document().get());
        send(() -> attached.didChange(tracked.uri, tracked.version, List.of(sent)));
    }

    @Override
    public void bufferContentAboutToBeReplaced(IFileBuffer buffer) {
    }

    @Override
    public void bufferContentReplaced(IFileBuffer buffer) {
        // A revert or reload sets the document's text, which the document listener sends.
    }

    @Override
    public void stateChanging(IFileBuffer buffer) {
    }

    @Override
    public void dirtyStateChanged(IFileBuffer buffer, boolean isDirty) {
    }

    @Override
    public void stateValidationChanged(IFileBuffer buffer, boolean isStateValidated) {
    }

    @Override
    public void underlyingFileMoved(IFileBuffer buffer, IPath path) {
    }

    @Override
    public void underlyingFileDeleted(IFileBuffer buffer) {
    }

    @Override
    public void stateChangeFailed(IFileBuffer buffer) {
    }
}
