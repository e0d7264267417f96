package tracer.eclipse.ui;

import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.Status;
import org.eclipse.ui.plugin.AbstractUIPlugin;
import org.osgi.framework.BundleContext;

import tracer.eclipse.client.CountsModel;

/**
 * The plug-in's activator and the owner of its few long-lived objects: the server connection,
 * the document synchronisation, the counts model and the recording state. Everything else
 * reaches them through here.
 */
public final class TracerPlugin extends AbstractUIPlugin {
    public static final String ID = "tracer.eclipse";

    private static TracerPlugin instance;

    private final CountsModel counts = new CountsModel();
    private ServerManager servers;
    private DocumentSync documents;
    private RecordingController recording;
    private HeatMap heatMap;

    public static TracerPlugin get() {
        return instance;
    }

    @Override
    public void start(BundleContext context) throws Exception {
        super.start(context);
        instance = this;
        documents = new DocumentSync();
        servers = new ServerManager(documents);
        recording = new RecordingController(servers, counts);
        heatMap = new HeatMap(documents, counts);
        documents.install();
    }

    @Override
    public void stop(BundleContext context) throws Exception {
        try {
            heatMap.dispose();
            documents.uninstall();
            servers.shutdown();
        } finally {
            instance = null;
            super.stop(context);
        }
    }

    public CountsModel counts() {
        return counts;
    }

    public ServerManager servers() {
        return servers;
    }

    public DocumentSync documents() {
        return documents;
    }

    public RecordingController recording() {
        return recording;
    }

    public HeatMap heatMap() {
        return heatMap;
    }

    public static void log(int severity, String message, Throwable error) {
        TracerPlugin plugin = instance;
        if (plugin != null) {
            plugin.getLog().log(new Status(severity, ID, message, error));
        }
    }

    public static void warn(String message, Throwable error) {
        log(IStatus.WARNING, message, error);
    }
}
