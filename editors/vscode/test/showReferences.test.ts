// The "N call sites" code lens arguments that go to VS Code's references view.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseShowReferencesArguments } from '../src/showReferences';

const range = { start: { line: 9, character: 1 }, end: { line: 9, character: 18 } };

test('the server shape [uri, position, locations] is accepted', () => {
    const args = ['file:///ws/h.h', { line: 10, character: 0 }, [{ uri: 'file:///ws/a.c', range }]];
    assert.deepEqual(parseShowReferencesArguments(args), {
        uri: 'file:///ws/h.h',
        position: { line: 10, character: 0 },
        locations: [{ uri: 'file:///ws/a.c', range }],
    });
});

test('each malformed argument is named', () => {
    assert.match(String(parseShowReferencesArguments([])), /first argument/);
    assert.match(String(parseShowReferencesArguments(['u', { line: -1, character: 0 }, []])), /second argument/);
    assert.match(String(parseShowReferencesArguments(['u', { line: 1, character: 0 }, [{ uri: 'x' }]])), /third argument/);
});
