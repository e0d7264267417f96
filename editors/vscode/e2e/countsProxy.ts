// Feeds the heat map what a short recording cannot: sits between VS Code and the real
// `tracer-lsp`, passes every message through unchanged, and when the client opens the C example
// (`c/hello.c`) sends a `tracer/counts` notification with large counts and live rates for its
// `tracepoint(hello, …)` lines, as the server does while recording a busy program. It checks
// the heat map's scaling and rate text in a real workbench; the counts are made up and the lines
// are real. The Record step of the end-to-end test records for real.
//
// Usage: node countsProxy.js TRACER_LSP [ARGS...]   (the language client appends --stdio)

import { spawn } from 'node:child_process';

/** Splits a byte stream into LSP frames (`Content-Length` header + JSON body). */
class FrameReader {
    private buffer = Buffer.alloc(0);

    constructor(private readonly onFrame: (raw: Buffer, body: string) => void) {}

    push(chunk: Buffer): void {
        this.buffer = Buffer.concat([this.buffer, chunk]);
        for (;;) {
            const headerEnd = this.buffer.indexOf('\r\n\r\n');
            if (headerEnd < 0) {
                return;
            }
            const length = /Content-Length: *(\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString('ascii'));
            if (!length) {
                throw new Error('countsProxy: a frame without Content-Length');
            }
            const end = headerEnd + 4 + Number(length[1]);
            if (this.buffer.length < end) {
                return;
            }
            const raw = this.buffer.subarray(0, end);
            this.onFrame(raw, raw.subarray(headerEnd + 4).toString('utf8'));
            this.buffer = this.buffer.subarray(end);
        }
    }
}

function frame(message: object): string {
    const body = JSON.stringify(message);
    return `Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`;
}

/**
 * Made-up counts for the probe sites of hello.c, in source order (work_start, work_done, the
 * greeting before the loop, the one inside it), as if it had run 12,000 times at 320 runs/s.
 */
const COUNTS = [
    { count: 120_000, rate: 3_200 },
    { count: 120_000, rate: 3_200 },
    { count: 12_000, rate: 320 },
    { count: 60_000, rate: 1_600 },
];

function countsFor(uri: string, text: string): object {
    const lines = text.split('\n');
    const siteLines = lines.flatMap((line, index) => (line.includes('tracepoint(hello, ') ? [index] : []));
    return {
        jsonrpc: '2.0',
        method: 'tracer/counts',
        params: { uri, sites: siteLines.map((line, i) => ({ line, ...COUNTS[i % COUNTS.length] })) },
    };
}

const [server, ...args] = process.argv.slice(2);
const child = spawn(server, args, { stdio: ['pipe', 'pipe', 'inherit'] });
child.on('exit', (code) => process.exit(code ?? 1));
child.on('error', (e) => {
    process.stderr.write(`countsProxy: cannot start ${server}: ${e.message}\n`);
    process.exit(1);
});

const fromClient = new FrameReader((raw, body) => {
    child.stdin.write(raw);
    const message = JSON.parse(body) as { method?: string; params?: { textDocument?: { uri?: string; text?: string } } };
    const doc = message.params?.textDocument;
    if (message.method === 'textDocument/didOpen' && doc?.uri?.endsWith('/c/hello.c') && doc.text !== undefined) {
        process.stdout.write(frame(countsFor(doc.uri, doc.text)));
    }
});
// Whole frames only, so an injected notification never lands inside a server message.
const fromServer = new FrameReader((raw) => process.stdout.write(raw));
process.stdin.on('data', (chunk: Buffer) => fromClient.push(chunk));
process.stdin.on('end', () => child.stdin.end());
child.stdout.on('data', (chunk: Buffer) => fromServer.push(chunk));
