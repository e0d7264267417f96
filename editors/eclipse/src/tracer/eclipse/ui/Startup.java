package tracer.eclipse.ui;

import org.eclipse.ui.IStartup;

/**
 * Activates the plug-in when the workbench starts, so that C and Rust files opened in any
 * editor are sent to the server from the first one on (the activator installs the listener).
 */
public final class Startup implements IStartup {
    @Override
    public void earlyStartup() {
        TracerPlugin.get();
    }
}
