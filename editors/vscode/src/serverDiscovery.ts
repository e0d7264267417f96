// Finds the `tracer-lsp` executable: the `tracer.serverPath` setting when set, else the first
// match on PATH; when neither gives one, it says what to install. The file system is reached only
// through the `isExecutableFile` callback so that every case is testable without one.

import * as path from 'path';

export const SERVER_BINARY = 'tracer-lsp';
/** How to install the server from a checkout of the repository (run at its top level). */
export const INSTALL_COMMAND = 'cargo install --path server';

export interface DiscoveryInput {
    /** The `tracer.serverPath` setting; empty when unset. */
    configuredPath: string;
    /** First workspace folder, for `${workspaceFolder}` and relative settings. */
    workspaceFolder?: string;
    homeDir: string;
    /** The PATH environment variable of the extension host. */
    envPath: string;
    platform: string;
    /** PATHEXT on Windows (";"-separated extensions); ignored elsewhere. */
    pathExt?: string;
    isExecutableFile: (file: string) => boolean;
}

export type Discovery =
    | { kind: 'found'; path: string; source: 'setting' | 'PATH' }
    | { kind: 'missing'; message: string };

function pathApi(platform: string): path.PlatformPath {
    return platform === 'win32' ? path.win32 : path.posix;
}

/** Expands `~`, `${workspaceFolder}` and `${userHome}` in a path taken from a setting. */
export function expandSettingPath(value: string, homeDir: string, workspaceFolder?: string): string {
    let expanded = value.trim();
    expanded = expanded.replace(/\$\{userHome\}/g, homeDir);
    if (workspaceFolder !== undefined) {
        expanded = expanded.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
    }
    if (expanded === '~') {
        return homeDir;
    }
    if (expanded.startsWith('~/') || expanded.startsWith('~\\')) {
        return homeDir + expanded.slice(1);
    }
    return expanded;
}

function candidatesOnPath(name: string, input: DiscoveryInput): string[] {
    const api = pathApi(input.platform);
    const dirs = input.envPath.split(api.delimiter).filter((d) => d.length > 0);
    const extensions =
        input.platform === 'win32'
            ? ['', ...(input.pathExt ?? '.EXE;.CMD;.BAT').split(';').filter((e) => e.length > 0)]
            : [''];
    return dirs.flatMap((dir) => extensions.map((ext) => api.join(dir, name + ext)));
}

function findOnPath(name: string, input: DiscoveryInput): string | undefined {
    return candidatesOnPath(name, input).find((file) => input.isExecutableFile(file));
}

const INSTALL_HINT = `Install it from a checkout of tracer-lsp with "${INSTALL_COMMAND}" (it goes to ~/.cargo/bin)`;

function missingMessage(input: DiscoveryInput): string {
    return (
        `"${SERVER_BINARY}" was not found on PATH. ${INSTALL_HINT}, ` +
        'and put ~/.cargo/bin on PATH or set `tracer.serverPath` to the executable.' +
        (input.envPath.length === 0 ? ' (PATH is empty in the extension host.)' : '')
    );
}

/** Decides which executable to start, or why there is none. */
export function discoverServer(input: DiscoveryInput): Discovery {
    const api = pathApi(input.platform);
    const configured = input.configuredPath.trim();
    if (configured.length > 0) {
        const expanded = expandSettingPath(configured, input.homeDir, input.workspaceFolder);
        const isBareName = !expanded.includes('/') && !(input.platform === 'win32' && expanded.includes('\\'));
        if (isBareName) {
            const found = findOnPath(expanded, input);
            return found
                ? { kind: 'found', path: found, source: 'setting' }
                : {
                      kind: 'missing',
                      message: `"tracer.serverPath" is "${configured}", but no such executable is on PATH. ${INSTALL_HINT}, or fix the setting.`,
                  };
        }
        const absolute = api.isAbsolute(expanded)
            ? expanded
            : input.workspaceFolder !== undefined
              ? api.resolve(input.workspaceFolder, expanded)
              : undefined;
        if (absolute === undefined) {
            return {
                kind: 'missing',
                message: `"tracer.serverPath" is the relative path "${configured}", and there is no workspace folder to resolve it against: make it absolute.`,
            };
        }
        return input.isExecutableFile(absolute)
            ? { kind: 'found', path: absolute, source: 'setting' }
            : {
                  kind: 'missing',
                  message: `"tracer.serverPath" is "${configured}", but "${absolute}" is not an executable file. ${INSTALL_HINT}, or fix the setting.`,
              };
    }
    const found = findOnPath(SERVER_BINARY, input);
    return found ? { kind: 'found', path: found, source: 'PATH' } : { kind: 'missing', message: missingMessage(input) };
}
