// The arguments of the server's "N call sites" code lens, `tracer.showReferences`:
// `[uri, position, locations]` in LSP JSON. The extension hands them to VS Code's own references
// view (`editor.action.showReferences`) once they are checked here and converted to VS Code types.

export interface LspPosition {
    line: number;
    character: number;
}

export interface LspRange {
    start: LspPosition;
    end: LspPosition;
}

export interface LspLocation {
    uri: string;
    range: LspRange;
}

export interface ShowReferencesArguments {
    uri: string;
    position: LspPosition;
    locations: LspLocation[];
}

function isPosition(v: unknown): v is LspPosition {
    if (typeof v !== 'object' || v === null) {
        return false;
    }
    const { line, character } = v as { line?: unknown; character?: unknown };
    return Number.isInteger(line) && Number.isInteger(character) && (line as number) >= 0 && (character as number) >= 0;
}

function isRange(v: unknown): v is LspRange {
    if (typeof v !== 'object' || v === null) {
        return false;
    }
    const { start, end } = v as { start?: unknown; end?: unknown };
    return isPosition(start) && isPosition(end);
}

function isLocation(v: unknown): v is LspLocation {
    if (typeof v !== 'object' || v === null) {
        return false;
    }
    const { uri, range } = v as { uri?: unknown; range?: unknown };
    return typeof uri === 'string' && isRange(range);
}

/** Checks the code lens arguments; an error message names what is wrong. */
export function parseShowReferencesArguments(args: readonly unknown[]): ShowReferencesArguments | string {
    const [uri, position, locations] = args;
    if (typeof uri !== 'string') {
        return 'tracer.showReferences: the first argument must be a document URI';
    }
    if (!isPosition(position)) {
        return 'tracer.showReferences: the second argument must be a position {line, character}';
    }
    if (!Array.isArray(locations) || !locations.every(isLocation)) {
        return 'tracer.showReferences: the third argument must be a list of locations {uri, range}';
    }
    return { uri, position, locations };
}
