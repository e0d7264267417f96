//! The consumer: a thread per started session that sleeps on the session's futex, writes every
//! sealed sub-buffer of every stream to that stream's file as one CTF packet, keeps the
//! metadata file current, and on stop writes the partly filled sub-buffers too.
//!
//! Sub-buffers are written straight from the ring (the consumer holds the slot while
//! `write(2)` copies it), and the slot is freed only once the packet is in the file. A
//! sub-buffer still being written is cut after its last committed event; the consumer decodes
//! those events ([`crate::ctf::walk_events`]) to learn the last timestamp, which the next
//! packet of the stream starts from.

use crate::clock::trace_clock;
use crate::ctf::metadata::{tsdl, EnvValue, TraceDescription};
use crate::ctf::packet::PacketInfo;
use crate::ctf::{walk_events, walk_events_with, Walk};
use crate::error::{io_at, Error};
use crate::registry;
use crate::remote::beacon::Horizon;
use crate::remote::log::ClassLogReader;
use crate::ringbuffer::notify::Notifier;
use crate::ringbuffer::slot::Hold;
use crate::ringbuffer::Stream;
use crate::schema::EventSchema;
use crate::session::{Channel, Stats};
use crate::sink::TraceSink;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Where the consumer is in one stream.
#[derive(Default)]
struct StreamOutput {
    /// Next sub-buffer sequence number to write.
    expected: u64,
    /// Bytes of sub-buffer `expected` already written by partial flushes.
    partial_from: usize,
    /// Clock value of the last event written by a partial flush.
    last_ts: u64,
    /// Next `packet_seq_num` (lost sub-buffers leave gaps).
    packet_seq: u64,
    packets: u64,
    /// `events_discarded` of the last packet written.
    reported_lost: u64,
    /// `timestamp_end` of the last packet written.
    last_end: u64,
    /// Clock value of the last beacon: later packets begin no earlier.
    beacon: u64,
    /// The recording's stream births this stream's packets announced (see [`Horizon`]).
    births_seen: u64,
}

/// A stream at a live tick, and whether it was proven quiet (see [`Outputs::prove_quiet`]).
struct StreamProof {
    channel: Arc<Channel>,
    stream: Arc<Stream>,
    quiet: bool,
}

/// Where a trace's event schemas come from.
pub(crate) enum ClassSource {
    /// This process's registry.
    Local,
    /// The class log of a traced program in another process.
    Remote(Box<ClassLogReader>),
}

/// A class source and the list last read from it, read again only when it changed: the
/// consumer asks for the schemas at every packet it counts or cuts.
struct Classes {
    source: ClassSource,
    list: Arc<[Arc<EventSchema>]>,
    version: Option<u64>,
}

impl Classes {
    fn new(source: ClassSource) -> Self {
        Classes {
            source,
            list: Arc::new([]),
            version: None,
        }
    }

    /// The schemas (index = id) and a version that changes when they do.
    fn current(&mut self) -> (Arc<[Arc<EventSchema>]>, u64) {
        match &mut self.source {
            ClassSource::Local => {
                if self.version != Some(registry::version()) {
                    let (list, version) = registry::schemas();
                    self.list = list.into();
                    self.version = Some(version);
                }
            }
            ClassSource::Remote(log) => {
                if log.refresh() || self.version.is_none() {
                    self.list = log.schemas().into();
                    self.version = Some(log.schemas().len() as u64);
                }
            }
        }
        (self.list.clone(), self.version.unwrap_or(0))
    }
}

/// Who a trace directory belongs to: its identity and the `env` block of its metadata.
pub(crate) struct TraceMeta {
    pub(crate) uuid: [u8; 16],
    /// Shared by every trace of one recording, so readers can merge their clocks.
    pub(crate) clock_uuid: [u8; 16],
    pub(crate) procname: String,
    pub(crate) vpid: u32,
}

impl TraceMeta {
    /// A trace of this process.
    pub(crate) fn this_process(uuid: [u8; 16]) -> Self {
        TraceMeta {
            uuid,
            clock_uuid: uuid,
            procname: std::env::args().next().unwrap_or_default(),
            vpid: std::process::id(),
        }
    }
}

/// Events of one class seen by a consumer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClassCounts {
    /// Events recorded.
    pub count: u64,
    /// Clock value of the first and the last of them.
    pub first: u64,
    /// See `first`.
    pub last: u64,
    /// Payload bytes of the latest few, oldest first.
    pub payloads: VecDeque<Vec<u8>>,
}

/// Payloads kept per class.
pub const KEPT_PAYLOADS: usize = 3;

/// Events seen by a consumer so far, per event class, for live views.
#[derive(Clone, Debug, Default)]
pub struct LiveCounts {
    /// Per class id.
    pub per_class: Vec<ClassCounts>,
    /// Events over all classes.
    pub events: u64,
    /// Events lost by the streams (discarded or overwritten).
    pub lost: u64,
    /// Scratch of the packet being counted: per class id, its latest events in the packet.
    recent: Vec<Recent>,
    /// Scratch: the classes met in the packet being counted.
    met: Vec<u32>,
    /// Packets counted, which stamps `recent`.
    packets: u64,
}

/// The latest [`KEPT_PAYLOADS`] events of one class in one packet (a ring of payload spans).
#[derive(Clone, Debug, Default)]
struct Recent {
    /// The packet they are from.
    packet: u64,
    /// Events of the class in that packet.
    n: usize,
    spans: [(usize, usize); KEPT_PAYLOADS],
}

impl LiveCounts {
    /// Counts the events of one packet body, and keeps the payloads of each class's latest
    /// events: one pass, no per-event allocation or hashing (the consumer runs this on every
    /// packet, at the writers' event rate).
    fn count_packet(&mut self, bytes: &[u8], begin: u64, classes: &[Arc<EventSchema>]) -> Walk {
        self.packets += 1;
        let packet = self.packets;
        let (per_class, recent, met) = (&mut self.per_class, &mut self.recent, &mut self.met);
        met.clear();
        let walk = walk_events_with(bytes, begin, classes, |e| {
            let id = e.id as usize;
            if per_class.len() <= id {
                per_class.resize(id + 1, ClassCounts::default());
                recent.resize(id + 1, Recent::default());
            }
            let c = &mut per_class[id];
            if c.count == 0 {
                c.first = e.clock;
            }
            c.count += 1;
            c.last = e.clock;
            let r = &mut recent[id];
            if r.packet != packet {
                r.packet = packet;
                r.n = 0;
                met.push(e.id);
            }
            r.spans[r.n % KEPT_PAYLOADS] = e.payload;
            r.n += 1;
        });
        self.events += walk.events;
        for &id in &self.met {
            let r = &self.recent[id as usize];
            let q = &mut self.per_class[id as usize].payloads;
            for k in r.n.saturating_sub(KEPT_PAYLOADS)..r.n {
                let (a, b) = r.spans[k % KEPT_PAYLOADS];
                q.push_back(bytes[a..b].to_vec());
            }
            while q.len() > KEPT_PAYLOADS {
                q.pop_front();
            }
        }
        walk
    }
}

/// Where a session's trace goes (files, a relay or both) and the consumer's position in each
/// stream.
pub(crate) struct Outputs {
    sinks: Vec<Box<dyn TraceSink>>,
    meta: TraceMeta,
    channels: Vec<Arc<Channel>>,
    classes: Classes,
    streams: HashMap<(u32, u64), StreamOutput>,
    metadata_version: Option<u64>,
    error: Option<Error>,
    counts: Option<Arc<Mutex<LiveCounts>>>,
    /// The recording's shared beacon state and this process's id in it (beacons need one).
    horizon: Option<(Arc<Horizon>, u64)>,
}

impl Outputs {
    pub(crate) fn new(
        sinks: Vec<Box<dyn TraceSink>>,
        meta: TraceMeta,
        channels: Vec<Arc<Channel>>,
        classes: ClassSource,
    ) -> Self {
        Outputs {
            sinks,
            meta,
            channels,
            classes: Classes::new(classes),
            streams: HashMap::new(),
            metadata_version: None,
            error: None,
            counts: None,
            horizon: None,
        }
    }

    /// Takes part in the recording's beacons as process `id` of `horizon`.
    pub(crate) fn share_horizon(&mut self, horizon: Arc<Horizon>, id: u64) {
        self.horizon = Some((horizon, id));
    }

    /// Counts every written event per class into `counts` (decoding each packet's headers).
    pub(crate) fn count_into(&mut self, counts: Arc<Mutex<LiveCounts>>) {
        self.counts = Some(counts);
    }

    /// Replaces the metadata when call sites registered since the last write (or always with
    /// `force`). Every sink gets it, even when one fails; the first error is returned.
    pub(crate) fn write_metadata(&mut self, force: bool) -> Result<(), Error> {
        let (classes, version) = self.classes.current();
        if !force && self.metadata_version == Some(version) {
            return Ok(());
        }
        let channels: Vec<(u32, &str)> = self
            .channels
            .iter()
            .map(|c| (c.index, c.name.as_str()))
            .collect();
        let procname = self.meta.procname.clone();
        let env = [
            ("domain", EnvValue::Str("ust".to_owned())),
            ("tracer_name", EnvValue::Str("tracer-core".to_owned())),
            (
                "tracer_version",
                EnvValue::Str(env!("CARGO_PKG_VERSION").to_owned()),
            ),
            ("procname", EnvValue::Str(procname)),
            ("vpid", EnvValue::Int(i64::from(self.meta.vpid))),
        ];
        let text = tsdl(&TraceDescription {
            uuid: self.meta.uuid,
            clock_uuid: self.meta.clock_uuid,
            clock: trace_clock(),
            channels: &channels,
            classes: &classes,
            env: &env,
        });
        let mut error = None;
        for sink in &mut self.sinks {
            if let Err(e) = sink.metadata(text.as_bytes()) {
                error.get_or_insert(e);
            }
        }
        self.metadata_version = Some(version);
        error.map_or(Ok(()), Err)
    }

    /// Tells every sink that the trace is complete (its program is gone, all is written).
    pub(crate) fn close(&mut self) {
        for sink in &mut self.sinks {
            sink.complete();
        }
    }

    /// Gives one packet to every sink; the first error is returned.
    fn emit(&mut self, stream: &str, prefix: &[u8], payload: &[u8]) -> Result<(), Error> {
        let mut error = None;
        for sink in &mut self.sinks {
            if let Err(e) = sink.packet(stream, prefix, payload) {
                error.get_or_insert(e);
            }
        }
        error.map_or(Ok(()), Err)
    }

    /// The first error met since the last call.
    pub(crate) fn take_error(&mut self) -> Option<Error> {
        self.error.take()
    }

    pub(crate) fn stats(&self) -> Stats {
        let mut s = Stats::default();
        for c in &self.channels {
            for st in lock_streams(c).iter() {
                s.lost_events += st.ring.lost();
            }
        }
        for o in self.streams.values() {
            s.packets += o.packets;
            s.streams += u64::from(o.packets > 0);
        }
        s
    }

    /// Writes every sealed sub-buffer of every stream, and with `partial` also what is
    /// committed in the open ones. With `finish` (session stopping), losses after the last
    /// packet of a stream get an empty packet carrying the final count. Errors are kept for
    /// [`Outputs::take_error`].
    pub(crate) fn drain_all(&mut self, partial: bool, finish: bool) {
        let channels = self.channels.clone();
        for c in &channels {
            let streams = lock_streams(c).clone();
            for s in &streams {
                let mut r = self.drain(c, s, partial);
                if finish && r.is_ok() {
                    r = self.report_final_loss(c, s);
                }
                if let Err(e) = r {
                    self.error.get_or_insert(e);
                }
            }
        }
        if let Err(e) = self.write_metadata(false) {
            self.error.get_or_insert(e);
        }
        if let Some(c) = &self.counts {
            let lost = self.stats().lost_events;
            crate::locks::lock(c).lost = lost;
        }
    }

    /// The live timer: writes what every stream committed (as `drain_all` with `partial`),
    /// then a beacon for each stream proven to have nothing older than the time read first
    /// ([`Outputs::prove_quiet`]) nor than what the recording's other processes proved
    /// ([`Horizon`]), so live viewers move past quiet streams. After a stream of the
    /// recording appeared, a stream's next beacon is also an empty packet, whose index tells
    /// viewers about the new stream.
    pub(crate) fn live_tick(&mut self) {
        let t = crate::clock::now_fenced();
        let proof = self.prove_quiet();
        self.drain_all(true, false);
        let Some((horizon, id)) = self.horizon.clone() else {
            return;
        };
        // This process's proven time: every quiet stream is written up to `t`, a stream in
        // an event up to its last packet (the event in flight is not older).
        let proven = proof.as_ref().and_then(|streams| {
            streams
                .iter()
                .map(
                    |p| match self.streams.get(&(p.channel.index, p.stream.id)) {
                        _ if p.quiet => Some(t),
                        Some(out) if out.packets > 0 => Some(out.last_end),
                        _ => None,
                    },
                )
                .try_fold(t, |m, p| p.map(|p| m.min(p)))
        });
        let (others, births) = horizon.update(id, proven);
        let at = t.min(others);
        let quiet = proof.into_iter().flatten().filter(|p| p.quiet);
        for (
            i,
            StreamProof {
                channel: ch,
                stream: s,
                ..
            },
        ) in quiet.enumerate()
        {
            // One tick earlier per stream: babeltrace2 warns when two streams' next messages
            // are identical, as inactivity at the same time would be.
            let ts = at.saturating_sub(i as u64);
            let Some(out) = self.streams.get_mut(&(ch.index, s.id)) else {
                continue;
            };
            // A stream without packets has no file for a viewer to follow; one whose last
            // packet ends after `ts` tells more than the beacon would.
            if out.packets == 0 || ts <= out.last_end || ts <= out.beacon {
                continue;
            }
            out.beacon = ts;
            let announce = out.births_seen != births;
            out.births_seen = births;
            let lost = out.reported_lost;
            if announce {
                if let Err(e) = self.write_packet(&ch, &s, &[], (ts, ts), lost, 0) {
                    self.error.get_or_insert(e);
                }
            }
            let name = stream_name(&ch, s.id);
            for sink in &mut self.sinks {
                if let Err(e) = sink.beacon(&name, ch.index, ts) {
                    self.error.get_or_insert(e);
                }
            }
        }
    }

    /// Every stream, and whether it is quiet: proven to have committed every event with a
    /// time up to a time `t` read just before. `None` when nothing can be proven: the program
    /// did not register for `membarrier`, the barrier failed, or the recorder does not know
    /// every stream the program created yet. After the barrier, a stream whose writer is not
    /// in an event has committed all such events (the argument is in `docs/tracer-core.md`,
    /// "Idle streams"); they are drained after this, before any beacon.
    fn prove_quiet(&mut self) -> Option<Vec<StreamProof>> {
        let ClassSource::Remote(log) = &self.classes.source else {
            return None;
        };
        if !log.fenced() || !crate::membarrier::fence_registered() {
            return None;
        }
        let created = log.streams();
        let streams: Vec<StreamProof> = self
            .channels
            .iter()
            .flat_map(|c| {
                let list = lock_streams(c).clone();
                list.into_iter().map(move |stream| StreamProof {
                    channel: c.clone(),
                    quiet: !stream.ring.writer_in_event(),
                    stream,
                })
            })
            .collect();
        (streams.len() as u64 >= created).then_some(streams)
    }

    fn drain(&mut self, ch: &Channel, s: &Stream, partial: bool) -> Result<(), Error> {
        let key = (ch.index, s.id);
        loop {
            let out = self.streams.entry(key).or_default();
            let seq = out.expected;
            let slot = s.ring.slot(seq);
            let committed = match slot.hold(seq, partial) {
                Hold::NotReady => return Ok(()),
                Hold::Overwritten => {
                    out.expected += 1;
                    out.packet_seq += 1;
                    out.partial_from = 0;
                    continue;
                }
                Hold::Held { committed } => committed,
            };
            let v = slot.view();
            let from = out.partial_from;
            let begin = if from == 0 { v.ts_begin } else { out.last_ts };
            let to = v.commit as usize;
            // SAFETY: we hold the slot and `to` is the commit offset read after holding it.
            let Some(bytes) = (unsafe { s.ring.committed_bytes(seq, from, to) }) else {
                // A commit offset beyond the sub-buffer means corrupt control words: write
                // nothing from this sub-buffer rather than garbage, and let the writer go on.
                if committed {
                    slot.release_consumed(seq);
                    let out = self.streams.entry(key).or_default();
                    out.expected += 1;
                    out.partial_from = 0;
                    continue;
                }
                slot.release_partial(v.emitted);
                return Ok(());
            };
            if committed {
                self.count_events(bytes, begin);
                let r = self.write_packet(ch, s, bytes, (begin, v.ts_end), v.lost_before, v.cpu);
                slot.release_consumed(seq);
                let out = self.streams.entry(key).or_default();
                out.expected += 1;
                out.partial_from = 0;
                r?;
            } else {
                let (classes, _) = self.classes.current();
                let walk = match self.counts.clone() {
                    Some(c) => crate::locks::lock(&c).count_packet(bytes, begin, &classes),
                    None => walk_events(bytes, begin, &classes),
                };
                let r = if walk.events > 0 {
                    let times = (begin, walk.clock);
                    self.write_packet(ch, s, &bytes[..walk.len], times, v.lost_before, v.cpu)
                } else {
                    Ok(())
                };
                let out = self.streams.entry(key).or_default();
                out.partial_from = from + walk.len;
                out.last_ts = walk.clock;
                let sealed_meanwhile = slot.release_partial(v.emitted + walk.events);
                r?;
                if !sealed_meanwhile {
                    return Ok(());
                }
            }
        }
    }

    /// Adds the events of a sealed sub-buffer's `bytes` to the live counts.
    fn count_events(&mut self, bytes: &[u8], begin: u64) {
        let Some(c) = self.counts.clone() else {
            return;
        };
        let (classes, _) = self.classes.current();
        crate::locks::lock(&c).count_packet(bytes, begin, &classes);
    }

    /// Writes what every stream holds now — sealed sub-buffers not yet overwritten and the
    /// committed part of the open one — without consuming it (flight-recorder snapshot). Must
    /// not run concurrently with a consumer thread on the same streams.
    pub(crate) fn write_snapshot(&mut self) -> Result<(), Error> {
        let channels = self.channels.clone();
        for c in &channels {
            let streams = lock_streams(c).clone();
            for s in &streams {
                let n = s.ring.subbuf_count() as u64;
                let mut seqs: Vec<u64> = (0..n)
                    .filter_map(|i| s.ring.slot(i).written_seq())
                    .collect();
                seqs.sort_unstable();
                for seq in seqs {
                    let slot = s.ring.slot(seq);
                    // Overwritten since the scan: its events are in the lost count already.
                    let Hold::Held { committed } = slot.hold(seq, true) else {
                        continue;
                    };
                    let v = slot.view();
                    // SAFETY: we hold the slot and `v.commit` was read after holding it.
                    let bytes = unsafe { s.ring.committed_bytes(seq, 0, v.commit as usize) };
                    let r = match bytes {
                        Some(b) if committed => {
                            self.write_packet(c, s, b, (v.ts_begin, v.ts_end), v.lost_before, v.cpu)
                        }
                        Some(b) => {
                            let (classes, _) = self.classes.current();
                            let w = walk_events(b, v.ts_begin, &classes);
                            let times = (v.ts_begin, w.clock);
                            self.write_packet(c, s, &b[..w.len], times, v.lost_before, v.cpu)
                        }
                        None => Ok(()),
                    };
                    slot.unhold();
                    r?;
                }
                self.report_final_loss(c, s)?;
            }
        }
        self.write_metadata(true)
    }

    /// An empty packet whose only news is the stream's final lost-event count, for losses
    /// after its last packet (a full buffer at the end of a discard-mode session).
    fn report_final_loss(&mut self, ch: &Channel, s: &Stream) -> Result<(), Error> {
        let lost = s.ring.lost();
        let out = self.streams.entry((ch.index, s.id)).or_default();
        if lost <= out.reported_lost {
            return Ok(());
        }
        let t = if out.packets > 0 {
            out.last_end.max(out.beacon)
        } else {
            crate::clock::now()
        };
        self.write_packet(ch, s, &[], (t, t), lost, 0)
    }

    /// Appends one packet to the stream's file. `times` are `timestamp_begin` and
    /// `timestamp_end`, `lost` the stream's `events_discarded` before the packet.
    fn write_packet(
        &mut self,
        ch: &Channel,
        s: &Stream,
        payload: &[u8],
        times: (u64, u64),
        lost: u64,
        cpu: u32,
    ) -> Result<(), Error> {
        // Metadata first: every class of this packet's events was registered before the
        // events were committed, so a reader that finds the packet finds their classes.
        self.write_metadata(false)?;
        let name = stream_name(ch, s.id);
        let out = self.streams.entry((ch.index, s.id)).or_default();
        if out.packets == 0 {
            if let Some((h, _)) = &self.horizon {
                h.born();
            }
        }
        let out = self.streams.entry((ch.index, s.id)).or_default();
        // After a beacon at T the stream's events are all later than T, but the packet would
        // begin at the previous event: viewers that were told "nothing before T" must not get
        // a packet beginning before it.
        let begin = times.0.max(out.beacon);
        let times = (begin, times.1.max(begin));
        let mut info = PacketInfo {
            uuid: self.meta.uuid,
            stream_id: ch.index,
            stream_instance_id: s.id,
            timestamp_begin: times.0,
            timestamp_end: times.0,
            payload_len: 0,
            packet_seq_num: out.packet_seq,
            events_discarded: 0,
            cpu_id: cpu,
        };
        if out.packets == 0 && lost > 0 {
            // Readers only report a loss as the difference between two packets' counters: a
            // stream whose first packet already counts losses (overwrite mode) starts with an
            // empty packet counting none.
            info.packet_seq_num += 1;
            out.packet_seq += 1;
            out.packets += 1;
            let mut empty = info;
            empty.packet_seq_num -= 1;
            self.emit(&name, &empty.encode(), &[])?;
        }
        let out = self.streams.entry((ch.index, s.id)).or_default();
        info.timestamp_end = times.1;
        info.payload_len = payload.len();
        info.events_discarded = lost;
        out.packet_seq += 1;
        out.packets += 1;
        out.reported_lost = lost;
        out.last_end = times.1;
        self.emit(&name, &info.encode(), payload)
    }
}

/// The file name of stream `id` of channel `ch` in a trace directory (and in beacons).
fn stream_name(ch: &Channel, id: u64) -> String {
    format!("{}_{id}", ch.name)
}

fn lock_streams(c: &Channel) -> crate::locks::Held<'_, Vec<Arc<Stream>>> {
    crate::locks::lock(&c.streams)
}

/// A running consumer thread.
pub(crate) struct Consumer {
    stop: Arc<AtomicBool>,
    notifier: Arc<Notifier>,
    thread: JoinHandle<Outputs>,
}

impl Consumer {
    pub(crate) fn spawn(notifier: Arc<Notifier>, outputs: Outputs) -> Result<Self, Error> {
        let stop = Arc::new(AtomicBool::new(false));
        let read_timer = outputs
            .channels
            .iter()
            .map(|c| c.cfg.read_timer)
            .min()
            .unwrap_or(Duration::from_millis(200));
        let switch_timer = outputs
            .channels
            .iter()
            .filter_map(|c| c.cfg.switch_timer)
            .min();
        let (st, n) = (stop.clone(), notifier.clone());
        let thread = std::thread::Builder::new()
            .name("tracer-consumer".into())
            .spawn(move || run(st, n, outputs, read_timer, switch_timer))
            .map_err(io_at("<consumer thread>"))?;
        Ok(Consumer {
            stop,
            notifier,
            thread,
        })
    }

    /// Asks the thread to flush everything and finish; returns its outputs.
    pub(crate) fn stop(self) -> Outputs {
        self.stop.store(true, Release);
        self.notifier.wake();
        match self.thread.join() {
            Ok(o) => o,
            // The consumer only panics on a bug; re-raise it rather than hide lost data.
            Err(p) => std::panic::resume_unwind(p),
        }
    }
}

fn run(
    stop: Arc<AtomicBool>,
    notifier: Arc<Notifier>,
    mut out: Outputs,
    read_timer: Duration,
    switch_timer: Option<Duration>,
) -> Outputs {
    let mut next_switch = switch_timer.map(|t| Instant::now() + t);
    loop {
        let seen = notifier.current();
        let stopping = stop.load(Acquire);
        let switch_due = next_switch.is_some_and(|t| Instant::now() >= t);
        if switch_due {
            next_switch = switch_timer.map(|t| Instant::now() + t);
        }
        if switch_due && !stopping {
            out.live_tick();
        } else {
            out.drain_all(stopping, stopping);
        }
        if stopping {
            return out;
        }
        let timeout = match next_switch {
            Some(t) => t.saturating_duration_since(Instant::now()).min(read_timer),
            None => read_timer,
        };
        notifier.wait(seen, timeout);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctf::packet::{PacketInfo, PACKET_PREFIX_LEN};
    use crate::remote::beacon::{self, Beacon};
    use crate::remote::ClassLog;
    use crate::ringbuffer::backend::RingBuffer;
    use crate::ringbuffer::config::ChannelConfig;
    use crate::ringbuffer::frontend::StreamWriter;
    use crate::shm::Mapping;
    use crate::sink::FileSink;
    use crate::PayloadWriter;

    /// A recorder's view of a program's channel: the program's class log and the recorder's
    /// reader of it, one channel, and the consumer's outputs writing to `dir`.
    struct Remote {
        log: ClassLog,
        channel: Arc<Channel>,
        outputs: Outputs,
        dir: std::path::PathBuf,
    }

    fn remote(name: &str) -> Remote {
        let dir = std::env::temp_dir().join(format!("consumer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let log = ClassLog::create().unwrap();
        let schema = EventSchema {
            id: 0,
            provider: "p".into(),
            event: "e".into(),
            file: "f.c".into(),
            line: 1,
            function: "main".into(),
            level: 13,
            fields: Vec::new(),
        };
        assert!(log.append(&schema));
        log.set_fenced();
        let fd = log.mapping().fd().unwrap().try_clone_to_owned().unwrap();
        let reader = ClassLogReader::new(
            Mapping::map_fd(fd, Some(crate::remote::log::CONTROL_LEN)).unwrap(),
        )
        .unwrap();
        let cfg = ChannelConfig::default();
        let channel = Arc::new(Channel::detached(
            "chan",
            0,
            cfg,
            Arc::new(Notifier::default()),
        ));
        let meta = TraceMeta::this_process([7; 16]);
        let mut outputs = Outputs::new(
            vec![FileSink::boxed(dir.clone())],
            meta,
            vec![channel.clone()],
            ClassSource::Remote(Box::new(reader)),
        );
        let horizon = Arc::new(Horizon::default());
        outputs.share_horizon(horizon.clone(), horizon.join());
        Remote {
            log,
            channel,
            outputs,
            dir,
        }
    }

    impl Remote {
        /// A stream the program created and the recorder received, and its writer.
        fn stream(&self) -> StreamWriter {
            let mut streams = lock_streams(&self.channel);
            let s = Arc::new(Stream {
                ring: RingBuffer::new(&self.channel.cfg).unwrap(),
                id: streams.len() as u64,
                mode: self.channel.cfg.mode,
                notifier: self.channel.notifier.clone(),
            });
            self.log.count_stream();
            streams.push(s.clone());
            StreamWriter::adopt(s, 0).unwrap()
        }

        fn beacon(&self, stream: &str) -> Option<u64> {
            let trace = &self.dir;
            Beacon::read(trace, stream).map(|b| b.ts)
        }

        /// `(timestamp_begin, timestamp_end)` of each packet of a stream file.
        fn packets(&self, stream: &str) -> Vec<(u64, u64)> {
            let bytes = std::fs::read(self.dir.join(stream)).unwrap();
            let mut at = 0;
            let mut out = Vec::new();
            while at < bytes.len() {
                let p = PacketInfo::decode(&bytes[at..]).unwrap();
                out.push((p.timestamp_begin, p.timestamp_end));
                at += PACKET_PREFIX_LEN + p.payload_len;
            }
            out
        }
    }

    fn event(w: &mut StreamWriter) -> u64 {
        w.enter_event();
        let ts = crate::clock::now();
        assert!(w.write(0, ts, 0, &|_: &mut PayloadWriter<'_>| {}));
        ts
    }

    #[test]
    fn live_counts_keep_the_latest_payloads_across_packets() {
        use crate::field::Scalar;
        use crate::schema::{FieldKind, FieldSchema};
        let schema = |id: u32| {
            Arc::new(EventSchema {
                id,
                provider: "p".into(),
                event: format!("e{id}"),
                file: "f.c".into(),
                line: id,
                function: "main".into(),
                level: 13,
                fields: vec![FieldSchema {
                    name: "v".into(),
                    kind: FieldKind::Number {
                        ty: Scalar::Int {
                            bits: 64,
                            signed: false,
                        },
                        hex: false,
                    },
                }],
            })
        };
        let classes = [schema(0), schema(1)];
        let cfg = ChannelConfig::default();
        let stream = Arc::new(Stream {
            ring: RingBuffer::new(&cfg).unwrap(),
            id: 0,
            mode: cfg.mode,
            notifier: Arc::new(Notifier::default()),
        });
        let mut w = StreamWriter::adopt(stream.clone(), 0).unwrap();
        let mut counts = LiveCounts::default();
        // Packet 1: class 0 with 1..=4, class 1 with 10; packet 2: class 0 with 5 only.
        let mut from = 0;
        let mut packet = |events: &[(u32, u64)], counts: &mut LiveCounts| {
            for (i, &(id, v)) in events.iter().enumerate() {
                let fill = move |p: &mut PayloadWriter<'_>| p.put(&v.to_le_bytes());
                assert!(w.write(id, 100 + i as u64, 8, &fill));
            }
            let slot = stream.ring.slot(0);
            assert!(matches!(slot.hold(0, true), Hold::Held { .. }));
            let to = slot.view().commit as usize;
            // SAFETY: the slot is held and `to` was read after holding it.
            let bytes = unsafe { stream.ring.committed_bytes(0, from, to) }.unwrap();
            counts.count_packet(bytes, 100, &classes);
            slot.release_partial(0);
            from = to;
        };
        packet(&[(0, 1), (0, 2), (1, 10), (0, 3), (0, 4)], &mut counts);
        packet(&[(0, 5)], &mut counts);
        let values = |c: &ClassCounts| -> Vec<u64> {
            c.payloads
                .iter()
                .map(|p| u64::from_le_bytes(p[..8].try_into().unwrap()))
                .collect()
        };
        assert_eq!(counts.events, 6);
        assert_eq!(counts.per_class[0].count, 5);
        assert_eq!(values(&counts.per_class[0]), [3, 4, 5]);
        assert_eq!(values(&counts.per_class[1]), [10]);
    }

    #[test]
    fn beacons_go_to_streams_with_no_event_in_flight_once_every_stream_is_known() {
        crate::clock::trace_clock();
        assert!(crate::membarrier::register());
        let mut r = remote("beacons");
        let (mut a, mut b) = (r.stream(), r.stream());
        let a_ts = event(&mut a);
        event(&mut b);
        // `b` read the clock for its next event and has not committed it.
        b.enter_event();
        r.outputs.live_tick();
        let a_beacon = r.beacon("chan_0").expect("no beacon for the quiet stream");
        assert!(a_beacon > a_ts);
        assert_eq!(
            r.beacon("chan_1"),
            None,
            "a beacon while an event is in flight"
        );
        // Both streams are new to viewers: the beacon is also an empty packet, whose index
        // makes babeltrace2 look for new streams.
        assert_eq!(r.packets("chan_0"), [(a_ts, a_ts), (a_beacon, a_beacon)]);

        // A stream the program created that the recorder has not received yet may hold
        // older events: no beacon for anyone.
        r.log.count_stream();
        r.outputs.live_tick();
        assert_eq!(r.beacon("chan_0"), Some(a_beacon));
        lock_streams(&r.channel).push(Arc::new(Stream {
            ring: RingBuffer::new(&r.channel.cfg).unwrap(),
            id: 2,
            mode: r.channel.cfg.mode,
            notifier: r.channel.notifier.clone(),
        }));
        r.outputs.live_tick();
        let later = r.beacon("chan_0").unwrap();
        assert!(later > a_beacon);

        // A beacon after the first is only a beacon.
        assert_eq!(r.packets("chan_0").len(), 2);

        // `b` commits its event: its stream gets a beacon after the packet holding it (and
        // announces the births it had not).
        let b_ts = crate::clock::now();
        assert!(b.write(0, b_ts, 0, &|_: &mut PayloadWriter<'_>| {}));
        r.outputs.live_tick();
        let b_beacon = r.beacon("chan_1").expect("no beacon after the commit");
        let b_packets = r.packets("chan_1");
        assert_eq!(b_packets.len(), 3, "{b_packets:?}");
        assert_eq!(b_packets[1].1, b_ts);
        assert_eq!(b_packets[2], (b_beacon, b_beacon));

        // The packet after a beacon does not begin before it, though the sub-buffer's last
        // event is older.
        let told = r.beacon("chan_0").unwrap();
        let a_next = event(&mut a);
        r.outputs.live_tick();
        let packets = r.packets("chan_0");
        assert_eq!(packets.len(), 3, "{packets:?}");
        assert_eq!(packets[2], (told, a_next), "{packets:?}");

        // A complete trace keeps no beacons.
        r.outputs.close();
        assert!(!r.dir.join(beacon::DIR).exists());
        let _ = std::fs::remove_dir_all(&r.dir);
    }
}
