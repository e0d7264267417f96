package tracer.eclipse.client;

/**
 * Heat levels and their colours. A probe site's level is log-scaled between the coldest and
 * the hottest site, so a site with a million events does not wash out the ones with a thousand;
 * level 0 means no events. Colours run from cold (#2f80ed) to hot (#eb3b24), as in VS Code.
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

    /** "r,g,b", the form Eclipse colour preferences take. */
    public static String preferenceValue(int level) {
        int[] c = color(level, LEVELS);
        return c[0] + "," + c[1] + "," + c[2];
    }
}
