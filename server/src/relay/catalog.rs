//! What the relay serves: the recordings under its root, laid out as
//! `ROOT/<host>/<session>/<procname>-<pid>/{metadata,chan_N}` (one CTF trace per process, as
//! tracer-core's recorder writes it), and the ids the protocol gives them.
//!
//! A session is *live* while its recorder's marker file ([`tracer_core::remote::LIVE_MARKER`])
//! exists and names a running process; the recorder removes it after the last byte of every
//! trace is written, so "not live" also means "complete", and lists in it the traces that are
//! complete before that (their program exited). Ids are handed out on first sight
//! and never reused, so every viewer connection agrees on them.

use super::wire::{SessionEntry, StreamEntry};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracer_core::remote::LIVE_MARKER;

/// One recording directory.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: u64,
    pub host: String,
    pub name: String,
    pub dir: PathBuf,
}

impl Session {
    pub fn is_live(&self) -> bool {
        marker(&self.dir).is_some_and(|m| process_alive(m.pid))
    }

    /// Whether the trace in `trace_dir` has all its packets on disk: the recording is over,
    /// or the recorder marked that trace complete (its program is gone).
    pub fn trace_complete(&self, trace_dir: &Path) -> bool {
        let name = trace_dir.file_name().and_then(|n| n.to_str());
        match marker(&self.dir).filter(|m| process_alive(m.pid)) {
            Some(m) => name.is_some_and(|n| m.complete.iter().any(|c| c == n)),
            None => true,
        }
    }
}

/// One file a viewer can follow: a trace's metadata or one of its streams.
#[derive(Clone, Debug)]
pub struct StreamFile {
    pub entry: StreamEntry,
    pub file: PathBuf,
}

/// The root directory and the ids given out so far.
pub struct Catalog {
    root: PathBuf,
    ids: Mutex<Ids>,
}

#[derive(Default)]
struct Ids {
    sessions: Vec<PathBuf>,
    traces: Vec<PathBuf>,
    streams: Vec<PathBuf>,
    /// Viewers attached, per session id.
    clients: HashMap<u64, u32>,
}

/// 1-based id of `p` in `list`, added when new.
fn id_of(list: &mut Vec<PathBuf>, p: &Path) -> u64 {
    let i = match list.iter().position(|x| x == p) {
        Some(i) => i,
        None => {
            list.push(p.to_owned());
            list.len() - 1
        }
    };
    i as u64 + 1
}

struct Marker {
    pid: i32,
    live_timer_us: u32,
    complete: Vec<String>,
}

fn marker(dir: &Path) -> Option<Marker> {
    let text = std::fs::read_to_string(dir.join(LIVE_MARKER)).ok()?;
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.trim().parse::<u64>().ok())
    };
    Some(Marker {
        pid: i32::try_from(value("pid ")?).ok()?,
        live_timer_us: value("live_timer_us ")
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0),
        complete: text
            .lines()
            .filter_map(|l| l.strip_prefix("complete "))
            .map(str::to_owned)
            .collect(),
    })
}

fn process_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Sub-directories of `dir`, sorted, hidden ones skipped.
fn subdirs(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

impl Catalog {
    pub fn new(root: PathBuf) -> Self {
        Catalog {
            root,
            ids: Mutex::new(Ids::default()),
        }
    }

    fn ids(&self) -> std::sync::MutexGuard<'_, Ids> {
        self.ids.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every `<host>/<session>` directory under the root.
    fn sessions(&self) -> Vec<Session> {
        let mut out = Vec::new();
        for (host, hdir) in subdirs(&self.root) {
            for (name, dir) in subdirs(&hdir) {
                let id = id_of(&mut self.ids().sessions, &dir);
                out.push(Session {
                    id,
                    host: host.clone(),
                    name,
                    dir,
                });
            }
        }
        out
    }

    /// What LIST_SESSIONS shows: the live sessions.
    pub fn list(&self) -> Vec<SessionEntry> {
        self.sessions()
            .into_iter()
            .filter_map(|s| {
                let m = marker(&s.dir).filter(|m| process_alive(m.pid))?;
                let clients = self.ids().clients.get(&s.id).copied().unwrap_or(0);
                let streams = self.streams(&s).len() as u32;
                Some(SessionEntry {
                    id: s.id,
                    live_timer_us: m.live_timer_us,
                    clients,
                    streams,
                    hostname: s.host,
                    name: s.name,
                })
            })
            .collect()
    }

    /// The session with id `id`, live or not, if its directory is still there. Ids are only
    /// handed out by a listing, which remembers the directory: no scan of the root (a viewer
    /// asks for every index, and the root may hold many recordings).
    pub fn session(&self, id: u64) -> Option<Session> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        if self.ids().sessions.len() <= index {
            // Not listed yet (a viewer that did not ask for the list): scan once.
            self.sessions();
        }
        let dir = self.ids().sessions.get(index)?.clone();
        let name = dir.file_name()?.to_str()?.to_owned();
        let host = dir.parent()?.file_name()?.to_str()?.to_owned();
        dir.is_dir().then_some(Session {
            id,
            host,
            name,
            dir,
        })
    }

    /// The streams of a session now: per trace (a directory with a `metadata` and at least
    /// one stream file), its metadata stream first, then its stream files.
    pub fn streams(&self, s: &Session) -> Vec<StreamFile> {
        let mut out = Vec::new();
        for (trace_name, tdir) in subdirs(&s.dir) {
            let metadata = tdir.join("metadata");
            if !metadata.is_file() {
                continue;
            }
            let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&tdir)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
                .filter(|(n, _)| !n.starts_with('.') && n != "metadata")
                .collect();
            if files.is_empty() {
                // babeltrace2 drops a trace that has no data stream, metadata and all, and
                // never asks for that metadata again: a trace is shown with its first stream.
                continue;
            }
            files.sort();
            let mut ids = self.ids();
            let trace_id = id_of(&mut ids.traces, &tdir);
            let path = format!("{}/{}/{trace_name}", s.host, s.name);
            for (channel, file) in std::iter::once(("metadata".to_owned(), metadata)).chain(files) {
                out.push(StreamFile {
                    entry: StreamEntry {
                        id: id_of(&mut ids.streams, &file),
                        trace_id,
                        metadata: channel == "metadata",
                        path: path.clone(),
                        channel,
                    },
                    file,
                });
            }
        }
        out
    }

    /// Counts viewers attached to a session (LIST_SESSIONS shows them).
    pub fn attached(&self, session: u64, attached: bool) {
        let mut ids = self.ids();
        let n = ids.clients.entry(session).or_default();
        *n = if attached {
            *n + 1
        } else {
            n.saturating_sub(1)
        };
    }
}
