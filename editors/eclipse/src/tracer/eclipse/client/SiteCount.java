package tracer.eclipse.client;

/** One probe-site line of a `tracer/counts` notification: 0-based line, events, events/s. */
public record SiteCount(int line, double count, double rate) {
}
