// The client side of recording: command arguments, history, progress figures, status text.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from '../src/commandLine';
import {
    liveUrlProblem,
    parseProgressMessage,
    proposedCommandLines,
    recordArguments,
    recordingId,
    rememberCommandLine,
    statusView,
    stopArguments,
} from '../src/recording';

const defaults = { mode: 'discard' as const, subbufferSize: null, subbufferCount: null, outputDirectory: '' };

test('tracer.record gets argv, cwd and mode; env only when assigned', () => {
    assert.deepEqual(recordArguments(parseCommandLine(`./hello "big world"`), '/ws/c', defaults), {
        command: ['./hello', 'big world'],
        cwd: '/ws/c',
        mode: 'discard',
    });
    assert.deepEqual(recordArguments(parseCommandLine('N=3 ./hello'), undefined, defaults), {
        command: ['./hello'],
        env: { N: '3' },
        mode: 'discard',
    });
});

test('channel sizes and output directory are sent only when set', () => {
    const args = recordArguments(parseCommandLine('./app'), '/ws', {
        mode: 'overwrite',
        subbufferSize: 262144,
        subbufferCount: 8,
        outputDirectory: '/tmp/traces',
    });
    assert.deepEqual(args, {
        command: ['./app'],
        cwd: '/ws',
        mode: 'overwrite',
        subbufferSize: 262144,
        subbufferCount: 8,
        outputDirectory: '/tmp/traces',
    });
});

test('the recording id comes as a string, a number or {id}', () => {
    assert.equal(recordingId('rec-1'), 'rec-1');
    assert.equal(recordingId(7), '7');
    assert.equal(recordingId({ id: 'r2' }), 'r2');
    assert.equal(recordingId(null), undefined);
    assert.equal(recordingId({}), undefined);
    assert.deepEqual(stopArguments('r2'), [{ id: 'r2' }]);
    assert.deepEqual(stopArguments(undefined), []);
});

test('history keeps the most recent first, without duplicates, bounded', () => {
    let history: string[] = [];
    for (const line of ['./a', './b', ' ./a ', '', './c']) {
        history = rememberCommandLine(history, line, 3);
    }
    assert.deepEqual(history, ['./c', './a', './b']);
    assert.deepEqual(rememberCommandLine(['1', '2', '3', '4'], '5', 3), ['5', '1', '2']);
});

test('the setting is proposed first, then the history', () => {
    assert.deepEqual(proposedCommandLines(' ./from-settings ', ['./x', './from-settings']), ['./from-settings', './x']);
    assert.deepEqual(proposedCommandLines('', ['./x']), ['./x']);
});

test('progress messages give events, rate and lost when they carry them', () => {
    assert.deepEqual(parseProgressMessage('12,345 events, 3.2k/s, 17 lost'), { events: 12345, rate: 3200, lost: 17 });
    assert.deepEqual(parseProgressMessage('1.5M events (250 events/s), lost: 3'), { events: 1_500_000, rate: 250, lost: 3 });
    assert.deepEqual(parseProgressMessage('250 events/s'), { rate: 250 });
    assert.deepEqual(parseProgressMessage('starting ./hello'), {});
    assert.deepEqual(parseProgressMessage(undefined), {});
});

test('the status bar says idle, starting, or the rate and lost events', () => {
    assert.equal(statusView({ kind: 'idle' }).text, '$(pulse) Tracer');
    assert.match(statusView({ kind: 'starting', commandLine: './hello' }).tooltip, /\.\/hello.*stop/);
    const quiet = statusView({ kind: 'recording', commandLine: './hello', rate: 3210, lost: 0 });
    assert.equal(quiet.text, '$(record) 3.2k ev/s');
    assert.equal(quiet.warning, false);
    const lossy = statusView({ kind: 'recording', commandLine: './hello', rate: 10, lost: 1234 });
    assert.equal(lossy.text, '$(record) 10 ev/s · 1,234 lost');
    assert.equal(lossy.warning, true);
    assert.match(lossy.tooltip, /Click to stop/);
});

test('live-session URLs are checked before tracer.attach', () => {
    assert.equal(liveUrlProblem('net://localhost/host/board/demo'), undefined);
    assert.equal(liveUrlProblem(' net://10.0.0.2:5344/host/board/2026-11-27 '), undefined);
    assert.equal(liveUrlProblem('net://[::1]:5344/host/h/s'), undefined);
    assert.match(liveUrlProblem('net://localhost') ?? '', /net:\/\/HOST/);
    assert.match(liveUrlProblem('http://localhost/host/h/s') ?? '', /net:\/\/HOST/);
    assert.match(liveUrlProblem('net://localhost/host/h') ?? '', /net:\/\/HOST/);
    assert.match(liveUrlProblem('net://localhost:0/host/h/s') ?? '', /port 0/);
    assert.match(liveUrlProblem('net://localhost:70000/host/h/s') ?? '', /port 70000/);
});
