// Server discovery: setting first, then PATH, else a message with the install command.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discoverServer, DiscoveryInput, expandSettingPath, INSTALL_COMMAND } from '../src/serverDiscovery';

function input(files: string[], overrides: Partial<DiscoveryInput> = {}): DiscoveryInput {
    const executables = new Set(files);
    return {
        configuredPath: '',
        workspaceFolder: '/ws',
        homeDir: '/home/dev',
        envPath: '/usr/local/bin:/usr/bin:/home/dev/.cargo/bin',
        platform: 'linux',
        isExecutableFile: (f) => executables.has(f),
        ...overrides,
    };
}

test('without a setting, the first match on PATH wins', () => {
    const found = discoverServer(input(['/usr/bin/tracer-lsp', '/home/dev/.cargo/bin/tracer-lsp']));
    assert.deepEqual(found, { kind: 'found', path: '/usr/bin/tracer-lsp', source: 'PATH' });
});

test('empty PATH entries are skipped', () => {
    const found = discoverServer(input(['/opt/tracer-lsp'], { envPath: '::/opt:' }));
    assert.deepEqual(found, { kind: 'found', path: '/opt/tracer-lsp', source: 'PATH' });
});

test('an absolute setting is used as is, even when PATH has another', () => {
    const found = discoverServer(input(['/usr/bin/tracer-lsp', '/src/target/debug/tracer-lsp'], { configuredPath: '/src/target/debug/tracer-lsp' }));
    assert.deepEqual(found, { kind: 'found', path: '/src/target/debug/tracer-lsp', source: 'setting' });
});

test('~, ${userHome} and ${workspaceFolder} are expanded in the setting', () => {
    const home = discoverServer(input(['/home/dev/bin/tracer-lsp'], { configuredPath: '~/bin/tracer-lsp' }));
    assert.equal(home.kind === 'found' && home.path, '/home/dev/bin/tracer-lsp');
    const ws = discoverServer(input(['/ws/target/debug/tracer-lsp'], { configuredPath: '${workspaceFolder}/target/debug/tracer-lsp' }));
    assert.equal(ws.kind === 'found' && ws.path, '/ws/target/debug/tracer-lsp');
    assert.equal(expandSettingPath('${userHome}/x', '/home/dev'), '/home/dev/x');
});

test('a relative setting resolves against the workspace folder', () => {
    const found = discoverServer(input(['/ws/target/release/tracer-lsp'], { configuredPath: './target/release/tracer-lsp' }));
    assert.deepEqual(found, { kind: 'found', path: '/ws/target/release/tracer-lsp', source: 'setting' });
    const noFolder = discoverServer(input([], { configuredPath: 'target/tracer-lsp', workspaceFolder: undefined }));
    assert.equal(noFolder.kind, 'missing');
    assert.match(noFolder.kind === 'missing' ? noFolder.message : '', /make it absolute/);
});

test('a bare name in the setting is looked up on PATH', () => {
    const found = discoverServer(input(['/usr/bin/tracer-lsp-nightly'], { configuredPath: 'tracer-lsp-nightly' }));
    assert.deepEqual(found, { kind: 'found', path: '/usr/bin/tracer-lsp-nightly', source: 'setting' });
});

test('a setting that points nowhere says so and does not fall back to PATH', () => {
    const result = discoverServer(input(['/usr/bin/tracer-lsp'], { configuredPath: '/nope/tracer-lsp' }));
    assert.equal(result.kind, 'missing');
    const message = result.kind === 'missing' ? result.message : '';
    assert.match(message, /tracer\.serverPath.*\/nope\/tracer-lsp.*not an executable/);
    assert.ok(message.includes(INSTALL_COMMAND), message);
});

test('nothing anywhere: the message gives the install command', () => {
    const result = discoverServer(input([]));
    assert.equal(result.kind, 'missing');
    const message = result.kind === 'missing' ? result.message : '';
    assert.ok(message.includes(INSTALL_COMMAND), message);
    assert.equal(INSTALL_COMMAND, 'cargo install --path server');
    assert.match(message, /tracer\.serverPath/);
});

test('on Windows, PATH uses ; and PATHEXT extensions', () => {
    const found = discoverServer(
        input(['C:\\tools\\tracer-lsp.EXE'], {
            platform: 'win32',
            envPath: 'C:\\Windows;C:\\tools',
            pathExt: '.COM;.EXE',
            homeDir: 'C:\\Users\\dev',
            workspaceFolder: 'C:\\ws',
        }),
    );
    assert.deepEqual(found, { kind: 'found', path: 'C:\\tools\\tracer-lsp.EXE', source: 'PATH' });
});
