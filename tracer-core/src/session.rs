//! Sessions, channels and event rules: what is recorded, where, and with which buffers.
//!
//! A [`Session`] owns an output directory and channels; a channel owns a [`ChannelConfig`],
//! its streams (one per writing thread) and its event rules (exact name, `provider:*` wildcard,
//! log-level threshold, exclusions). Channels of all sessions share a process-wide table of 63
//! slots: a call site's mask has one bit per slot, recomputed whenever a rule, a session state
//! or the set of call sites changes, so the tracepoint itself only loads that mask.

use crate::clock::trace_clock;
use crate::consumer::{ClassSource, Consumer, Outputs, TraceMeta};
use crate::error::{io_at, Error};
use crate::locks::{lock, lock_from_tracepoint, Held};
use crate::registry::{self, LogLevel, MAX_CHANNELS, UNREGISTERED};
use crate::ringbuffer::backend::RingBuffer;
use crate::ringbuffer::config::ChannelConfig;
use crate::ringbuffer::frontend::StreamWriter;
use crate::ringbuffer::notify::Notifier;
use crate::ringbuffer::Stream;
use crate::schema::EventSchema;
use crate::sink::FileSink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex};

/// Which events a channel records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRule {
    /// `provider:event`, or a prefix followed by `*` (`myapp:*`, `*`).
    pub pattern: String,
    /// Only events at least this severe (level value at most this), when set.
    pub max_level: Option<LogLevel>,
}

impl EventRule {
    /// Events whose full name matches `pattern`.
    pub fn new(pattern: &str) -> Self {
        EventRule {
            pattern: pattern.to_owned(),
            max_level: None,
        }
    }

    /// Restricts the rule to events at `level` or more severe.
    pub fn max_level(mut self, level: LogLevel) -> Self {
        self.max_level = Some(level);
        self
    }

    fn name_matches(pattern: &str, name: &str) -> bool {
        match pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => pattern == name,
        }
    }

    fn matches(&self, name: &str, level: u32) -> bool {
        Self::name_matches(&self.pattern, name) && self.max_level.is_none_or(|m| level <= m as u32)
    }
}

/// A channel: buffers of one configuration and the rules that fill them.
#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) name: String,
    /// Stream class id in the trace (index in the session).
    pub(crate) index: u32,
    pub(crate) slot: usize,
    pub(crate) uid: u64,
    pub(crate) cfg: ChannelConfig,
    pub(crate) streams: Mutex<Vec<Arc<Stream>>>,
    pub(crate) notifier: Arc<Notifier>,
    /// For a recorder in another process: streams live in shared memory and are announced
    /// here as they are created.
    pub(crate) sink: Option<Arc<dyn StreamSink>>,
}

/// Takes the streams a channel of a remote recording creates, to hand them to the recorder.
pub(crate) trait StreamSink: Send + Sync + std::fmt::Debug {
    /// A new shared stream of channel `channel`; must not block.
    fn announce(&self, channel: u32, stream: &Arc<Stream>);
}

impl Channel {
    /// A stream no thread writes to, or a new one. Runs on a thread's first event in the
    /// channel, never on the fast path.
    fn writer(self: &Arc<Self>) -> Option<StreamWriter> {
        let mut streams = lock_from_tracepoint(&self.streams)?;
        for s in streams.iter() {
            if let Some(w) = StreamWriter::adopt(s.clone(), self.uid) {
                return Some(w);
            }
        }
        let s = self.push_stream(&mut streams).ok()?;
        StreamWriter::adopt(s, self.uid)
    }

    fn new_stream(&self, id: u64) -> std::io::Result<Stream> {
        let ring = match self.sink {
            Some(_) => RingBuffer::new_shared(&self.cfg)?,
            None => RingBuffer::new(&self.cfg)?,
        };
        Ok(Stream {
            ring,
            id,
            mode: self.cfg.mode,
            notifier: self.notifier.clone(),
        })
    }

    /// Creates stream `id`, announces it to the sink, and adds it (caller holds `streams`).
    fn push_stream(&self, streams: &mut Vec<Arc<Stream>>) -> std::io::Result<Arc<Stream>> {
        let s = Arc::new(self.new_stream(streams.len() as u64)?);
        if let Some(sink) = &self.sink {
            sink.announce(self.index, &s);
        }
        streams.push(s.clone());
        Ok(s)
    }

    /// A channel that only exists on a recorder's side: streams are attached as programs
    /// send them, and it has no slot in this process's channel table.
    pub(crate) fn detached(
        name: &str,
        index: u32,
        cfg: ChannelConfig,
        notifier: Arc<Notifier>,
    ) -> Channel {
        Channel {
            name: name.to_owned(),
            index,
            slot: usize::MAX,
            uid: 0,
            cfg,
            streams: Mutex::new(Vec::new()),
            notifier,
            sink: None,
        }
    }
}

#[derive(Debug)]
struct ChannelEntry {
    channel: Arc<Channel>,
    rules: Vec<EventRule>,
    excluded: Vec<String>,
    active: bool,
}

/// The process-wide table of channels, indexed by mask bit.
#[derive(Debug)]
pub(crate) struct ChannelTable {
    slots: Vec<Option<ChannelEntry>>,
}

static CHANNELS: Mutex<ChannelTable> = Mutex::new(ChannelTable { slots: Vec::new() });
static CHANNEL_UIDS: [AtomicU64; MAX_CHANNELS] = [const { AtomicU64::new(0) }; MAX_CHANNELS];
static NEXT_UID: AtomicU64 = AtomicU64::new(1);

/// Locks the channel table from a tracepoint (see [`lock_from_tracepoint`]); taken before the
/// registry when both are needed.
pub(crate) fn channel_table_from_tracepoint() -> Option<Held<'static, ChannelTable>> {
    lock_from_tracepoint(&CHANNELS)
}

/// Locks the channel table (taken before the registry when both are needed).
pub(crate) fn channel_table() -> Held<'static, ChannelTable> {
    lock(&CHANNELS)
}

/// Identity of the channel currently in slot `slot` (0 when empty), checked by thread-local
/// writers so a slot reused by a new channel is not written with an old stream.
#[inline(always)]
pub(crate) fn channel_uid(slot: usize) -> u64 {
    CHANNEL_UIDS.get(slot).map_or(0, |u| u.load(Relaxed))
}

/// A writer for this thread in channel `slot`, if the channel still is `uid`.
#[cold]
pub(crate) fn writer_for(slot: usize, uid: u64) -> Option<StreamWriter> {
    let channel = {
        let t = channel_table_from_tracepoint()?;
        let e = t.slots.get(slot)?.as_ref()?;
        (e.channel.uid == uid).then(|| e.channel.clone())?
    };
    channel.writer()
}

impl ChannelTable {
    /// The mask of channels that record `site` now.
    pub(crate) fn mask_for(&self, site: &EventSchema) -> u64 {
        let name = site.full_name();
        let mut mask = 0;
        for (i, e) in self.slots.iter().enumerate() {
            let Some(e) = e else { continue };
            if e.active
                && e.rules.iter().any(|r| r.matches(&name, site.level))
                && !e.excluded.contains(&name)
            {
                mask |= 1 << i;
            }
        }
        mask
    }

    pub(crate) fn recompute_masks(&self) {
        registry::for_each_site(|state, schema| {
            if state.mask() & UNREGISTERED == 0 {
                state.set_mask(self.mask_for(schema));
            }
        });
    }

    fn insert(&mut self, entry: ChannelEntry) -> Result<(), Error> {
        if self.slots.len() < MAX_CHANNELS {
            self.slots.resize_with(MAX_CHANNELS, || None);
        }
        let slot = entry.channel.slot;
        CHANNEL_UIDS[slot].store(entry.channel.uid, Relaxed);
        self.slots[slot] = Some(entry);
        Ok(())
    }

    fn free_slot(&self) -> Option<usize> {
        (0..MAX_CHANNELS).find(|&i| self.slots.get(i).is_none_or(|s| s.is_none()))
    }

    fn entry(&mut self, ch: &Channel) -> Option<&mut ChannelEntry> {
        self.slots
            .get_mut(ch.slot)?
            .as_mut()
            .filter(|e| e.channel.uid == ch.uid)
    }
}

/// Adds the channels of a recording in another process (`remote::agent`): their streams live
/// in shared memory and go to `sink`; they record nothing until [`set_channel_rules`] makes
/// them active.
pub(crate) fn add_remote_channels(
    setups: &[crate::remote::proto::ChannelSetup],
    notifier: Arc<Notifier>,
    sink: Arc<dyn StreamSink>,
) -> Result<Vec<Arc<Channel>>, Error> {
    let mut table = channel_table();
    let mut added = Vec::new();
    for (index, setup) in setups.iter().enumerate() {
        setup.config.validate()?;
        if !valid_name(&setup.name) {
            return Err(Error::State(format!("bad channel name {:?}", setup.name)));
        }
        let slot = table
            .free_slot()
            .ok_or_else(|| Error::State("no free channel slot".into()))?;
        let channel = Arc::new(Channel {
            name: setup.name.clone(),
            index: index as u32,
            slot,
            uid: NEXT_UID.fetch_add(1, Relaxed),
            cfg: setup.config,
            streams: Mutex::new(Vec::new()),
            notifier: notifier.clone(),
            sink: Some(sink.clone()),
        });
        {
            let mut streams = lock(&channel.streams);
            for _ in 0..setup.config.prealloc_streams.max(1) {
                channel
                    .push_stream(&mut streams)
                    .map_err(io_at(format!("<{} shared buffers>", setup.name)))?;
            }
        }
        table.insert(ChannelEntry {
            channel: channel.clone(),
            rules: setup.rules.clone(),
            excluded: setup.excluded.clone(),
            active: false,
        })?;
        added.push(channel);
    }
    Ok(added)
}

/// Replaces a channel's rules (when given) and switches it on or off.
pub(crate) fn set_channel_rules(
    ch: &Channel,
    rules: Option<(Vec<EventRule>, Vec<String>)>,
    active: bool,
) {
    let mut table = channel_table();
    if let Some(e) = table.entry(ch) {
        if let Some((r, x)) = rules {
            e.rules = r;
            e.excluded = x;
        }
        e.active = active;
    }
    table.recompute_masks();
}

/// Takes channels out of the table: their call sites stop recording into them.
pub(crate) fn remove_channels(table: &mut ChannelTable, channels: &[Arc<Channel>]) {
    for c in channels {
        if table.entry(c).is_some() {
            table.slots[c.slot] = None;
            CHANNEL_UIDS[c.slot].store(0, Relaxed);
        }
    }
}

/// Handle to a channel of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelId(usize);

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum State {
    Created,
    Started,
    Stopped,
    Destroyed,
}

struct Inner {
    state: State,
    channels: Vec<Arc<Channel>>,
    consumer: Option<Consumer>,
    outputs: Option<Outputs>,
    snapshots: u64,
}

/// A tracing session: an output directory and its channels.
pub struct Session {
    name: String,
    dir: PathBuf,
    uuid: [u8; 16],
    /// Flight recorder: no consumer; buffers are written only by [`Session::snapshot`].
    snapshot_mode: bool,
    notifier: Arc<Notifier>,
    inner: Mutex<Inner>,
}

fn lost_events(channels: &[Arc<Channel>]) -> u64 {
    channels
        .iter()
        .flat_map(|c| {
            lock(&c.streams)
                .iter()
                .map(|s| s.ring.lost())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// What a session recorded, per stream, when it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events lost (discarded or overwritten), summed over streams.
    pub lost_events: u64,
    /// Packets written.
    pub packets: u64,
    /// Streams that were written to.
    pub streams: u64,
}

pub(crate) fn random_uuid() -> [u8; 16] {
    let mut u = [0u8; 16];
    // SAFETY: getrandom writes at most `u.len()` bytes into `u`.
    let n = unsafe { libc::getrandom(u.as_mut_ptr().cast(), u.len(), 0) };
    if n != 16 {
        // No entropy source: time and pid still make the UUID unique enough to tell traces
        // apart (it is an identifier, not a secret).
        let seed = crate::clock::now() ^ u64::from(std::process::id()) << 40;
        u[..8].copy_from_slice(&seed.to_le_bytes());
        u[8..].copy_from_slice(&seed.rotate_left(17).to_le_bytes());
    }
    u[6] = (u[6] & 0x0f) | 0x40; // version 4
    u[8] = (u[8] & 0x3f) | 0x80; // RFC 4122 variant
    u
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Session {
    /// Creates a session writing its trace into `dir` (created if missing).
    pub fn create(name: &str, dir: impl Into<PathBuf>) -> Result<Session, Error> {
        Self::new(name, dir.into(), false)
    }

    /// Creates a flight-recorder session: nothing is written while it runs; each
    /// [`Session::snapshot`] writes what the buffers hold then into a new trace directory
    /// under `dir`. Channels in overwrite mode keep the latest events, in discard mode the
    /// first ones.
    pub fn create_snapshot(name: &str, dir: impl Into<PathBuf>) -> Result<Session, Error> {
        Self::new(name, dir.into(), true)
    }

    fn new(name: &str, dir: PathBuf, snapshot_mode: bool) -> Result<Session, Error> {
        std::fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        trace_clock();
        Ok(Session {
            name: name.to_owned(),
            dir,
            uuid: random_uuid(),
            snapshot_mode,
            notifier: Arc::new(Notifier::default()),
            inner: Mutex::new(Inner {
                state: State::Created,
                channels: Vec::new(),
                consumer: None,
                outputs: None,
                snapshots: 0,
            }),
        })
    }

    /// The session's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The trace directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds a channel (before the first start). Its streams are files `NAME_N` in the trace
    /// directory, so the name is limited to letters, digits, `_` and `-`.
    pub fn add_channel(&self, name: &str, cfg: ChannelConfig) -> Result<ChannelId, Error> {
        cfg.validate()?;
        if !valid_name(name) {
            return Err(Error::State(format!(
                "channel name {name:?} must be [A-Za-z0-9_-]+"
            )));
        }
        let mut inner = lock(&self.inner);
        if inner.state != State::Created {
            return Err(Error::State(
                "channels can only be added before the session starts".into(),
            ));
        }
        if inner.channels.iter().any(|c| c.name == name) {
            return Err(Error::State(format!("channel {name:?} already exists")));
        }
        let mut table = channel_table();
        let slot = table.free_slot().ok_or_else(|| {
            Error::State(format!(
                "at most {MAX_CHANNELS} channels can exist in a process"
            ))
        })?;
        let channel = Arc::new(Channel {
            name: name.to_owned(),
            index: inner.channels.len() as u32,
            slot,
            uid: NEXT_UID.fetch_add(1, Relaxed),
            cfg,
            streams: Mutex::new(Vec::new()),
            notifier: self.notifier.clone(),
            sink: None,
        });
        let prealloc = match cfg.prealloc_streams {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        {
            let mut streams = lock(&channel.streams);
            for id in 0..prealloc as u64 {
                let s = channel
                    .new_stream(id)
                    .map_err(io_at(format!("<{name} buffers>")))?;
                streams.push(Arc::new(s));
            }
        }
        table.insert(ChannelEntry {
            channel: channel.clone(),
            rules: Vec::new(),
            excluded: Vec::new(),
            active: false,
        })?;
        inner.channels.push(channel);
        Ok(ChannelId(inner.channels.len() - 1))
    }

    fn with_entry(&self, ch: ChannelId, f: impl FnOnce(&mut ChannelEntry)) -> Result<(), Error> {
        let inner = lock(&self.inner);
        let channel = inner
            .channels
            .get(ch.0)
            .ok_or_else(|| Error::State(format!("no channel {} in this session", ch.0)))?;
        let mut table = channel_table();
        let entry = table
            .entry(channel)
            .ok_or_else(|| Error::State("the session was destroyed".into()))?;
        f(entry);
        table.recompute_masks();
        Ok(())
    }

    /// Records events matching `rule` in channel `ch`. Re-enabling an excluded name clears the
    /// exclusion.
    pub fn enable_event(&self, ch: ChannelId, rule: EventRule) -> Result<(), Error> {
        self.with_entry(ch, |e| {
            e.excluded.retain(|x| *x != rule.pattern);
            if !e.rules.contains(&rule) {
                e.rules.push(rule);
            }
        })
    }

    /// Stops recording `pattern` in channel `ch`: removes the rules with this pattern, and for
    /// an exact name also excludes it from wildcard rules.
    pub fn disable_event(&self, ch: ChannelId, pattern: &str) -> Result<(), Error> {
        self.with_entry(ch, |e| {
            e.rules.retain(|r| r.pattern != pattern);
            if !pattern.ends_with('*') && !e.excluded.iter().any(|x| x == pattern) {
                e.excluded.push(pattern.to_owned());
            }
        })
    }

    fn set_active(&self, channels: &[Arc<Channel>], active: bool) {
        let mut table = channel_table();
        for c in channels {
            if let Some(e) = table.entry(c) {
                e.active = active;
            }
        }
        table.recompute_masks();
    }

    /// Starts recording: writes the metadata, starts the consumer, enables the call sites.
    pub fn start(&self) -> Result<(), Error> {
        let mut inner = lock(&self.inner);
        match inner.state {
            State::Started => return Ok(()),
            State::Destroyed => return Err(Error::State("the session was destroyed".into())),
            State::Created | State::Stopped => {}
        }
        if inner.channels.is_empty() {
            return Err(Error::State("a session needs a channel to start".into()));
        }
        if self.snapshot_mode {
            inner.state = State::Started;
            self.set_active(&inner.channels, true);
            return Ok(());
        }
        let mut outputs = match inner.outputs.take() {
            Some(o) => o,
            None => Outputs::new(
                vec![FileSink::boxed(self.dir.clone())],
                TraceMeta::this_process(self.uuid),
                inner.channels.clone(),
                ClassSource::Local,
            ),
        };
        outputs.write_metadata(true)?;
        inner.consumer = Some(Consumer::spawn(self.notifier.clone(), outputs)?);
        inner.state = State::Started;
        self.set_active(&inner.channels, true);
        Ok(())
    }

    /// Stops recording: disables the call sites, then the consumer writes everything committed
    /// (including partly filled sub-buffers) and the final metadata.
    pub fn stop(&self) -> Result<Stats, Error> {
        let mut inner = lock(&self.inner);
        if inner.state != State::Started {
            return Ok(inner
                .outputs
                .as_ref()
                .map(Outputs::stats)
                .unwrap_or_default());
        }
        self.set_active(&inner.channels, false);
        inner.state = State::Stopped;
        if self.snapshot_mode {
            return Ok(Stats {
                lost_events: lost_events(&inner.channels),
                ..Stats::default()
            });
        }
        let consumer = inner.consumer.take();
        let mut outputs = match consumer {
            Some(c) => c.stop(),
            None => return Err(Error::State("consumer missing".into())),
        };
        let result = outputs.take_error().map_or(Ok(()), Err);
        let stats = outputs.stats();
        inner.outputs = Some(outputs);
        result.map(|()| stats)
    }

    /// Flight-recorder sessions: writes what the buffers hold now into a new trace directory
    /// `DIR/snapshot-N` (N = 1, 2, …) without consuming it, and returns its path. The writers
    /// keep running; an event that needs a sub-buffer being copied is dropped and counted.
    pub fn snapshot(&self) -> Result<PathBuf, Error> {
        let mut inner = lock(&self.inner);
        if !self.snapshot_mode {
            return Err(Error::State(
                "snapshots need a session made by create_snapshot".into(),
            ));
        }
        if inner.state == State::Destroyed || inner.state == State::Created {
            return Err(Error::State("snapshots need a started session".into()));
        }
        inner.snapshots += 1;
        let path = self.dir.join(format!("snapshot-{}", inner.snapshots));
        std::fs::create_dir_all(&path).map_err(io_at(&path))?;
        let mut outputs = Outputs::new(
            vec![FileSink::boxed(path.clone())],
            TraceMeta::this_process(random_uuid()),
            inner.channels.clone(),
            ClassSource::Local,
        );
        outputs.write_snapshot()?;
        Ok(path)
    }

    /// Stops the session if needed, writes what late writers committed after the stop, and
    /// releases the channels.
    pub fn destroy(self) -> Result<Stats, Error> {
        self.destroy_inner()
    }

    fn destroy_inner(&self) -> Result<Stats, Error> {
        let stopped = self.stop();
        let mut inner = lock(&self.inner);
        if inner.state == State::Destroyed {
            return stopped;
        }
        inner.state = State::Destroyed;
        {
            let mut table = channel_table();
            for c in &inner.channels {
                if table.entry(c).is_some() {
                    table.slots[c.slot] = None;
                    CHANNEL_UIDS[c.slot].store(0, Relaxed);
                }
            }
            table.recompute_masks();
        }
        let mut stats = stopped?;
        if let Some(outputs) = inner.outputs.as_mut() {
            outputs.drain_all(true, true);
            outputs.write_metadata(false)?;
            if let Some(e) = outputs.take_error() {
                return Err(e);
            }
            stats = outputs.stats();
        }
        Ok(stats)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Errors cannot be reported from drop; `destroy` returns them.
        let _ = self.destroy_inner();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_exact_wildcard_and_level() {
        let r = EventRule::new("myapp:*").max_level(LogLevel::Info);
        let (warning, debug, err) = (
            LogLevel::Warning as u32,
            LogLevel::Debug as u32,
            LogLevel::Err as u32,
        );
        assert!(r.matches("myapp:x", warning));
        assert!(!r.matches("myapp:x", debug));
        assert!(!r.matches("other:x", err));
        assert!(EventRule::new("a:b").matches("a:b", debug));
        assert!(!EventRule::new("a:b").matches("a:bc", debug));
        assert!(EventRule::new("*").matches("z:z", debug));
    }

    #[test]
    fn channel_names_must_be_file_names() {
        assert!(valid_name("chan_0-a"));
        assert!(!valid_name("../x"));
        assert!(!valid_name(""));
    }
}
