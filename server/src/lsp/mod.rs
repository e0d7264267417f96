//! The language server over stdio. Handlers are thin: decode the request, ask the index (a
//! pure query under a read lock, never across an `.await`), encode the answer.
//!
//! Start-up indexing runs on a blocking thread (rayon inside) and reports `$/progress`;
//! until it ends, requests are answered from what is indexed (the open documents first).

mod convert;
mod present;
mod recording;
mod transport;
mod world;

use std::path::PathBuf;
use std::sync::Arc;

use indexer::query::completion::completion_context;
use indexer::query::diagnostics::DiagnosticOptions;
use indexer::{Hit, WorkspaceIndex};
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error as RpcError, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService};

use crate::load;
use world::World;

/// Serves LSP on stdin/stdout until the client says `exit`.
pub fn run_stdio() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (service, socket) = LspService::new(Backend::new);
        transport::serve(service, socket).await;
    });
    // Reading stdin blocks a thread that no task can interrupt; after `exit`, do not wait for
    // the client to close it.
    runtime.shutdown_background();
    Ok(())
}

/// What the client said it can do, as far as the server cares.
#[derive(Default, Clone, Copy)]
struct ClientFeatures {
    work_done_progress: bool,
    snippets: bool,
    watch_registration: bool,
    inlay_hint_refresh: bool,
    code_lens_refresh: bool,
}

struct Backend {
    client: Client,
    world: Arc<World>,
    roots: std::sync::Mutex<Vec<PathBuf>>,
    features: std::sync::Mutex<ClientFeatures>,
    recordings: recording::Recordings,
}

const SHOW_REFERENCES: &str = "tracer.showReferences";
const RECORD: &str = "tracer.record";
const STOP: &str = "tracer.stop";
const ATTACH: &str = "tracer.attach";
const OPEN_TRACE: &str = "tracer.openTrace";
const CLEAR_COUNTS: &str = "tracer.clearCounts";
const COMPLETION_LIMIT: usize = 200;
const SYMBOL_LIMIT: usize = 200;

impl Backend {
    fn new(client: Client) -> Backend {
        Backend {
            client,
            world: Arc::new(World::default()),
            roots: Default::default(),
            features: Default::default(),
            recordings: Default::default(),
        }
    }

    fn first_root(&self) -> Option<PathBuf> {
        self.roots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .first()
            .cloned()
    }

    fn features(&self) -> ClientFeatures {
        *self.features.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn publish_open(&self) {
        publish_open(&self.client, &self.world).await;
    }

    /// Indexes every workspace folder off the reactor and reports progress.
    fn start_indexing(&self) {
        let client = self.client.clone();
        let world = self.world.clone();
        let roots = self.roots.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let progress_supported = self.features().work_done_progress;
        tokio::spawn(async move {
            let token = NumberOrString::String("tracer-lsp/index".to_string());
            let progress = if progress_supported
                && client
                    .create_work_done_progress(token.clone())
                    .await
                    .is_ok()
            {
                Some(
                    client
                        .progress(token, "Indexing tracepoints")
                        .with_percentage(0)
                        .begin()
                        .await,
                )
            } else {
                None
            };
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, usize)>();
            let load = tokio::task::spawn_blocking(move || {
                let mut ws = WorkspaceIndex::new();
                let mut files = 0;
                let mut errors = Vec::new();
                let started = std::time::Instant::now();
                for root in &roots {
                    let report = |done: usize, total: usize| {
                        let _ = tx.send((done, total));
                    };
                    match load::load_into(&mut ws, root, load::PathKeys::Absolute, &report) {
                        Ok(stats) => {
                            files += stats.files_indexed;
                            errors.extend(stats.errors);
                        }
                        Err(e) => errors.push(format!("{e:#}")),
                    }
                }
                (ws, files, errors, started.elapsed())
            });
            let mut last = None;
            while let Some((done, total)) = rx.recv().await {
                let percent = (done * 100).checked_div(total).unwrap_or(100) as u32;
                if let Some(p) = &progress {
                    if last != Some(percent) {
                        p.report_with_message(format!("{done}/{total} files"), percent)
                            .await;
                    }
                }
                last = Some(percent);
            }
            let summary = match load.await {
                Ok((ws, files, errors, elapsed)) => {
                    for e in errors.iter().take(20) {
                        client
                            .log_message(MessageType::WARNING, format!("skipped {e}"))
                            .await;
                    }
                    world.install(ws);
                    format!("indexed {files} files in {:.2} s", elapsed.as_secs_f64())
                }
                Err(e) => {
                    world.install(WorkspaceIndex::new());
                    format!("indexing failed: {e}")
                }
            };
            client
                .log_message(MessageType::INFO, format!("tracer-lsp: {summary}"))
                .await;
            if let Some(p) = progress {
                p.finish_with_message(summary).await;
            }
            publish_open(&client, &world).await;
        });
    }

    /// Imports a CTF trace directory (ours or LTTng's) as the current counts.
    async fn open_trace(&self, path: PathBuf) -> Result<Value> {
        if !path.is_dir() {
            return Err(RpcError::invalid_params(format!(
                "{}: not a trace directory",
                path.display()
            )));
        }
        self.recordings.stop(None).await.ok();
        let read = path.clone();
        let imported = tokio::task::spawn_blocking(move || crate::counts::import(&read))
            .await
            .map_err(|e| RpcError::invalid_params(e.to_string()))?;
        let (counts, errors) = (&imported.counts, imported.errors);
        for e in errors.iter().take(20) {
            self.client
                .log_message(MessageType::WARNING, format!("tracer-lsp: {e}"))
                .await;
        }
        self.world.set_trace_counts(imported.traces);
        recording::publish_counts(&self.client, &self.world, self.features()).await;
        let unmatched = self.world.attribution().unmatched.len();
        Ok(serde_json::json!({
            "trace": path,
            "events": counts.events,
            "lost": counts.lost,
            "unmatched": unmatched,
            "errors": errors,
        }))
    }

    async fn register_watchers(&self) {
        if !self.features().watch_registration {
            return;
        }
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: vec![FileSystemWatcher {
                glob_pattern: GlobPattern::String("**/*.{c,h,cc,cpp,hh,hpp,tp,rs,d}".to_string()),
                kind: None,
            }],
        };
        let registration = Registration {
            id: "tracer-lsp/watch".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(options).ok(),
        };
        if let Err(e) = self.client.register_capability(vec![registration]).await {
            self.client
                .log_message(
                    MessageType::WARNING,
                    format!("file watcher not registered: {e}"),
                )
                .await;
        }
    }
}

/// Publishes the diagnostics of every open document (computed first, then sent: no lock is
/// held across the sends).
async fn publish_open(client: &Client, world: &World) {
    let options = *world.diagnostics.read().unwrap_or_else(|p| p.into_inner());
    // The open-document list first: `World` takes the documents before the index, and so
    // must everyone else, or an edit and a publish can deadlock.
    let paths = world.open_paths();
    let batches: Vec<(Uri, Vec<Diagnostic>)> = {
        let ws = world.read();
        paths
            .iter()
            .filter_map(|path| {
                let uri = convert::uri_of(path)?;
                let diags = ws
                    .file(path)
                    .map(|e| {
                        ws.diagnostics(path, options)
                            .into_iter()
                            .map(|d| present::diagnostic(e, d))
                            .collect()
                    })
                    .unwrap_or_default();
                Some((uri, diags))
            })
            .collect()
    };
    for (uri, diags) in batches {
        client.publish_diagnostics(uri, diags, None).await;
    }
}

/// The document path and byte offset of a position request, when the document is indexed.
fn locate(ws: &WorkspaceIndex, tdp: &TextDocumentPositionParams) -> Option<(String, u32)> {
    let path = convert::path_of(&tdp.text_document.uri)?;
    let entry = ws.file(&path)?;
    let offset = convert::offset(entry, tdp.position);
    Some((path, offset))
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let caps = &params.capabilities;
        *self.features.lock().unwrap_or_else(|p| p.into_inner()) = ClientFeatures {
            work_done_progress: caps.window.as_ref().and_then(|w| w.work_done_progress)
                == Some(true),
            snippets: caps
                .text_document
                .as_ref()
                .and_then(|t| t.completion.as_ref())
                .and_then(|c| c.completion_item.as_ref())
                .and_then(|i| i.snippet_support)
                == Some(true),
            watch_registration: caps
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                == Some(true),
            inlay_hint_refresh: caps
                .workspace
                .as_ref()
                .and_then(|w| w.inlay_hint.as_ref())
                .and_then(|i| i.refresh_support)
                == Some(true),
            code_lens_refresh: caps
                .workspace
                .as_ref()
                .and_then(|w| w.code_lens.as_ref())
                .and_then(|c| c.refresh_support)
                == Some(true),
        };
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        #[allow(deprecated)] // Older clients (Neovim 0.7 without folders) send only rootUri.
        if roots.is_empty() {
            roots.extend(
                params
                    .root_uri
                    .as_ref()
                    .and_then(|u| u.to_file_path())
                    .map(|p| p.into_owned()),
            );
        }
        *self.roots.lock().unwrap_or_else(|p| p.into_inner()) = roots;
        let unused = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.pointer("/diagnostics/unusedEvents"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        *self
            .world
            .diagnostics
            .write()
            .unwrap_or_else(|p| p.into_inner()) = DiagnosticOptions {
            unused_events: unused,
        };

        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "tracer-lsp".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec!["_".into(), "(".into(), ",".into()]),
                    ..CompletionOptions::default()
                }),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                inlay_hint_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: [
                        SHOW_REFERENCES,
                        RECORD,
                        ATTACH,
                        STOP,
                        OPEN_TRACE,
                        CLEAR_COUNTS,
                    ]
                    .map(String::from)
                    .to_vec(),
                    ..ExecuteCommandOptions::default()
                }),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: None,
                    }),
                    file_operations: None,
                }),
                ..ServerCapabilities::default()
            },
            ..InitializeResult::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.start_indexing();
        self.register_watchers().await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return;
        };
        self.world.open(&path, params.text_document.text);
        self.publish_open().await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return;
        };
        self.world.change(&path, params.content_changes);
        self.publish_open().await;
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {}

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return;
        };
        self.world.close(&path);
        self.client
            .publish_diagnostics(params.text_document.uri, Vec::new(), None)
            .await;
        self.publish_open().await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        for change in &params.changes {
            if let Some(path) = convert::path_of(&change.uri) {
                self.world.changed_on_disk(&path);
            }
        }
        self.publish_open().await;
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let ws = self.world.read();
        let Some((path, offset)) = locate(&ws, &params.text_document_position) else {
            return Ok(None);
        };
        let Some(entry) = ws.file(&path) else {
            return Ok(None);
        };
        let Some(language) = indexer::Language::of_path(&path) else {
            return Ok(None);
        };
        let Some(site) = completion_context(language, &entry.text, offset as usize) else {
            return Ok(None);
        };
        let (candidates, incomplete) = ws.complete(&site.context, COMPLETION_LIMIT);
        let replace = convert::range(entry, site.replace);
        let snippets = self.features().snippets;
        let items = candidates
            .into_iter()
            .map(|c| present::completion_item(c, replace, snippets))
            .collect();
        Ok(Some(CompletionResponse::List(CompletionList {
            // Still indexing: the list will grow.
            is_incomplete: incomplete || !self.world.is_ready(),
            items,
        })))
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let ws = self.world.read();
        let Some((path, offset)) = locate(&ws, &params.text_document_position_params) else {
            return Ok(None);
        };
        let locations: Vec<Location> = ws
            .definition(&path, offset)
            .iter()
            .filter_map(|r| convert::location(&ws, r))
            .collect();
        Ok((!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations)))
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let ws = self.world.read();
        let Some((path, offset)) = locate(&ws, &params.text_document_position) else {
            return Ok(None);
        };
        let refs = ws.references(&path, offset, params.context.include_declaration);
        Ok(Some(
            refs.iter()
                .filter_map(|r| convert::location(&ws, r))
                .collect(),
        ))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        // Before the index lock: attributing takes it too.
        let attribution = self.world.attribution();
        let ws = self.world.read();
        let Some((path, offset)) = locate(&ws, &params.text_document_position_params) else {
            return Ok(None);
        };
        let Some(hit) = ws.hit(&path, offset) else {
            return Ok(None);
        };
        let roots = self.roots.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(mut markdown) = present::hover(&ws, &present::Shown(&roots), &path, hit) else {
            return Ok(None);
        };
        if let Hit::Site(site) = hit {
            if let Some(c) = attribution
                .sites
                .iter()
                .find(|c| c.path == path && c.name_range == site.name_range)
            {
                markdown.push_str(&present::count_markdown(c));
            }
        }
        let range = ws.file(&path).map(|entry| {
            let r = match hit {
                Hit::Site(s) => s.name_range,
                Hit::EventName(e) | Hit::WrapperUse(e) => e.name_range,
                Hit::ClassRef(e) => e.class_range.unwrap_or(e.name_range),
                Hit::Class(c) => c.name_range,
                Hit::Wrapper(w) => w.name_range,
            };
            convert::range(entry, r)
        });
        Ok(Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: markdown,
            }),
            range,
        }))
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let ws = self.world.read();
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let Some(entry) = ws.file(&path) else {
            return Ok(None);
        };
        Ok(Some(DocumentSymbolResponse::Nested(
            present::document_symbols(entry),
        )))
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let ws = self.world.read();
        let query = params.query.as_str();
        let mut scored: Vec<(u32, WorkspaceSymbol)> = ws
            .all_events()
            .filter_map(|(path, e)| {
                let full = format!("{}:{}", e.system.as_deref().unwrap_or(""), e.name);
                let score = indexer::query::fuzzy_score(query, &e.name)
                    .max(indexer::query::fuzzy_score(query, &full))?;
                let location = convert::location(
                    &ws,
                    &indexer::FileRange {
                        path: path.to_string(),
                        range: e.name_range,
                    },
                )?;
                Some((
                    score,
                    WorkspaceSymbol {
                        name: e.name.clone(),
                        kind: SymbolKind::EVENT,
                        tags: None,
                        container_name: e.system.clone(),
                        location: OneOf::Left(location),
                        data: None,
                    },
                ))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
        scored.truncate(SYMBOL_LIMIT);
        Ok(Some(WorkspaceSymbolResponse::Nested(
            scored.into_iter().map(|(_, s)| s).collect(),
        )))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        // Before the index lock: attributing takes it too, and a second read lock on the same
        // thread can deadlock behind a waiting writer.
        let attribution = self.world.attribution();
        let ws = self.world.read();
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let Some(entry) = ws.file(&path) else {
            return Ok(None);
        };
        let totals = &attribution.events;
        let recorded = |e: &indexer::EventDecl| -> Option<u64> {
            let name = format!("{}:{}", e.system.as_deref().unwrap_or(""), e.name);
            totals.get(&name).copied()
        };
        // Also on implicit declarations (a Rust event's first site): the total is news there.
        let count_lenses: Vec<CodeLens> = entry
            .index
            .events
            .iter()
            .filter_map(|e| {
                let n = recorded(e)?;
                Some(CodeLens {
                    range: convert::range(entry, e.name_range),
                    command: Some(Command {
                        title: format!("● {} events recorded", crate::thousands(n)),
                        command: String::new(),
                        arguments: None,
                    }),
                    data: None,
                })
            })
            .collect();
        let lenses = entry
            .index
            .events
            .iter()
            .filter(|e| !e.implicit)
            .map(|e| {
                let sites = ws.sites_of(&ws.decls_of(Hit::EventName(e)));
                let locations: Vec<Location> = sites
                    .iter()
                    .filter_map(|(p, s)| {
                        convert::location(
                            &ws,
                            &indexer::FileRange {
                                path: p.to_string(),
                                range: s.name_range,
                            },
                        )
                    })
                    .collect();
                let range = convert::range(entry, e.name_range);
                let title = match locations.len() {
                    1 => "1 call site".to_string(),
                    n => format!("{n} call sites"),
                };
                CodeLens {
                    range,
                    command: Some(Command {
                        title,
                        command: SHOW_REFERENCES.to_string(),
                        arguments: Some(vec![
                            serde_json::to_value(&params.text_document.uri).unwrap_or(Value::Null),
                            serde_json::to_value(range.start).unwrap_or(Value::Null),
                            serde_json::to_value(&locations).unwrap_or(Value::Null),
                        ]),
                    }),
                    data: None,
                }
            })
            .chain(count_lenses)
            .collect();
        Ok(Some(lenses))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let attribution = self.world.attribution();
        let ws = self.world.read();
        let Some(entry) = ws.file(&path) else {
            return Ok(None);
        };
        let mut by_line: std::collections::BTreeMap<u32, (u64, f64, usize)> = Default::default();
        for s in attribution.sites.iter().filter(|s| s.path == path) {
            let e = by_line.entry(s.line).or_default();
            e.0 += s.count;
            e.1 += s.rate;
            e.2 = e.2.max(if s.exact { 1 } else { s.shared_by });
        }
        let hints = by_line
            .into_iter()
            .filter(|(line, _)| *line >= params.range.start.line && *line <= params.range.end.line)
            .map(|(line, (count, rate, shared))| {
                let text = entry.text.lines().nth(line as usize).unwrap_or("");
                let end = text.encode_utf16().count() as u32;
                InlayHint {
                    position: Position::new(line, end),
                    label: InlayHintLabel::String(present::count_label(count, rate, shared)),
                    kind: None,
                    text_edits: None,
                    tooltip: None,
                    padding_left: Some(true),
                    padding_right: None,
                    data: None,
                }
            })
            .collect();
        Ok(Some(hints))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        match params.command.as_str() {
            // Clients with their own references view handle this command themselves; others
            // get the locations back.
            SHOW_REFERENCES => Ok(params.arguments.get(2).cloned()),
            RECORD => {
                let arg = params.arguments.first().cloned().unwrap_or(Value::Null);
                let record: recording::RecordParams = serde_json::from_value(arg).map_err(|e| {
                    RpcError::invalid_params(format!(
                        "tracer.record takes {{command: [program, args...], cwd?, env?, mode?, enable?}}: {e}"
                    ))
                })?;
                let token = params.work_done_progress_params.work_done_token;
                let id = self
                    .recordings
                    .start(
                        self.client.clone(),
                        self.world.clone(),
                        self.features(),
                        record,
                        token,
                        self.first_root(),
                    )
                    .map_err(RpcError::invalid_params)?;
                Ok(Some(recording::record_answer(id)))
            }
            ATTACH => {
                let url = params
                    .arguments
                    .first()
                    .and_then(|a| a.get("url"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        RpcError::invalid_params(
                            "tracer.attach takes {url: \"net://HOST[:PORT]/host/HOSTNAME/SESSION\"}",
                        )
                    })?;
                let token = params.work_done_progress_params.work_done_token;
                let id = self
                    .recordings
                    .attach(
                        self.client.clone(),
                        self.world.clone(),
                        self.features(),
                        url,
                        token,
                    )
                    .await
                    .map_err(RpcError::invalid_params)?;
                Ok(Some(recording::record_answer(id)))
            }
            STOP => {
                // Clients may echo the id as a string (VS Code keeps ids as text).
                let id = match params.arguments.first().and_then(|a| a.get("id")) {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(
                        v.as_u64()
                            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                            .ok_or_else(|| {
                                RpcError::invalid_params(format!("tracer.stop: bad id {v}"))
                            })?,
                    ),
                };
                self.recordings
                    .stop(id)
                    .await
                    .map_err(RpcError::invalid_params)?;
                Ok(None)
            }
            OPEN_TRACE => {
                let path = params
                    .arguments
                    .first()
                    .and_then(|a| a.get("path"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| RpcError::invalid_params("tracer.openTrace takes {path}"))?;
                let summary = self.open_trace(PathBuf::from(path)).await?;
                Ok(Some(summary))
            }
            CLEAR_COUNTS => {
                self.recordings.stop(None).await.ok();
                self.world.set_trace_counts(Vec::new());
                recording::publish_counts(&self.client, &self.world, self.features()).await;
                Ok(None)
            }
            other => Err(RpcError::invalid_params(format!(
                "unknown command `{other}`"
            ))),
        }
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let ws = self.world.read();
        let Some((path, offset)) = locate(&ws, &params) else {
            return Ok(None);
        };
        match ws.prepare_rename(&path, offset) {
            Ok(r) => Ok(ws
                .file(&path)
                .map(|entry| PrepareRenameResponse::Range(convert::range(entry, r)))),
            Err(_) => Ok(None),
        }
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let ws = self.world.read();
        let Some((path, offset)) = locate(&ws, &params.text_document_position) else {
            return Ok(None);
        };
        let edits = ws
            .rename(&path, offset, &params.new_name)
            .map_err(RpcError::invalid_params)?;
        let mut changes: std::collections::HashMap<Uri, Vec<TextEdit>> = Default::default();
        for e in edits {
            let (Some(uri), Some(entry)) = (convert::uri_of(&e.path), ws.file(&e.path)) else {
                continue;
            };
            changes
                .entry(uri)
                .or_default()
                .push(TextEdit::new(convert::range(entry, e.range), e.new_text));
        }
        Ok(Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }))
    }
}
