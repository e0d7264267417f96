package tracer.eclipse.ui.search;

import java.util.Arrays;
import java.util.Comparator;

import org.eclipse.jface.viewers.ArrayContentProvider;
import org.eclipse.jface.viewers.ColumnLabelProvider;
import org.eclipse.jface.viewers.StructuredViewer;
import org.eclipse.jface.viewers.TableViewer;
import org.eclipse.jface.viewers.TreeViewer;
import org.eclipse.search.ui.text.AbstractTextSearchResult;
import org.eclipse.search.ui.text.AbstractTextSearchViewPage;
import org.eclipse.search.ui.text.Match;
import org.eclipse.ui.IEditorPart;
import org.eclipse.ui.PartInitException;
import org.eclipse.ui.texteditor.ITextEditor;

import tracer.eclipse.ui.Editors;

/** The Search view's page for references: a flat list of `file:line: text`, sorted. */
public final class ReferencesPage extends AbstractTextSearchViewPage {
    public ReferencesPage() {
        super(FLAG_LAYOUT_FLAT);
    }

    private static final Comparator<Object> ORDER = Comparator
            .comparing((Object o) -> ((ReferenceLine) o).uri())
            .thenComparingInt(o -> ((ReferenceLine) o).line());

    @Override
    protected void elementsChanged(Object[] objects) {
        refresh();
    }

    private void refresh() {
        StructuredViewer viewer = getViewer();
        AbstractTextSearchResult input = getInput();
        if (viewer == null || viewer.getControl().isDisposed()) {
            return;
        }
        Object[] elements = input == null ? new Object[0] : input.getElements();
        Arrays.sort(elements, ORDER);
        viewer.setInput(elements);
    }

    @Override
    public void setInput(org.eclipse.search.ui.ISearchResult search, Object uiState) {
        super.setInput(search, uiState);
        refresh();
    }

    @Override
    protected void clear() {
        refresh();
    }

    @Override
    protected void configureTreeViewer(TreeViewer viewer) {
        throw new IllegalStateException("the references page is flat");
    }

    @Override
    protected void configureTableViewer(TableViewer viewer) {
        viewer.setContentProvider(ArrayContentProvider.getInstance());
        viewer.setLabelProvider(new ColumnLabelProvider() {
            @Override
            public String getText(Object element) {
                return element instanceof ReferenceLine line ? line.label() : String.valueOf(element);
            }
        });
    }

    @Override
    protected void showMatch(Match match, int currentOffset, int currentLength, boolean activate)
            throws PartInitException {
        ReferenceLine line = (ReferenceLine) match.getElement();
        IEditorPart editor = Editors.open(line.uri());
        if (editor instanceof ITextEditor text) {
            text.selectAndReveal(currentOffset, currentLength);
        }
    }
}
