package tracer.eclipse.client;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * The latest `tracer/counts` notification of each document (`{uri, sites: [{line, count,
 * rate}]}`, lines 0-based), merged per line. The Tracer view, the heat map and the status line
 * read it; the server is its only source. Thread-safe: notifications arrive on lsp4j's reader
 * thread, readers run on the UI thread.
 */
public final class CountsModel {
    /** One row of the Tracer view: a probe-site line of a document and its figures. */
    public record Row(String uri, int line, double count, double rate) {
    }

    /** What to draw on one line of a document: its heat level (1..levels) and the text after it. */
    public record LineDecoration(int line, int level, String text) {
    }

    private final Map<String, List<SiteCount>> byUri = new LinkedHashMap<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /**
     * Checks a notification's shape: malformed sites are skipped, a notification without a
     * `uri` string or a `sites` array is rejected (empty).
     */
    public static Optional<Map.Entry<String, List<SiteCount>>> parse(JsonElement params) {
        if (params == null || !params.isJsonObject()) {
            return Optional.empty();
        }
        JsonObject object = params.getAsJsonObject();
        JsonElement uri = object.get("uri");
        JsonElement sites = object.get("sites");
        if (uri == null || !uri.isJsonPrimitive() || !uri.getAsJsonPrimitive().isString() || sites == null
                || !sites.isJsonArray()) {
            return Optional.empty();
        }
        List<SiteCount> parsed = new ArrayList<>();
        for (JsonElement site : (JsonArray) sites) {
            if (!site.isJsonObject()) {
                continue;
            }
            JsonObject s = site.getAsJsonObject();
            Double line = number(s.get("line"));
            Double count = number(s.get("count"));
            Double rate = number(s.get("rate"));
            if (line == null || line < 0 || line != Math.floor(line) || line > Integer.MAX_VALUE || count == null
                    || count < 0) {
                continue;
            }
            parsed.add(new SiteCount(line.intValue(), count, rate != null && rate > 0 ? rate : 0));
        }
        return Optional.of(Map.entry(uri.getAsString(), parsed));
    }

    private static Double number(JsonElement e) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            return null;
        }
        double v = e.getAsDouble();
        return Double.isFinite(v) ? v : null;
    }

    /** Two sites on one line add up; sorted by line; lines at or past lineCount are dropped. */
    public static List<SiteCount> mergeByLine(List<SiteCount> sites, int lineCount) {
        TreeMap<Integer, SiteCount> byLine = new TreeMap<>();
        for (SiteCount site : sites) {
            if (site.line() >= lineCount) {
                continue;
            }
            byLine.merge(site.line(), site,
                    (a, b) -> new SiteCount(a.line(), a.count() + b.count(), a.rate() + b.rate()));
        }
        return new ArrayList<>(byLine.values());
    }

    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    private void changed() {
        listeners.forEach(Runnable::run);
    }

    /** Replaces the counts of `uri`; an empty list forgets the document. */
    public void update(String uri, List<SiteCount> sites) {
        synchronized (this) {
            if (sites.isEmpty()) {
                byUri.remove(uri);
            } else {
                byUri.put(uri, mergeByLine(sites, Integer.MAX_VALUE));
            }
        }
        changed();
    }

    public void clear() {
        synchronized (this) {
            byUri.clear();
        }
        changed();
    }

    /** Every probe-site line with counts, by document then line. */
    public synchronized List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        byUri.forEach((uri, sites) -> sites.forEach(s -> rows.add(new Row(uri, s.line(), s.count(), s.rate()))));
        rows.sort(Comparator.comparing(Row::uri).thenComparingInt(Row::line));
        return rows;
    }

    /** The documents that have counts. */
    public synchronized List<String> uris() {
        return new ArrayList<>(byUri.keySet());
    }

    /** Sum of the current rates: the recording's events per second. */
    public synchronized double totalRate() {
        return byUri.values().stream().flatMap(List::stream).mapToDouble(SiteCount::rate).sum();
    }

    /** Sum of all counts. */
    public synchronized double totalCount() {
        return byUri.values().stream().flatMap(List::stream).mapToDouble(SiteCount::count).sum();
    }

    /**
     * The heat-map decorations of one document whose text has `lineCount` lines. Levels are
     * scaled over every document's sites, so colours compare across files.
     */
    public synchronized List<LineDecoration> decorations(String uri, int lineCount, int levels) {
        List<SiteCount> sites = byUri.get(uri);
        if (sites == null) {
            return List.of();
        }
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (List<SiteCount> doc : byUri.values()) {
            for (SiteCount s : doc) {
                if (s.count() > 0) {
                    min = Math.min(min, s.count());
                    max = Math.max(max, s.count());
                }
            }
        }
        List<LineDecoration> out = new ArrayList<>();
        for (SiteCount s : mergeByLine(sites, lineCount)) {
            int level = HeatScale.level(s.count(), min, max, levels);
            if (level > 0) {
                out.add(new LineDecoration(s.line(), level, Figures.afterLine(s)));
            }
        }
        return out;
    }
}
