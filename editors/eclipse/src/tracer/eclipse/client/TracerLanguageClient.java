package tracer.eclipse.client;

import org.eclipse.lsp4j.jsonrpc.services.JsonNotification;
import org.eclipse.lsp4j.services.LanguageClient;

import com.google.gson.JsonElement;

/** The LSP client interface plus the server's custom `tracer/counts` notification. */
public interface TracerLanguageClient extends LanguageClient {
    @JsonNotification(Recording.COUNTS_NOTIFICATION)
    void counts(JsonElement params);
}
