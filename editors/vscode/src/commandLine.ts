// Turns the command line a user types for "Tracer: Record…" into the argv and environment that
// `tracer.record` takes. The program is started without a shell, so this follows POSIX shell
// quoting (quotes, backslash escapes, leading `NAME=value` assignments, `~`) and refuses the
// shell features it cannot honour (pipes, redirections, `$` expansion) with a message saying so,
// rather than passing a literal `|` or `$HOME` to the program.

export interface ParsedCommandLine {
    /** The program and its arguments; never empty. */
    argv: string[];
    /** Variables assigned by leading `NAME=value` words. */
    env: Record<string, string>;
}

/** A command line that cannot be run as typed; `column` is 1-based. */
export class CommandLineError extends Error {
    constructor(
        message: string,
        readonly column: number,
    ) {
        super(`${message} (column ${column})`);
        this.name = 'CommandLineError';
    }
}

const SHELL_OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')']);
const ESCAPABLE_IN_DOUBLE_QUOTES = new Set(['$', '`', '"', '\\', '\n']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

interface Word {
    text: string;
    /** Length of the leading part of `text` that was written unquoted and unescaped. */
    plainPrefix: number;
    /** Whether the word is eligible for `~` expansion (it starts with an unquoted `~`). */
    tilde: boolean;
}

function splitWords(line: string): Word[] {
    const words: Word[] = [];
    let current: Word | undefined;
    let plain = true;
    const push = (chars: string, unquoted: boolean) => {
        if (!current) {
            current = { text: '', plainPrefix: 0, tilde: unquoted && chars === '~' };
            plain = true;
        }
        current.text += chars;
        if (unquoted && plain) {
            current.plainPrefix = current.text.length;
        } else {
            plain = false;
        }
    };
    const startWord = () => {
        if (!current) {
            current = { text: '', plainPrefix: 0, tilde: false };
            plain = false;
        }
    };

    let i = 0;
    while (i < line.length) {
        const c = line[i];
        const column = i + 1;
        if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
            if (current) {
                words.push(current);
                current = undefined;
            }
            i++;
        } else if (c === "'") {
            const end = line.indexOf("'", i + 1);
            if (end < 0) {
                throw new CommandLineError('unterminated single quote', column);
            }
            startWord();
            push(line.slice(i + 1, end), false);
            i = end + 1;
        } else if (c === '"') {
            startWord();
            let j = i + 1;
            let text = '';
            for (;;) {
                if (j >= line.length) {
                    throw new CommandLineError('unterminated double quote', column);
                }
                const d = line[j];
                if (d === '"') {
                    break;
                }
                if (d === '\\' && j + 1 < line.length && ESCAPABLE_IN_DOUBLE_QUOTES.has(line[j + 1])) {
                    if (line[j + 1] !== '\n') {
                        text += line[j + 1];
                    }
                    j += 2;
                    continue;
                }
                if (d === '$' || d === '`') {
                    throw new CommandLineError(
                        `"${d}" expansion is not supported (the program is started without a shell): write the value, or escape it as \\${d}`,
                        j + 1,
                    );
                }
                text += d;
                j++;
            }
            push(text, false);
            i = j + 1;
        } else if (c === '\\') {
            if (i + 1 >= line.length) {
                throw new CommandLineError('a backslash ends the command line', column);
            }
            if (line[i + 1] !== '\n') {
                startWord();
                push(line[i + 1], false);
            }
            i += 2;
        } else if (SHELL_OPERATORS.has(c)) {
            throw new CommandLineError(
                `"${c}" needs a shell, and the program is started without one: quote it, or record "sh -c '…'"`,
                column,
            );
        } else if (c === '$' || c === '`') {
            throw new CommandLineError(
                `"${c}" expansion is not supported (the program is started without a shell): write the value, or quote it`,
                column,
            );
        } else {
            push(c, true);
            i++;
        }
    }
    if (current) {
        words.push(current);
    }
    return words;
}

function expandTilde(word: Word, homeDir: string | undefined): string {
    if (!word.tilde || homeDir === undefined) {
        return word.text;
    }
    if (word.text === '~') {
        return homeDir;
    }
    if (word.text.startsWith('~/')) {
        return homeDir + word.text.slice(1);
    }
    return word.text;
}

/**
 * Parses `line` as a POSIX shell would split a simple command. `homeDir`, when given, expands a
 * leading unquoted `~` or `~/` (also right after `NAME=`).
 */
export function parseCommandLine(line: string, homeDir?: string): ParsedCommandLine {
    const words = splitWords(line);
    const env: Record<string, string> = {};
    let first = 0;
    for (; first < words.length; first++) {
        const word = words[first];
        const assignment = ASSIGNMENT.exec(word.text);
        if (!assignment || assignment[0].length > word.plainPrefix) {
            break;
        }
        const name = assignment[0].slice(0, -1);
        const value = word.text.slice(assignment[0].length);
        const valueIsTilde = word.plainPrefix > assignment[0].length && value.startsWith('~');
        env[name] = expandTilde({ text: value, plainPrefix: 0, tilde: valueIsTilde }, homeDir);
    }
    const argv = words.slice(first).map((w) => expandTilde(w, homeDir));
    if (argv.length === 0) {
        throw new CommandLineError(
            first === 0 ? 'the command line is empty' : 'only variable assignments, no program to run',
            line.length + 1,
        );
    }
    return { argv, env };
}
