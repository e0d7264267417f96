package tracer.eclipse.ui;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jface.layout.GridDataFactory;
import org.eclipse.jface.viewers.ArrayContentProvider;
import org.eclipse.jface.viewers.ColumnLabelProvider;
import org.eclipse.jface.viewers.IStructuredSelection;
import org.eclipse.jface.viewers.TableViewer;
import org.eclipse.jface.viewers.TableViewerColumn;
import org.eclipse.jface.viewers.Viewer;
import org.eclipse.jface.viewers.ViewerComparator;
import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Table;
import org.eclipse.swt.widgets.TableColumn;
import org.eclipse.ui.PartInitException;
import org.eclipse.ui.part.ViewPart;

import tracer.eclipse.client.CountsModel;
import tracer.eclipse.client.Figures;
import tracer.eclipse.client.Uris;

/**
 * The Tracer view: a status line (what is recording, its events, rate and lost events, from the
 * server's progress) and a sortable table of every probe-site line with counts (file, line,
 * count, rate, source text), fed by `tracer/counts`. Double-click opens the line.
 */
public final class TracerView extends ViewPart {
    public static final String ID = "tracer.eclipse.view";

    static final String[] COLUMNS = {"File", "Line", "Count", "Rate", "Source"};
    private static final int[] WIDTHS = {140, 50, 90, 80, 360};

    private Label status;
    private TableViewer viewer;
    private int sortColumn = 2;
    private boolean descending = true;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable update = this::scheduleRefresh;
    /** Source lines read from files that are not open, by URI. */
    private final Map<String, String[]> fileLines = new HashMap<>();

    @Override
    public void createPartControl(Composite parent) {
        parent.setLayout(new GridLayout(1, false));
        status = new Label(parent, SWT.WRAP);
        GridDataFactory.fillDefaults().grab(true, false).applyTo(status);
        viewer = new TableViewer(parent, SWT.FULL_SELECTION | SWT.SINGLE | SWT.BORDER | SWT.V_SCROLL | SWT.H_SCROLL);
        Table table = viewer.getTable();
        table.setHeaderVisible(true);
        table.setLinesVisible(true);
        GridDataFactory.fillDefaults().grab(true, true).applyTo(table);
        viewer.setContentProvider(ArrayContentProvider.getInstance());
        for (int i = 0; i < COLUMNS.length; i++) {
            int column = i;
            TableViewerColumn c = new TableViewerColumn(viewer, SWT.NONE);
            c.getColumn().setText(COLUMNS[i]);
            c.getColumn().setWidth(WIDTHS[i]);
            c.getColumn().setAlignment(i >= 1 && i <= 3 ? SWT.RIGHT : SWT.LEFT);
            c.setLabelProvider(new ColumnLabelProvider() {
                @Override
                public String getText(Object element) {
                    return cell((CountsModel.Row) element, column);
                }
            });
            c.getColumn().addListener(SWT.Selection, e -> sortBy(column));
        }
        viewer.setComparator(new ViewerComparator() {
            @Override
            public int compare(Viewer v, Object a, Object b) {
                int order = comparator(sortColumn).compare((CountsModel.Row) a, (CountsModel.Row) b);
                return descending ? -order : order;
            }
        });
        viewer.addDoubleClickListener(e -> {
            Object row = ((IStructuredSelection) e.getSelection()).getFirstElement();
            if (row instanceof CountsModel.Row r) {
                try {
                    Editors.openLine(r.uri(), r.line());
                } catch (PartInitException ex) {
                    TracerPlugin.warn("cannot open " + r.uri(), ex);
                }
            }
        });
        showSortIndicator();
        TracerPlugin.get().counts().addListener(update);
        TracerPlugin.get().recording().addListener(update);
        refresh();
    }

    private Comparator<CountsModel.Row> comparator(int column) {
        return switch (column) {
            case 0 -> Comparator.comparing((CountsModel.Row r) -> fileName(r.uri())).thenComparingInt(CountsModel.Row::line);
            case 1 -> Comparator.comparingInt(CountsModel.Row::line);
            case 2 -> Comparator.comparingDouble(CountsModel.Row::count);
            case 3 -> Comparator.comparingDouble(CountsModel.Row::rate);
            default -> Comparator.comparing((CountsModel.Row r) -> source(r));
        };
    }

    private void sortBy(int column) {
        descending = column == sortColumn ? !descending : column >= 2 && column <= 3;
        sortColumn = column;
        showSortIndicator();
        viewer.refresh();
    }

    private void showSortIndicator() {
        Table table = viewer.getTable();
        TableColumn column = table.getColumn(sortColumn);
        table.setSortColumn(column);
        table.setSortDirection(descending ? SWT.DOWN : SWT.UP);
    }

    private static String fileName(String uri) {
        File f = Uris.file(uri);
        return f == null ? uri : f.getName();
    }

    private String cell(CountsModel.Row row, int column) {
        return switch (column) {
            case 0 -> fileName(row.uri());
            case 1 -> Integer.toString(row.line() + 1);
            case 2 -> Figures.count(row.count());
            case 3 -> row.rate() > 0 ? Figures.rate(row.rate()) : "";
            default -> source(row);
        };
    }

    /** The probe site's source line, from the open document or else the file. */
    private String source(CountsModel.Row row) {
        DocumentSync.Tracked tracked = TracerPlugin.get().documents().get(row.uri());
        try {
            if (tracked != null) {
                var doc = tracked.document();
                if (row.line() < doc.getNumberOfLines()) {
                    return doc.get(doc.getLineOffset(row.line()), doc.getLineLength(row.line())).strip();
                }
                return "";
            }
            String[] lines = fileLines.computeIfAbsent(row.uri(), uri -> {
                File f = Uris.file(uri);
                try {
                    return f == null ? new String[0] : Files.readString(f.toPath(), StandardCharsets.UTF_8).split("\n", -1);
                } catch (java.io.IOException e) {
                    return new String[0];
                }
            });
            return row.line() < lines.length ? lines[row.line()].strip() : "";
        } catch (org.eclipse.jface.text.BadLocationException e) {
            return "";
        }
    }

    private void scheduleRefresh() {
        if (viewer == null || !scheduled.compareAndSet(false, true)) {
            return;
        }
        viewer.getControl().getDisplay().asyncExec(() -> {
            scheduled.set(false);
            refresh();
        });
    }

    private void refresh() {
        if (viewer.getControl().isDisposed()) {
            return;
        }
        fileLines.clear();
        List<CountsModel.Row> rows = TracerPlugin.get().counts().rows();
        viewer.setInput(rows.toArray());
        RecordingController recording = TracerPlugin.get().recording();
        String line = recording.status();
        if (line.isEmpty()) {
            line = rows.isEmpty() ? "No counts. Tracer > Record… runs a program and counts its probe sites."
                    : "Counts of the last recording.";
        }
        double total = TracerPlugin.get().counts().totalCount();
        if (!rows.isEmpty()) {
            line += "   —   " + rows.size() + (rows.size() == 1 ? " probe site, " : " probe sites, ")
                    + Figures.count(total) + " events";
        }
        status.setText(line);
        String trace = recording.lastTrace();
        status.setToolTipText(trace == null ? null : "Trace: " + trace);
        // Lost events are never silent: the line turns red while the recording reports some.
        Figures.Progress figures = recording.figures();
        boolean lost = figures != null && figures.lost().isPresent() && figures.lost().getAsDouble() > 0;
        status.setForeground(lost ? status.getDisplay().getSystemColor(SWT.COLOR_DARK_RED) : null);
        status.getParent().layout();
    }

    /** The rows as shown, in display order (the end-to-end test reads them). */
    public List<String[]> shownRows() {
        Table table = viewer.getTable();
        List<String[]> out = new java.util.ArrayList<>();
        for (int i = 0; i < table.getItemCount(); i++) {
            String[] cells = new String[COLUMNS.length];
            for (int c = 0; c < cells.length; c++) {
                cells[c] = table.getItem(i).getText(c);
            }
            out.add(cells);
        }
        return out;
    }

    public String statusText() {
        return status.getText();
    }

    @Override
    public void setFocus() {
        viewer.getControl().setFocus();
    }

    @Override
    public void dispose() {
        TracerPlugin.get().counts().removeListener(update);
        TracerPlugin.get().recording().removeListener(update);
        super.dispose();
    }
}
