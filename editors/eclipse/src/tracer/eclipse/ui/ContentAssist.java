package tracer.eclipse.ui;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.ITextViewer;
import org.eclipse.jface.text.contentassist.ICompletionProposal;
import org.eclipse.jface.text.contentassist.IContentAssistProcessor;
import org.eclipse.jface.text.contentassist.IContextInformation;
import org.eclipse.jface.text.contentassist.IContextInformationValidator;
import org.eclipse.lsp4j.CompletionItem;

import tracer.eclipse.client.TextPositions;
import tracer.eclipse.client.TracerConnection;

/**
 * Content assist from `textDocument/completion` (Generic Editor extension). The server decides
 * where completion applies (after `trace_`, inside `tracepoint(`…) and what it offers; the
 * proposals insert its snippets with their placeholders as linked positions.
 */
public final class ContentAssist implements IContentAssistProcessor {
    private String error;

    @Override
    public ICompletionProposal[] computeCompletionProposals(ITextViewer viewer, int offset) {
        error = null;
        IDocument document = viewer.getDocument();
        DocumentSync.Tracked tracked = TracerPlugin.get().documents().of(document);
        TracerConnection connection = TracerPlugin.get().servers().await(TracerConnection.REQUEST_TIMEOUT_MS);
        if (tracked == null || connection == null) {
            error = connection == null ? "Tracer: the language server is not running" : null;
            return new ICompletionProposal[0];
        }
        try {
            List<CompletionItem> items = connection.completion(tracked.uri, TextPositions.position(document, offset));
            List<ICompletionProposal> proposals = new ArrayList<>();
            for (CompletionItem item : items) {
                proposals.add(new CompletionProposal(item, document, offset));
            }
            return proposals.toArray(ICompletionProposal[]::new);
        } catch (IOException | BadLocationException e) {
            error = "Tracer: completion failed: " + e.getMessage();
            return new ICompletionProposal[0];
        }
    }

    @Override
    public IContextInformation[] computeContextInformation(ITextViewer viewer, int offset) {
        return null;
    }

    @Override
    public char[] getCompletionProposalAutoActivationCharacters() {
        return new char[] {'_', '(', ','};
    }

    @Override
    public char[] getContextInformationAutoActivationCharacters() {
        return null;
    }

    @Override
    public String getErrorMessage() {
        return error;
    }

    @Override
    public IContextInformationValidator getContextInformationValidator() {
        return null;
    }
}
