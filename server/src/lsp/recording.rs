//! Recording from the editor: `tracer.record` starts a program under the embedded recorder
//! (the machinery of `tracer-lsp record`), a task samples its counts four times a second, and
//! every sample becomes the world's trace counts, a `$/progress` report, `tracer/counts`
//! notifications and inlay-hint / code-lens refresh requests. Counts stay after the program
//! exits, until `tracer.clearCounts` or the next recording or import replaces them.
//!
//! The program is only ever what the client sent (`command`); nothing here reads a command
//! from the workspace.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indexer::query::counts::TraceCount;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::{MessageType, ProgressToken, Uri};
use tower_lsp_server::Client;
use tracer_core::{Mode, Recorder, RecordingSnapshot};

use super::world::World;
use super::{convert, ClientFeatures};

/// How often a recording is sampled (and at most how often clients are asked to refresh).
pub const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// The argument of `tracer.record`.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RecordParams {
    pub command: Vec<String>,
    pub cwd: Option<PathBuf>,
    #[serde(default)]
    pub env: HashMap<String, String>,
    pub mode: Option<String>,
    #[serde(default)]
    pub enable: Vec<String>,
    pub subbuffer_size: Option<usize>,
    pub subbuffer_count: Option<usize>,
    pub output_directory: Option<PathBuf>,
}

/// `tracer/counts`: the probe-site lines of one document with their counts, for clients that
/// draw their own decorations.
pub enum CountsNotification {}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct CountsParams {
    pub uri: Uri,
    pub sites: Vec<LineCount>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct LineCount {
    /// Zero-based.
    pub line: u32,
    pub count: u64,
    pub rate: f64,
}

impl Notification for CountsNotification {
    type Params = CountsParams;
    const METHOD: &'static str = "tracer/counts";
}

/// The running recording, if any.
#[derive(Default)]
pub struct Recordings {
    next_id: AtomicU64,
    active: Mutex<Option<Active>>,
}

struct Active {
    id: u64,
    stop: Arc<tokio::sync::Notify>,
    done: tokio::task::JoinHandle<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A call site in a recording: file, line, `provider:event`.
type SiteKey = (String, u32, String);

/// A sample's counts with rates over the last second, from the snapshot history.
struct Rates {
    history: VecDeque<(Instant, HashMap<SiteKey, u64>)>,
}

impl Rates {
    fn counts(&mut self, snap: &RecordingSnapshot, live: bool) -> Vec<TraceCount> {
        let now = Instant::now();
        let mut totals: HashMap<SiteKey, TraceCount> = HashMap::new();
        for p in &snap.processes {
            for c in p.classes.iter().filter(|c| c.count > 0) {
                let s = &c.schema;
                let key = (s.file.clone(), s.line, s.full_name());
                let t = totals.entry(key).or_insert_with(|| TraceCount {
                    provider: s.provider.clone(),
                    event: s.event.clone(),
                    location: Some((s.file.clone(), s.line)),
                    ..TraceCount::default()
                });
                t.count += c.count;
                t.lost += p.lost;
                t.payloads.extend(c.payloads.iter().cloned());
                let (first, last) = (Some(c.first_ns), Some(c.last_ns));
                t.first_ns = t.first_ns.map_or(first, |f| Some(f.min(c.first_ns)));
                t.last_ns = t.last_ns.max(last);
            }
        }
        let current: HashMap<_, u64> = totals.iter().map(|(k, v)| (k.clone(), v.count)).collect();
        while self
            .history
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_millis(1100))
        {
            self.history.pop_front();
        }
        if let Some((then, old)) = self.history.front() {
            let dt = now.duration_since(*then).as_secs_f64();
            if dt > 0.0 && live {
                for (k, t) in totals.iter_mut() {
                    let before = old.get(k).copied().unwrap_or(0);
                    t.rate = t.count.saturating_sub(before) as f64 / dt;
                }
            }
        }
        self.history.push_back((now, current));
        let mut out: Vec<TraceCount> = totals.into_values().collect();
        out.sort_by(|a, b| (&a.location, &a.event).cmp(&(&b.location, &b.event)));
        out
    }
}

/// Where a recording goes when the client names no directory.
fn default_output(cwd: &Path) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    cwd.join(".tracer/traces").join(format!("editor-{stamp}"))
}

impl Recordings {
    /// Starts a recording; returns its id.
    pub fn start(
        &self,
        client: Client,
        world: Arc<World>,
        features: ClientFeatures,
        params: RecordParams,
        token: Option<ProgressToken>,
        default_cwd: Option<PathBuf>,
    ) -> Result<u64, String> {
        let Some((program, args)) = params.command.split_first() else {
            return Err("`command` must name the program to record".into());
        };
        let cwd = params
            .cwd
            .clone()
            .or(default_cwd)
            .unwrap_or_else(|| PathBuf::from("."));
        let mode = match params.mode.as_deref() {
            None | Some("discard") => Mode::Discard,
            Some("overwrite") => Mode::Overwrite,
            Some(m) => {
                return Err(format!(
                    "mode {m:?} is neither \"discard\" nor \"overwrite\""
                ))
            }
        };
        let dir = params
            .output_directory
            .clone()
            .unwrap_or_else(|| default_output(&cwd));
        let cfg = crate::record::recording_config(
            dir.clone(),
            mode,
            params.subbuffer_size,
            params.subbuffer_count,
            &params.enable,
        )
        .map_err(|e| e.to_string())?;
        self.stop_current();
        let recorder = Recorder::start(cfg)
            .map_err(|e| format!("cannot record into {}: {e}", dir.display()))?;
        let (k, v) = recorder.env();
        let child = Command::new(program)
            .args(args)
            .current_dir(&cwd)
            .envs(&params.env)
            .env(k, v)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {program} in {}: {e}", cwd.display()))?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let stop = Arc::new(tokio::sync::Notify::new());
        let done = tokio::spawn(run(
            client,
            world,
            features,
            recorder,
            child,
            stop.clone(),
            token,
            program.clone(),
        ));
        *lock(&self.active) = Some(Active { id, stop, done });
        Ok(id)
    }

    /// Stops recording `id` (or the current one) and waits until its counts are final.
    pub async fn stop(&self, id: Option<u64>) -> Result<(), String> {
        let active = {
            let mut a = lock(&self.active);
            match (&*a, id) {
                (Some(x), Some(id)) if x.id != id => return Err(format!("no recording {id}")),
                (None, _) => return Ok(()),
                _ => a.take(),
            }
        };
        if let Some(a) = active {
            a.stop.notify_one();
            let _ = a.done.await;
        }
        Ok(())
    }

    fn stop_current(&self) {
        if let Some(a) = lock(&self.active).take() {
            a.stop.notify_one();
        }
    }
}

/// Forwards the program's output lines to the client's log (bounded).
fn forward_output(client: &Client, child: &mut Child) {
    let streams: Vec<Box<dyn std::io::Read + Send>> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    for s in streams {
        let client = client.clone();
        let handle = tokio::runtime::Handle::current();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for (n, line) in std::io::BufReader::new(s)
                .lines()
                .map_while(Result::ok)
                .enumerate()
            {
                if n == 1000 {
                    let c = client.clone();
                    handle.spawn(async move {
                        c.log_message(MessageType::LOG, "program: (further output not shown)")
                            .await
                    });
                }
                if n >= 1000 {
                    continue;
                }
                let c = client.clone();
                handle.spawn(async move {
                    c.log_message(MessageType::LOG, format!("program: {line}"))
                        .await
                });
            }
        });
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    client: Client,
    world: Arc<World>,
    features: ClientFeatures,
    recorder: Recorder,
    mut child: Child,
    stop: Arc<tokio::sync::Notify>,
    token: Option<ProgressToken>,
    program: String,
) {
    forward_output(&client, &mut child);
    let token = match token {
        Some(t) => Some(t),
        None if features.work_done_progress => {
            static TOKENS: AtomicU64 = AtomicU64::new(0);
            let n = TOKENS.fetch_add(1, Ordering::Relaxed);
            let t = ProgressToken::String(format!("tracer-lsp/record-{n}"));
            client
                .create_work_done_progress(t.clone())
                .await
                .ok()
                .map(|()| t)
        }
        None => None,
    };
    let progress = match token {
        Some(t) => Some(
            client
                .progress(t, format!("Recording {program}"))
                .with_message("starting")
                .begin()
                .await,
        ),
        None => None,
    };
    world.set_trace_counts(Vec::new());
    let mut rates = Rates {
        history: VecDeque::new(),
    };
    let mut ticker = tokio::time::interval(SAMPLE_EVERY);
    let status = loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.notified() => break None,
        }
        if let Ok(Some(s)) = child.try_wait() {
            break Some(s);
        }
        let snap = recorder.snapshot();
        let counts = rates.counts(&snap, true);
        let rate: f64 = counts.iter().map(|c| c.rate).sum();
        world.set_trace_counts(counts);
        if let Some(p) = &progress {
            p.report(crate::record::progress_text(
                snap.events(),
                rate,
                snap.lost(),
            ))
            .await;
        }
        publish_counts(&client, &world, features).await;
    };
    // Let the program's connections close so the traces end with its last events.
    let t = Instant::now();
    while status.is_some()
        && t.elapsed() < Duration::from_secs(2)
        && recorder.snapshot().processes.iter().any(|p| !p.ended)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let snap = tokio::task::spawn_blocking(move || recorder.stop())
        .await
        .unwrap_or_default();
    if status.is_none() {
        // Stopped from the editor: the program was started for this recording.
        let _ = child.kill();
    }
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    let counts = rates.counts(&snap, false);
    let summary = format!(
        "{} events, {} lost; trace in {}",
        crate::thousands(snap.events()),
        crate::thousands(snap.lost()),
        snap.dir.display()
    );
    world.set_trace_counts(counts);
    publish_counts(&client, &world, features).await;
    let unmatched = world.attribution().unmatched;
    if !unmatched.is_empty() {
        let list: Vec<String> = unmatched
            .iter()
            .map(|u| {
                let place = u
                    .location
                    .as_ref()
                    .map(|(f, l)| format!(" at {f}:{l}"))
                    .unwrap_or_default();
                format!(
                    "{}:{}{place} ({})",
                    u.provider,
                    u.event,
                    crate::thousands(u.count)
                )
            })
            .collect();
        client
            .log_message(
                MessageType::INFO,
                format!(
                    "tracer-lsp: recorded at call sites outside the workspace: {}",
                    list.join(", ")
                ),
            )
            .await;
    }
    for p in &snap.processes {
        if let Some(e) = &p.error {
            client
                .log_message(
                    MessageType::WARNING,
                    format!("{} ({}): {e}", p.procname, p.pid),
                )
                .await;
        }
    }
    client
        .log_message(
            MessageType::INFO,
            format!("tracer-lsp: recording ended: {summary}"),
        )
        .await;
    if let Some(p) = progress {
        p.finish_with_message(summary).await;
    }
}

/// Sends `tracer/counts` for every document whose counts changed since the last send (an
/// empty list for one whose counts went away) and asks the client to refresh inlay hints and
/// code lenses.
pub async fn publish_counts(client: &Client, world: &World, features: ClientFeatures) {
    let changed = world.take_changed_counts();
    if changed.is_empty() {
        return;
    }
    for (path, lines) in changed {
        if let Some(uri) = convert::uri_of(&path) {
            client
                .send_notification::<CountsNotification>(CountsParams { uri, sites: lines })
                .await;
        }
    }
    if features.inlay_hint_refresh {
        let _ = client.inlay_hint_refresh().await;
    }
    if features.code_lens_refresh {
        let _ = client.code_lens_refresh().await;
    }
}

/// The JSON of a `tracer.record` answer.
pub fn record_answer(id: u64) -> Value {
    serde_json::json!({ "id": id })
}
