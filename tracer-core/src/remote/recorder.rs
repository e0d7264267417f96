//! The recorder: the session daemon that `tracer-lsp record` and the language server embed.
//! It listens on a Unix socket in a private directory, accepts traced programs, maps the
//! buffers they share and consumes them into one recording directory, one CTF trace per
//! process (`<procname>-<pid>/`), all on one clock so readers merge them.
//!
//! Each program gets a connection thread (handshake, then streams as they arrive) and a
//! consumer thread (the same consumer as in-process sessions, sleeping on the program's shared
//! futex). When the program's socket closes — it exited, crashed or was killed — the consumer
//! drains everything committed, including the open sub-buffers, and finishes the trace. Live
//! per-call-site counts are available at any time through [`Recorder::snapshot`].

use super::beacon::Horizon;
use super::log::{ClassLogReader, CONTROL_LEN};
use super::net::{StreamStats, StreamTarget, Streamer};
use super::proto::{ChannelSetup, Listener, Message, Socket};
use super::{PROTOCOL_VERSION, SESSION_ENV};
use crate::consumer::{ClassSource, Consumer, LiveCounts, Outputs, TraceMeta};
use crate::error::{io_at, Error};
use crate::locks::lock;
use crate::ringbuffer::backend::RingBuffer;
use crate::ringbuffer::config::ChannelConfig;
use crate::ringbuffer::notify::Notifier;
use crate::ringbuffer::Stream;
use crate::schema::EventSchema;
use crate::session::{random_uuid, Channel, EventRule};
use crate::shm::Mapping;
use crate::sink::FileSink;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What to record and where.
#[derive(Clone, Debug)]
pub struct RecordingConfig {
    /// The recording directory (one trace per process inside).
    pub dir: PathBuf,
    /// Channels: name and buffer shape.
    pub channels: Vec<(String, ChannelConfig)>,
    /// Events enabled in every channel.
    pub rules: Vec<EventRule>,
    /// Write the traces under `dir` (default). Without it, `dir` only names the recording.
    pub files: bool,
    /// Also (or only, without `files`) stream the traces to a relay.
    pub stream: Option<StreamTarget>,
}

impl RecordingConfig {
    /// One channel `chan` with the default buffers, a 250 ms live timer (so quiet programs
    /// still show counts) and every event enabled.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        RecordingConfig {
            dir: dir.into(),
            channels: vec![(
                "chan".to_owned(),
                ChannelConfig {
                    switch_timer: Some(Duration::from_millis(250)),
                    read_timer: Duration::from_millis(100),
                    prealloc_streams: 1,
                    ..ChannelConfig::default()
                },
            )],
            rules: vec![EventRule::new("*")],
            files: true,
            stream: None,
        }
    }
}

/// One event class (call site) of a traced process and what was recorded of it.
#[derive(Clone, Debug)]
pub struct ClassSnapshot {
    /// The call site and its payload layout.
    pub schema: Arc<EventSchema>,
    /// Events recorded.
    pub count: u64,
    /// Unix time (ns) of the first and the last of them (0 when none).
    pub first_ns: i128,
    /// See `first_ns`.
    pub last_ns: i128,
    /// The latest payloads, formatted (`n = 3, name = "x"`), oldest first.
    pub payloads: Vec<String>,
}

/// One traced process as the recorder sees it.
#[derive(Clone, Debug)]
pub struct ProcessSnapshot {
    /// Its pid.
    pub pid: u32,
    /// Its name.
    pub procname: String,
    /// Its trace directory.
    pub trace: PathBuf,
    /// Every event class it registered, with the events recorded so far.
    pub classes: Vec<ClassSnapshot>,
    /// Events recorded.
    pub events: u64,
    /// Events lost (full buffers).
    pub lost: u64,
    /// The process is gone and its trace is complete.
    pub ended: bool,
    /// What went wrong with this process's trace, if anything.
    pub error: Option<String>,
}

/// A whole recording at one moment.
#[derive(Clone, Debug, Default)]
pub struct RecordingSnapshot {
    /// The recording directory.
    pub dir: PathBuf,
    /// Every process that connected, in connection order.
    pub processes: Vec<ProcessSnapshot>,
    /// The link to the relay, when streaming.
    pub stream: Option<StreamStats>,
}

impl RecordingSnapshot {
    /// Events recorded over all processes.
    pub fn events(&self) -> u64 {
        self.processes.iter().map(|p| p.events).sum()
    }

    /// Events lost over all processes.
    pub fn lost(&self) -> u64 {
        self.processes.iter().map(|p| p.lost).sum()
    }
}

struct ProcessRecord {
    pid: u32,
    procname: String,
    dir: PathBuf,
    socket: Arc<Socket>,
    counts: Arc<Mutex<LiveCounts>>,
    classes: Mutex<ClassLogReader>,
    ended: AtomicBool,
    error: Mutex<Option<String>>,
}

/// A channel's rules as pushed to programs: enabled patterns, exclusions, active.
#[derive(Clone)]
struct ChannelRules {
    rules: Vec<EventRule>,
    excluded: Vec<String>,
    active: bool,
}

struct Shared {
    cfg: RecordingConfig,
    clock_uuid: [u8; 16],
    processes: Mutex<Vec<Arc<ProcessRecord>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Rules pushed since the start, per channel, sent to programs that connect later.
    rules: Mutex<Vec<ChannelRules>>,
    stopping: AtomicBool,
    streamer: Option<Streamer>,
    /// What the processes' consumers share to give live viewers beacons.
    horizon: Arc<Horizon>,
}

/// A running recording.
pub struct Recorder {
    shared: Arc<Shared>,
    listener: Arc<Listener>,
    accept: Option<JoinHandle<()>>,
    socket_dir: PathBuf,
    socket_path: PathBuf,
}

static NEXT_SOCKET: AtomicU64 = AtomicU64::new(0);

fn private_dir() -> std::io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!(
        "tracer-{}-{}",
        std::process::id(),
        NEXT_SOCKET.fetch_add(1, Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

fn safe_name(s: &str) -> String {
    let n: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if n.is_empty() || n.starts_with('.') {
        format!("p{n}")
    } else {
        n
    }
}

impl Recorder {
    /// Creates the recording directory and starts listening.
    pub fn start(cfg: RecordingConfig) -> Result<Recorder, Error> {
        for (_, c) in &cfg.channels {
            c.validate()?;
        }
        if cfg.channels.is_empty() {
            return Err(Error::State("a recording needs a channel".into()));
        }
        if cfg.files {
            std::fs::create_dir_all(&cfg.dir).map_err(io_at(&cfg.dir))?;
        }
        crate::clock::trace_clock();
        let streamer = match &cfg.stream {
            Some(t) => Some(Streamer::start(t.clone(), live_timer_us(&cfg))?),
            None => None,
        };
        let socket_dir = private_dir().map_err(io_at("<recorder socket directory>"))?;
        let socket_path = socket_dir.join("session.sock");
        let listener = Arc::new(Listener::bind(&socket_path).map_err(io_at(&socket_path))?);
        let n = cfg.channels.len();
        let shared = Arc::new(Shared {
            rules: Mutex::new(vec![
                ChannelRules {
                    rules: cfg.rules.clone(),
                    excluded: Vec::new(),
                    active: true,
                };
                n
            ]),
            cfg,
            clock_uuid: random_uuid(),
            processes: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
            streamer,
            horizon: Arc::default(),
        });
        write_live_marker(&shared, &lock(&shared.processes))?;
        let (s, l) = (shared.clone(), listener.clone());
        let accept = std::thread::Builder::new()
            .name("tracer-recorder".into())
            .spawn(move || accept_loop(s, l))
            .map_err(io_at("<recorder thread>"))?;
        Ok(Recorder {
            shared,
            listener,
            accept: Some(accept),
            socket_dir,
            socket_path,
        })
    }

    /// The environment variable a program needs to be recorded: `TRACER_SESSION=<socket>`.
    pub fn env(&self) -> (&'static str, OsString) {
        (SESSION_ENV, self.socket_path.clone().into_os_string())
    }

    /// The recording directory.
    pub fn dir(&self) -> &Path {
        &self.shared.cfg.dir
    }

    /// Live counts of every process so far.
    pub fn snapshot(&self) -> RecordingSnapshot {
        snapshot(&self.shared)
    }

    /// Changes what channel `channel` records in every connected program (and in those that
    /// connect later).
    pub fn set_rules(
        &self,
        channel: usize,
        rules: Vec<EventRule>,
        excluded: Vec<String>,
        active: bool,
    ) -> Result<(), Error> {
        {
            let mut r = lock(&self.shared.rules);
            let slot = r
                .get_mut(channel)
                .ok_or_else(|| Error::State(format!("no channel {channel}")))?;
            *slot = ChannelRules {
                rules: rules.clone(),
                excluded: excluded.clone(),
                active,
            };
        }
        let m = Message::Rules {
            channel: channel as u32,
            rules,
            excluded,
            active,
        };
        for p in lock(&self.shared.processes).iter() {
            if !p.ended.load(Acquire) {
                let _ = p.socket.send(&m, &[], false);
            }
        }
        Ok(())
    }

    /// Stops once every program that connected has closed its connection (their traces then
    /// end with their last events), waiting at most `grace` — for use after the recorded
    /// program exited: its children, or a connection still closing, get that long.
    pub fn stop_when_ended(self, grace: Duration) -> RecordingSnapshot {
        let t = std::time::Instant::now();
        while t.elapsed() < grace
            && lock(&self.shared.processes)
                .iter()
                .any(|p| !p.ended.load(Acquire))
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.stop()
    }

    /// Stops recording: programs still running are told to stop (they go on untraced), every
    /// trace is finished, and the final snapshot is returned.
    pub fn stop(mut self) -> RecordingSnapshot {
        self.finish()
    }

    fn finish(&mut self) -> RecordingSnapshot {
        self.shared.stopping.store(true, Release);
        self.listener.shutdown();
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        let live: Vec<Arc<ProcessRecord>> = lock(&self.shared.processes)
            .iter()
            .filter(|p| !p.ended.load(Acquire))
            .cloned()
            .collect();
        for p in &live {
            for c in 0..self.shared.cfg.channels.len() {
                let m = Message::Rules {
                    channel: c as u32,
                    rules: Vec::new(),
                    excluded: Vec::new(),
                    active: false,
                };
                let _ = p.socket.send(&m, &[], false);
            }
        }
        if !live.is_empty() {
            // Events already past their mask test when the rules changed commit within
            // microseconds; give them that before the last drain.
            std::thread::sleep(Duration::from_millis(20));
        }
        for p in &live {
            p.socket.shutdown();
        }
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        for t in threads {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.socket_dir);
        if let Some(s) = &self.shared.streamer {
            s.finish(Duration::from_secs(10));
        }
        // Last: a live viewer that sees the marker gone knows every file is complete.
        let _ = std::fs::remove_file(self.shared.cfg.dir.join(super::LIVE_MARKER));
        snapshot(&self.shared)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if self.accept.is_some() {
            self.finish();
        }
    }
}

fn snapshot(shared: &Shared) -> RecordingSnapshot {
    let processes = lock(&shared.processes)
        .iter()
        .map(|p| {
            let counts = lock(&p.counts).clone();
            let mut log = lock(&p.classes);
            log.refresh();
            let clock = crate::clock::trace_clock();
            let classes = log
                .schemas()
                .iter()
                .map(|s| {
                    let c = counts.per_class.get(s.id as usize);
                    let time = |t: u64| if c.is_some() { clock.to_unix_ns(t) } else { 0 };
                    ClassSnapshot {
                        schema: s.clone(),
                        count: c.map_or(0, |c| c.count),
                        first_ns: c.map_or(0, |c| time(c.first)),
                        last_ns: c.map_or(0, |c| time(c.last)),
                        payloads: c
                            .map(|c| c.payloads.iter().map(|p| s.format_payload(p)).collect())
                            .unwrap_or_default(),
                    }
                })
                .collect();
            ProcessSnapshot {
                pid: p.pid,
                procname: p.procname.clone(),
                trace: p.dir.clone(),
                classes,
                events: counts.events,
                lost: counts.lost,
                ended: p.ended.load(Acquire),
                error: lock(&p.error).clone(),
            }
        })
        .collect();
    RecordingSnapshot {
        dir: shared.cfg.dir.clone(),
        processes,
        stream: shared.streamer.as_ref().map(Streamer::stats),
    }
}

fn accept_loop(shared: Arc<Shared>, listener: Arc<Listener>) {
    while let Ok(socket) = listener.accept() {
        if shared.stopping.load(Acquire) {
            break;
        }
        let s = shared.clone();
        let t = std::thread::Builder::new()
            .name("tracer-process".into())
            .spawn(move || serve_process(s, socket));
        if let Ok(t) = t {
            lock(&shared.threads).push(t);
        }
    }
}

fn refuse(socket: &Socket, reason: &str) {
    let m = Message::Refused {
        reason: reason.to_owned(),
    };
    let _ = socket.send(&m, &[], false);
}

/// The handshake and stream hand-over of one program, then its end.
fn serve_process(shared: Arc<Shared>, socket: Socket) {
    let Ok((pid, uid)) = socket.peer() else {
        return;
    };
    // SAFETY: getuid has no preconditions.
    if uid != unsafe { libc::getuid() } && uid != 0 {
        refuse(
            &socket,
            "the recorder only records programs of its own user",
        );
        return;
    }
    let hello = match socket.recv() {
        Ok(Some((
            Message::Hello {
                version,
                procname,
                clock,
                ..
            },
            mut fds,
        ))) if fds.len() == 1 => {
            if version != PROTOCOL_VERSION {
                refuse(
                    &socket,
                    &format!("protocol {version}, recorder speaks {PROTOCOL_VERSION}"),
                );
                return;
            }
            let ours = match crate::clock::trace_clock().source {
                crate::clock::ClockSource::Tsc => 0,
                crate::clock::ClockSource::Monotonic => 1,
            };
            if clock != ours {
                refuse(&socket, "the program's clock differs from the recorder's (set TRACER_CLOCK the same for both)");
                return;
            }
            (procname, fds.remove(0))
        }
        _ => {
            refuse(&socket, "expected a Hello with the control memfd");
            return;
        }
    };
    let (procname, control) = hello;
    let readers = control.try_clone().and_then(|second| {
        let a = Mapping::map_fd(control, Some(CONTROL_LEN))?;
        let b = Mapping::map_fd(second, Some(CONTROL_LEN))?;
        Ok((a, b))
    });
    let Ok((consumer_log, snapshot_log)) = readers else {
        refuse(&socket, "the control memfd cannot be mapped");
        return;
    };
    let (Ok(consumer_log), Ok(snapshot_log)) = (
        ClassLogReader::new(consumer_log),
        ClassLogReader::new(snapshot_log),
    ) else {
        refuse(&socket, "the control memfd is not a tracer control mapping");
        return;
    };
    let Some(notifier) = consumer_log.notifier().map(Arc::new) else {
        refuse(&socket, "no futex in the control mapping");
        return;
    };
    let dir = shared
        .cfg
        .dir
        .join(format!("{}-{pid}", safe_name(&procname)));
    let socket = Arc::new(socket);
    let record = Arc::new(ProcessRecord {
        pid,
        procname: procname.clone(),
        dir: dir.clone(),
        socket: socket.clone(),
        counts: Arc::new(Mutex::new(LiveCounts::default())),
        classes: Mutex::new(snapshot_log),
        ended: AtomicBool::new(false),
        error: Mutex::new(None),
    });
    let fail = |why: String| {
        *lock(&record.error) = Some(why.clone());
        record.ended.store(true, Release);
        refuse(&record.socket, &why);
    };
    lock(&shared.processes).push(record.clone());
    let mut sinks = Vec::new();
    if shared.cfg.files {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            fail(format!("{}: {e}", dir.display()));
            return;
        }
        sinks.push(FileSink::boxed(dir.clone()));
    }
    if let (Some(s), Some(name)) = (&shared.streamer, dir.file_name()) {
        sinks.push(s.sink(&name.to_string_lossy()));
    }
    let channels: Vec<Arc<Channel>> = shared
        .cfg
        .channels
        .iter()
        .enumerate()
        .map(|(i, (name, cfg))| Arc::new(Channel::detached(name, i as u32, *cfg, notifier.clone())))
        .collect();
    let meta = TraceMeta {
        uuid: random_uuid(),
        clock_uuid: shared.clock_uuid,
        procname,
        vpid: pid,
    };
    let mut outputs = Outputs::new(
        sinks,
        meta,
        channels.clone(),
        ClassSource::Remote(Box::new(consumer_log)),
    );
    outputs.count_into(record.counts.clone());
    // Before the program is told to record (`Setup`), so none of its events is older.
    let horizon_id = shared.horizon.join();
    outputs.share_horizon(shared.horizon.clone(), horizon_id);
    let started = outputs
        .write_metadata(true)
        .and_then(|()| Consumer::spawn(notifier.clone(), outputs));
    let consumer = match started {
        Ok(c) => c,
        Err(e) => {
            shared.horizon.leave(horizon_id);
            fail(e.to_string());
            return;
        }
    };
    let setups: Vec<ChannelSetup> = {
        let rules = lock(&shared.rules);
        shared
            .cfg
            .channels
            .iter()
            .zip(rules.iter())
            .map(|((name, config), r)| ChannelSetup {
                name: name.clone(),
                config: *config,
                rules: if r.active {
                    r.rules.clone()
                } else {
                    Vec::new()
                },
                excluded: r.excluded.clone(),
            })
            .collect()
    };
    if socket
        .send(&Message::Setup { channels: setups }, &[], false)
        .is_ok()
    {
        receive_streams(&socket, &channels, &notifier, &record);
    }
    let mut outputs = consumer.stop();
    if let Some(e) = outputs.take_error() {
        lock(&record.error).get_or_insert(e.to_string());
    }
    outputs.close();
    shared.horizon.leave(horizon_id);
    record.ended.store(true, Release);
    if let Err(e) = write_live_marker(&shared, &lock(&shared.processes)) {
        lock(&record.error).get_or_insert(e.to_string());
    }
}

/// Writes the recording's live marker: this process, the live timer, and the traces that are
/// complete (`complete <dir>`: their program is gone and every packet is written). Callers
/// hold the process list, which also keeps two writers apart.
fn write_live_marker(shared: &Shared, processes: &[Arc<ProcessRecord>]) -> Result<(), Error> {
    if !shared.cfg.files {
        return Ok(());
    }
    let live_timer_us = live_timer_us(&shared.cfg);
    let mut text = format!(
        "pid {}\nlive_timer_us {live_timer_us}\n",
        std::process::id()
    );
    for p in processes.iter().filter(|p| p.ended.load(Acquire)) {
        if let Some(name) = p.dir.file_name() {
            text.push_str(&format!("complete {}\n", name.to_string_lossy()));
        }
    }
    let tmp = shared.cfg.dir.join(".live.tmp");
    let path = shared.cfg.dir.join(super::LIVE_MARKER);
    std::fs::write(&tmp, text).map_err(io_at(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io_at(&path))
}

/// The shortest switch timer of the recording's channels (µs; 0 for none): how often a quiet
/// stream's packets reach live viewers.
fn live_timer_us(cfg: &RecordingConfig) -> u32 {
    cfg.channels
        .iter()
        .filter_map(|(_, c)| c.switch_timer)
        .min()
        .map_or(0, |t| u32::try_from(t.as_micros()).unwrap_or(u32::MAX))
}

/// Attaches the streams a program sends until its socket closes.
fn receive_streams(
    socket: &Socket,
    channels: &[Arc<Channel>],
    notifier: &Arc<Notifier>,
    record: &ProcessRecord,
) {
    loop {
        match socket.recv() {
            Ok(Some((Message::Stream { channel, stream }, mut fds))) if fds.len() == 1 => {
                let Some(ch) = channels.get(channel as usize) else {
                    continue;
                };
                let attached = RingBuffer::attach(fds.remove(0), &ch.cfg);
                let mut streams = lock(&ch.streams);
                match attached {
                    Ok(ring) if streams.iter().all(|s| s.id != stream) => {
                        streams.push(Arc::new(Stream {
                            ring,
                            id: stream,
                            mode: ch.cfg.mode,
                            notifier: notifier.clone(),
                        }));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        lock(&record.error)
                            .get_or_insert(format!("stream {stream} of channel {}: {e}", ch.name));
                    }
                }
            }
            Ok(Some(_)) => {}
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {}
            Ok(None) | Err(_) => return,
        }
    }
}
