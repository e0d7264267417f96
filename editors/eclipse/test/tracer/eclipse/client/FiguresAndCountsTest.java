package tracer.eclipse.client;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;

import com.google.gson.JsonParser;

/** Counts, rates and progress text; the counts model; heat levels and their colours. */
public class FiguresAndCountsTest {
    @Test
    public void countsAndRatesReadAsInVsCode() {
        assertEquals("12,345", Figures.count(12345));
        assertEquals("0", Figures.count(0));
        assertEquals("950/s", Figures.rate(950));
        assertEquals("3.2k/s", Figures.rate(3210));
        assertEquals("4.5M/s", Figures.rate(4.5e6));
        assertEquals("120k/s", Figures.rate(120_000));
        assertEquals("2.5/s", Figures.rate(2.5));
        assertEquals("● 12,345 (3.2k/s)", Figures.afterLine(new SiteCount(3, 12345, 3210)));
        assertEquals("● 7", Figures.afterLine(new SiteCount(3, 7, 0)));
    }

    @Test
    public void progressMessagesGiveTheirFigures() {
        Figures.Progress p = Figures.progress("12,345 events, 3.2k/s, 17 lost");
        assertEquals(12345, p.events().getAsDouble(), 0);
        assertEquals(3200, p.rate().getAsDouble(), 0.001);
        assertEquals(17, p.lost().getAsDouble(), 0);
        Figures.Progress partial = Figures.progress("starting ./hello");
        assertFalse(partial.events().isPresent() || partial.rate().isPresent() || partial.lost().isPresent());
        assertEquals(3, Figures.progress("lost: 3").lost().getAsDouble(), 0);
    }

    @Test
    public void malformedSitesAreSkippedAndMalformedNotificationsRejected() {
        var parsed = CountsModel.parse(JsonParser.parseString("{\"uri\": \"file:///a.c\", \"sites\": ["
                + "{\"line\": 2, \"count\": 5, \"rate\": 1.5}, {\"line\": -1, \"count\": 1}, {\"line\": 1.5, \"count\": 1},"
                + "{\"line\": 4, \"count\": \"many\"}, 7, {\"line\": 6, \"count\": 3, \"rate\": -2}]}")).orElseThrow();
        assertEquals("file:///a.c", parsed.getKey());
        assertEquals(List.of(new SiteCount(2, 5, 1.5), new SiteCount(6, 3, 0)), parsed.getValue());
        assertTrue(CountsModel.parse(JsonParser.parseString("{\"sites\": []}")).isEmpty());
        assertTrue(CountsModel.parse(JsonParser.parseString("{\"uri\": 3, \"sites\": []}")).isEmpty());
        assertTrue(CountsModel.parse(JsonParser.parseString("[1]")).isEmpty());
    }

    @Test
    public void sitesOnOneLineAddUpAndLinesPastTheEndAreDropped() {
        List<SiteCount> merged = CountsModel.mergeByLine(List.of(new SiteCount(5, 10, 1), new SiteCount(2, 1, 0),
                new SiteCount(5, 30, 2), new SiteCount(40, 9, 9)), 20);
        assertEquals(List.of(new SiteCount(2, 1, 0), new SiteCount(5, 40, 3)), merged);
    }

    @Test
    public void decorationsAreScaledOverEveryDocumentAndClearedWithTheModel() {
        CountsModel model = new CountsModel();
        int[] notified = {0};
        model.addListener(() -> notified[0]++);
        model.update("a", List.of(new SiteCount(1, 10, 0), new SiteCount(3, 0, 0)));
        model.update("b", List.of(new SiteCount(0, 100_000, 50)));
        List<CountsModel.LineDecoration> a = model.decorations("a", 10, 8);
        assertEquals("a site without events is not drawn", 1, a.size());
        assertEquals("the coldest site of the workspace", 1, a.get(0).level());
        assertEquals(8, model.decorations("b", 10, 8).get(0).level());
        assertEquals(50, model.totalRate(), 0);
        model.update("b", List.of());
        assertEquals(List.of("a"), model.uris());
        model.clear();
        assertTrue(model.rows().isEmpty());
        assertEquals(4, notified[0]);
    }

    @Test
    public void heatLevelsAreLogarithmic() {
        assertEquals(0, HeatScale.level(0, 1, 100, 8));
        assertEquals(1, HeatScale.level(10, 10, 1_000_000, 8));
        assertEquals(8, HeatScale.level(1_000_000, 10, 1_000_000, 8));
        int thousand = HeatScale.level(1_000, 10, 1_000_000, 8);
        assertTrue("1,000 of 10..1,000,000 is in the middle: " + thousand, thousand >= 3 && thousand <= 5);
        assertTrue(HeatScale.level(12_000, 10, 1_000_000, 8) < HeatScale.level(120_000, 10, 1_000_000, 8));
        assertArrayEquals(new int[] {47, 128, 237}, HeatScale.color(1, 8));
        assertArrayEquals(new int[] {235, 59, 36}, HeatScale.color(8, 8));
        assertEquals("cold over white, pale", "209,227,251", HeatScale.preferenceValue(1));
        assertEquals("hot over white, stronger", "244,147,135", HeatScale.preferenceValue(8));
    }

    /** plugin.xml declares the colours of the heat annotations: they must be the scale's. */
    @Test
    public void pluginXmlHeatColoursAreTheScalesColours() throws Exception {
        String xml = Files.readString(new File(Servers.repo(), "editors/eclipse/plugin.xml").toPath());
        Matcher m = Pattern.compile("annotationType=\"tracer\\.eclipse\\.heat(\\d)\"[^/]*?colorPreferenceValue=\"([^\"]+)\"")
                .matcher(xml);
        int found = 0;
        while (m.find()) {
            assertEquals("level " + m.group(1), HeatScale.preferenceValue(Integer.parseInt(m.group(1))), m.group(2));
            found++;
        }
        assertEquals(HeatScale.LEVELS, found);
    }
}
