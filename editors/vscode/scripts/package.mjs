// Packages the extension into a .vsix, offline: copies the licence texts from the repository
// root, bundles with esbuild (vsce runs `vscode:prepublish`), then runs vsce.
// Usage: node scripts/package.mjs [OUT.vsix]   (default: tracer-lsp-<version>.vsix here)
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(here, '..', '..');
for (const name of ['LICENSE-MIT', 'LICENSE-APACHE']) {
    copyFileSync(join(repo, name), join(here, name));
}
const { version } = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const out = resolve(process.argv[2] ?? join(here, `tracer-lsp-${version}.vsix`));
const vsce = join(here, 'node_modules', '@vscode', 'vsce', 'vsce');
// The repository has no public URL yet: no `repository` field, and README links stay relative
// (they resolve inside the installed extension, where VS Code shows the README).
execFileSync(
    process.execPath,
    [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out],
    { cwd: here, stdio: 'inherit' },
);
console.log(`packaged ${out}`);
