// The heat map's model: the latest `tracer/counts` notification of each document, the heat level
// of each probe-site line (log-scaled between the coldest and the hottest site of the whole
// workspace, so colours compare across files), the colours of those levels, and the text drawn
// after a line. The extension turns this into VS Code decorations; nothing here knows about VS Code.

/** One probe-site line of a `tracer/counts` notification (line is 0-based, as in LSP). */
export interface SiteCount {
    line: number;
    count: number;
    /** Events per second over the last second. */
    rate: number;
}

/** The `tracer/counts` notification: `{uri, sites: [{line, count, rate}]}`. */
export interface CountsNotification {
    uri: string;
    sites: SiteCount[];
}

export const COUNTS_NOTIFICATION = 'tracer/counts';

/** Number of distinct colours between cold and hot; level 0 means "no events". */
export const HEAT_LEVELS = 8;

function isFiniteNumber(v: unknown): v is number {
    return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Checks a notification's shape. Malformed sites are skipped rather than failing the whole
 * notification; a notification without a `uri` string or `sites` array is rejected.
 */
export function parseCountsNotification(value: unknown): CountsNotification | undefined {
    if (typeof value !== 'object' || value === null) {
        return undefined;
    }
    const { uri, sites } = value as { uri?: unknown; sites?: unknown };
    if (typeof uri !== 'string' || !Array.isArray(sites)) {
        return undefined;
    }
    const parsed: SiteCount[] = [];
    for (const site of sites as unknown[]) {
        if (typeof site !== 'object' || site === null) {
            continue;
        }
        const { line, count, rate } = site as { line?: unknown; count?: unknown; rate?: unknown };
        if (!isFiniteNumber(line) || !Number.isInteger(line) || line < 0 || !isFiniteNumber(count) || count < 0) {
            continue;
        }
        parsed.push({ line, count, rate: isFiniteNumber(rate) && rate > 0 ? rate : 0 });
    }
    return { uri, sites: parsed };
}

/**
 * The heat level of `count` among sites whose counts run from `minCount` to `maxCount` (both
 * over sites with events): 0 for no events, else 1..levels on a logarithmic scale between the
 * coldest and the hottest site, so that a site with a million events does not wash out the ones
 * with a thousand, and counts of 12,000 and 120,000 still get distinct colours.
 */
export function heatLevel(count: number, minCount: number, maxCount: number, levels: number = HEAT_LEVELS): number {
    if (!(count > 0) || !(maxCount > 0)) {
        return 0;
    }
    const low = Math.max(1, Math.min(minCount, count));
    if (count >= maxCount || maxCount <= low) {
        return levels;
    }
    const t = (Math.log(count) - Math.log(low)) / (Math.log(maxCount) - Math.log(low));
    return Math.min(levels, Math.max(1, 1 + Math.round(t * (levels - 1))));
}

export interface Rgb {
    r: number;
    g: number;
    b: number;
}

/** Parses `#rgb` or `#rrggbb`; undefined for anything else. */
export function parseHexColor(text: string): Rgb | undefined {
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(text.trim());
    if (!m) {
        return undefined;
    }
    const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
    return {
        r: parseInt(hex.slice(0, 2), 16),
        g: parseInt(hex.slice(2, 4), 16),
        b: parseInt(hex.slice(4, 6), 16),
    };
}

/** Linear mix: t = 0 gives `cold`, t = 1 gives `hot`. */
export function mixColor(cold: Rgb, hot: Rgb, t: number): Rgb {
    const k = Math.min(1, Math.max(0, t));
    const mix = (a: number, b: number) => Math.round(a + (b - a) * k);
    return { r: mix(cold.r, hot.r), g: mix(cold.g, hot.g), b: mix(cold.b, hot.b) };
}

export function toHex(c: Rgb): string {
    return '#' + [c.r, c.g, c.b].map((v) => v.toString(16).padStart(2, '0')).join('');
}

export function toRgba(c: Rgb, alpha: number): string {
    return `rgba(${c.r}, ${c.g}, ${c.b}, ${alpha.toFixed(2)})`;
}

/** How one heat level is drawn. */
export interface LevelStyle {
    level: number;
    /** Solid colour of the gutter mark and overview ruler. */
    color: string;
    /** Translucent line background: hotter lines are more opaque, text stays readable. */
    background: string;
}

export const DEFAULT_COLD = '#2f80ed';
export const DEFAULT_HOT = '#eb3b24';

/** Styles of levels 1..levels (index 0 is level 1). Bad colours fall back to the defaults. */
export function levelStyles(coldText: string, hotText: string, levels: number = HEAT_LEVELS): LevelStyle[] {
    const cold = parseHexColor(coldText) ?? (parseHexColor(DEFAULT_COLD) as Rgb);
    const hot = parseHexColor(hotText) ?? (parseHexColor(DEFAULT_HOT) as Rgb);
    const styles: LevelStyle[] = [];
    for (let level = 1; level <= levels; level++) {
        const t = levels === 1 ? 1 : (level - 1) / (levels - 1);
        const color = mixColor(cold, hot, t);
        styles.push({ level, color: toHex(color), background: toRgba(color, 0.08 + 0.22 * t) });
    }
    return styles;
}

/** A gutter mark: a rounded bar in `color`, as an SVG document. */
export function gutterIconSvg(color: string): string {
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
        `<rect x="4" y="1" width="6" height="14" rx="2" fill="${color}"/></svg>`
    );
}

const GROUPED = new Intl.NumberFormat('en-US');

/** 12345 -> "12,345". */
export function formatCount(count: number): string {
    return GROUPED.format(Math.round(count));
}

/** Events per second, short: 950 -> "950/s", 3210 -> "3.2k/s", 4.5e6 -> "4.5M/s". */
export function formatRate(rate: number): string {
    const units: [number, string][] = [
        [1e9, 'G'],
        [1e6, 'M'],
        [1e3, 'k'],
    ];
    for (const [scale, unit] of units) {
        if (rate >= scale) {
            const v = rate / scale;
            return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}${unit}/s`;
        }
    }
    return `${rate >= 10 || rate === 0 ? rate.toFixed(0) : rate.toFixed(1)}/s`;
}

/** The text after a probe-site line: "● 12,345 (3.2k/s)", the rate only while it is non-zero. */
export function afterLineText(site: SiteCount): string {
    const rate = site.rate > 0 ? ` (${formatRate(site.rate)})` : '';
    return `● ${formatCount(site.count)}${rate}`;
}

/** What to draw on one line of a document. */
export interface LineDecoration {
    line: number;
    level: number;
    text: string;
}

/**
 * Sites of one document merged per line (two sites on a line add up), sorted by line.
 * Lines at or past `lineCount` (the document changed since the counts were taken) are dropped.
 */
export function mergeSitesByLine(sites: readonly SiteCount[], lineCount: number = Infinity): SiteCount[] {
    const byLine = new Map<number, SiteCount>();
    for (const site of sites) {
        if (site.line >= lineCount) {
            continue;
        }
        const seen = byLine.get(site.line);
        byLine.set(
            site.line,
            seen ? { line: site.line, count: seen.count + site.count, rate: seen.rate + site.rate } : { ...site },
        );
    }
    return [...byLine.values()].sort((a, b) => a.line - b.line);
}

/** The counts of every document, as last notified. */
export class CountsStore {
    private readonly byUri = new Map<string, SiteCount[]>();

    /** Replaces the counts of `notification.uri` (an empty `sites` forgets the document). */
    update(notification: CountsNotification): void {
        if (notification.sites.length === 0) {
            this.byUri.delete(notification.uri);
        } else {
            this.byUri.set(notification.uri, mergeSitesByLine(notification.sites));
        }
    }

    clear(): void {
        this.byUri.clear();
    }

    /** The lowest and highest per-line counts with events over all documents (0, 0 when none). */
    countRange(): { min: number; max: number } {
        let min = Infinity;
        let max = 0;
        for (const sites of this.byUri.values()) {
            for (const site of sites) {
                if (site.count > 0) {
                    min = Math.min(min, site.count);
                    max = Math.max(max, site.count);
                }
            }
        }
        return max > 0 ? { min, max } : { min: 0, max: 0 };
    }

    /** Sum of the current rates over all documents: the recording's events per second. */
    totalRate(): number {
        let sum = 0;
        for (const sites of this.byUri.values()) {
            for (const site of sites) {
                sum += site.rate;
            }
        }
        return sum;
    }

    /** The decorations of one document, whose text has `lineCount` lines. */
    decorations(uri: string, lineCount: number = Infinity, levels: number = HEAT_LEVELS): LineDecoration[] {
        const sites = this.byUri.get(uri);
        if (!sites) {
            return [];
        }
        const { min, max } = this.countRange();
        return mergeSitesByLine(sites, lineCount)
            .map((site) => ({ line: site.line, level: heatLevel(site.count, min, max, levels), text: afterLineText(site) }))
            .filter((d) => d.level > 0);
    }
}
