// Command-line parsing of "Tracer: Record…": shell quoting without a shell.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandLineError, parseCommandLine } from '../src/commandLine';

const argv = (line: string) => parseCommandLine(line, '/home/dev').argv;

test('plain words split on any run of blanks', () => {
    assert.deepEqual(argv('  ./hello   world\tagain '), ['./hello', 'world', 'again']);
});

test('single quotes keep everything literally, backslashes included', () => {
    assert.deepEqual(argv(`./app 'a b' 'c\\d' '$HOME'`), ['./app', 'a b', 'c\\d', '$HOME']);
});

test('double quotes keep blanks and honour \\" \\\\ \\$ only', () => {
    assert.deepEqual(argv(`./app "a b" "say \\"hi\\"" "back\\\\slash" "\\$5" "c\\d"`), [
        './app',
        'a b',
        'say "hi"',
        'back\\slash',
        '$5',
        'c\\d',
    ]);
});

test('quoted parts join the word they touch', () => {
    assert.deepEqual(argv(`--name="a b"c 'x'"y"z`), ['--name=a bc', 'xyz']);
});

test('an empty quoted string is an empty argument', () => {
    assert.deepEqual(argv(`./app '' ""`), ['./app', '', '']);
});

test('a backslash escapes the next character outside quotes', () => {
    assert.deepEqual(argv('./my\\ app a\\"b \\|'), ['./my app', 'a"b', '|']);
});

test('a backslash-newline continues the line', () => {
    assert.deepEqual(argv('./app \\\n  --flag'), ['./app', '--flag']);
});

test('leading NAME=value words become the environment', () => {
    const parsed = parseCommandLine(`LD_LIBRARY_PATH=/opt/lib MSG="a b" ./app X=1`, '/home/dev');
    assert.deepEqual(parsed.env, { LD_LIBRARY_PATH: '/opt/lib', MSG: 'a b' });
    assert.deepEqual(parsed.argv, ['./app', 'X=1']);
});

test('a quoted name is not an assignment', () => {
    const parsed = parseCommandLine(`"A=1" ./app`, '/home/dev');
    assert.deepEqual(parsed.env, {});
    assert.deepEqual(parsed.argv, ['A=1', './app']);
});

test('a leading unquoted ~ is the home directory, a quoted one is not', () => {
    assert.deepEqual(argv(`~/bin/app ~ '~/x' a~b`), ['/home/dev/bin/app', '/home/dev', '~/x', 'a~b']);
    assert.deepEqual(parseCommandLine('OUT=~/traces ./app', '/home/dev').env, { OUT: '/home/dev/traces' });
});

test('unicode passes through unchanged', () => {
    assert.deepEqual(argv(`./app "héllo wörld" ✓`), ['./app', 'héllo wörld', '✓']);
});

function failsAt(line: string, column: number, pattern: RegExp) {
    assert.throws(
        () => parseCommandLine(line),
        (e: unknown) => e instanceof CommandLineError && e.column === column && pattern.test(e.message),
    );
}

test('unterminated quotes name the column of the opening quote', () => {
    failsAt(`./app 'oops`, 7, /unterminated single quote/);
    failsAt(`./app "oops`, 7, /unterminated double quote/);
});

test('a trailing backslash is an error', () => {
    failsAt('./app \\', 7, /backslash ends/);
});

test('shell operators and expansions are refused with the reason', () => {
    failsAt('./app | grep x', 7, /needs a shell/);
    failsAt('./app > out.txt', 7, /needs a shell/);
    failsAt('./app; ./other', 6, /needs a shell/);
    failsAt('./app $HOME', 7, /expansion is not supported/);
    failsAt('./app "$HOME"', 8, /expansion is not supported/);
    failsAt('./app `date`', 7, /expansion is not supported/);
});

test('nothing to run is an error', () => {
    failsAt('   ', 4, /empty/);
    failsAt('A=1 B=2', 8, /no program/);
});
