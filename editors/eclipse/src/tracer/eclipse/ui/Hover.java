package tracer.eclipse.ui;

import java.io.IOException;

import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.DefaultInformationControl;
import org.eclipse.jface.text.IInformationControlCreator;
import org.eclipse.jface.text.IRegion;
import org.eclipse.jface.text.ITextHover;
import org.eclipse.jface.text.ITextHoverExtension;
import org.eclipse.jface.text.ITextHoverExtension2;
import org.eclipse.jface.text.ITextViewer;
import org.eclipse.ui.editors.text.EditorsUI;

import tracer.eclipse.client.Markdown;
import tracer.eclipse.client.TextPositions;
import tracer.eclipse.client.TracerConnection;

/** `textDocument/hover` (Generic Editor extension): the event's prototype, fields and format. */
public final class Hover implements ITextHover, ITextHoverExtension, ITextHoverExtension2 {
    /** Superseded by getHoverInfo2, which JFace calls; kept for ITextHover's contract. */
    @Override
    @Deprecated
    public String getHoverInfo(ITextViewer viewer, IRegion region) {
        return getHoverInfo2(viewer, region);
    }

    @Override
    public String getHoverInfo2(ITextViewer viewer, IRegion region) {
        DocumentSync.Tracked tracked = TracerPlugin.get().documents().of(viewer.getDocument());
        TracerConnection connection = TracerPlugin.get().servers().now();
        if (tracked == null || connection == null) {
            return null;
        }
        try {
            String markdown = connection.hover(tracked.uri, TextPositions.position(viewer.getDocument(),
                    region.getOffset()));
            return markdown == null ? null : Markdown.toHtml(markdown);
        } catch (IOException | BadLocationException e) {
            return null;
        }
    }

    @Override
    public IRegion getHoverRegion(ITextViewer viewer, int offset) {
        try {
            return DefinitionHyperlinks.word(viewer.getDocument(), offset);
        } catch (BadLocationException e) {
            return null;
        }
    }

    @Override
    public IInformationControlCreator getHoverControlCreator() {
        return parent -> new DefaultInformationControl(parent, EditorsUI.getTooltipAffordanceString());
    }
}
