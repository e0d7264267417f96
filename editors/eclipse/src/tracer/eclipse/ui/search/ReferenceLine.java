package tracer.eclipse.ui.search;

/** A line that refers to an event: where it is and what it says (one element of the result). */
public record ReferenceLine(String uri, String fileName, int line, String text) {
    public String label() {
        return fileName + ":" + (line + 1) + ": " + text.strip();
    }
}
