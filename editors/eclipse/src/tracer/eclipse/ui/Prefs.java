package tracer.eclipse.ui;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.core.runtime.preferences.AbstractPreferenceInitializer;
import org.eclipse.jface.preference.IPreferenceStore;

/** The plug-in's preference keys (Preferences > Tracer) and their defaults. */
public final class Prefs extends AbstractPreferenceInitializer {
    /** Path of `tracer-lsp`; empty: look it up on PATH. */
    public static final String SERVER_PATH = "serverPath";
    /** Extra server arguments, before `--stdio` (split like a shell command line). */
    public static final String SERVER_ARGS = "serverArgs";
    /** The command line that Record… proposes first. */
    public static final String RECORD_COMMAND = "record.command";
    /** Channel mode: discard or overwrite. */
    public static final String RECORD_MODE = "record.mode";
    /** Command lines recorded last, newline-separated, most recent first. */
    public static final String RECORD_HISTORY = "record.history";
    /** The URL of the last live session attached to. */
    public static final String LIVE_URL = "attach.url";
    public static final String HEAT_MAP_ENABLED = "heatMap.enabled";
    /** The Trace Compass launcher; empty: `tracecompass` on PATH. */
    public static final String TRACE_COMPASS_PATH = "traceCompass.path";

    @Override
    public void initializeDefaultPreferences() {
        IPreferenceStore store = TracerPlugin.get().getPreferenceStore();
        store.setDefault(SERVER_PATH, "");
        store.setDefault(SERVER_ARGS, "");
        store.setDefault(RECORD_COMMAND, "");
        store.setDefault(RECORD_MODE, "discard");
        store.setDefault(RECORD_HISTORY, "");
        store.setDefault(LIVE_URL, "");
        store.setDefault(HEAT_MAP_ENABLED, true);
        store.setDefault(TRACE_COMPASS_PATH, "");
    }

    public static IPreferenceStore store() {
        return TracerPlugin.get().getPreferenceStore();
    }

    public static List<String> history() {
        List<String> lines = new ArrayList<>();
        for (String line : store().getString(RECORD_HISTORY).split("\n")) {
            if (!line.isBlank()) {
                lines.add(line);
            }
        }
        return lines;
    }
}
