package tracer.eclipse.client;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's hover Markdown turned into the small HTML subset that JFace's hover presenter
 * draws without a browser (`<b>`, `<br>`, `<p>`, `<pre>`): bold, code spans, fenced code blocks
 * and tables (as aligned text), which is all the server writes.
 */
public final class Markdown {
    private static final Pattern BOLD = Pattern.compile("\\*\\*(.+?)\\*\\*");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");
    private static final Pattern TABLE_RULE = Pattern.compile("^\\s*\\|?\\s*:?-{3,}.*$");

    private Markdown() {
    }

    public static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String inline(String line) {
        String html = escape(line);
        html = BOLD.matcher(html).replaceAll("<b>$1</b>");
        return CODE.matcher(html).replaceAll(m -> Matcher.quoteReplacement(m.group(1)));
    }

    private static List<String> cells(String row) {
        String trimmed = row.trim();
        if (trimmed.startsWith("|")) {
            trimmed = trimmed.substring(1);
        }
        if (trimmed.endsWith("|")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        List<String> cells = new ArrayList<>();
        for (String cell : trimmed.split("\\|", -1)) {
            cells.add(cell.trim());
        }
        return cells;
    }

    /** Markdown to the HTML subset; a table's columns are padded to line up in a fixed font. */
    public static String toHtml(String markdown) {
        StringBuilder html = new StringBuilder();
        String[] lines = markdown.replace("\r\n", "\n").split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.trim().startsWith("```")) {
                html.append("<pre>");
                for (i++; i < lines.length && !lines[i].trim().startsWith("```"); i++) {
                    html.append(escape(lines[i])).append('\n');
                }
                html.append("</pre>");
            } else if (line.trim().startsWith("|")) {
                List<List<String>> rows = new ArrayList<>();
                for (; i < lines.length && lines[i].trim().startsWith("|"); i++) {
                    if (!TABLE_RULE.matcher(lines[i]).matches()) {
                        rows.add(cells(lines[i]));
                    }
                }
                i--;
                int columns = rows.stream().mapToInt(List::size).max().orElse(0);
                int[] widths = new int[columns];
                for (List<String> row : rows) {
                    for (int c = 0; c < row.size(); c++) {
                        widths[c] = Math.max(widths[c], row.get(c).replace("`", "").length());
                    }
                }
                html.append("<pre>");
                for (List<String> row : rows) {
                    StringBuilder text = new StringBuilder();
                    for (int c = 0; c < row.size(); c++) {
                        String cell = row.get(c).replace("`", "");
                        text.append(cell).append(" ".repeat(widths[c] - cell.length() + (c + 1 < row.size() ? 2 : 0)));
                    }
                    html.append(escape(text.toString().stripTrailing())).append('\n');
                }
                html.append("</pre>");
            } else if (line.isBlank()) {
                if (html.length() > 0 && !html.toString().endsWith("<p>") && !html.toString().endsWith("</pre>")) {
                    html.append("<p>");
                }
            } else {
                html.append(inline(line));
                if (i + 1 < lines.length && !lines[i + 1].isBlank()) {
                    html.append("<br>");
                }
            }
        }
        return html.toString();
    }
}
