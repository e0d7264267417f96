package tracer.eclipse.ui;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.core.resources.IFile;
import org.eclipse.core.resources.IMarker;
import org.eclipse.core.resources.IResource;
import org.eclipse.core.resources.WorkspaceJob;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.Status;
import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.Document;
import org.eclipse.jface.text.IDocument;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.DiagnosticSeverity;
import org.eclipse.lsp4j.PublishDiagnosticsParams;

import tracer.eclipse.client.TextPositions;

/**
 * The server's diagnostics as problem markers (type `tracer.eclipse.problem`), so they show in
 * the editor's rulers and the Problems view. Each publish replaces the file's markers.
 */
public final class Markers {
    public static final String TYPE = "tracer.eclipse.problem";

    private Markers() {
    }

    /** The attributes of the marker of one diagnostic, offsets taken from `document`. */
    public static Map<String, Object> attributes(Diagnostic d, IDocument document) {
        Map<String, Object> a = new HashMap<>();
        a.put(IMarker.MESSAGE, d.getMessage());
        a.put(IMarker.SEVERITY, severity(d.getSeverity()));
        a.put(IMarker.LINE_NUMBER, d.getRange().getStart().getLine() + 1);
        a.put(IMarker.SOURCE_ID, d.getSource() != null ? d.getSource() : "tracer-lsp");
        try {
            int start = TextPositions.offset(document, d.getRange().getStart());
            int end = TextPositions.offset(document, d.getRange().getEnd());
            a.put(IMarker.CHAR_START, start);
            a.put(IMarker.CHAR_END, Math.max(end, start));
        } catch (BadLocationException e) {
            // A line past the end: the line number alone places it.
        }
        return a;
    }

    public static int severity(DiagnosticSeverity s) {
        if (s == null) {
            return IMarker.SEVERITY_ERROR;
        }
        return switch (s) {
            case Error -> IMarker.SEVERITY_ERROR;
            case Warning -> IMarker.SEVERITY_WARNING;
            case Information, Hint -> IMarker.SEVERITY_INFO;
        };
    }

    static void publish(PublishDiagnosticsParams params, DocumentSync documents) {
        IFile file = Editors.fileOf(params.getUri());
        if (file == null) {
            return;
        }
        DocumentSync.Tracked tracked = documents.get(params.getUri());
        List<Diagnostic> diagnostics = new ArrayList<>(params.getDiagnostics());
        WorkspaceJob job = new WorkspaceJob("Tracer diagnostics") {
            @Override
            public IStatus runInWorkspace(IProgressMonitor monitor) throws CoreException {
                if (!file.exists()) {
                    return Status.OK_STATUS;
                }
                IDocument document = tracked != null ? tracked.document() : new Document(read(file));
                file.deleteMarkers(TYPE, false, IResource.DEPTH_ZERO);
                for (Diagnostic d : diagnostics) {
                    file.createMarker(TYPE).setAttributes(attributes(d, document));
                }
                return Status.OK_STATUS;
            }
        };
        job.setRule(file);
        job.setSystem(true);
        job.schedule();
    }

    private static String read(IFile file) throws CoreException {
        try (var in = file.getContents(true)) {
            return new String(in.readAllBytes(), file.getCharset());
        } catch (java.io.IOException e) {
            throw new CoreException(new Status(IStatus.ERROR, TracerPlugin.ID, "cannot read " + file, e));
        }
    }
}
