package tracer.eclipse.client;

import org.eclipse.lsp4j.MessageType;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.WorkDoneProgressNotification;

import com.google.gson.JsonElement;

/**
 * What the server tells the client unasked. Called on lsp4j's reader thread: implementations
 * hand work to their own threads and return at once.
 */
public interface ServerEvents {
    default void diagnostics(PublishDiagnosticsParams params) {
    }

    /** A `tracer/counts` notification, unparsed (see {@link CountsModel#parse}). */
    default void counts(JsonElement params) {
    }

    /** A `$/progress` report for a work-done token. */
    default void progress(String token, WorkDoneProgressNotification report) {
    }

    /** `window/logMessage`, and the server's stderr (as LOG). */
    default void log(MessageType type, String message) {
    }

    /** `window/showMessage`. */
    default void message(MessageType type, String message) {
    }

    /** `workspace/codeLens/refresh` or `workspace/inlayHint/refresh`: redraw code minings. */
    default void refreshAnnotations() {
    }

    /** The server process ended (exit code), expectedly or not. */
    default void exited(int code) {
    }
}
