// The heat map's model: colour scaling and decorations from `tracer/counts` notifications.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    afterLineText,
    CountsStore,
    formatCount,
    formatRate,
    gutterIconSvg,
    HEAT_LEVELS,
    heatLevel,
    levelStyles,
    mixColor,
    parseCountsNotification,
    parseHexColor,
} from '../src/heatMap';

test('no events is level 0; the hottest site is the top level, the coldest level 1', () => {
    assert.equal(heatLevel(0, 1, 100), 0);
    assert.equal(heatLevel(5, 0, 0), 0);
    assert.equal(heatLevel(100, 3, 100), HEAT_LEVELS);
    assert.equal(heatLevel(3, 3, 100), 1);
});

test('all sites equal (or a single one): all hot', () => {
    assert.equal(heatLevel(1, 1, 1), HEAT_LEVELS);
    assert.equal(heatLevel(500, 500, 500), HEAT_LEVELS);
});

test('levels grow with the count and stay in 1..levels', () => {
    let previous = 0;
    for (const count of [1, 2, 10, 100, 1_000, 10_000, 100_000, 1_000_000]) {
        const level = heatLevel(count, 1, 1_000_000);
        assert.ok(level >= 1 && level <= HEAT_LEVELS, `level ${level} for ${count}`);
        assert.ok(level >= previous, `level drops at ${count}`);
        previous = level;
    }
});

test('the scale is logarithmic between the coldest and the hottest site', () => {
    // 1,000 is half-way between 1 and 1,000,000 on a log scale.
    assert.equal(heatLevel(1_000, 1, 1_000_000), 1 + Math.round(0.5 * (HEAT_LEVELS - 1)));
    // Counts within one decade still spread over the whole palette.
    assert.equal(heatLevel(12_000, 12_000, 120_000), 1);
    assert.equal(heatLevel(60_000, 12_000, 120_000), 6);
});

test('hex colours parse in long and short form; junk is rejected', () => {
    assert.deepEqual(parseHexColor('#ff8000'), { r: 255, g: 128, b: 0 });
    assert.deepEqual(parseHexColor(' #F80 '), { r: 255, g: 136, b: 0 });
    assert.equal(parseHexColor('red'), undefined);
    assert.equal(parseHexColor('#12345'), undefined);
});

test('colours mix linearly and clamp', () => {
    const cold = { r: 0, g: 0, b: 255 };
    const hot = { r: 255, g: 0, b: 0 };
    assert.deepEqual(mixColor(cold, hot, 0), cold);
    assert.deepEqual(mixColor(cold, hot, 1), hot);
    assert.deepEqual(mixColor(cold, hot, 0.5), { r: 128, g: 0, b: 128 });
    assert.deepEqual(mixColor(cold, hot, 7), hot);
});

test('level styles run from the cold colour to the hot one, hotter more opaque', () => {
    const styles = levelStyles('#0000ff', '#ff0000', 4);
    assert.deepEqual(
        styles.map((s) => s.color),
        ['#0000ff', '#5500aa', '#aa0055', '#ff0000'],
    );
    assert.equal(styles[0].background, 'rgba(0, 0, 255, 0.08)');
    assert.equal(styles[3].background, 'rgba(255, 0, 0, 0.30)');
});

test('invalid colour settings fall back to the defaults', () => {
    const styles = levelStyles('not a colour', '', 2);
    assert.deepEqual(
        styles.map((s) => s.color),
        ['#2f80ed', '#eb3b24'],
    );
});

test('the gutter icon is an SVG in the level colour', () => {
    assert.match(gutterIconSvg('#aa0055'), /^<svg [^>]*>.*fill="#aa0055".*<\/svg>$/);
});

test('counts and rates read at a glance', () => {
    assert.equal(formatCount(12345), '12,345');
    assert.equal(formatRate(0), '0/s');
    assert.equal(formatRate(2.5), '2.5/s');
    assert.equal(formatRate(950), '950/s');
    assert.equal(formatRate(3210), '3.2k/s');
    assert.equal(formatRate(123_456), '123k/s');
    assert.equal(formatRate(4.5e6), '4.5M/s');
    assert.equal(afterLineText({ line: 0, count: 12345, rate: 3210 }), '● 12,345 (3.2k/s)');
    assert.equal(afterLineText({ line: 0, count: 7, rate: 0 }), '● 7');
});

test('notifications are checked; malformed sites are skipped, not fatal', () => {
    assert.equal(parseCountsNotification(null), undefined);
    assert.equal(parseCountsNotification({ sites: [] }), undefined);
    assert.equal(parseCountsNotification({ uri: 'file:///a.c', sites: 3 }), undefined);
    assert.deepEqual(
        parseCountsNotification({
            uri: 'file:///a.c',
            sites: [
                { line: 4, count: 10, rate: 2 },
                { line: -1, count: 1, rate: 0 },
                { line: 1.5, count: 1, rate: 0 },
                { line: 2, count: 'x', rate: 0 },
                { line: 3, count: 5 },
                'junk',
            ],
        }),
        { uri: 'file:///a.c', sites: [{ line: 4, count: 10, rate: 2 }, { line: 3, count: 5, rate: 0 }] },
    );
});

const C = 'file:///ws/c/hello.c';
const H = 'file:///ws/kernel-style/demo_sched.c';

test('decorations land on the notified lines with level and text', () => {
    const store = new CountsStore();
    store.update({ uri: C, sites: [{ line: 20, count: 6, rate: 0 }, { line: 9, count: 10, rate: 12.4 }, { line: 11, count: 10, rate: 0 }] });
    assert.deepEqual(store.decorations(C), [
        { line: 9, level: HEAT_LEVELS, text: '● 10 (12/s)' },
        { line: 11, level: HEAT_LEVELS, text: '● 10' },
        { line: 20, level: 1, text: '● 6' },
    ]);
    assert.deepEqual(store.decorations('file:///other.c'), []);
});

test('two sites on one line add up', () => {
    const store = new CountsStore();
    store.update({ uri: C, sites: [{ line: 3, count: 2, rate: 1 }, { line: 3, count: 3, rate: 1 }] });
    assert.deepEqual(store.decorations(C), [{ line: 3, level: HEAT_LEVELS, text: '● 5 (2.0/s)' }]);
});

test('lines past the end of the document and sites without events are not decorated', () => {
    const store = new CountsStore();
    store.update({ uri: C, sites: [{ line: 2, count: 4, rate: 0 }, { line: 30, count: 9, rate: 0 }, { line: 5, count: 0, rate: 0 }] });
    assert.deepEqual(
        store.decorations(C, 10).map((d) => d.line),
        [2],
    );
});

test('levels compare across documents: the hottest site anywhere sets the scale', () => {
    const store = new CountsStore();
    store.update({ uri: C, sites: [{ line: 1, count: 1_000, rate: 0 }] });
    store.update({ uri: H, sites: [{ line: 9, count: 1_000_000, rate: 0 }, { line: 12, count: 1, rate: 0 }] });
    assert.equal(store.decorations(C)[0].level, heatLevel(1_000, 1, 1_000_000));
    assert.equal(store.decorations(H)[0].level, HEAT_LEVELS);
});

test('a new notification replaces the document; an empty one or clear() forgets it', () => {
    const store = new CountsStore();
    store.update({ uri: C, sites: [{ line: 1, count: 1, rate: 5 }] });
    store.update({ uri: C, sites: [{ line: 2, count: 2, rate: 7 }] });
    store.update({ uri: H, sites: [{ line: 9, count: 3, rate: 1 }] });
    assert.deepEqual(
        store.decorations(C).map((d) => d.line),
        [2],
    );
    assert.equal(store.totalRate(), 8);
    store.update({ uri: C, sites: [] });
    assert.deepEqual(store.decorations(C), []);
    store.clear();
    assert.deepEqual(store.countRange(), { min: 0, max: 0 });
    assert.deepEqual(store.decorations(H), []);
});
