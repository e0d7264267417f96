package tracer.eclipse.client;

import java.util.Locale;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How counts and rates read on screen ("12,345", "3.2k/s", "● 12,345 (3.2k/s)"), and the figures
 * read back out of the server's recording progress messages ("12,345 events, 3.2k/s, 17 lost").
 * The same text as the VS Code extension's, so both editors say the same thing.
 */
public final class Figures {
    private Figures() {
    }

    /** 12345 -> "12,345". */
    public static String count(double count) {
        return String.format(Locale.ROOT, "%,d", Math.round(count));
    }

    /** Events per second, short: 950 -> "950/s", 3210 -> "3.2k/s", 4.5e6 -> "4.5M/s". */
    public static String rate(double rate) {
        double[] scales = {1e9, 1e6, 1e3};
        String[] units = {"G", "M", "k"};
        for (int i = 0; i < scales.length; i++) {
            if (rate >= scales[i]) {
                double v = rate / scales[i];
                return String.format(Locale.ROOT, v >= 100 ? "%.0f%s/s" : "%.1f%s/s", v, units[i]);
            }
        }
        return String.format(Locale.ROOT, rate >= 10 || rate == 0 ? "%.0f/s" : "%.1f/s", rate);
    }

    /** The text after a probe-site line: "● 12,345 (3.2k/s)", the rate only while it is non-zero. */
    public static String afterLine(SiteCount site) {
        return "● " + count(site.count()) + (site.rate() > 0 ? " (" + rate(site.rate()) + ")" : "");
    }

    /** Figures of a running recording that a progress message may carry; absent ones are empty. */
    public record Progress(OptionalDouble events, OptionalDouble rate, OptionalDouble lost) {
    }

    private static final Pattern EVENTS = Pattern.compile("(\\d[\\d,]*(?:\\.\\d+)?)\\s*([kMG])?\\s*events?\\b(?!\\s*/)");
    private static final Pattern RATE = Pattern.compile("(\\d[\\d,]*(?:\\.\\d+)?)\\s*([kKMG])?\\s*(?:events?\\s*)?/\\s*s\\b");
    private static final Pattern LOST = Pattern.compile("(\\d[\\d,]*)\\s*([kMG])?\\s*lost\\b|\\blost:?\\s*(\\d[\\d,]*)");

    private static double figure(String text, String unit) {
        double scale = unit == null ? 1 : switch (unit) {
            case "k", "K" -> 1e3;
            case "M" -> 1e6;
            case "G" -> 1e9;
            default -> 1;
        };
        return Double.parseDouble(text.replace(",", "")) * scale;
    }

    /** Reads "12,345 events, 3.2k/s, 17 lost" (any of the three parts may be missing). */
    public static Progress progress(String message) {
        if (message == null) {
            return new Progress(OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty());
        }
        Matcher e = EVENTS.matcher(message);
        Matcher r = RATE.matcher(message);
        Matcher l = LOST.matcher(message);
        return new Progress(
                e.find() ? OptionalDouble.of(figure(e.group(1), e.group(2))) : OptionalDouble.empty(),
                r.find() ? OptionalDouble.of(figure(r.group(1), r.group(2))) : OptionalDouble.empty(),
                l.find() ? OptionalDouble.of(l.group(1) != null ? figure(l.group(1), l.group(2)) : figure(l.group(3), null))
                        : OptionalDouble.empty());
    }
}
