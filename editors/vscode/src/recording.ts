// The client side of recording, as plain data: the `workspace/executeCommand` names and argument
// shapes of the server's recording commands, the remembered command lines of a workspace, the
// live figures read from progress reports, and the status bar's text for each state.

import { ParsedCommandLine } from './commandLine';
import { formatCount, formatRate } from './heatMap';

/** Commands the server executes (`workspace/executeCommand`). */
export const ServerCommand = {
    record: 'tracer.record',
    attach: 'tracer.attach',
    stop: 'tracer.stop',
    openTrace: 'tracer.openTrace',
    clearCounts: 'tracer.clearCounts',
    showReferences: 'tracer.showReferences',
} as const;

export type ChannelMode = 'discard' | 'overwrite';

/** The user's recording settings (`tracer.record.*`). */
export interface RecordSettings {
    mode: ChannelMode;
    subbufferSize: number | null;
    subbufferCount: number | null;
    /** Already expanded; empty for the server's default. */
    outputDirectory: string;
}

/**
 * The argument of `tracer.record`: `{command: [argv...], cwd?, env?, mode?}`, plus the channel
 * sizes and output directory when the user set them.
 */
export interface RecordArguments {
    command: string[];
    cwd?: string;
    env?: Record<string, string>;
    mode?: ChannelMode;
    subbufferSize?: number;
    subbufferCount?: number;
    outputDirectory?: string;
}

export function recordArguments(
    commandLine: ParsedCommandLine,
    cwd: string | undefined,
    settings: RecordSettings,
): RecordArguments {
    const args: RecordArguments = { command: commandLine.argv, mode: settings.mode };
    if (cwd !== undefined) {
        args.cwd = cwd;
    }
    if (Object.keys(commandLine.env).length > 0) {
        args.env = { ...commandLine.env };
    }
    if (settings.subbufferSize !== null) {
        args.subbufferSize = settings.subbufferSize;
    }
    if (settings.subbufferCount !== null) {
        args.subbufferCount = settings.subbufferCount;
    }
    if (settings.outputDirectory.length > 0) {
        args.outputDirectory = settings.outputDirectory;
    }
    return args;
}

/** The recording id that `tracer.record` returns: a string, a number or `{id}`. */
export function recordingId(result: unknown): string | undefined {
    if (typeof result === 'string' || typeof result === 'number') {
        return String(result);
    }
    if (typeof result === 'object' && result !== null) {
        const id = (result as { id?: unknown }).id;
        if (typeof id === 'string' || typeof id === 'number') {
            return String(id);
        }
    }
    return undefined;
}

/** The argument of `tracer.stop`: the recording to stop, when the server named it. */
export function stopArguments(id: string | undefined): unknown[] {
    return id === undefined ? [] : [{ id }];
}

/**
 * Why `value` is not a live-session URL (`net://HOST[:PORT]/host/HOSTNAME/SESSION`, as
 * babeltrace2 and `tracer.attach` take it), or undefined when it is one.
 */
export function liveUrlProblem(value: string): string | undefined {
    const v = value.trim();
    const m = /^net:\/\/([^/:\s]+|\[[0-9a-fA-F:]+\])(:(\d+))?\/host\/([^/\s]+)\/([^/\s]+)$/.exec(v);
    if (!m) {
        return 'expected net://HOST[:PORT]/host/HOSTNAME/SESSION, e.g. net://localhost/host/board/demo';
    }
    if (m[3] !== undefined) {
        const port = Number(m[3]);
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
            return `port ${m[3]} is not between 1 and 65535`;
        }
    }
    return undefined;
}

export const HISTORY_LIMIT = 10;

/** Most recent first, without duplicates or blank lines, at most `limit` entries. */
export function rememberCommandLine(history: readonly string[], line: string, limit: number = HISTORY_LIMIT): string[] {
    const trimmed = line.trim();
    if (trimmed.length === 0) {
        return history.slice(0, limit);
    }
    return [trimmed, ...history.filter((h) => h !== trimmed)].slice(0, limit);
}

/**
 * The command lines to propose, in order: the one from `tracer.record.command` (if set), then
 * the workspace's history, without duplicates.
 */
export function proposedCommandLines(fromSettings: string, history: readonly string[]): string[] {
    const setting = fromSettings.trim();
    const lines = setting.length > 0 ? [setting] : [];
    for (const h of history) {
        if (!lines.includes(h)) {
            lines.push(h);
        }
    }
    return lines;
}

/** Figures of a running recording that a progress report may carry. */
export interface RecordingFigures {
    events?: number;
    rate?: number;
    lost?: number;
}

function parseFigure(text: string, unit: string | undefined): number {
    const scale = unit === 'k' || unit === 'K' ? 1e3 : unit === 'M' ? 1e6 : unit === 'G' ? 1e9 : 1;
    return Number(text.replace(/,/g, '')) * scale;
}

/**
 * Reads the figures out of a `$/progress` message such as "12,345 events, 3.2k/s, 0 lost"; the
 * parts that are absent stay undefined.
 */
export function parseProgressMessage(message: string | undefined): RecordingFigures {
    const figures: RecordingFigures = {};
    if (!message) {
        return figures;
    }
    const events = /(\d[\d,]*(?:\.\d+)?)\s*([kMG])?\s*events?\b(?!\s*\/)/.exec(message);
    if (events) {
        figures.events = parseFigure(events[1], events[2]);
    }
    const rate = /(\d[\d,]*(?:\.\d+)?)\s*([kKMG])?\s*(?:events?\s*)?\/\s*s\b/.exec(message);
    if (rate) {
        figures.rate = parseFigure(rate[1], rate[2]);
    }
    const lost = /(\d[\d,]*)\s*([kMG])?\s*lost\b|\blost:?\s*(\d[\d,]*)/.exec(message);
    if (lost) {
        figures.lost = lost[1] !== undefined ? parseFigure(lost[1], lost[2]) : parseFigure(lost[3], undefined);
    }
    return figures;
}

export type RecordingState =
    | { kind: 'idle' }
    | { kind: 'starting'; commandLine: string }
    | { kind: 'recording'; commandLine: string; rate: number; lost: number };

/** What the status bar shows; `warning` asks for the warning background (events were lost). */
export interface StatusView {
    text: string;
    tooltip: string;
    warning: boolean;
}

export function statusView(state: RecordingState): StatusView {
    switch (state.kind) {
        case 'idle':
            return { text: '$(pulse) Tracer', tooltip: 'Tracer: idle. Click to record a program.', warning: false };
        case 'starting':
            return {
                text: '$(loading~spin) Tracer: starting',
                tooltip: `Starting ${state.commandLine}. Click to stop.`,
                warning: false,
            };
        case 'recording':
            return {
                text: `$(record) ${formatRate(state.rate).replace('/s', ' ev/s')}` + (state.lost > 0 ? ` · ${formatCount(state.lost)} lost` : ''),
                tooltip:
                    `Recording ${state.commandLine}: ${formatRate(state.rate)}, ${formatCount(state.lost)} events lost. ` +
                    'Click to stop.',
                warning: state.lost > 0,
            };
    }
}
