//! Targets streaming to the relay (`tracer-lsp record --stream`): one thread per connection
//! reads the frames of [`tracer_core::remote::net::wire`] and writes them as a normal
//! recording directory, `ROOT/<host>/<session>/<trace>/{metadata,<stream>}`, with the
//! recorder's `.live` marker (naming the relay's own pid), so the viewer side
//! ([`super::catalog`]) and babeltrace2 read it exactly like a local recording.
//!
//! Nothing from the network becomes a path unchecked: host, session, trace and stream names
//! are single plain components ([`wire::valid_name`]), every frame's size is bounded, and a
//! packet is written only when it is one whole CTF packet (its header's size is the frame's).
//! A malformed frame closes that target's connection with an error on stderr; other targets
//! and viewers go on. A session has one writer: a newer connection for the same
//! `<host>/<session>` (a target reconnecting while its old link is not yet seen dead) takes
//! over, and the older one stops at its next frame.
//!
//! A target that vanishes without `End` (powered off, killed, its link gone for good) does
//! not leave its session live forever: a connection silent for the target timeout (targets
//! send a keepalive every second) is closed, and a session whose connection closed before
//! `End` is ended (its marker removed, so viewers get the end of the session) when the
//! target has not reconnected within the same timeout. A target that comes back later
//! resumes the session as a reconnection does.

use std::collections::{BTreeSet, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tracer_core::ctf::packet::{PacketInfo, PACKET_PREFIX_LEN};
use tracer_core::remote::beacon::{self, Beacon};
use tracer_core::remote::net::wire::{self, Frame};
use tracer_core::remote::LIVE_MARKER;

/// The default target timeout: a target silent this long (it sends keepalives every
/// second) is dropped, and a session left without `End` is ended after as long again.
pub const DEFAULT_TARGET_TIMEOUT: Duration = Duration::from_secs(30);

/// One session directory being written.
struct SessionWriter {
    dir: PathBuf,
    /// The connection allowed to write.
    owner: u64,
    live_timer_us: u32,
    complete: BTreeSet<String>,
    files: HashMap<(String, String), File>,
    /// The session ended (`End`, or its target gone): no marker until a target takes it.
    ended: bool,
}

/// `(host, session)`.
type SessionKey = (String, String);

/// What every target connection shares.
pub struct Targets {
    root: PathBuf,
    token: Option<String>,
    timeout: Duration,
    sessions: Mutex<HashMap<SessionKey, Arc<Mutex<SessionWriter>>>>,
    next_id: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn log(id: u64, what: &str) {
    eprintln!("tracer-lsp relay: target {id}: {what}");
}

impl Targets {
    pub fn new(root: PathBuf, token: Option<String>, timeout: Duration) -> Arc<Targets> {
        Arc::new(Targets {
            root,
            token: token.filter(|t| !t.is_empty()),
            timeout,
            sessions: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        })
    }

    /// Accepts targets until the listener fails.
    pub fn accept(self: Arc<Self>, listener: TcpListener) {
        for conn in listener.incoming() {
            let conn = match conn {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("tracer-lsp relay: accept (targets): {e}");
                    continue;
                }
            };
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let me = self.clone();
            let _ = std::thread::Builder::new()
                .name(format!("relay-target-{id}"))
                .spawn(move || {
                    let peer = conn
                        .peer_addr()
                        .map_or_else(|_| "?".to_owned(), |a| a.to_string());
                    let mut left = None;
                    match me.serve(conn, id, &mut left) {
                        Ok(what) => log(id, &format!("{peer}: {what}")),
                        Err(e) => log(id, &format!("{peer}: {e}; connection closed")),
                    }
                    if let Some((name, writer)) = left {
                        me.expire(id, &name, &writer);
                    }
                });
        }
    }

    /// Ends the session `writer` that connection `id` left without `End`, unless the target
    /// reconnects (a newer connection owns it) within the timeout.
    fn expire(&self, id: u64, name: &str, writer: &Mutex<SessionWriter>) {
        std::thread::sleep(self.timeout);
        let mut w = lock(writer);
        if w.owner != id || w.ended {
            return;
        }
        match w.end() {
            Ok(()) => log(
                id,
                &format!(
                    "{name}: the target left without ending the session and did not come back \
                     within {} s: session ended (it resumes if the target reconnects)",
                    self.timeout.as_secs_f64()
                ),
            ),
            Err(e) => log(id, &format!("{name}: ending the session: {e}")),
        }
    }

    /// One target's connection; `Ok` says how it ended. `left` is set to the session it
    /// owned when it ends before the session's `End`.
    fn serve(
        &self,
        mut conn: TcpStream,
        id: u64,
        left: &mut Option<(String, Arc<Mutex<SessionWriter>>)>,
    ) -> Result<String, String> {
        let _ = conn.set_nodelay(true);
        conn.set_read_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
        let (live_timer_us, host, session, token) = match read_frame(&mut conn)? {
            Some(Frame::Hello {
                live_timer_us,
                host,
                session,
                token,
            }) => (live_timer_us, host, session, token),
            Some(f) => return Err(format!("malformed message: {} before Hello", name_of(&f))),
            None => return Ok("left before saying hello".into()),
        };
        if let Some(expected) = &self.token {
            if !wire::same_token(expected.as_bytes(), token.as_bytes()) {
                let _ = conn.write_all(&wire::encode(wire::kind::REFUSED, 0, &[b"wrong token"]));
                return Err(format!("{host}/{session}: wrong token, refused"));
            }
        }
        let writer = self.take_session(&host, &session, id, live_timer_us)?;
        *left = Some((format!("{host}/{session}"), writer.clone()));
        conn.write_all(&wire::encode(wire::kind::ACCEPTED, 0, &[]))
            .map_err(|e| e.to_string())?;
        log(id, &format!("streaming {host}/{session}"));
        // This connection's trace numbers to directory names.
        let mut traces: HashMap<u32, String> = HashMap::new();
        let mut packets = 0u64;
        loop {
            let Some(frame) = read_frame(&mut conn)? else {
                return Ok(format!("{host}/{session}: link closed before the end"));
            };
            let mut w = lock(&writer);
            if w.owner != id {
                *left = None;
                return Ok(format!(
                    "{host}/{session}: a newer connection of the target took over"
                ));
            }
            match frame {
                Frame::Metadata { trace, name, text } => {
                    if !text.starts_with(b"/* CTF 1.8") {
                        return Err(format!(
                            "malformed message: metadata of {name} is not CTF 1.8 TSDL"
                        ));
                    }
                    if traces.get(&trace).is_some_and(|n| *n != name) {
                        return Err(format!(
                            "malformed message: trace {trace} renamed to {name}"
                        ));
                    }
                    w.metadata(&name, &text)?;
                    traces.insert(trace, name);
                }
                Frame::Packet {
                    trace,
                    stream,
                    bytes,
                } => {
                    let Some(name) = traces.get(&trace) else {
                        return Err(format!(
                            "malformed message: packet for trace {trace} before its metadata"
                        ));
                    };
                    let info = PacketInfo::decode(&bytes).map_err(|e| {
                        format!("malformed message: packet of {name}/{stream}: {e}")
                    })?;
                    if PACKET_PREFIX_LEN + info.payload_len != bytes.len() {
                        return Err(format!(
                            "malformed message: packet of {name}/{stream} says {} bytes, frame holds {}",
                            PACKET_PREFIX_LEN + info.payload_len,
                            bytes.len()
                        ));
                    }
                    w.packet(name, &stream, &bytes)?;
                    drop(w);
                    packets += 1;
                    conn.write_all(&wire::encode(wire::kind::ACK, 0, &[&packets.to_be_bytes()]))
                        .map_err(|e| e.to_string())?;
                }
                Frame::Beacon {
                    trace,
                    stream,
                    class,
                    ts,
                } => {
                    let Some(name) = traces.get(&trace) else {
                        return Err(format!(
                            "malformed message: beacon for trace {trace} before its metadata"
                        ));
                    };
                    w.beacon(name, &stream, class, ts)?;
                }
                Frame::Complete(trace) => {
                    let Some(name) = traces.get(&trace) else {
                        return Err(format!("malformed message: unknown trace {trace} complete"));
                    };
                    beacon::remove_all(&w.dir.join(name));
                    w.complete.insert(name.clone());
                    w.write_marker()?;
                }
                Frame::End => {
                    *left = None;
                    w.end()?;
                    drop(w);
                    let _ = conn.write_all(&wire::encode(
                        wire::kind::ACK,
                        0,
                        &[&packets.to_be_bytes()],
                    ));
                    return Ok(format!(
                        "{host}/{session}: recording complete, {packets} packets"
                    ));
                }
                Frame::Keepalive => {
                    // Answered, so a target notices a link that died silently.
                    drop(w);
                    conn.write_all(&wire::encode(wire::kind::ACK, 0, &[&packets.to_be_bytes()]))
                        .map_err(|e| e.to_string())?;
                }
                f => return Err(format!("malformed message: {} from a target", name_of(&f))),
            }
        }
    }

    /// The session's writer, now owned by connection `id`; its marker says it is live.
    fn take_session(
        &self,
        host: &str,
        session: &str,
        id: u64,
        live_timer_us: u32,
    ) -> Result<Arc<Mutex<SessionWriter>>, String> {
        let key = (host.to_owned(), session.to_owned());
        let writer = lock(&self.sessions)
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Mutex::new(SessionWriter {
                    dir: self.root.join(host).join(session),
                    owner: id,
                    live_timer_us,
                    complete: BTreeSet::new(),
                    files: HashMap::new(),
                    ended: false,
                }))
            })
            .clone();
        {
            let mut w = lock(&writer);
            std::fs::create_dir_all(&w.dir).map_err(|e| format!("{}: {e}", w.dir.display()))?;
            w.owner = id;
            w.ended = false;
            w.live_timer_us = live_timer_us;
            // Files are reopened (and checked) by the new owner.
            w.files.clear();
            w.write_marker()?;
        }
        Ok(writer)
    }
}

fn name_of(f: &Frame) -> &'static str {
    match f {
        Frame::Hello { .. } => "Hello",
        Frame::Accepted => "Accepted",
        Frame::Refused(_) => "Refused",
        Frame::Metadata { .. } => "Metadata",
        Frame::Packet { .. } => "Packet",
        Frame::Complete(_) => "Complete",
        Frame::End => "End",
        Frame::Ack(_) => "Ack",
        Frame::Keepalive => "Keepalive",
        Frame::Beacon { .. } => "Beacon",
    }
}

/// The next frame; `None` at a clean end of stream between frames.
fn read_frame(conn: &mut TcpStream) -> Result<Option<Frame>, String> {
    let mut h = [0u8; wire::HEADER_LEN];
    match conn.read_exact(&mut h) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.to_string()),
    }
    let (kind, trace, len) =
        wire::parse_header(&h).map_err(|e| format!("malformed message: {e}"))?;
    let mut payload = vec![0u8; len];
    conn.read_exact(&mut payload)
        .map_err(|e| format!("frame kind {kind} cut short: {e}"))?;
    wire::decode(kind, trace, &payload)
        .map(Some)
        .map_err(|e| format!("malformed message: {e}"))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

impl SessionWriter {
    fn trace_dir(&self, name: &str) -> Result<PathBuf, String> {
        let d = self.dir.join(name);
        std::fs::create_dir_all(&d).map_err(io(&d))?;
        Ok(d)
    }

    /// Replaces a trace's metadata (side name, then rename: readers never see half of it).
    fn metadata(&mut self, trace: &str, text: &[u8]) -> Result<(), String> {
        let d = self.trace_dir(trace)?;
        let (tmp, path) = (d.join(".metadata.tmp"), d.join("metadata"));
        std::fs::write(&tmp, text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))
    }

    /// Appends one whole packet in one write.
    fn packet(&mut self, trace: &str, stream: &str, bytes: &[u8]) -> Result<(), String> {
        let key = (trace.to_owned(), stream.to_owned());
        if !self.files.contains_key(&key) {
            let path = self.trace_dir(trace)?.join(stream);
            let f = open_whole_packets(&path)?;
            self.files.insert(key.clone(), f);
        }
        let path = self.dir.join(trace).join(stream);
        let f = self.files.get_mut(&key).ok_or("no file")?;
        f.write_all(bytes).map_err(io(&path))
    }

    /// Replaces a stream's beacon; written after the packets that came before it (the write
    /// creates the directories it needs, so a beacon costs no mkdir).
    fn beacon(&mut self, trace: &str, stream: &str, class: u32, ts: u64) -> Result<(), String> {
        let b = Beacon {
            ts,
            class: u64::from(class),
        };
        let d = self.dir.join(trace);
        b.write(&d, stream)
            .map_err(io(&d.join(beacon::DIR).join(stream)))
    }

    /// The recorder's marker: this relay's pid (the session is live while the relay runs and
    /// the target has not ended it), the live timer, and the traces complete.
    fn write_marker(&self) -> Result<(), String> {
        let mut text = format!(
            "pid {}\nlive_timer_us {}\n",
            std::process::id(),
            self.live_timer_us
        );
        for c in &self.complete {
            text.push_str(&format!("complete {c}\n"));
        }
        let (tmp, path) = (self.dir.join(".live.tmp"), self.dir.join(LIVE_MARKER));
        std::fs::write(&tmp, text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))
    }

    /// The recording is over: every file is complete, so the marker goes.
    fn end(&mut self) -> Result<(), String> {
        self.ended = true;
        for f in self.files.values_mut() {
            let _ = f.flush();
        }
        for trace in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            beacon::remove_all(&trace.path());
        }
        self.files.clear();
        let path = self.dir.join(LIVE_MARKER);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&path)(e)),
            _ => Ok(()),
        }
    }
}

/// Opens a stream file for appending, first cutting off a packet left half-written (a relay
/// killed in the middle of a write) so what follows starts on a packet boundary.
fn open_whole_packets(path: &Path) -> Result<File, String> {
    let mut f = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)
        .map_err(io(path))?;
    let len = f.metadata().map_err(io(path))?.len();
    let mut at = 0u64;
    let mut prefix = [0u8; PACKET_PREFIX_LEN];
    while at < len {
        let whole = f.seek(SeekFrom::Start(at)).is_ok()
            && f.read_exact(&mut prefix).is_ok()
            && PacketInfo::decode(&prefix)
                .is_ok_and(|i| at + (PACKET_PREFIX_LEN + i.payload_len) as u64 <= len);
        if !whole {
            break;
        }
        let i = PacketInfo::decode(&prefix).map_err(|e| e.to_string())?;
        at += (PACKET_PREFIX_LEN + i.payload_len) as u64;
    }
    if at < len {
        eprintln!(
            "tracer-lsp relay: {}: cut {} bytes of a partial packet",
            path.display(),
            len - at
        );
        f.set_len(at).map_err(io(path))?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_written_packet_is_cut_before_appending() {
        let dir = std::env::temp_dir().join(format!("relay-targets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("chan_0");
        let info = PacketInfo {
            uuid: [1; 16],
            stream_id: 0,
            stream_instance_id: 0,
            timestamp_begin: 1,
            timestamp_end: 2,
            payload_len: 8,
            packet_seq_num: 0,
            events_discarded: 0,
            cpu_id: 0,
        };
        let mut whole = info.encode().to_vec();
        whole.extend_from_slice(&[0; 8]);
        let mut bytes = whole.clone();
        bytes.extend_from_slice(&whole[..50]);
        std::fs::write(&path, &bytes).unwrap();
        let mut f = open_whole_packets(&path).unwrap();
        f.write_all(&whole).unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 2 * whole.len());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
