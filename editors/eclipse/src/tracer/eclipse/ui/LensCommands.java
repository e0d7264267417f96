package tracer.eclipse.ui;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.lsp4j.Command;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import org.eclipse.search.ui.NewSearchUI;
import org.eclipse.swt.widgets.Display;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import tracer.eclipse.client.Recording;
import tracer.eclipse.client.TracerConnection;
import tracer.eclipse.ui.search.ReferencesQuery;

/**
 * What clicking a code lens does: `tracer.showReferences` (`[uri, position, locations]`) lists
 * the locations in the Search view; any other command is sent back to the server.
 */
public final class LensCommands {
    private LensCommands() {
    }

    /** The locations of `tracer.showReferences`, or null when the arguments are malformed. */
    public static List<Location> showReferencesLocations(List<Object> arguments) {
        if (arguments == null || arguments.size() < 3 || !(arguments.get(2) instanceof JsonArray array)) {
            return null;
        }
        List<Location> out = new ArrayList<>();
        for (JsonElement e : array) {
            if (!e.isJsonObject()) {
                return null;
            }
            JsonObject o = e.getAsJsonObject();
            try {
                JsonObject range = o.getAsJsonObject("range");
                out.add(new Location(o.get("uri").getAsString(), new Range(pos(range.getAsJsonObject("start")),
                        pos(range.getAsJsonObject("end")))));
            } catch (RuntimeException malformed) {
                return null;
            }
        }
        return out;
    }

    private static Position pos(JsonObject p) {
        return new Position(p.get("line").getAsInt(), p.get("character").getAsInt());
    }

    static void run(Command command) {
        if (Recording.SHOW_REFERENCES.equals(command.getCommand())) {
            List<Location> locations = showReferencesLocations(command.getArguments());
            if (locations != null) {
                Display.getDefault().asyncExec(() -> NewSearchUI.runQueryInBackground(
                        new ReferencesQuery(command.getTitle(), locations)));
                return;
            }
            TracerPlugin.warn("malformed tracer.showReferences arguments: " + command.getArguments(), null);
            return;
        }
        TracerConnection connection = TracerPlugin.get().servers().now();
        if (connection != null && connection.supportsCommand(command.getCommand())) {
            connection.execute(command.getCommand(), command.getArguments(), null);
        }
    }
}
