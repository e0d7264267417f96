package tracer.eclipse.client;

import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.DocumentEvent;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.IRegion;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextDocumentContentChangeEvent;

/**
 * LSP positions and Eclipse document offsets. LSP counts columns in UTF-16 code units, and so
 * do Java strings and JFace documents, so a column is a plain offset from the line's start;
 * positions past a line's end are clamped to it, as LSP says.
 */
public final class TextPositions {
    private TextPositions() {
    }

    public static int offset(IDocument document, Position position) throws BadLocationException {
        int line = Math.min(position.getLine(), document.getNumberOfLines() - 1);
        IRegion info = document.getLineInformation(line);
        if (position.getLine() >= document.getNumberOfLines()) {
            return info.getOffset() + info.getLength();
        }
        return info.getOffset() + Math.min(position.getCharacter(), info.getLength());
    }

    public static Position position(IDocument document, int offset) throws BadLocationException {
        int line = document.getLineOfOffset(offset);
        return new Position(line, offset - document.getLineOffset(line));
    }

    public static Range range(IDocument document, int offset, int length) throws BadLocationException {
        return new Range(position(document, offset), position(document, offset + length));
    }

    /**
     * The incremental change of an edit, computed from the document before the edit (call it
     * from `documentAboutToBeChanged`): the replaced range there, and the new text.
     */
    public static TextDocumentContentChangeEvent change(DocumentEvent event) throws BadLocationException {
        Range range = range(event.getDocument(), event.getOffset(), event.getLength());
        TextDocumentContentChangeEvent change = new TextDocumentContentChangeEvent(range,
                event.getText() == null ? "" : event.getText());
        return change;
    }

    /** The offset just after the last character of a 0-based line (before its delimiter). */
    public static int endOfLine(IDocument document, int line) throws BadLocationException {
        IRegion info = document.getLineInformation(line);
        return info.getOffset() + info.getLength();
    }
}
