package tracer.eclipse.ui.search;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;

import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.OperationCanceledException;
import org.eclipse.core.runtime.Status;
import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.Document;
import org.eclipse.jface.text.IDocument;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.search.ui.ISearchQuery;
import org.eclipse.search.ui.ISearchResult;
import org.eclipse.search.ui.text.Match;

import tracer.eclipse.client.TextPositions;
import tracer.eclipse.client.TracerConnection;
import tracer.eclipse.client.Uris;
import tracer.eclipse.ui.DocumentSync;
import tracer.eclipse.ui.TracerPlugin;

/**
 * "References to EVENT" in the Search view: the locations come from `textDocument/references`,
 * or are given (the code lens `tracer.showReferences` carries them). Each match is a line.
 */
public final class ReferencesQuery implements ISearchQuery {
    private final String label;
    private final String uri;
    private final Position position;
    private final List<Location> given;
    private final ReferencesResult result = new ReferencesResult(this);

    /** Asks the server for the references at `position` of `uri`. */
    public ReferencesQuery(String label, String uri, Position position) {
        this.label = label;
        this.uri = uri;
        this.position = position;
        this.given = null;
    }

    /** Shows locations the server already gave. */
    public ReferencesQuery(String label, List<Location> locations) {
        this.label = label;
        this.uri = null;
        this.position = null;
        this.given = locations;
    }

    @Override
    public IStatus run(IProgressMonitor monitor) throws OperationCanceledException {
        result.removeAll();
        List<Location> locations = given;
        if (locations == null) {
            TracerConnection connection = TracerPlugin.get().servers().await(TracerConnection.REQUEST_TIMEOUT_MS);
            if (connection == null) {
                return new Status(IStatus.ERROR, TracerPlugin.ID, "the tracer-lsp language server is not running");
            }
            try {
                locations = connection.references(uri, position, false);
            } catch (IOException e) {
                return new Status(IStatus.ERROR, TracerPlugin.ID, "find references failed: " + e.getMessage(), e);
            }
        }
        for (Location l : locations) {
            Match match = match(l);
            if (match != null) {
                result.addMatch(match);
            }
        }
        return Status.OK_STATUS;
    }

    private static Match match(Location l) {
        DocumentSync.Tracked tracked = TracerPlugin.get().documents().get(l.getUri());
        IDocument document = tracked != null ? tracked.document() : null;
        File file = Uris.file(l.getUri());
        try {
            if (document == null) {
                if (file == null || !file.isFile()) {
                    return null;
                }
                document = new Document(Files.readString(file.toPath(), StandardCharsets.UTF_8));
            }
            int line = l.getRange().getStart().getLine();
            int lineStart = document.getLineOffset(line);
            String text = document.get(lineStart, document.getLineLength(line)).stripTrailing();
            int start = TextPositions.offset(document, l.getRange().getStart());
            int end = TextPositions.offset(document, l.getRange().getEnd());
            ReferenceLine element = new ReferenceLine(Uris.normalize(l.getUri()),
                    file == null ? l.getUri() : file.getName(), line, text);
            return new Match(element, start, Math.max(0, end - start));
        } catch (IOException | BadLocationException e) {
            return null;
        }
    }

    @Override
    public String getLabel() {
        return label;
    }

    @Override
    public boolean canRerun() {
        return given == null;
    }

    @Override
    public boolean canRunInBackground() {
        return true;
    }

    @Override
    public ISearchResult getSearchResult() {
        return result;
    }
}
