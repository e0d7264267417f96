//! The viewer side of the LTTng live reading protocol: follows one session of a relay (ours,
//! or lttng-relayd) and counts its events per class as the packets arrive, for
//! `tracer.attach` and `tracer-lsp counts --live`.
//!
//! [`LiveUrl`] is the `net://HOST[:PORT]/host/HOSTNAME/SESSION` URL babeltrace2 takes.
//! [`Conn`] is one connection: each request is written whole and its reply read with a
//! timeout, every length in a reply bounded before anything is allocated. [`Live`] is an
//! attached session: each [`Live::step`] asks every stream for its next index, fetches
//! metadata and new streams when the flags say so, fetches and counts each new packet with
//! the CTF reader ([`read::count_packets`]), and ends when the relay hangs the session up.

use super::wire::{self, cmd, Index, SessionEntry, StreamEntry};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;
use tracer_core::ctf::read::{self, ClassCount, Counts, ReadError, Trace};

/// The LTTng live protocol's port.
pub const DEFAULT_PORT: u16 = 5344;
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the relay may take to answer a request.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// Bounds on what a reply may announce (a relay announcing more is broken).
const MAX_PACKET: u64 = 1 << 28;
const MAX_METADATA: u64 = 1 << 26;
const MAX_ENTRIES: u32 = 1 << 16;
/// Errors kept per session (the rest are counted, not listed).
const MAX_ERRORS: usize = 100;
/// `lttng_viewer_seek`: from the first packet, so the counts cover the whole recording.
const SEEK_BEGINNING: u32 = 1;

const SESSION_LEN: usize = 8 + 4 + 4 + 4 + 64 + 255;
const STREAM_LEN: usize = 8 + 8 + 4 + 4096 + 255;
const INDEX_LEN: usize = 8 * 7 + 4 + 4;

/// `net://HOST[:PORT]/host/HOSTNAME/SESSION`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveUrl {
    /// The relay's address.
    pub host: String,
    pub port: u16,
    /// The traced machine's name and the session's, as the relay lists them.
    pub hostname: String,
    pub session: String,
}

impl LiveUrl {
    pub fn parse(url: &str) -> Result<LiveUrl, String> {
        let bad = |why: &str| {
            format!("`{url}` is not a live session URL ({why}): expected net://HOST[:PORT]/host/HOSTNAME/SESSION")
        };
        let rest = url
            .strip_prefix("net://")
            .ok_or_else(|| bad("it does not start with net://"))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no relay host"));
        }
        let port = match port {
            None => DEFAULT_PORT,
            Some(p) => p.parse().map_err(|_| bad("bad port"))?,
        };
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let [kind, hostname, session] = parts[..] else {
            return Err(bad("no /host/HOSTNAME/SESSION path"));
        };
        if kind != "host" {
            return Err(bad("the path must start with /host/"));
        }
        Ok(LiveUrl {
            host: host.to_owned(),
            port,
            hostname: hostname.to_owned(),
            session: session.to_owned(),
        })
    }

    fn relay(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl std::fmt::Display for LiveUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "net://{}/host/{}/{}",
            self.relay(),
            self.hostname,
            self.session
        )
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|w| w.try_into().ok())
        .map_or(0, u32::from_be_bytes)
}

fn be64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|w| w.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

/// A NUL-padded string field.
fn text(b: &[u8]) -> String {
    let end = memchr_nul(b);
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn memchr_nul(b: &[u8]) -> usize {
    b.iter().position(|&c| c == 0).unwrap_or(b.len())
}

fn decode_stream(b: &[u8]) -> StreamEntry {
    StreamEntry {
        id: be64(b, 0),
        trace_id: be64(b, 8),
        metadata: be32(b, 16) != 0,
        path: text(&b[20..20 + 4096]),
        channel: text(&b[20 + 4096..STREAM_LEN]),
    }
}

/// One connection to a relay, past CONNECT.
pub struct Conn {
    stream: TcpStream,
    relay: String,
}

impl Conn {
    /// Connects to the relay of `url` and negotiates the protocol version.
    pub fn connect(url: &LiveUrl) -> Result<Conn, String> {
        let relay = url.relay();
        let addrs: Vec<_> = (url.host.as_str(), url.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve the relay host {}: {e}", url.host))?
            .collect();
        let mut last = format!("{} has no address", url.host);
        let mut stream = None;
        for a in &addrs {
            match TcpStream::connect_timeout(a, CONNECT_TIMEOUT) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = e.to_string(),
            }
        }
        let stream = stream.ok_or_else(|| {
            format!("cannot connect to the relay at {relay}: {last} (is `tracer-lsp relay` or lttng-relayd running there?)")
        })?;
        let _ = stream.set_nodelay(true);
        stream
            .set_read_timeout(Some(REPLY_TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(REPLY_TIMEOUT)))
            .map_err(|e| e.to_string())?;
        let mut c = Conn { stream, relay };
        let mut p = 0u64.to_be_bytes().to_vec();
        p.extend_from_slice(&wire::MAJOR.to_be_bytes());
        p.extend_from_slice(&wire::MINOR.to_be_bytes());
        p.extend_from_slice(&wire::CLIENT_COMMAND.to_be_bytes());
        c.send(cmd::CONNECT, &p)?;
        let r = c.recv(20, "CONNECT")?;
        let major = be32(&r, 8);
        if major != wire::MAJOR {
            return Err(format!(
                "the relay at {} speaks live protocol {major}.{}, not {}.x",
                c.relay,
                be32(&r, 12),
                wire::MAJOR
            ));
        }
        Ok(c)
    }

    fn send(&mut self, cmd: u32, payload: &[u8]) -> Result<(), String> {
        let mut m = Vec::with_capacity(wire::HEADER_LEN + payload.len());
        m.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        m.extend_from_slice(&cmd.to_be_bytes());
        m.extend_from_slice(&0u32.to_be_bytes());
        m.extend_from_slice(payload);
        self.stream
            .write_all(&m)
            .map_err(|e| format!("lost the relay at {}: {e}", self.relay))
    }

    /// `n` bytes of the reply to `what`.
    fn recv(&mut self, n: usize, what: &str) -> Result<Vec<u8>, String> {
        let mut b = vec![0u8; n];
        self.stream.read_exact(&mut b).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => format!(
                "the relay at {} did not answer {what} within {} s",
                self.relay,
                REPLY_TIMEOUT.as_secs()
            ),
            std::io::ErrorKind::UnexpectedEof => {
                format!(
                    "the relay at {} closed the connection during {what}",
                    self.relay
                )
            }
            _ => format!("lost the relay at {} during {what}: {e}", self.relay),
        })?;
        Ok(b)
    }

    fn count(&mut self, at: &[u8], pos: usize, what: &str) -> Result<usize, String> {
        let n = be32(at, pos);
        if n > MAX_ENTRIES {
            return Err(format!(
                "the relay at {} announces {n} entries in its {what} reply",
                self.relay
            ));
        }
        Ok(n as usize)
    }

    /// CREATE_SESSION: the viewer session lttng-relayd wants before ATTACH_SESSION.
    pub fn create_session(&mut self) -> Result<(), String> {
        self.send(cmd::CREATE_SESSION, &[])?;
        let r = self.recv(4, "CREATE_SESSION")?;
        match be32(&r, 0) {
            wire::session::OK => Ok(()),
            status => Err(format!(
                "the relay at {} refused to create a viewer session (status {status})",
                self.relay
            )),
        }
    }

    pub fn list_sessions(&mut self) -> Result<Vec<SessionEntry>, String> {
        self.send(cmd::LIST_SESSIONS, &[])?;
        let head = self.recv(4, "LIST_SESSIONS")?;
        let n = self.count(&head, 0, "LIST_SESSIONS")?;
        let body = self.recv(n * SESSION_LEN, "LIST_SESSIONS")?;
        Ok(body
            .chunks_exact(SESSION_LEN)
            .map(|b| SessionEntry {
                id: be64(b, 0),
                live_timer_us: be32(b, 8),
                clients: be32(b, 12),
                streams: be32(b, 16),
                hostname: text(&b[20..84]),
                name: text(&b[84..SESSION_LEN]),
            })
            .collect())
    }

    /// (status, streams) of an ATTACH_SESSION or GET_NEW_STREAMS reply.
    fn streams_reply(&mut self, what: &str) -> Result<(u32, Vec<StreamEntry>), String> {
        let head = self.recv(8, what)?;
        let n = self.count(&head, 4, what)?;
        let body = self.recv(n * STREAM_LEN, what)?;
        Ok((
            be32(&head, 0),
            body.chunks_exact(STREAM_LEN).map(decode_stream).collect(),
        ))
    }

    pub fn attach(&mut self, session: u64) -> Result<(u32, Vec<StreamEntry>), String> {
        let mut p = session.to_be_bytes().to_vec();
        p.extend_from_slice(&0u64.to_be_bytes());
        p.extend_from_slice(&SEEK_BEGINNING.to_be_bytes());
        self.send(cmd::ATTACH_SESSION, &p)?;
        self.streams_reply("ATTACH_SESSION")
    }

    pub fn new_streams(&mut self, session: u64) -> Result<(u32, Vec<StreamEntry>), String> {
        self.send(cmd::GET_NEW_STREAMS, &session.to_be_bytes())?;
        self.streams_reply("GET_NEW_STREAMS")
    }

    /// (status, the metadata's next bytes).
    pub fn metadata(&mut self, stream: u64) -> Result<(u32, Vec<u8>), String> {
        self.send(cmd::GET_METADATA, &stream.to_be_bytes())?;
        let head = self.recv(12, "GET_METADATA")?;
        let len = be64(&head, 0);
        if len > MAX_METADATA {
            return Err(format!(
                "the relay at {} announces {len} bytes of metadata at once",
                self.relay
            ));
        }
        let data = self.recv(len as usize, "GET_METADATA")?;
        Ok((be32(&head, 8), data))
    }

    /// (index, status, flags).
    pub fn next_index(&mut self, stream: u64) -> Result<(Index, u32, u32), String> {
        self.send(cmd::GET_NEXT_INDEX, &stream.to_be_bytes())?;
        let r = self.recv(INDEX_LEN, "GET_NEXT_INDEX")?;
        let index = Index {
            offset: be64(&r, 0),
            packet_bits: be64(&r, 8),
            content_bits: be64(&r, 16),
            timestamp_begin: be64(&r, 24),
            timestamp_end: be64(&r, 32),
            events_discarded: be64(&r, 40),
            stream_class: be64(&r, 48),
        };
        Ok((index, be32(&r, 56), be32(&r, 60)))
    }

    /// (status, flags, packet bytes).
    pub fn packet(
        &mut self,
        stream: u64,
        offset: u64,
        len: u32,
    ) -> Result<(u32, u32, Vec<u8>), String> {
        let mut p = stream.to_be_bytes().to_vec();
        p.extend_from_slice(&offset.to_be_bytes());
        p.extend_from_slice(&len.to_be_bytes());
        self.send(cmd::GET_PACKET, &p)?;
        let head = self.recv(12, "GET_PACKET")?;
        let (status, got, flags) = (be32(&head, 0), be32(&head, 4), be32(&head, 8));
        if status != wire::packet::OK {
            return Ok((status, flags, Vec::new()));
        }
        if got > len {
            return Err(format!(
                "the relay at {} sent a {got}-byte packet for a {len}-byte request",
                self.relay
            ));
        }
        Ok((status, flags, self.recv(got as usize, "GET_PACKET")?))
    }

    pub fn detach(&mut self, session: u64) -> Result<(), String> {
        self.send(cmd::DETACH_SESSION, &session.to_be_bytes())?;
        self.recv(4, "DETACH_SESSION").map(|_| ())
    }
}

/// One trace of the session (one traced process): its metadata so far and its counts.
struct LiveTrace {
    /// `HOSTNAME/SESSION/TRACE`, as the relay names it.
    path: String,
    metadata_stream: Option<u64>,
    metadata: Vec<u8>,
    trace: Option<Trace>,
    /// Events per (stream class, event class id).
    counts: HashMap<(u64, u64), u64>,
    /// Why the metadata cannot be read now, if it cannot.
    metadata_error: Option<ReadError>,
}

struct LiveStream {
    trace: u64,
    channel: String,
    hung_up: bool,
    /// The last `events_discarded` of its packets.
    discarded: u64,
}

/// What one [`Live::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// New packets were counted (or streams ended).
    Progress,
    /// Nothing was ready: wait a little before the next step.
    Idle,
    /// The relay hung the session up: every packet was counted.
    Ended,
}

/// A session followed through a relay.
pub struct Live {
    conn: Conn,
    session: u64,
    url: LiveUrl,
    traces: BTreeMap<u64, LiveTrace>,
    streams: BTreeMap<u64, LiveStream>,
    lost: u64,
    errors: Vec<ReadError>,
    more_errors: usize,
}

impl Live {
    /// Connects to the relay and attaches to the session the URL names (the newest, if the
    /// relay lists several with that host and name).
    pub fn attach(url: &LiveUrl) -> Result<Live, String> {
        let mut conn = Conn::connect(url)?;
        conn.create_session()?;
        let sessions = conn.list_sessions()?;
        let Some(s) = sessions
            .iter()
            .filter(|s| s.hostname == url.hostname && s.name == url.session)
            .max_by_key(|s| s.id)
        else {
            let known: Vec<String> = sessions
                .iter()
                .map(|s| format!("{}/{}", s.hostname, s.name))
                .collect();
            return Err(format!(
                "the relay at {} has no live session {}/{} (live sessions: {})",
                conn.relay,
                url.hostname,
                url.session,
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ));
        };
        let session = s.id;
        let (status, streams) = conn.attach(session)?;
        if status != wire::attach::OK {
            return Err(format!(
                "the relay at {} refused to attach to {}/{} (status {status})",
                conn.relay, url.hostname, url.session
            ));
        }
        let mut live = Live {
            conn,
            session,
            url: url.clone(),
            traces: BTreeMap::new(),
            streams: BTreeMap::new(),
            lost: 0,
            errors: Vec::new(),
            more_errors: 0,
        };
        live.add_streams(streams);
        Ok(live)
    }

    pub fn url(&self) -> &LiveUrl {
        &self.url
    }

    fn add_streams(&mut self, streams: Vec<StreamEntry>) {
        for s in streams {
            let t = self.traces.entry(s.trace_id).or_insert_with(|| LiveTrace {
                path: s.path.clone(),
                metadata_stream: None,
                metadata: Vec::new(),
                trace: None,
                counts: HashMap::new(),
                metadata_error: None,
            });
            if s.metadata {
                t.metadata_stream = Some(s.id);
            } else {
                self.streams.entry(s.id).or_insert(LiveStream {
                    trace: s.trace_id,
                    channel: s.channel,
                    hung_up: false,
                    discarded: 0,
                });
            }
        }
    }

    fn error(&mut self, e: ReadError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e);
        } else {
            self.more_errors += 1;
        }
    }

    /// Fetches the metadata of trace `id` that the relay has and this viewer does not, and
    /// compiles all of it again.
    fn fetch_metadata(&mut self, id: u64) -> Result<(), String> {
        let Some(t) = self.traces.get_mut(&id) else {
            return Ok(());
        };
        let Some(stream) = t.metadata_stream else {
            return Ok(());
        };
        let mut grew = false;
        loop {
            let (status, data) = self.conn.metadata(stream)?;
            match status {
                wire::metadata::OK if !data.is_empty() => {
                    if t.metadata.len() as u64 + data.len() as u64 > MAX_METADATA {
                        return Err(format!("the metadata of {} is too large", t.path));
                    }
                    t.metadata.extend_from_slice(&data);
                    grew = true;
                }
                wire::metadata::OK | wire::metadata::NO_NEW => break,
                _ => {
                    return Err(format!(
                        "the relay at {} cannot send the metadata of {}",
                        self.conn.relay, t.path
                    ))
                }
            }
        }
        if grew || t.trace.is_none() {
            match Trace::from_metadata(&t.path, &t.metadata) {
                Ok(trace) => {
                    t.trace = Some(trace);
                    t.metadata_error = None;
                }
                // Possibly caught mid-write: the next packet's flags bring the rest.
                Err(e) => t.metadata_error = Some(e),
            }
        }
        Ok(())
    }

    fn fetch_new_streams(&mut self) -> Result<u32, String> {
        let (status, streams) = self.conn.new_streams(self.session)?;
        if status == wire::new_streams::ERR {
            return Err(format!(
                "the relay at {} no longer knows session {}/{}",
                self.conn.relay, self.url.hostname, self.url.session
            ));
        }
        self.add_streams(streams);
        Ok(status)
    }

    /// One round over every stream. Errors are the connection's (the relay is gone or
    /// broken); what cannot be read in the trace is kept in [`Live::counts`]' errors.
    pub fn step(&mut self) -> Result<Step, String> {
        let mut progress = false;
        let ids: Vec<u64> = self
            .streams
            .iter()
            .filter(|(_, s)| !s.hung_up)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            let (index, status, flags) = self.conn.next_index(id)?;
            let Some(s) = self.streams.get(&id) else {
                continue;
            };
            let trace = s.trace;
            if flags & wire::FLAG_NEW_STREAM != 0 {
                self.fetch_new_streams()?;
            }
            if flags & wire::FLAG_NEW_METADATA != 0 {
                self.fetch_metadata(trace)?;
            }
            match status {
                wire::index::OK => {
                    self.packet(id, trace, &index)?;
                    progress = true;
                }
                wire::index::RETRY | wire::index::INACTIVE => {}
                wire::index::HUP | wire::index::EOF => {
                    if let Some(s) = self.streams.get_mut(&id) {
                        s.hung_up = true;
                    }
                    progress = true;
                }
                other => {
                    let file = self.stream_file(id);
                    self.error(ReadError {
                        file,
                        offset: 0,
                        message: format!(
                            "the relay cannot index this stream (status {other}); it is not followed further"
                        ),
                    });
                    if let Some(s) = self.streams.get_mut(&id) {
                        s.hung_up = true;
                    }
                }
            }
        }
        if self.streams.values().all(|s| s.hung_up) {
            let before = self.streams.len();
            match self.fetch_new_streams()? {
                wire::new_streams::HUP => return Ok(Step::Ended),
                _ if self.streams.len() > before => progress = true,
                _ => {}
            }
        }
        Ok(if progress { Step::Progress } else { Step::Idle })
    }

    fn stream_file(&self, id: u64) -> PathBuf {
        match self.streams.get(&id) {
            Some(s) => {
                let trace = self.traces.get(&s.trace).map_or("", |t| &t.path);
                PathBuf::from(trace).join(&s.channel)
            }
            None => PathBuf::from(format!("stream {id}")),
        }
    }

    /// Fetches and counts the packet `index` describes.
    fn packet(&mut self, id: u64, trace: u64, index: &Index) -> Result<(), String> {
        let file = self.stream_file(id);
        let bytes = index.packet_bits.div_ceil(8);
        if bytes > MAX_PACKET || bytes == 0 {
            self.error(ReadError {
                file,
                offset: index.offset,
                message: format!("the relay indexes a {bytes}-byte packet; skipped"),
            });
            return Ok(());
        }
        if self.traces.get(&trace).is_some_and(|t| t.trace.is_none()) {
            self.fetch_metadata(trace)?;
        }
        let mut fetched = self.conn.packet(id, index.offset, bytes as u32)?;
        if fetched.0 != wire::packet::OK && fetched.1 & wire::FLAG_NEW_METADATA != 0 {
            // lttng-relayd wants the metadata fetched before it sends this packet.
            self.fetch_metadata(trace)?;
            fetched = self.conn.packet(id, index.offset, bytes as u32)?;
        }
        let (status, _, data) = fetched;
        if status != wire::packet::OK {
            self.error(ReadError {
                file,
                offset: index.offset,
                message: format!("the relay cannot send this packet (status {status}); skipped"),
            });
            return Ok(());
        }
        if let Some(s) = self.streams.get_mut(&id) {
            self.lost += index.events_discarded.saturating_sub(s.discarded);
            s.discarded = s.discarded.max(index.events_discarded);
        }
        let Some(t) = self.traces.get_mut(&trace) else {
            return Ok(());
        };
        let Some(tr) = &t.trace else {
            let e = t.metadata_error.clone().unwrap_or_else(|| ReadError {
                file: file.clone(),
                offset: index.offset,
                message: "no metadata for this packet; skipped".into(),
            });
            self.error(e);
            return Ok(());
        };
        let mut counts = Vec::new();
        let errors = read::count_packets(tr, &file, index.offset, &data, &mut counts);
        for (c, n) in tr.classes().iter().zip(counts) {
            if n > 0 {
                *t.counts.entry((c.stream_id, c.id)).or_default() += n;
            }
        }
        for e in errors {
            self.error(e);
        }
        Ok(())
    }

    /// The counts so far, as the reader gives them for a trace directory: every class of
    /// every trace (count 0 included), events, lost events and errors.
    pub fn counts(&self) -> Counts {
        let mut classes = Vec::new();
        for t in self.traces.values() {
            let Some(tr) = &t.trace else { continue };
            for c in tr.classes() {
                classes.push(ClassCount {
                    trace: PathBuf::from(&t.path),
                    stream_id: c.stream_id,
                    id: c.id,
                    name: c.name.clone(),
                    loglevel: c.loglevel,
                    emf_uri: c.emf_uri.clone(),
                    count: t.counts.get(&(c.stream_id, c.id)).copied().unwrap_or(0),
                });
            }
        }
        classes.sort_by(|a, b| (&a.trace, a.stream_id, a.id).cmp(&(&b.trace, b.stream_id, b.id)));
        let mut errors = self.errors.clone();
        errors.extend(
            self.traces
                .values()
                .filter_map(|t| t.metadata_error.clone()),
        );
        if self.more_errors > 0 {
            errors.push(ReadError {
                file: PathBuf::from(format!("{}/{}", self.url.hostname, self.url.session)),
                offset: 0,
                message: format!("{} more errors not listed", self.more_errors),
            });
        }
        Counts {
            events: classes.iter().map(|c| c.count).sum(),
            classes,
            lost: self.lost,
            errors,
        }
    }

    /// Follows the session until the relay hangs it up or `stop` says to stop, calling
    /// `update` with the counts after new packets (at most every `every`) and at the end.
    /// Returns the final counts, and why following ended early if the relay was lost (the
    /// counts are then what arrived before).
    pub fn follow(
        mut self,
        stop: &dyn Fn() -> bool,
        every: Duration,
        update: &mut dyn FnMut(&Counts),
    ) -> (Counts, Result<(), String>) {
        let mut last = std::time::Instant::now();
        let mut dirty = false;
        loop {
            if stop() {
                let _ = self.conn.detach(self.session);
                break;
            }
            let step = match self.step() {
                Ok(s) => s,
                Err(e) => {
                    let counts = self.counts();
                    update(&counts);
                    return (counts, Err(e));
                }
            };
            dirty |= step == Step::Progress;
            if step == Step::Ended {
                break;
            }
            if dirty && last.elapsed() >= every {
                update(&self.counts());
                last = std::time::Instant::now();
                dirty = false;
            }
            if step == Step::Idle {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let counts = self.counts();
        update(&counts);
        (counts, Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_urls_parse_with_the_default_port() {
        assert_eq!(
            LiveUrl::parse("net://localhost/host/board/demo"),
            Ok(LiveUrl {
                host: "localhost".into(),
                port: DEFAULT_PORT,
                hostname: "board".into(),
                session: "demo".into()
            })
        );
        let u = LiveUrl::parse("net://[::1]:6000/host/b/s").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 6000));
        assert_eq!(u.to_string(), "net://[::1]:6000/host/b/s");
        for bad in [
            "http://x/host/a/b",
            "net://",
            "net://x",
            "net://x/host/a",
            "net://x/session/a/b",
            "net://x:port/host/a/b",
            "net://x/host/a/b/c",
        ] {
            let e = LiveUrl::parse(bad).unwrap_err();
            assert!(e.contains("net://HOST[:PORT]/host/HOSTNAME/SESSION"), "{e}");
        }
    }

    /// A relay on a free loopback port that answers the first `replies.len()` requests with
    /// `replies` (whatever they ask), then closes the connection.
    fn fake_relay(replies: Vec<Vec<u8>>) -> LiveUrl {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let Ok((mut c, _)) = l.accept() else { return };
            for r in replies {
                let mut h = [0u8; wire::HEADER_LEN];
                if c.read_exact(&mut h).is_err() {
                    return;
                }
                let mut p = vec![0u8; be64(&h, 0) as usize];
                if c.read_exact(&mut p).is_err() || c.write_all(&r).is_err() {
                    return;
                }
            }
        });
        LiveUrl::parse(&format!("net://127.0.0.1:{port}/host/h/s")).unwrap()
    }

    fn connect_reply(major: u32) -> Vec<u8> {
        let mut r = 1u64.to_be_bytes().to_vec();
        for v in [major, 4, 1] {
            r.extend_from_slice(&v.to_be_bytes());
        }
        r
    }

    /// CREATE_SESSION's answer.
    fn ok() -> Vec<u8> {
        wire::session::OK.to_be_bytes().to_vec()
    }

    #[test]
    fn a_misbehaving_relay_is_a_clear_error() {
        let e = Live::attach(&fake_relay(vec![connect_reply(3)]))
            .err()
            .unwrap();
        assert!(e.contains("speaks live protocol 3.4"), "{e}");

        // A session count no relay has: refused before allocating.
        let huge = vec![connect_reply(2), ok(), (1u32 << 30).to_be_bytes().to_vec()];
        let e = Live::attach(&fake_relay(huge)).err().unwrap();
        assert!(e.contains("announces 1073741824 entries"), "{e}");

        // Cut off in the middle of a reply.
        let cut = vec![connect_reply(2), ok(), vec![0, 0, 0, 1, 0, 0]];
        let e = Live::attach(&fake_relay(cut)).err().unwrap();
        assert!(
            e.contains("closed the connection during LIST_SESSIONS"),
            "{e}"
        );

        // No session of that name.
        let other = SessionEntry {
            id: 4,
            live_timer_us: 0,
            clients: 0,
            streams: 0,
            hostname: "h".into(),
            name: "other".into(),
        };
        let list = wire::write_session(wire::Reply::default().u32(1), &other).0;
        let e = Live::attach(&fake_relay(vec![connect_reply(2), ok(), list]))
            .err()
            .unwrap();
        assert!(
            e.contains("no live session h/s (live sessions: h/other)"),
            "{e}"
        );

        // A session the relay then refuses to attach.
        let mine = SessionEntry {
            name: "s".into(),
            ..other
        };
        let list = wire::write_session(wire::Reply::default().u32(1), &mine).0;
        let refused = wire::Reply::default().u32(wire::attach::UNKNOWN).u32(0).0;
        let e = Live::attach(&fake_relay(vec![connect_reply(2), ok(), list, refused]))
            .err()
            .unwrap();
        assert!(e.contains("refused to attach to h/s"), "{e}");
    }

    #[test]
    fn stream_entries_decode_what_the_relay_encodes() {
        let s = StreamEntry {
            id: 7,
            trace_id: 3,
            metadata: true,
            path: "h/s/p-1".into(),
            channel: "metadata".into(),
        };
        let b = wire::write_stream(wire::Reply::default(), &s).0;
        let d = decode_stream(&b);
        assert_eq!(
            (d.id, d.trace_id, d.metadata, d.path, d.channel),
            (7, 3, true, "h/s/p-1".into(), "metadata".into())
        );
    }
}
