package tracer.eclipse.ui;

import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.DocumentEvent;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.ITextViewer;
import org.eclipse.jface.text.contentassist.ICompletionProposal;
import org.eclipse.jface.text.contentassist.ICompletionProposalExtension2;
import org.eclipse.jface.text.contentassist.IContextInformation;
import org.eclipse.jface.text.link.LinkedModeModel;
import org.eclipse.jface.text.link.LinkedModeUI;
import org.eclipse.jface.text.link.LinkedPosition;
import org.eclipse.jface.text.link.LinkedPositionGroup;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.InsertTextFormat;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.swt.graphics.Image;
import org.eclipse.swt.graphics.Point;
import org.eclipse.ui.texteditor.link.EditorLinkedModeUI;

import tracer.eclipse.client.Snippet;
import tracer.eclipse.client.TextPositions;

/**
 * One completion item. Applying it replaces the item's edit range (stretched to the caret if
 * the user typed on) with its text; a snippet's tab stops become linked positions that Tab
 * walks through, and Enter leaves at `$0` (or the end).
 */
public final class CompletionProposal implements ICompletionProposal, ICompletionProposalExtension2 {
    private final CompletionItem item;
    private final int replaceStart;
    private final int replaceEnd;
    private final String insert;
    private Point selection;

    public CompletionProposal(CompletionItem item, IDocument document, int offset) throws BadLocationException {
        this.item = item;
        TextEdit edit = item.getTextEdit() != null && item.getTextEdit().isLeft() ? item.getTextEdit().getLeft() : null;
        if (edit == null && item.getTextEdit() != null) {
            var insertReplace = item.getTextEdit().getRight();
            edit = new TextEdit(insertReplace.getInsert(), insertReplace.getNewText());
        }
        if (edit != null) {
            Range range = edit.getRange();
            replaceStart = TextPositions.offset(document, range.getStart());
            replaceEnd = Math.max(offset, TextPositions.offset(document, range.getEnd()));
            insert = edit.getNewText();
        } else {
            int start = offset;
            while (start > 0 && Character.isJavaIdentifierPart(document.getChar(start - 1))) {
                start--;
            }
            replaceStart = start;
            replaceEnd = offset;
            insert = item.getInsertText() != null ? item.getInsertText() : item.getLabel();
        }
    }

    private boolean isSnippet() {
        return item.getInsertTextFormat() == InsertTextFormat.Snippet;
    }

    /** The text the proposal inserts and its tab stops. */
    public Snippet.Parsed parsed() {
        return isSnippet() ? Snippet.parse(insert) : new Snippet.Parsed(insert, java.util.List.of(), insert.length());
    }

    @Override
    public void apply(IDocument document) {
        apply(null, document, replaceEnd);
    }

    @Override
    public void apply(ITextViewer viewer, char trigger, int stateMask, int offset) {
        apply(viewer, viewer.getDocument(), offset);
    }

    private void apply(ITextViewer viewer, IDocument document, int caret) {
        Snippet.Parsed parsed = parsed();
        int end = Math.max(replaceEnd, caret);
        try {
            document.replace(replaceStart, end - replaceStart, parsed.text());
        } catch (BadLocationException e) {
            return;
        }
        selection = new Point(replaceStart + parsed.exitOffset(), 0);
        if (viewer == null || parsed.tabStops().isEmpty()) {
            return;
        }
        try {
            LinkedModeModel model = new LinkedModeModel();
            for (Snippet.TabStop stop : parsed.tabStops()) {
                LinkedPositionGroup group = new LinkedPositionGroup();
                for (Snippet.Range r : stop.ranges()) {
                    group.addPosition(new LinkedPosition(document, replaceStart + r.offset(), r.length(),
                            stop.number()));
                }
                model.addGroup(group);
            }
            model.forceInstall();
            LinkedModeUI ui = new EditorLinkedModeUI(model, viewer);
            ui.setExitPosition(viewer, replaceStart + parsed.exitOffset(), 0, Integer.MAX_VALUE);
            ui.setCyclingMode(LinkedModeUI.CYCLE_WHEN_NO_PARENT);
            ui.enter();
            Snippet.Range first = parsed.tabStops().get(0).ranges().get(0);
            selection = new Point(replaceStart + first.offset(), first.length());
        } catch (BadLocationException e) {
            // The text is in; only the linked editing is lost.
        }
    }

    @Override
    public Point getSelection(IDocument document) {
        return selection;
    }

    @Override
    public String getAdditionalProposalInfo() {
        String doc = item.getDocumentation() == null ? null
                : item.getDocumentation().isLeft() ? item.getDocumentation().getLeft()
                        : item.getDocumentation().getRight().getValue();
        return doc == null ? item.getDetail() : tracer.eclipse.client.Markdown.toHtml(doc);
    }

    @Override
    public String getDisplayString() {
        return item.getDetail() == null || item.getDetail().isBlank() ? item.getLabel()
                : item.getLabel() + " - " + item.getDetail();
    }

    @Override
    public Image getImage() {
        return null;
    }

    @Override
    public IContextInformation getContextInformation() {
        return null;
    }

    @Override
    public void selected(ITextViewer viewer, boolean smartToggle) {
    }

    @Override
    public void unselected(ITextViewer viewer) {
    }

    /** Keeps the proposal while what was typed since the start of the edit prefixes its filter text. */
    @Override
    public boolean validate(IDocument document, int offset, DocumentEvent event) {
        if (offset < replaceStart) {
            return false;
        }
        try {
            String typed = document.get(replaceStart, offset - replaceStart);
            String filter = item.getFilterText() != null ? item.getFilterText() : item.getLabel();
            return filter.regionMatches(true, 0, typed, 0, typed.length()) || insert.startsWith(typed);
        } catch (BadLocationException e) {
            return false;
        }
    }
}
