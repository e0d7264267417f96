package tracer.eclipse.ui;

import java.io.IOException;
import java.util.List;

import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.IRegion;
import org.eclipse.jface.text.ITextViewer;
import org.eclipse.jface.text.Region;
import org.eclipse.jface.text.hyperlink.AbstractHyperlinkDetector;
import org.eclipse.jface.text.hyperlink.IHyperlink;
import org.eclipse.lsp4j.Location;
import org.eclipse.ui.PartInitException;

import tracer.eclipse.client.TextPositions;
import tracer.eclipse.client.TracerConnection;
import tracer.eclipse.client.Uris;

/**
 * Ctrl+click (and F3 through "Open Hyperlink") from a probe site to its declaration, from
 * `textDocument/definition`. The link covers the word under the mouse.
 */
public final class DefinitionHyperlinks extends AbstractHyperlinkDetector {
    @Override
    public IHyperlink[] detectHyperlinks(ITextViewer viewer, IRegion region, boolean canShowMultipleHyperlinks) {
        IDocument document = viewer.getDocument();
        DocumentSync.Tracked tracked = TracerPlugin.get().documents().of(document);
        TracerConnection connection = TracerPlugin.get().servers().now();
        if (tracked == null || connection == null) {
            return null;
        }
        try {
            List<Location> locations = connection.definition(tracked.uri,
                    TextPositions.position(document, region.getOffset()));
            if (locations.isEmpty()) {
                return null;
            }
            IRegion word = word(document, region.getOffset());
            IHyperlink[] links = new IHyperlink[canShowMultipleHyperlinks ? locations.size() : 1];
            for (int i = 0; i < links.length; i++) {
                links[i] = new LocationHyperlink(word, locations.get(i));
            }
            return links;
        } catch (IOException | BadLocationException e) {
            return null;
        }
    }

    static IRegion word(IDocument document, int offset) throws BadLocationException {
        int start = offset;
        int end = offset;
        while (start > 0 && Character.isJavaIdentifierPart(document.getChar(start - 1))) {
            start--;
        }
        while (end < document.getLength() && Character.isJavaIdentifierPart(document.getChar(end))) {
            end++;
        }
        return new Region(start, end - start);
    }

    /** Opens one declaration. */
    public static final class LocationHyperlink implements IHyperlink {
        private final IRegion region;
        private final Location location;

        LocationHyperlink(IRegion region, Location location) {
            this.region = region;
            this.location = location;
        }

        @Override
        public IRegion getHyperlinkRegion() {
            return region;
        }

        @Override
        public String getTypeLabel() {
            return "Tracepoint declaration";
        }

        @Override
        public String getHyperlinkText() {
            java.io.File file = Uris.file(location.getUri());
            return "Open declaration (" + (file == null ? location.getUri() : file.getName()) + ":"
                    + (location.getRange().getStart().getLine() + 1) + ")";
        }

        @Override
        public void open() {
            try {
                Editors.open(location);
            } catch (PartInitException e) {
                TracerPlugin.warn("cannot open " + location.getUri(), e);
            }
        }
    }
}
