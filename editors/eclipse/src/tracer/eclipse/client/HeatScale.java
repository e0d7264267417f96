package tracer.eclipse.client;

/**
 * Heat levels and their colours. A probe site's level is log-scaled between the coldest and
 * the hottest site, so a site with a million events does not wash out the ones with a thousand;
 * level 0 means no events. Colours run from cold (#2f80ed) to hot (#eb3b24), as in VS Code, and
 * the heat map's annotation types (plugin.xml) use their backgrounds.
 */
public final class HeatScale {
    /** Number of distinct colours between cold and hot. */
    public static final int LEVELS = 8;
    public static final int[] COLD = {0x2f, 0x80, 0xed};
    public static final int[] HOT = {0xeb, 0x3b, 0x24};

    private HeatScale() {
    }

    /** The level of `count` among sites whose counts run from min to max (sites with events). */
    public static int level(double count, double min, double max, int levels) {
        if (!(count > 0) || !(max > 0)) {
            return 0;
        }
        double low = Math.max(1, Math.min(min, count));
        if (count >= max || max <= low) {
            return levels;
        }
        double t = (Math.log(count) - Math.log(low)) / (Math.log(max) - Math.log(low));
        return (int) Math.min(levels, Math.max(1, 1 + Math.round(t * (levels - 1))));
    }

    /** The RGB colour of level 1..levels. */
    public static int[] color(int level, int levels) {
        double t = levels == 1 ? 1 : (double) (level - 1) / (levels - 1);
        int[] rgb = new int[3];
        for (int i = 0; i < 3; i++) {
            rgb[i] = (int) Math.round(COLD[i] + (HOT[i] - COLD[i]) * Math.min(1, Math.max(0, t)));
        }
        return rgb;
    }

    /**
     * The line background of a level: its colour laid over white, more opaque when hotter
     * (22% to 55%), so the code stays readable; Eclipse highlights have no alpha of their own.
     */
    public static int[] background(int level, int levels) {
        int[] c = color(level, levels);
        double t = levels == 1 ? 1 : (double) (level - 1) / (levels - 1);
        double alpha = 0.22 + 0.33 * t;
        int[] rgb = new int[3];
        for (int i = 0; i < 3; i++) {
            rgb[i] = (int) Math.round(255 + (c[i] - 255) * alpha);
        }
        return rgb;
    }

    /** The background of a level as "r,g,b", the form Eclipse colour preferences take. */
    public static String preferenceValue(int level) {
        int[] c = background(level, LEVELS);
        return c[0] + "," + c[1] + "," + c[2];
    }
}
