// Draws the heat map of `heatMap.ts` in VS Code editors: one decoration type per heat level
// (gutter mark, line background, overview ruler colour), the count and rate after the line. The
// decoration types are rebuilt when the colour settings change.

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { CountsStore, gutterIconSvg, HEAT_LEVELS, levelStyles } from './heatMap';

export class HeatMapView implements vscode.Disposable {
    private types: vscode.TextEditorDecorationType[] = [];
    private showCounts = true;
    /** Switched by "Toggle Heat Map"; starts from `tracer.heatMap.enabled`. */
    enabled = true;

    /** Whether the count and rate are written after each probe-site line now. */
    get drawsCounts(): boolean {
        return this.enabled && this.showCounts;
    }

    constructor(
        private readonly store: CountsStore,
        /** A directory of the extension's own where the gutter marks are written as SVG files. */
        private readonly iconDir: string,
    ) {
        this.enabled = vscode.workspace.getConfiguration('tracer.heatMap').get<boolean>('enabled', true);
        this.rebuildTypes();
    }

    /** Re-reads the colour settings and redraws every visible editor. */
    rebuildTypes(): void {
        const config = vscode.workspace.getConfiguration('tracer.heatMap');
        this.showCounts = config.get<boolean>('showCounts', true);
        const styles = levelStyles(config.get<string>('coldColor', ''), config.get<string>('hotColor', ''), HEAT_LEVELS);
        this.disposeTypes();
        fs.mkdirSync(this.iconDir, { recursive: true });
        this.types = styles.map((style) => {
            // Remote and web workbenches load gutter icons by URI: a file of the extension host
            // works everywhere, a data: URI does not.
            const icon = path.join(this.iconDir, `heat-${style.color.slice(1)}.svg`);
            fs.writeFileSync(icon, gutterIconSvg(style.color));
            return vscode.window.createTextEditorDecorationType({
                isWholeLine: true,
                backgroundColor: style.background,
                overviewRulerColor: style.color,
                overviewRulerLane: vscode.OverviewRulerLane.Right,
                gutterIconPath: vscode.Uri.file(icon),
                gutterIconSize: 'contain',
                after: {
                    margin: '0 0 0 2em',
                    color: new vscode.ThemeColor('editorCodeLens.foreground'),
                    fontStyle: 'italic',
                },
            });
        });
        this.renderAll();
    }

    renderAll(): void {
        for (const editor of vscode.window.visibleTextEditors) {
            this.render(editor);
        }
    }

    render(editor: vscode.TextEditor): void {
        const document = editor.document;
        const lines = this.enabled ? this.store.decorations(document.uri.toString(), document.lineCount, this.types.length) : [];
        this.types.forEach((type, index) => {
            const level = index + 1;
            const options: vscode.DecorationOptions[] = lines
                .filter((d) => d.level === level)
                .map((d) => ({
                    range: document.lineAt(d.line).range,
                    renderOptions: this.showCounts ? { after: { contentText: d.text } } : undefined,
                }));
            editor.setDecorations(type, options);
        });
    }

    private disposeTypes(): void {
        for (const type of this.types) {
            type.dispose();
        }
        this.types = [];
    }

    dispose(): void {
        this.disposeTypes();
    }
}
