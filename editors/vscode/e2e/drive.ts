// Drives a real VS Code workbench (code-server, started by tests/vscode-extension.sh with our
// .vsix installed and a copy of examples/ as its workspace) through Debian's Chromium, and asserts
// what a user sees: go-to-definition, the call-sites lens, hover, completion, the heat map. Every
// wait is on a UI signal with a bounded timeout; a failure saves a screenshot and says which step
// and what was expected.
//
// Usage: node out/e2e/drive.js --url URL --workspace DIR --server TRACER_LSP --artifacts DIR
//          --settings USER_SETTINGS_JSON --counts-proxy EXECUTABLE

import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Browser, chromium, Page } from 'playwright-core';
import { advertisedCommands } from './serverCapabilities';

interface Options {
    url: string;
    workspace: string;
    server: string;
    artifacts: string;
    /** The user settings file of the workbench (user-data/User/settings.json). */
    settings: string;
    /** An executable that runs countsProxy.js in front of the server. */
    countsProxy: string;
    /** The C example (examples/c/hello.c) built against libtracer.so. */
    helloC: string;
    chromium: string;
}

function options(argv: string[]): Options {
    const get = (name: string): string => {
        const i = argv.indexOf(`--${name}`);
        if (i < 0 || i + 1 >= argv.length) {
            throw new Error(`missing --${name}`);
        }
        return argv[i + 1];
    };
    return {
        url: get('url'),
        workspace: get('workspace'),
        server: get('server'),
        artifacts: get('artifacts'),
        settings: get('settings'),
        countsProxy: get('counts-proxy'),
        helloC: get('hello-c'),
        chromium: process.env.CHROMIUM ?? '/usr/bin/chromium',
    };
}

const started = Date.now();
function say(message: string): void {
    console.log(`[vscode-e2e ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);
}

/** Bounded wait on a condition polled in Node (for signals that need several page reads). */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined) {
            return value;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, intervalMs));
    }
}

class Workbench {
    constructor(readonly page: Page) {}

    async title(): Promise<string> {
        return this.page.title();
    }

    /** The "Ln X, Col Y" of the status bar, as numbers. */
    async cursor(): Promise<{ line: number; column: number } | undefined> {
        const text = await this.page
            .locator('[id="status.editor.selection"]')
            .first()
            .textContent({ timeout: 2_000 })
            .catch(() => null);
        const m = text ? /Ln (\d+), Col (\d+)/.exec(text) : null;
        return m ? { line: Number(m[1]), column: Number(m[2]) } : undefined;
    }

    /** Opens a workspace file by name through Quick Open and waits until it is the active editor. */
    async openFile(name: string): Promise<void> {
        await this.page.keyboard.press('Control+P');
        const input = this.page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        await input.fill(name);
        // Click the match: Enter could still pick the first "recently opened" entry.
        const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
        await row.waitFor({ state: 'visible', timeout: 30_000 });
        await row.click();
        // Park the mouse where it raises no tooltip or hover.
        await this.page.mouse.move(900, 700);
        await until(`${name} to be the active editor (window title)`, 15_000, async () =>
            (await this.title()).startsWith(name) ? true : undefined,
        );
        await this.page.locator('.monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout: 15_000 });
    }

    /** Moves the cursor with Go to Line/Column ("line:column", 1-based). */
    async goTo(line: number, column: number): Promise<void> {
        await this.page.keyboard.press('Control+G');
        const input = this.page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        // The picker opens with ":" typed; keep it, or the text becomes a file search.
        await input.fill(`:${line}:${column}`);
        await this.page.keyboard.press('Enter');
        // The status bar's column counts tabs as their width: only the line can be compared.
        await until(`the cursor on line ${line}`, 10_000, async () => ((await this.cursor())?.line === line ? true : undefined));
    }

    /** Runs a command from the palette by its full title, e.g. "Tracer: Toggle Heat Map". */
    async runCommand(title: string): Promise<void> {
        await this.page.keyboard.press('F1');
        const input = this.page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        await input.fill(`>${title}`);
        const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
        await row.waitFor({ state: 'visible', timeout: 15_000 });
        await row.click();
        await input.waitFor({ state: 'hidden', timeout: 15_000 });
    }

    /** The after-line texts of the active editor, each with the text of its line. */
    async afterLineTexts(): Promise<{ line: string; after: string }[]> {
        return this.page.evaluate(() => {
            const found: { line: string; after: string }[] = [];
            const editor = document.querySelector('.editor-group-container.active .monaco-editor') ?? document;
            for (const line of Array.from(editor.querySelectorAll('.view-line'))) {
                for (const span of Array.from(line.querySelectorAll('span'))) {
                    const content = getComputedStyle(span, '::after').content;
                    if (content && content.includes('●')) {
                        // The view renders spaces as no-break spaces.
                        const text = (line.textContent ?? '').replace(/\u00a0/g, ' ');
                        found.push({ line: text, after: content.replace(/^"|"$/g, '') });
                    }
                }
            }
            return found;
        });
    }

    /**
     * How many count bullets (●) the active editor shows, wherever they come from: the text of
     * its lines (inlay hints are text in the line) and the content before or after any span.
     */
    async countBullets(): Promise<number> {
        return this.page.evaluate(() => {
            const editor = document.querySelector('.editor-group-container.active .monaco-editor') ?? document;
            let n = 0;
            for (const line of Array.from(editor.querySelectorAll('.view-line'))) {
                n += (line.textContent ?? '').split('●').length - 1;
                for (const span of Array.from(line.querySelectorAll('span'))) {
                    for (const pseudo of ['::before', '::after']) {
                        const content = getComputedStyle(span, pseudo).content;
                        n += content ? content.split('●').length - 1 : 0;
                    }
                }
            }
            return n;
        });
    }

    /** How many lines of the active editor have a gutter mark with an image. */
    async gutterMarks(): Promise<number> {
        return this.page.evaluate(() => {
            const editor = document.querySelector('.editor-group-container.active .monaco-editor') ?? document;
            return Array.from(editor.querySelectorAll('.margin *')).filter(
                (e) => getComputedStyle(e).backgroundImage.startsWith('url('),
            ).length;
        });
    }

    /** Whether every gutter mark's image of the active editor has loaded (they come by URL). */
    async gutterImagesLoaded(): Promise<boolean> {
        return this.page.evaluate(async () => {
            const editor = document.querySelector('.editor-group-container.active .monaco-editor') ?? document;
            const urls = Array.from(editor.querySelectorAll('.margin *'))
                .map((e) => /^url\("?(.*?)"?\)$/.exec(getComputedStyle(e).backgroundImage)?.[1])
                .filter((u): u is string => u !== undefined);
            const loads = urls.map(
                (url) =>
                    new Promise<boolean>((resolve) => {
                        const image = new Image();
                        image.onload = () => resolve(image.naturalWidth > 0);
                        image.onerror = () => resolve(false);
                        image.src = url;
                    }),
            );
            return urls.length > 0 && (await Promise.all(loads)).every((ok) => ok);
        });
    }

    async screenshot(artifacts: string, name: string): Promise<string> {
        const file = join(artifacts, name);
        // Finished animations: a hover caught mid fade-in is see-through.
        await this.page.screenshot({ path: file, animations: 'disabled' });
        return file;
    }
}

/** 1-based line and column of the first occurrence of `needle` in a workspace file. */
function positionOf(workspace: string, file: string, needle: string): { line: number; column: number } {
    const lines = readFileSync(join(workspace, file), 'utf8').split('\n');
    const index = lines.findIndex((l) => l.includes(needle));
    if (index < 0) {
        throw new Error(`the fixture ${file} has no "${needle}"`);
    }
    return { line: index + 1, column: lines[index].indexOf(needle) + 1 };
}

const SITE_FILE = 'kernel-style/demo_sched.c';
const DECL_FILE = 'kernel-style/trace/events/demo_sched.h';

async function goToDefinition(wb: Workbench, workspace: string): Promise<void> {
    const site = positionOf(workspace, SITE_FILE, 'trace_demo_switch(');
    const decl = positionOf(workspace, DECL_FILE, 'TRACE_EVENT(demo_switch');
    await wb.openFile('demo_sched.c');
    await wb.goTo(site.line, site.column + 4);
    // The server may still be starting or indexing: press F12 until the declaration opens.
    await until(`go-to-definition to open demo_sched.h at its TRACE_EVENT line (${decl.line})`, 60_000, async () => {
        if (!(await wb.title()).startsWith('demo_sched.h')) {
            await wb.page.keyboard.press('F12');
            await new Promise((r) => setTimeout(r, 1_000));
        }
        const cursor = await wb.cursor();
        return (await wb.title()).startsWith('demo_sched.h') && cursor?.line === decl.line ? true : undefined;
    });
    const shown = await wb.page.locator('.monaco-editor .view-line', { hasText: 'TRACE_EVENT(demo_switch' }).count();
    if (shown === 0) {
        throw new Error('demo_sched.h is open but no line shows "TRACE_EVENT(demo_switch"');
    }
}

/** The server's "N call sites" lens runs tracer.showReferences, which opens VS Code's references view. */
async function callSitesLensShowsReferences(wb: Workbench): Promise<void> {
    const lens = wb.page.locator('.contentWidgets .codelens-decoration a', { hasText: '1 call site' }).first();
    await lens.waitFor({ timeout: 30_000 });
    await lens.click();
    await wb.page
        .locator('.peekview-widget', { hasText: 'demo_sched.c' })
        .first()
        .waitFor({ state: 'visible', timeout: 15_000 });
    await wb.page.keyboard.press('Escape');
    await wb.page.mouse.move(900, 700);
}

async function hoverShowsFields(wb: Workbench, workspace: string): Promise<void> {
    const site = positionOf(workspace, SITE_FILE, 'trace_demo_switch(');
    await wb.openFile('demo_sched.c');
    await wb.goTo(site.line, site.column + 4);
    const hover = wb.page.locator('.monaco-hover:not(.hidden)', { hasText: 'prev_pid' });
    await until('the hover of trace_demo_switch to show the field prev_pid', 30_000, async () => {
        // Show Hover is the chord Ctrl+K Ctrl+I.
        await wb.page.keyboard.press('Control+K');
        await wb.page.keyboard.press('Control+I');
        return (await hover
            .first()
            .waitFor({ state: 'visible', timeout: 3_000 })
            .then(() => true)
            .catch(() => undefined)) as true | undefined;
    });
}

async function completionOffersWakeup(wb: Workbench, workspace: string): Promise<void> {
    const site = positionOf(workspace, SITE_FILE, 'trace_demo_switch(');
    await wb.page.keyboard.press('Escape');
    // A new line after the probe site, inside the same function.
    await wb.goTo(site.line, 1);
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.type('trace_demo_w', { delay: 30 });
    // The server's items are events (word-based suggestions are off in the test's settings,
    // and would show as plain text): the row must carry the event icon.
    const row = wb.page.locator('.suggest-widget.visible .monaco-list-row', {
        hasText: 'trace_demo_wakeup',
        has: wb.page.locator('.codicon-symbol-event'),
    });
    await until('completion after "trace_demo_w" to offer trace_demo_wakeup', 30_000, async () => {
        const shown = await row
            .first()
            .waitFor({ state: 'visible', timeout: 3_000 })
            .then(() => true)
            .catch(() => undefined);
        if (!shown) {
            await wb.page.keyboard.press('Control+Space');
        }
        return shown;
    });
}

/**
 * The heat map in the real workbench, fed by countsProxy (large counts and live rates, see there):
 * switching `tracer.serverPath` to the proxy restarts the server, opening hello.c brings its
 * counts, and the palette's Toggle Heat Map and Clear Counts take them away.
 */
/**
 * Sets `tracer.serverPath` through the Settings editor, as a user would (a write to settings.json
 * on disk is not noticed by the workbench); this also shows the setting and its description exist.
 */
async function setServerPath(wb: Workbench, opts: Options, value: string): Promise<void> {
    await wb.runCommand('Preferences: Open User Settings');
    const search = wb.page
        .locator('.settings-editor .settings-header .monaco-editor textarea, .settings-editor .suggest-input-container textarea')
        .first();
    await search.waitFor({ state: 'visible', timeout: 15_000 });
    await search.focus();
    await wb.page.keyboard.press('Control+A');
    await wb.page.keyboard.type('tracer.serverPath');
    // In a remote window (code-server is one) machine-overridable settings live on the Remote tab.
    await wb.page.locator('.settings-editor .settings-tabs-widget .action-label', { hasText: 'Remote' }).first().click();
    const item = wb.page.locator('.settings-editor .setting-item-contents', { hasText: 'Path of the' }).first();
    await item.waitFor({ state: 'visible', timeout: 15_000 });
    const input = item.locator('input').first();
    await input.fill(value);
    await input.press('Enter');
    const machineSettings = join(dirname(dirname(opts.settings)), 'Machine', 'settings.json');
    await until(`tracer.serverPath to reach ${machineSettings}`, 15_000, async () =>
        existsSync(machineSettings) && readFileSync(machineSettings, 'utf8').includes(JSON.stringify(value)) ? true : undefined,
    );
}

/** A server path that leads nowhere gives a notification with the install command. */
async function missingServerIsExplained(wb: Workbench, opts: Options): Promise<void> {
    await setServerPath(wb, opts, '/nonexistent/tracer-lsp');
    await wb.page
        .locator('.notifications-toasts .notification-toast', { hasText: 'cargo install --path server' })
        .first()
        .waitFor({ state: 'visible', timeout: 30_000 });
}

async function heatMapDrawsCounts(wb: Workbench, opts: Options, artifacts: string): Promise<void> {
    await setServerPath(wb, opts, opts.countsProxy);
    await wb.openFile('hello.c');
    const hot = '● 120,000 (3.2k/s)';
    const drawn = await until('the heat map on the tracepoint lines of hello.c', 60_000, async () => {
        const afters = await wb.afterLineTexts();
        return afters.length >= 4 ? afters : undefined;
    });
    const workStart = drawn.find((a) => a.line.includes('tracepoint(hello, work_start'));
    if (workStart?.after !== hot) {
        throw new Error(`the work_start line shows ${JSON.stringify(workStart?.after)}, not "${hot}": ${JSON.stringify(drawn)}`);
    }
    const greeting = drawn.find((a) => a.line.includes('tracepoint(hello, greeting, 0'));
    if (greeting?.after !== '\u25cf 12,000 (320/s)') {
        throw new Error(`the first greeting line shows ${JSON.stringify(greeting?.after)}: ${JSON.stringify(drawn)}`);
    }
    if (drawn.some((a) => !a.line.includes('tracepoint(hello, '))) {
        throw new Error(`counts drawn on a line without a probe site: ${JSON.stringify(drawn)}`);
    }
    const marks = await wb.gutterMarks();
    if (marks < 4) {
        throw new Error(`${marks} gutter marks with an image, expected one per probe-site line (4)`);
    }
    await until('the gutter marks to load', 15_000, async () => ((await wb.gutterImagesLoaded()) ? true : undefined));
    say(`screenshot: ${await wb.screenshot(artifacts, 'heatmap.png')}`);
    await wb.runCommand('Tracer: Toggle Heat Map');
    await until('Toggle Heat Map to hide the counts and gutter marks', 15_000, async () =>
        (await wb.afterLineTexts()).length === 0 && (await wb.gutterMarks()) === 0 ? true : undefined,
    );
    await wb.runCommand('Tracer: Toggle Heat Map');
    await until('Toggle Heat Map to show the counts again', 15_000, async () =>
        (await wb.afterLineTexts()).length >= 4 ? true : undefined,
    );
    await wb.runCommand('Tracer: Clear Counts');
    await until('Clear Counts to remove the counts', 15_000, async () => ((await wb.afterLineTexts()).length === 0 ? true : undefined));
}

/**
 * Tracer: Record… on the C example, as a user does it: the real server again, hello.c open,
 * the palette command, the program's command line typed into the input box. The heat map must
 * then show the exact count of every probe-site line (the program exits at once, so the
 * counts are final and no rate is shown).
 */
async function recordShowsCounts(wb: Workbench, opts: Options, artifacts: string): Promise<void> {
    await setServerPath(wb, opts, opts.server);
    await wb.runCommand('Notifications: Clear All Notifications');
    await wb.openFile('hello.c');
    await wb.runCommand('Tracer: Record…');
    const input = wb.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`${opts.helloC} you`);
    await input.press('Enter');
    const want: [string, string][] = [
        ['tracepoint(hello, work_start', '\u25cf 10'],
        ['tracepoint(hello, work_done', '\u25cf 10'],
        ['tracepoint(hello, greeting, 0', '\u25cf 1'],
        ['tracepoint(hello, greeting, i', '\u25cf 5'],
    ];
    const drawn = await until('the recorded counts on the four probe-site lines of hello.c', 60_000, async () => {
        const afters = await wb.afterLineTexts();
        const ok = want.every(([line, text]) => afters.some((a) => a.line.includes(line) && a.after === text));
        return ok ? afters : undefined;
    });
    if (drawn.some((a) => !a.line.includes('tracepoint(hello, '))) {
        throw new Error(`counts drawn on a line without a probe site: ${JSON.stringify(drawn)}`);
    }
    // Once each: the server's inlay hints say the same as the heat map, which hides them.
    await wb.page.waitForTimeout(1500);
    const bullets = await wb.countBullets();
    if (bullets !== want.length) {
        throw new Error(`${bullets} counts shown on hello.c's ${want.length} probe-site lines (each once expected)`);
    }
    // Away from the tabs and the breadcrumbs, whose tooltips would show the run's directory.
    await wb.page.mouse.move(1000, 720);
    await wb.page.waitForTimeout(800);
    say(`screenshot: ${await wb.screenshot(artifacts, 'record.png')}`);
}

/** The first line `child` prints on stdout (within 15 s). */
function firstLine(child: ChildProcess): Promise<string> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no output within 15 s')), 15_000);
        createInterface({ input: child.stdout! }).once('line', (line) => {
            clearTimeout(timer);
            resolve(line);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code} before printing`)));
    });
}

/**
 * Tracer: Attach to Live Session… as a user does it: a relay serves a recording of the C
 * example run twice, 6 s apart (live when the command runs), and the heat map must end with
 * both runs' counts on hello.c's probe-site lines.
 */
async function attachShowsLiveCounts(wb: Workbench, opts: Options): Promise<void> {
    const root = mkdtempSync(join(tmpdir(), 'tracer-e2e-relay-'));
    const children: ChildProcess[] = [];
    try {
        const relay = spawn(opts.server, ['relay', '--listen', '127.0.0.1:0', '--targets', '127.0.0.1:0', '--root', root], {
            stdio: ['ignore', 'pipe', 'ignore'],
        });
        children.push(relay);
        const port = /listening on 127\.0\.0\.1:(\d+)/.exec(await firstLine(relay))?.[1];
        if (!port) {
            throw new Error('the relay did not say its port');
        }
        const session = join(root, 'board', 'demo');
        const twice = `'${opts.helloC}' one && sleep 6 && '${opts.helloC}' two`;
        children.push(
            spawn(opts.server, ['record', '--output', session, '--', 'sh', '-c', twice], {
                cwd: opts.workspace,
                stdio: 'ignore',
            }),
        );
        await until('the recording to go live', 15_000, async () => (existsSync(join(session, '.live')) ? true : undefined));

        await wb.runCommand('Tracer: Clear Counts');
        await wb.openFile('hello.c');
        await until('the counts to be cleared', 15_000, async () => ((await wb.afterLineTexts()).length === 0 ? true : undefined));
        await wb.runCommand('Tracer: Attach to Live Session…');
        const input = wb.page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        await input.fill(`net://localhost:${port}/host/board/demo`);
        await input.press('Enter');
        const want: [string, string][] = [
            ['tracepoint(hello, work_start', '\u25cf 20'],
            ['tracepoint(hello, work_done', '\u25cf 20'],
            ['tracepoint(hello, greeting, 0', '\u25cf 2'],
            ['tracepoint(hello, greeting, i', '\u25cf 10'],
        ];
        // Live first: one run's counts while the session goes on.
        await until("the first run's counts, live", 30_000, async () => {
            const afters = await wb.afterLineTexts();
            return afters.some((a) => a.line.includes('tracepoint(hello, work_start') && a.after.startsWith('\u25cf 10'))
                ? true
                : undefined;
        });
        await until("both runs' counts once the session ended", 60_000, async () => {
            const afters = await wb.afterLineTexts();
            return want.every(([line, text]) => afters.some((a) => a.line.includes(line) && a.after === text))
                ? true
                : undefined;
        });
    } finally {
        for (const child of children) {
            child.kill();
        }
        rmSync(root, { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
    const opts = options(process.argv.slice(2));
    mkdirSync(opts.artifacts, { recursive: true });
    let browser: Browser | undefined;
    let wb: Workbench | undefined;
    const passed: string[] = [];
    const skipped: string[] = [];
    const step = async (name: string, run: () => Promise<void>) => {
        say(`step: ${name}`);
        await run();
        passed.push(name);
        say(`ok:   ${name}`);
    };
    try {
        say(`launching ${opts.chromium} (headless)`);
        browser = await chromium.launch({
            executablePath: opts.chromium,
            headless: true,
            timeout: 60_000,
            args: [
                '--no-sandbox',
                '--disable-gpu',
                '--disable-quic',
                '--no-first-run',
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-sync',
            ],
        });
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        page.on('pageerror', (e) => say(`page error: ${e.message}`));
        wb = new Workbench(page);
        const w = wb;

        await step('the workbench loads the workspace', async () => {
            await page.goto(opts.url, { timeout: 60_000 });
            await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
            await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60_000 });
        });
        await step('go-to-definition from trace_demo_switch lands on TRACE_EVENT(demo_switch in demo_sched.h', () =>
            goToDefinition(w, opts.workspace),
        );
        say(`screenshot: ${await w.screenshot(opts.artifacts, 'definition.png')}`);
        await step('the "1 call site" code lens opens the references view on demo_sched.c', () =>
            callSitesLensShowsReferences(w),
        );
        await step('hover on trace_demo_switch shows its fields (prev_pid)', () => hoverShowsFields(w, opts.workspace));
        say(`screenshot: ${await w.screenshot(opts.artifacts, 'hover.png')}`);
        await step('completion after trace_demo_w offers trace_demo_wakeup', () => completionOffersWakeup(w, opts.workspace));
        say(`screenshot: ${await w.screenshot(opts.artifacts, 'completion.png')}`);

        await step('the heat map draws tracer/counts (gutter, background, after-line text); toggle and clear work', () =>
            heatMapDrawsCounts(w, opts, opts.artifacts),
        );

        await step('a tracer.serverPath that leads nowhere gives a notification with the install command', () =>
            missingServerIsExplained(w, opts),
        );
        say(`screenshot: ${await w.screenshot(opts.artifacts, 'missing-server.png')}`);

        const commands = await advertisedCommands(opts.server, opts.workspace);
        if (!commands.includes('tracer.record')) {
            throw new Error(`tracer-lsp does not advertise tracer.record: ${JSON.stringify(commands)}`);
        }
        await step('Tracer: Record… on the C example shows the exact count of every probe-site line', () =>
            recordShowsCounts(w, opts, opts.artifacts),
        );
        await step('Tracer: Attach to Live Session… follows a relay\'s session: live counts, then both runs\'', () =>
            attachShowsLiveCounts(w, opts),
        );
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        say(`FAILED: ${message}`);
        if (wb) {
            const file = await wb.screenshot(opts.artifacts, 'failure.png').catch(() => undefined);
            if (file) {
                say(`screenshot of the failure: ${file}`);
            }
        }
        console.log(`vscode-e2e: ${passed.length} passed, 1 failed, ${skipped.length} skipped`);
        process.exitCode = 1;
        return;
    } finally {
        await browser?.close().catch(() => undefined);
    }
    console.log(`vscode-e2e: ${passed.length} passed, 0 failed, ${skipped.length} skipped`);
}

const overall = setTimeout(() => {
    say('FAILED: the whole end-to-end run took more than 6 minutes');
    process.exit(1);
}, 6 * 60_000);
overall.unref();
void main();
