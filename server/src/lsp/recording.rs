//! Recording from the editor: `tracer.record` starts a program under the embedded recorder
//! (the machinery of `tracer-lsp record`), a task samples its counts four times a second, and
//! every sample becomes the world's trace counts, a `$/progress` report, `tracer/counts`
//! notifications and inlay-hint / code-lens refresh requests. Counts stay after the program
//! exits, until `tracer.clearCounts` or the next recording or import replaces them.
//!
//! The program is only ever what the client sent (`command`); nothing here reads a command
//! from the workspace.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indexer::query::counts::TraceCount;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::{MessageType, ProgressToken, Uri};
use tower_lsp_server::Client;
use tracer_core::ctf::read::Counts;
use tracer_core::{Mode, Recorder};

use crate::relay::client::{Live, LiveUrl};

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

/// A count's key: call site (if any) and `provider:event`.
type SiteKey = (Option<(String, u32)>, String, String);

/// What the sampler follows: a program recorded here, or a session followed through a
/// relay. Both give the same counts, so the editor shows them the same way.
trait Feed: Send + 'static {
    /// The counts now (cheap: called on the reactor four times a second).
    fn sample(&mut self) -> Sample;
    /// Whether it ended by itself (the program exited, the relay hung the session up).
    fn ended(&mut self) -> bool;
    /// Ends it (blocking; `stopped`: the editor asked) and gives the final counts.
    fn finish(self: Box<Self>, stopped: bool) -> Final;
}

#[derive(Default)]
struct Sample {
    counts: Vec<TraceCount>,
    events: u64,
    lost: u64,
}

struct Final {
    sample: Sample,
    /// "N events, M lost; trace in DIR".
    summary: String,
    /// Problems to show the user, one line each.
    warnings: Vec<String>,
}

/// A sample's counts with rates over the last second, from the sample history.
#[derive(Default)]
struct Rates {
    history: VecDeque<(Instant, HashMap<SiteKey, u64>)>,
}

impl Rates {
    fn rates(&mut self, mut counts: Vec<TraceCount>, live: bool) -> Vec<TraceCount> {
        let now = Instant::now();
        let key = |t: &TraceCount| (t.location.clone(), t.provider.clone(), t.event.clone());
        let mut current: HashMap<SiteKey, u64> = HashMap::new();
        for t in &counts {
            *current.entry(key(t)).or_default() += t.count;
        }
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
                for t in counts.iter_mut() {
                    let before = old.get(&key(t)).copied().unwrap_or(0);
                    t.rate = t.count.saturating_sub(before) as f64 / dt;
                }
            }
        }
        self.history.push_back((now, current));
        counts.sort_by(|a, b| (&a.location, &a.event).cmp(&(&b.location, &b.event)));
        counts
    }
}

/// A program recorded by the embedded recorder.
struct RecordingFeed {
    recorder: Recorder,
    child: Child,
    exited: bool,
}

impl Feed for RecordingFeed {
    fn sample(&mut self) -> Sample {
        let snap = self.recorder.snapshot();
        Sample {
            counts: crate::counts::snapshot_counts(&snap),
            events: snap.events(),
            lost: snap.lost(),
        }
    }

    fn ended(&mut self) -> bool {
        self.exited |= matches!(self.child.try_wait(), Ok(Some(_)));
        self.exited
    }

    fn finish(self: Box<Self>, stopped: bool) -> Final {
        let RecordingFeed {
            recorder,
            mut child,
            exited,
        } = *self;
        // After the program exited, let its connections close so the traces end with its
        // last events.
        let snap = if exited {
            recorder.stop_when_ended(crate::record::EXIT_GRACE)
        } else {
            recorder.stop()
        };
        if stopped && !exited {
            // Stopped from the editor: the program was started for this recording.
            let _ = child.kill();
        }
        let _ = child.wait();
        let warnings = snap
            .processes
            .iter()
            .filter_map(|p| Some(format!("{} ({}): {}", p.procname, p.pid, p.error.as_ref()?)))
            .collect();
        Final {
            summary: format!(
                "{} events, {} lost; trace in {}",
                crate::thousands(snap.events()),
                crate::thousands(snap.lost()),
                snap.dir.display()
            ),
            sample: Sample {
                counts: crate::counts::snapshot_counts(&snap),
                events: snap.events(),
                lost: snap.lost(),
            },
            warnings,
        }
    }
}

/// A session followed through a relay by a thread of its own ([`Live::follow`]).
struct AttachFeed {
    url: String,
    latest: Arc<Mutex<Counts>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<(Counts, Result<(), String>)>>,
}

impl AttachFeed {
    fn start(live: Live) -> Result<AttachFeed, String> {
        let url = live.url().to_string();
        let latest = Arc::new(Mutex::new(Counts::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s) = (latest.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("tracer-attach".into())
            .spawn(move || {
                live.follow(&|| s.load(Ordering::Relaxed), SAMPLE_EVERY / 2, &mut |c| {
                    *lock(&l) = c.clone()
                })
            })
            .map_err(|e| format!("cannot start following {url}: {e}"))?;
        Ok(AttachFeed {
            url,
            latest,
            stop,
            thread: Some(thread),
        })
    }
}

fn live_sample(c: &Counts) -> Sample {
    let counts = crate::counts::live_counts(c.clone()).traces;
    Sample {
        counts,
        events: c.events,
        lost: c.lost,
    }
}

impl Feed for AttachFeed {
    fn sample(&mut self) -> Sample {
        live_sample(&lock(&self.latest))
    }

    fn ended(&mut self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    fn finish(mut self: Box<Self>, _stopped: bool) -> Final {
        self.stop.store(true, Ordering::Relaxed);
        let (counts, ended) = match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            _ => (
                lock(&self.latest).clone(),
                Err(format!("following {} failed", self.url)),
            ),
        };
        let mut warnings: Vec<String> = ended.err().into_iter().collect();
        warnings.extend(counts.errors.iter().map(|e| e.to_string()));
        Final {
            summary: format!(
                "{} events, {} lost from {}",
                crate::thousands(counts.events),
                crate::thousands(counts.lost),
                self.url
            ),
            sample: live_sample(&counts),
            warnings,
        }
    }
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
            .unwrap_or_else(|| crate::record::default_output(&cwd));
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
        let mut child = Command::new(program)
            .args(args)
            .current_dir(&cwd)
            .envs(&params.env)
            .env(k, v)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {program} in {}: {e}", cwd.display()))?;
        forward_output(&client, &mut child);
        let feed = RecordingFeed {
            recorder,
            child,
            exited: false,
        };
        Ok(self.begin(
            client,
            world,
            features,
            Box::new(feed),
            token,
            format!("Recording {program}"),
        ))
    }

    /// Attaches to the live session `url` names through its relay (`tracer.attach`); returns
    /// the attachment's id, which `tracer.stop` takes like a recording's. Connecting, finding
    /// the session and attaching happen before the answer, so their errors are its error.
    pub async fn attach(
        &self,
        client: Client,
        world: Arc<World>,
        features: ClientFeatures,
        url: &str,
        token: Option<ProgressToken>,
    ) -> Result<u64, String> {
        let url = LiveUrl::parse(url)?;
        let title = format!("Following {url}");
        let live = tokio::task::spawn_blocking(move || Live::attach(&url))
            .await
            .map_err(|e| e.to_string())??;
        let feed = AttachFeed::start(live)?;
        self.stop_current();
        Ok(self.begin(client, world, features, Box::new(feed), token, title))
    }

    /// Starts the sampler of `feed` as the active recording; returns its id.
    fn begin(
        &self,
        client: Client,
        world: Arc<World>,
        features: ClientFeatures,
        feed: Box<dyn Feed>,
        token: Option<ProgressToken>,
        title: String,
    ) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let stop = Arc::new(tokio::sync::Notify::new());
        let done = tokio::spawn(run(
            client,
            world,
            features,
            feed,
            stop.clone(),
            token,
            title,
        ));
        *lock(&self.active) = Some(Active { id, stop, done });
        id
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

/// Samples `feed` four times a second into the world's counts, `$/progress`,
/// `tracer/counts` and refresh requests, until it ends or `stop` is notified.
async fn run(
    client: Client,
    world: Arc<World>,
    features: ClientFeatures,
    mut feed: Box<dyn Feed>,
    stop: Arc<tokio::sync::Notify>,
    token: Option<ProgressToken>,
    title: String,
) {
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
                .progress(t, title.clone())
                .with_message("starting")
                .begin()
                .await,
        ),
        None => None,
    };
    world.set_trace_counts(Vec::new());
    let mut rates = Rates::default();
    let mut ticker = tokio::time::interval(SAMPLE_EVERY);
    let stopped = loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.notified() => break true,
        }
        if feed.ended() {
            break false;
        }
        let sample = feed.sample();
        let counts = rates.rates(sample.counts, true);
        let rate: f64 = counts.iter().map(|c| c.rate).sum();
        world.set_trace_counts(counts);
        if let Some(p) = &progress {
            p.report(crate::record::progress_text(
                sample.events,
                rate,
                sample.lost,
            ))
            .await;
        }
        publish_counts(&client, &world, features).await;
    };
    let last = match tokio::task::spawn_blocking(move || feed.finish(stopped)).await {
        Ok(f) => f,
        Err(e) => Final {
            sample: Sample::default(),
            summary: format!("{title} failed: {e}"),
            warnings: Vec::new(),
        },
    };
    world.set_trace_counts(rates.rates(last.sample.counts, false));
    publish_counts(&client, &world, features).await;
    let attribution = world.attribution();
    let unmatched = &attribution.unmatched;
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
    for w in &last.warnings {
        client.log_message(MessageType::WARNING, w).await;
    }
    client
        .log_message(
            MessageType::INFO,
            format!("tracer-lsp: recording ended: {}", last.summary),
        )
        .await;
    if let Some(p) = progress {
        p.finish_with_message(last.summary).await;
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
