// Asks a `tracer-lsp` binary which `workspace/executeCommand` commands it advertises, by running
// the LSP initialize handshake on its stdio. The end-to-end test checks with it that the server
// advertises `tracer.record` before its Record step.

import { spawn } from 'node:child_process';

function frame(message: object): string {
    const body = JSON.stringify(message);
    return `Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`;
}

/** The commands of `executeCommandProvider`; rejects after `timeoutMs` or if the server fails. */
export function advertisedCommands(serverPath: string, rootPath: string, timeoutMs = 20_000): Promise<string[]> {
    return new Promise((resolve, reject) => {
        const server = spawn(serverPath, ['--stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
        let buffer = Buffer.alloc(0);
        const timer = setTimeout(() => {
            server.kill('SIGKILL');
            reject(new Error(`${serverPath} did not answer initialize within ${timeoutMs} ms`));
        }, timeoutMs);
        const finish = (result: string[] | Error) => {
            clearTimeout(timer);
            server.stdin.end(frame({ jsonrpc: '2.0', method: 'exit' }));
            setTimeout(() => server.kill('SIGKILL'), 2_000).unref();
            if (result instanceof Error) {
                reject(result);
            } else {
                resolve(result);
            }
        };
        server.on('error', (e) => finish(new Error(`cannot start ${serverPath}: ${e.message}`)));
        server.stdout.on('data', (chunk: Buffer) => {
            buffer = Buffer.concat([buffer, chunk]);
            for (;;) {
                const headerEnd = buffer.indexOf('\r\n\r\n');
                if (headerEnd < 0) {
                    return;
                }
                const length = /Content-Length: (\d+)/i.exec(buffer.subarray(0, headerEnd).toString('ascii'));
                if (!length) {
                    finish(new Error('a message without Content-Length'));
                    return;
                }
                const end = headerEnd + 4 + Number(length[1]);
                if (buffer.length < end) {
                    return;
                }
                const message = JSON.parse(buffer.subarray(headerEnd + 4, end).toString('utf8')) as {
                    id?: number;
                    result?: { capabilities?: { executeCommandProvider?: { commands?: string[] } } };
                };
                buffer = buffer.subarray(end);
                if (message.id === 1) {
                    finish(message.result?.capabilities?.executeCommandProvider?.commands ?? []);
                    return;
                }
            }
        });
        const rootUri = 'file://' + rootPath.split('/').map(encodeURIComponent).join('/');
        server.stdin.write(frame({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: process.pid, rootUri, capabilities: {} } }));
    });
}
