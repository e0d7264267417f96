package tracer.eclipse.ui;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.IRegion;
import org.eclipse.jface.text.Position;
import org.eclipse.jface.text.source.Annotation;
import org.eclipse.jface.text.source.IAnnotationModel;
import org.eclipse.jface.text.source.IAnnotationModelExtension;
import org.eclipse.swt.widgets.Display;
import org.eclipse.ui.PlatformUI;

import tracer.eclipse.client.CountsModel;
import tracer.eclipse.client.HeatScale;

/**
 * The heat map: each probe-site line with events gets an annotation of type
 * `tracer.eclipse.heatN` (N = 1..8, cold to hot), which paints the line's background, a ruler
 * mark and an overview-ruler mark in that level's colour, and says "● 12,345 (3.2k/s)" on
 * hover. Drawn from the counts model on the UI thread, at most once per pending change; works in
 * any editor of a tracked buffer (its annotation model is the buffer's).
 */
public final class HeatMap implements Runnable {
    public static final String TYPE_PREFIX = "tracer.eclipse.heat";

    private final DocumentSync documents;
    private final CountsModel counts;
    private final Map<IAnnotationModel, Annotation[]> shown = new HashMap<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    HeatMap(DocumentSync documents, CountsModel counts) {
        this.documents = documents;
        this.counts = counts;
        counts.addListener(this);
        documents.addListener(this);
        Prefs.store().addPropertyChangeListener(e -> {
            if (Prefs.HEAT_MAP_ENABLED.equals(e.getProperty())) {
                run();
            }
        });
    }

    public static String type(int level) {
        return TYPE_PREFIX + level;
    }

    /** Schedules a redraw (coalesced). */
    @Override
    public void run() {
        if (!PlatformUI.isWorkbenchRunning() || !scheduled.compareAndSet(false, true)) {
            return;
        }
        Display.getDefault().asyncExec(() -> {
            scheduled.set(false);
            redraw();
        });
    }

    /** The heat annotations currently in a model (for tests and the view). */
    public static Map<Annotation, Position> annotations(IAnnotationModel model) {
        Map<Annotation, Position> out = new HashMap<>();
        for (var it = model.getAnnotationIterator(); it.hasNext();) {
            Annotation a = it.next();
            if (a.getType().startsWith(TYPE_PREFIX)) {
                out.put(a, model.getPosition(a));
            }
        }
        return out;
    }

    private void redraw() {
        boolean enabled = Prefs.store().getBoolean(Prefs.HEAT_MAP_ENABLED);
        Map<IAnnotationModel, Annotation[]> still = new HashMap<>();
        for (DocumentSync.Tracked tracked : documents.all()) {
            IAnnotationModel model = tracked.buffer.getAnnotationModel();
            if (!(model instanceof IAnnotationModelExtension extension)) {
                continue;
            }
            IDocument document = tracked.document();
            List<CountsModel.LineDecoration> decorations = enabled
                    ? counts.decorations(tracked.uri, document.getNumberOfLines(), HeatScale.LEVELS)
                    : List.of();
            Map<Annotation, Position> added = new HashMap<>();
            for (CountsModel.LineDecoration d : decorations) {
                try {
                    IRegion line = document.getLineInformation(d.line());
                    added.put(new Annotation(type(d.level()), false, d.text()),
                            new Position(line.getOffset(), line.getLength()));
                } catch (BadLocationException e) {
                    // The line is gone since the counts were taken.
                }
            }
            Annotation[] old = shown.remove(model);
            extension.replaceAnnotations(old, added);
            if (!added.isEmpty()) {
                still.put(model, added.keySet().toArray(Annotation[]::new));
            }
        }
        shown.clear();
        shown.putAll(still);
    }

    void dispose() {
        counts.removeListener(this);
        for (Map.Entry<IAnnotationModel, Annotation[]> e : shown.entrySet()) {
            if (e.getKey() instanceof IAnnotationModelExtension extension) {
                extension.replaceAnnotations(e.getValue(), Map.of());
            }
        }
        shown.clear();
    }
}
