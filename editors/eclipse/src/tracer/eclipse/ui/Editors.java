package tracer.eclipse.ui;

import java.io.File;

import org.eclipse.core.filesystem.EFS;
import org.eclipse.core.filesystem.IFileStore;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.resources.ResourcesPlugin;
import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.ITextOperationTarget;
import org.eclipse.jface.text.ITextViewer;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.ui.IEditorPart;
import org.eclipse.ui.IWorkbenchPage;
import org.eclipse.ui.PartInitException;
import org.eclipse.ui.PlatformUI;
import org.eclipse.ui.ide.IDE;
import org.eclipse.ui.texteditor.ITextEditor;

import tracer.eclipse.client.TextPositions;
import tracer.eclipse.client.Uris;

/** Opening a URI at a position in an editor, and finding the workspace file of a URI. */
public final class Editors {
    private Editors() {
    }

    /** The workspace file at `uri`'s location, or null when the file is outside the workspace. */
    public static IFile fileOf(String uri) {
        File file = Uris.file(uri);
        if (file == null) {
            return null;
        }
        IFile[] files = ResourcesPlugin.getWorkspace().getRoot().findFilesForLocationURI(file.toURI());
        for (IFile f : files) {
            if (f.exists()) {
                return f;
            }
        }
        return null;
    }

    /** Opens `uri` (in the workspace or not) in the active page; null when it cannot. */
    public static IEditorPart open(String uri) throws PartInitException {
        IWorkbenchPage page = PlatformUI.getWorkbench().getActiveWorkbenchWindow().getActivePage();
        IFile file = fileOf(uri);
        if (file != null) {
            return IDE.openEditor(page, file, true);
        }
        File external = Uris.file(uri);
        if (external == null || !external.isFile()) {
            return null;
        }
        IFileStore store = EFS.getLocalFileSystem().getStore(external.toURI());
        return IDE.openEditorOnFileStore(page, store);
    }

    /** Opens a location and selects its range. */
    public static IEditorPart open(Location location) throws PartInitException {
        IEditorPart editor = open(location.getUri());
        if (editor instanceof ITextEditor text) {
            IDocument document = text.getDocumentProvider().getDocument(text.getEditorInput());
            try {
                int start = TextPositions.offset(document, location.getRange().getStart());
                int end = TextPositions.offset(document, location.getRange().getEnd());
                text.selectAndReveal(start, Math.max(0, end - start));
            } catch (BadLocationException e) {
                // The file changed since the server read it: the editor is open, that will do.
            }
        }
        return editor;
    }

    /** Opens `uri` with the caret at the start of a 0-based line. */
    public static IEditorPart openLine(String uri, int line) throws PartInitException {
        return open(new Location(uri, new org.eclipse.lsp4j.Range(new Position(line, 0), new Position(line, 0))));
    }

    /** The text viewer of an editor (its text operation target), or null. */
    public static ITextViewer viewerOf(IEditorPart editor) {
        Object target = editor == null ? null : editor.getAdapter(ITextOperationTarget.class);
        return target instanceof ITextViewer viewer ? viewer : null;
    }
}
