package tracer.eclipse.ui;

import org.eclipse.jface.preference.BooleanFieldEditor;
import org.eclipse.jface.preference.ComboFieldEditor;
import org.eclipse.jface.preference.FieldEditorPreferencePage;
import org.eclipse.jface.preference.FileFieldEditor;
import org.eclipse.jface.preference.StringFieldEditor;
import org.eclipse.ui.IWorkbench;
import org.eclipse.ui.IWorkbenchPreferencePage;

/** Preferences > Tracer: where the server is, how recordings run, the heat map, Trace Compass. */
public final class PreferencePage extends FieldEditorPreferencePage implements IWorkbenchPreferencePage {
    public PreferencePage() {
        super(GRID);
        setDescription("tracer-lsp: tracepoint navigation and completion, and live event counts of recordings.");
    }

    @Override
    public void init(IWorkbench workbench) {
        setPreferenceStore(Prefs.store());
    }

    @Override
    protected void createFieldEditors() {
        addField(new FileFieldEditor(Prefs.SERVER_PATH, "tracer-lsp &executable (empty: on PATH):",
                getFieldEditorParent()));
        addField(new StringFieldEditor(Prefs.SERVER_ARGS, "Server &arguments (before --stdio):",
                getFieldEditorParent()));
        addField(new StringFieldEditor(Prefs.RECORD_COMMAND, "&Record command proposed first:",
                getFieldEditorParent()));
        addField(new ComboFieldEditor(Prefs.RECORD_MODE, "When a buffer is &full:", new String[][] {
            {"discard new events and count them (never blocks)", "discard"},
            {"overwrite the oldest events (flight recorder)", "overwrite"}}, getFieldEditorParent()));
        addField(new BooleanFieldEditor(Prefs.HEAT_MAP_ENABLED, "Show the &heat map on probe-site lines",
                getFieldEditorParent()));
        addField(new FileFieldEditor(Prefs.TRACE_COMPASS_PATH, "&Trace Compass launcher (empty: on PATH):",
                getFieldEditorParent()));
    }
}
