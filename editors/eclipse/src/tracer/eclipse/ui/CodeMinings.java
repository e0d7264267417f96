package tracer.eclipse.ui;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.ITextViewer;
import org.eclipse.jface.text.Position;
import org.eclipse.jface.text.codemining.AbstractCodeMiningProvider;
import org.eclipse.jface.text.codemining.ICodeMining;
import org.eclipse.jface.text.codemining.LineContentCodeMining;
import org.eclipse.jface.text.codemining.LineHeaderCodeMining;
import org.eclipse.jface.text.source.ISourceViewerExtension5;
import org.eclipse.lsp4j.CodeLens;
import org.eclipse.lsp4j.InlayHint;
import org.eclipse.lsp4j.InlayHintLabelPart;
import org.eclipse.lsp4j.Range;
import org.eclipse.swt.widgets.Display;
import org.eclipse.ui.IEditorReference;
import org.eclipse.ui.IWorkbenchPage;
import org.eclipse.ui.IWorkbenchWindow;
import org.eclipse.ui.PlatformUI;

import tracer.eclipse.client.TextPositions;
import tracer.eclipse.client.TracerConnection;

/**
 * Code minings from the server's code lenses (a header line above a declaration: "3 call
 * sites", or its total count while recording) and inlay hints (after a probe site's line:
 * "● 12,345 (3.2k/s)"). Redrawn when the server asks (`workspace/codeLens/refresh`,
 * `workspace/inlayHint/refresh`).
 */
public final class CodeMinings extends AbstractCodeMiningProvider {
    @Override
    public CompletableFuture<List<? extends ICodeMining>> provideCodeMinings(ITextViewer viewer,
            IProgressMonitor monitor) {
        IDocument document = viewer.getDocument();
        DocumentSync.Tracked tracked = document == null ? null : TracerPlugin.get().documents().of(document);
        if (tracked == null) {
            return CompletableFuture.completedFuture(List.of());
        }
        return CompletableFuture.supplyAsync(() -> {
            TracerConnection connection = TracerPlugin.get().servers().await(TracerConnection.REQUEST_TIMEOUT_MS);
            List<ICodeMining> minings = new ArrayList<>();
            if (connection == null) {
                return minings;
            }
            try {
                for (CodeLens lens : connection.codeLens(tracked.uri)) {
                    if (lens.getCommand() != null && lens.getCommand().getTitle() != null) {
                        minings.add(new LensMining(lens, document, this));
                    }
                }
                int lines = document.getNumberOfLines();
                Range whole = new Range(new org.eclipse.lsp4j.Position(0, 0),
                        new org.eclipse.lsp4j.Position(lines, 0));
                for (InlayHint hint : connection.inlayHints(tracked.uri, whole)) {
                    minings.add(new HintMining(hint, document, this));
                }
            } catch (IOException | BadLocationException e) {
                TracerPlugin.warn("code minings of " + tracked.uri + ": " + e.getMessage(), null);
            }
            return minings;
        });
    }

    /** Asks every open editor's viewer to fetch its minings again. */
    public static void refreshAll() {
        if (!PlatformUI.isWorkbenchRunning()) {
            return;
        }
        Display.getDefault().asyncExec(() -> {
            for (IWorkbenchWindow window : PlatformUI.getWorkbench().getWorkbenchWindows()) {
                for (IWorkbenchPage page : window.getPages()) {
                    for (IEditorReference ref : page.getEditorReferences()) {
                        ITextViewer viewer = Editors.viewerOf(ref.getEditor(false));
                        if (viewer instanceof ISourceViewerExtension5 minings) {
                            minings.updateCodeMinings();
                        }
                    }
                }
            }
        });
    }

    /** A code lens: a header line above the declaration; clicking runs its command. */
    static final class LensMining extends LineHeaderCodeMining {
        LensMining(CodeLens lens, IDocument document, CodeMinings provider) throws BadLocationException {
            super(lens.getRange().getStart().getLine(), document, provider,
                    e -> LensCommands.run(lens.getCommand()));
            setLabel(lens.getCommand().getTitle());
        }
    }

    /** An inlay hint: text drawn at its position (the end of the probe site's line). */
    public static final class HintMining extends LineContentCodeMining {
        HintMining(InlayHint hint, IDocument document, CodeMinings provider) throws BadLocationException {
            super(position(hint, document), provider);
            setLabel(label(hint));
        }

        private static Position position(InlayHint hint, IDocument document) throws BadLocationException {
            int offset = TextPositions.offset(document, hint.getPosition());
            // A mining is drawn before the character at its offset: at the line's end that is
            // the line delimiter (or the document's end).
            return new Position(offset, offset < document.getLength() ? 1 : 0);
        }

        public static String label(InlayHint hint) {
            if (hint.getLabel().isLeft()) {
                return pad(hint, hint.getLabel().getLeft());
            }
            StringBuilder text = new StringBuilder();
            for (InlayHintLabelPart part : hint.getLabel().getRight()) {
                text.append(part.getValue());
            }
            return pad(hint, text.toString());
        }

        private static String pad(InlayHint hint, String text) {
            return (Boolean.TRUE.equals(hint.getPaddingLeft()) ? " " : "") + text
                    + (Boolean.TRUE.equals(hint.getPaddingRight()) ? " " : "");
        }
    }
}
