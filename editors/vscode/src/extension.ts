// Entry point: wires the plain modules (server discovery, command-line parsing, counts, recording
// protocol) to the VS Code API and the language client. Decisions live in those modules; this
// file only reads settings, shows UI and forwards requests.

import * as fs from 'fs';
import * as os from 'os';
import * as vscode from 'vscode';
import {
    ExecuteCommandRequest,
    InlayHintRequest,
    LanguageClient,
    LanguageClientOptions,
    ServerOptions,
    TransportKind,
    WorkDoneProgress,
} from 'vscode-languageclient/node';
import { CommandLineError, parseCommandLine } from './commandLine';
import { COUNTS_NOTIFICATION, CountsStore, parseCountsNotification } from './heatMap';
import { HeatMapView } from './heatMapView';
import {
    ChannelMode,
    liveUrlProblem,
    parseProgressMessage,
    proposedCommandLines,
    recordArguments,
    recordingId,
    RecordingState,
    rememberCommandLine,
    ServerCommand,
    statusView,
    stopArguments,
} from './recording';
import { discoverServer, expandSettingPath, INSTALL_COMMAND } from './serverDiscovery';
import { parseShowReferencesArguments } from './showReferences';

const HISTORY_KEY = 'tracer.record.history';
const LIVE_URL_KEY = 'tracer.attach.lastUrl';

function isExecutableFile(file: string): boolean {
    try {
        if (!fs.statSync(file).isFile()) {
            return false;
        }
        if (process.platform !== 'win32') {
            fs.accessSync(file, fs.constants.X_OK);
        }
        return true;
    } catch {
        return false;
    }
}

function errorText(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

function workspaceFolderPath(): string | undefined {
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder = (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
    return folder?.uri.fsPath;
}

/** The commands the server advertised (`executeCommandProvider`). */
function serverCommands(client: LanguageClient): string[] {
    return client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
}

class TracerExtension implements vscode.Disposable {
    private readonly output = vscode.window.createOutputChannel('Tracer Language Server');
    private readonly counts = new CountsStore();
    private readonly heatMap: HeatMapView;
    private readonly statusBar = vscode.window.createStatusBarItem('tracer.status', vscode.StatusBarAlignment.Left, 0);
    private client: LanguageClient | undefined;
    private starting: Promise<void> = Promise.resolve();
    private state: RecordingState = { kind: 'idle' };
    private recording: { id?: string; progressRate?: number; progress?: vscode.Disposable } = {};

    constructor(private readonly context: vscode.ExtensionContext) {
        this.heatMap = new HeatMapView(this.counts, vscode.Uri.joinPath(context.globalStorageUri, 'heat-map').fsPath);
        this.statusBar.name = 'Tracer';
        this.showState();
        this.statusBar.show();
    }

    activate(): void {
        const c = this.context;
        const command = (id: string, run: () => unknown) => c.subscriptions.push(vscode.commands.registerCommand(id, run));
        command('tracer.ui.record', () => this.record());
        command('tracer.ui.attach', () => this.attach());
        command('tracer.ui.stop', () => this.stop());
        command('tracer.ui.openTrace', () => this.openTrace());
        command('tracer.ui.clearCounts', () => this.clearCounts());
        command('tracer.ui.toggleHeatMap', () => this.toggleHeatMap());
        command('tracer.ui.restartServer', () => this.restart());
        c.subscriptions.push(
            vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.heatMap.render(e))),
            vscode.workspace.onDidChangeConfiguration((e) => {
                if (e.affectsConfiguration('tracer.serverPath') || e.affectsConfiguration('tracer.serverArgs')) {
                    void this.restart();
                } else if (e.affectsConfiguration('tracer.heatMap.enabled')) {
                    this.heatMap.enabled = vscode.workspace.getConfiguration('tracer.heatMap').get<boolean>('enabled', true);
                    this.heatMap.renderAll();
                    this.refreshInlayHints();
                } else if (e.affectsConfiguration('tracer.heatMap')) {
                    this.heatMap.rebuildTypes();
                    this.refreshInlayHints();
                }
            }),
            vscode.workspace.onDidGrantWorkspaceTrust(() => void this.restart()),
        );
        this.starting = this.start();
    }

    private log(message: string): void {
        this.output.appendLine(`[client] ${message}`);
    }

    private async start(): Promise<void> {
        const config = vscode.workspace.getConfiguration('tracer');
        const discovery = discoverServer({
            configuredPath: config.get<string>('serverPath', ''),
            workspaceFolder: workspaceFolderPath(),
            homeDir: os.homedir(),
            envPath: process.env.PATH ?? '',
            platform: process.platform,
            pathExt: process.env.PATHEXT,
            isExecutableFile,
        });
        if (discovery.kind === 'missing') {
            this.log(discovery.message);
            void this.showServerMissing(discovery.message);
            return;
        }
        const args = config.get<string[]>('serverArgs', []);
        this.log(`starting ${discovery.path} ${[...args, '--stdio'].join(' ')} (found via ${discovery.source})`);
        const serverOptions: ServerOptions = { command: discovery.path, args, transport: TransportKind.stdio };
        const clientOptions: LanguageClientOptions = {
            documentSelector: ['c', 'cpp', 'rust'].map((language) => ({ scheme: 'file', language })),
            outputChannel: this.output,
            middleware: {
                executeCommand: (command, commandArgs, next) =>
                    command === ServerCommand.showReferences ? this.showReferences(commandArgs) : next(command, commandArgs),
                // The server's inlay hints are the per-line counts; while the heat map writes
                // them after the line, they would be there twice.
                provideInlayHints: (document, viewPort, token, next) =>
                    this.heatMap.drawsCounts ? [] : next(document, viewPort, token),
            },
        };
        const client = new LanguageClient('tracer', 'Tracer Language Server', serverOptions, clientOptions);
        client.onNotification(COUNTS_NOTIFICATION, (params: unknown) => this.onCounts(params));
        this.client = client;
        try {
            await client.start();
            this.log('server started');
        } catch (e) {
            this.log(`server failed to start: ${errorText(e)}`);
            const choice = await vscode.window.showErrorMessage(
                `Tracer: the language server ${discovery.path} failed to start: ${errorText(e)}`,
                'Show Log',
            );
            if (choice === 'Show Log') {
                this.output.show();
            }
        }
    }

    private async showServerMissing(message: string): Promise<void> {
        const copy = 'Copy Install Command';
        const settings = 'Open Settings';
        const choice = await vscode.window.showWarningMessage(`Tracer: ${message}`, copy, settings);
        if (choice === copy) {
            await vscode.env.clipboard.writeText(INSTALL_COMMAND);
        } else if (choice === settings) {
            await vscode.commands.executeCommand('workbench.action.openSettings', 'tracer.serverPath');
        }
    }

    private async restart(): Promise<void> {
        await this.starting;
        const old = this.client;
        this.client = undefined;
        this.endRecording();
        if (old) {
            this.log('stopping the server');
            try {
                await old.dispose();
            } catch (e) {
                this.log(`stopping the server failed: ${errorText(e)}`);
            }
        }
        this.starting = this.start();
        await this.starting;
    }

    /** The running client, or undefined (after saying why) when there is none. */
    private async runningClient(): Promise<LanguageClient | undefined> {
        await this.starting;
        if (this.client?.isRunning()) {
            return this.client;
        }
        void vscode.window.showErrorMessage('Tracer: the language server is not running. See the "Tracer Language Server" output.');
        this.output.show(true);
        return undefined;
    }

    /** The client when its server advertises `command`, else undefined after saying so. */
    private async clientFor(command: string): Promise<LanguageClient | undefined> {
        const client = await this.runningClient();
        if (!client) {
            return undefined;
        }
        if (!serverCommands(client).includes(command)) {
            void vscode.window.showErrorMessage(
                `Tracer: this tracer-lsp does not support "${command}" yet. Update tracer-lsp (from a checkout: ${INSTALL_COMMAND}).`,
            );
            return undefined;
        }
        return client;
    }

    private async execute(client: LanguageClient, command: string, args: unknown[], workDoneToken?: string): Promise<unknown> {
        return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args, workDoneToken });
    }

    private async showReferences(args: unknown[]): Promise<void> {
        const parsed = parseShowReferencesArguments(args);
        const client = this.client;
        if (typeof parsed === 'string' || !client) {
            this.log(typeof parsed === 'string' ? parsed : 'tracer.showReferences: no client');
            return;
        }
        const p2c = client.protocol2CodeConverter;
        const locations = await Promise.all(parsed.locations.map((l) => p2c.asLocation(l)));
        await vscode.commands.executeCommand(
            'editor.action.showReferences',
            p2c.asUri(parsed.uri),
            p2c.asPosition(parsed.position),
            locations,
        );
    }

    private onCounts(params: unknown): void {
        const notification = parseCountsNotification(params);
        if (!notification) {
            this.log(`ignored a malformed ${COUNTS_NOTIFICATION} notification`);
            return;
        }
        const uri = vscode.Uri.parse(notification.uri).toString();
        this.counts.update({ uri, sites: notification.sites });
        for (const editor of vscode.window.visibleTextEditors) {
            if (editor.document.uri.toString() === uri) {
                this.heatMap.render(editor);
            }
        }
        if (this.state.kind === 'recording') {
            this.state = { ...this.state, rate: this.recording.progressRate ?? this.counts.totalRate() };
            this.showState();
        }
    }

    private showState(): void {
        const view = statusView(this.state);
        this.statusBar.text = view.text;
        this.statusBar.tooltip = view.tooltip;
        this.statusBar.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
        this.statusBar.command = this.state.kind === 'idle' ? 'tracer.ui.record' : 'tracer.ui.stop';
        void vscode.commands.executeCommand('setContext', 'tracer.recording', this.state.kind !== 'idle');
    }

    private endRecording(): void {
        this.recording.progress?.dispose();
        this.recording = {};
        this.state = { kind: 'idle' };
        this.showState();
    }

    private async askCommandLine(): Promise<string | undefined> {
        const fromSettings = vscode.workspace.getConfiguration('tracer.record').get<string>('command', '');
        const history = this.context.workspaceState.get<string[]>(HISTORY_KEY, []);
        const proposals = proposedCommandLines(fromSettings, history);
        const newLine = '$(edit) Enter a command line…';
        if (proposals.length > 0) {
            const items: vscode.QuickPickItem[] = [
                ...proposals.map((label) => ({
                    label,
                    description: label === fromSettings.trim() ? 'tracer.record.command' : 'recent',
                })),
                { label: newLine },
            ];
            const picked = await vscode.window.showQuickPick(items, {
                title: 'Tracer: Record',
                placeHolder: 'Program to record (run without a shell, from the workspace folder)',
            });
            if (!picked) {
                return undefined;
            }
            if (picked.label !== newLine) {
                return picked.label;
            }
        }
        return vscode.window.showInputBox({
            title: 'Tracer: Record',
            prompt: 'Command line of the program to record: quotes and backslashes work as in a shell; NAME=value words set the environment.',
            placeHolder: './build/hello world',
            value: proposals[0],
            validateInput: (value) => {
                try {
                    parseCommandLine(value, os.homedir());
                    return undefined;
                } catch (e) {
                    return errorText(e);
                }
            },
        });
    }

    private async record(): Promise<void> {
        if (!vscode.workspace.isTrusted) {
            const manage = 'Manage Workspace Trust';
            const choice = await vscode.window.showWarningMessage(
                'Tracer: recording runs a program, so it is disabled in an untrusted workspace.',
                manage,
            );
            if (choice === manage) {
                await vscode.commands.executeCommand('workbench.trust.manage');
            }
            return;
        }
        if (this.state.kind !== 'idle') {
            void vscode.window.showInformationMessage('Tracer: a recording is already running; stop it first.');
            return;
        }
        const client = await this.clientFor(ServerCommand.record);
        if (!client) {
            return;
        }
        const line = await this.askCommandLine();
        if (line === undefined || line.trim().length === 0) {
            return;
        }
        let parsed;
        try {
            parsed = parseCommandLine(line, os.homedir());
        } catch (e) {
            const why = e instanceof CommandLineError ? e.message : errorText(e);
            void vscode.window.showErrorMessage(`Tracer: cannot record "${line}": ${why}`);
            return;
        }
        const history = this.context.workspaceState.get<string[]>(HISTORY_KEY, []);
        await this.context.workspaceState.update(HISTORY_KEY, rememberCommandLine(history, line));

        const config = vscode.workspace.getConfiguration('tracer.record');
        const cwd = workspaceFolderPath();
        const args = recordArguments(parsed, cwd, {
            mode: config.get<ChannelMode>('mode', 'discard'),
            subbufferSize: config.get<number | null>('subbufferSize', null),
            subbufferCount: config.get<number | null>('subbufferCount', null),
            outputDirectory: expandSettingPath(config.get<string>('outputDirectory', ''), os.homedir(), cwd),
        });
        await this.follow(client, ServerCommand.record, args, line);
    }

    /** Tracer: Attach to Live Session…: follows a session served by a relay, like a recording. */
    private async attach(): Promise<void> {
        if (this.state.kind !== 'idle') {
            void vscode.window.showInformationMessage('Tracer: a recording is already running; stop it first.');
            return;
        }
        const client = await this.clientFor(ServerCommand.attach);
        if (!client) {
            return;
        }
        const url = await vscode.window.showInputBox({
            title: 'Tracer: Attach to Live Session',
            prompt: 'URL of a live session served by `tracer-lsp relay` (or lttng-relayd): net://HOST[:PORT]/host/HOSTNAME/SESSION',
            placeHolder: 'net://localhost/host/board/demo',
            value: this.context.workspaceState.get<string>(LIVE_URL_KEY, ''),
            validateInput: (value) => liveUrlProblem(value),
        });
        if (url === undefined || url.trim().length === 0) {
            return;
        }
        await this.context.workspaceState.update(LIVE_URL_KEY, url.trim());
        await this.follow(client, ServerCommand.attach, { url: url.trim() }, url.trim());
    }

    /**
     * Runs a server command that starts something to follow (`tracer.record`, `tracer.attach`):
     * its progress drives the status bar until the server ends it; `label` names it there.
     */
    private async follow(client: LanguageClient, command: string, args: unknown, label: string): Promise<void> {
        const token = `tracer-record-${Date.now()}`;
        this.recording = {
            progress: client.onProgress(WorkDoneProgress.type, token, (progress) => {
                if (progress.kind === 'end') {
                    this.log(`recording ended${progress.message ? `: ${progress.message}` : ''}`);
                    this.endRecording();
                    return;
                }
                const figures = parseProgressMessage(progress.message);
                this.recording.progressRate = figures.rate ?? this.recording.progressRate;
                if (this.state.kind === 'recording') {
                    this.state = {
                        ...this.state,
                        rate: figures.rate ?? this.counts.totalRate(),
                        lost: figures.lost ?? this.state.lost,
                    };
                    this.showState();
                }
            }),
        };
        this.state = { kind: 'starting', commandLine: label };
        this.showState();
        this.log(`${command} ${JSON.stringify(args)}`);
        try {
            const result = await this.execute(client, command, [args], token);
            this.recording.id = recordingId(result);
            if (this.state.kind === 'starting') {
                this.state = { kind: 'recording', commandLine: label, rate: 0, lost: 0 };
                this.showState();
            }
        } catch (e) {
            this.endRecording();
            void vscode.window.showErrorMessage(`Tracer: "${label}" did not start: ${errorText(e)}`);
        }
    }

    private async stop(): Promise<void> {
        if (this.state.kind === 'idle') {
            return;
        }
        const client = await this.clientFor(ServerCommand.stop);
        if (!client) {
            this.endRecording();
            return;
        }
        try {
            await this.execute(client, ServerCommand.stop, stopArguments(this.recording.id));
        } catch (e) {
            void vscode.window.showErrorMessage(`Tracer: stopping the recording failed: ${errorText(e)}`);
        } finally {
            this.endRecording();
        }
    }

    private async openTrace(): Promise<void> {
        const client = await this.clientFor(ServerCommand.openTrace);
        if (!client) {
            return;
        }
        const cwd = workspaceFolderPath();
        const outputDirectory = expandSettingPath(
            vscode.workspace.getConfiguration('tracer.record').get<string>('outputDirectory', ''),
            os.homedir(),
            cwd,
        );
        const start = outputDirectory || cwd;
        const picked = await vscode.window.showOpenDialog({
            title: 'Tracer: Open Trace (a CTF trace directory, ours or LTTng’s)',
            canSelectFiles: false,
            canSelectFolders: true,
            canSelectMany: false,
            openLabel: 'Open Trace',
            defaultUri: start ? vscode.Uri.file(start) : undefined,
        });
        if (!picked || picked.length === 0) {
            return;
        }
        const tracePath = picked[0].fsPath;
        try {
            await this.execute(client, ServerCommand.openTrace, [{ path: tracePath }]);
            this.log(`opened trace ${tracePath}`);
        } catch (e) {
            void vscode.window.showErrorMessage(`Tracer: cannot open the trace ${tracePath}: ${errorText(e)}`);
        }
    }

    private async clearCounts(): Promise<void> {
        this.counts.clear();
        this.heatMap.renderAll();
        // A server without recording has no counts of its own to clear: nothing to say then.
        const client = this.client?.isRunning() ? this.client : undefined;
        if (client && serverCommands(client).includes(ServerCommand.clearCounts)) {
            try {
                await this.execute(client, ServerCommand.clearCounts, []);
            } catch (e) {
                void vscode.window.showErrorMessage(`Tracer: clearing the counts failed: ${errorText(e)}`);
            }
        }
    }

    private toggleHeatMap(): void {
        this.heatMap.enabled = !this.heatMap.enabled;
        this.heatMap.renderAll();
        this.refreshInlayHints();
        vscode.window.setStatusBarMessage(`Tracer: heat map ${this.heatMap.enabled ? 'on' : 'off'}`, 2000);
    }

    /** Asks VS Code for the inlay hints again: whether they are shown follows the heat map. */
    private refreshInlayHints(): void {
        const feature = this.client?.getFeature(InlayHintRequest.method);
        for (const editor of vscode.window.visibleTextEditors) {
            feature?.getProvider(editor.document)?.onDidChangeInlayHints.fire();
        }
    }

    dispose(): void {
        this.recording.progress?.dispose();
        this.heatMap.dispose();
        this.statusBar.dispose();
        this.output.dispose();
    }

    /** Stops the server; VS Code awaits this on deactivation. */
    async stopClient(): Promise<void> {
        await this.client?.dispose();
        this.client = undefined;
    }
}

let extension: TracerExtension | undefined;

export function activate(context: vscode.ExtensionContext): void {
    extension = new TracerExtension(context);
    context.subscriptions.push(extension);
    extension.activate();
}

export async function deactivate(): Promise<void> {
    await extension?.stopClient();
    extension = undefined;
}
