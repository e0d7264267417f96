//! The target side: a bounded queue of frames and the thread that sends them to the relay.
//!
//! Producers (the consumers' [`StreamSink`]s) only lock the queue for a push: they never wait
//! on the network. The sender thread owns the connection; a second thread per connection reads
//! the relay's acknowledgements, so a packet counts as sent once the relay wrote it, and the
//! packets in flight when a link breaks count as dropped (a relay that dies after writing a
//! packet but before acknowledging it makes the count too high, never too low).

use super::wire::{self, kind, Frame};
use crate::error::Error;
use crate::sink::TraceSink;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Where and as what a recording streams.
#[derive(Clone, Debug)]
pub struct StreamTarget {
    /// The relay's targets address, `HOST:PORT`.
    pub addr: String,
    /// The host name the relay files the session under.
    pub host: String,
    /// The session name.
    pub session: String,
    /// The relay's shared secret (empty for none).
    pub token: String,
    /// Bytes the queue holds at most (default 64 MiB).
    pub queue_bytes: usize,
}

impl StreamTarget {
    /// A target with the default queue bound.
    pub fn new(addr: &str, host: &str, session: &str, token: &str) -> Self {
        StreamTarget {
            addr: addr.to_owned(),
            host: host.to_owned(),
            session: session.to_owned(),
            token: token.to_owned(),
            queue_bytes: 64 << 20,
        }
    }
}

/// What the streamer did so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// The relay's address.
    pub relay: String,
    /// Packets the relay acknowledged (written to its disk).
    pub sent_packets: u64,
    /// Packets dropped: queue full, link down, or in flight when the link broke.
    pub dropped_packets: u64,
    /// Connections made (more than one: the link was re-established).
    pub connections: u64,
    /// Connected now.
    pub connected: bool,
    /// The latest connection error or refusal.
    pub error: Option<String>,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const IO_TIMEOUT: Duration = Duration::from_secs(5);
const KEEPALIVE: Duration = Duration::from_secs(1);
/// A relay silent this long (it acknowledges every packet and keepalive) is taken for gone.
const SILENCE_LIMIT: Duration = Duration::from_secs(15);
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

enum Queued {
    /// Send trace `n`'s current metadata.
    Metadata(u32),
    /// An encoded packet frame.
    Packet(Vec<u8>),
    /// An encoded beacon frame (not a packet: neither acknowledged nor counted).
    Beacon(Vec<u8>),
    Complete(u32),
    End,
    Keepalive,
}

struct Trace {
    name: String,
    metadata: Option<Arc<Vec<u8>>>,
    /// A `Queued::Metadata` for this trace is waiting (a newer text needs no second one).
    metadata_queued: bool,
    complete: bool,
}

struct State {
    queue: VecDeque<Queued>,
    queued_bytes: usize,
    link_up: bool,
    traces: Vec<Trace>,
    stats: StreamStats,
    ending: bool,
    /// The sender thread has exited.
    finished: bool,
}

impl State {
    /// Drops everything queued (the link is gone); the packets count as dropped.
    fn drop_queue(&mut self) {
        for q in self.queue.drain(..) {
            match q {
                Queued::Packet(_) => self.stats.dropped_packets += 1,
                Queued::Metadata(t) => self.traces[t as usize].metadata_queued = false,
                Queued::Beacon(_) | Queued::Complete(_) | Queued::End | Queued::Keepalive => {}
            }
        }
        self.queued_bytes = 0;
    }
}

struct Shared {
    target: StreamTarget,
    live_timer_us: u32,
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A recording's link to a relay.
pub struct Streamer {
    shared: Arc<Shared>,
}

impl Streamer {
    /// Connects once (at most a few seconds, so the first packets of a short program are not
    /// lost to a connection still being made), then keeps the link in a thread. A relay that
    /// cannot be reached is not an error: the recording goes on, retrying, and counts drops.
    pub fn start(target: StreamTarget, live_timer_us: u32) -> Result<Streamer, Error> {
        let shared = Arc::new(Shared {
            live_timer_us,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                queued_bytes: 0,
                link_up: false,
                traces: Vec::new(),
                stats: StreamStats {
                    relay: target.addr.clone(),
                    ..StreamStats::default()
                },
                ending: false,
                finished: false,
            }),
            target,
            wake: Condvar::new(),
        });
        let first = connect(&shared);
        let s = shared.clone();
        std::thread::Builder::new()
            .name("tracer-stream".into())
            .spawn(move || run(s, first))
            .map_err(crate::error::io_at("<stream thread>"))?;
        Ok(Streamer { shared })
    }

    /// A sink for a new trace named `name` (its directory name on the relay).
    pub(crate) fn sink(&self, name: &str) -> Box<dyn TraceSink> {
        let mut st = self.shared.state();
        st.traces.push(Trace {
            name: name.to_owned(),
            metadata: None,
            metadata_queued: false,
            complete: false,
        });
        Box::new(StreamSink {
            shared: self.shared.clone(),
            trace: (st.traces.len() - 1) as u32,
        })
    }

    /// What was sent and dropped so far.
    pub fn stats(&self) -> StreamStats {
        self.shared.state().stats.clone()
    }

    /// Sends the end of the recording and waits at most `limit` for the queue to drain and
    /// the relay to acknowledge it; what could not be sent counts as dropped.
    pub fn finish(&self, limit: Duration) -> StreamStats {
        let t = Instant::now();
        let mut st = self.shared.state();
        if !st.ending {
            st.ending = true;
            if st.link_up {
                st.queue.push_back(Queued::End);
            }
            self.shared.wake.notify_all();
        }
        while !st.finished {
            let left = limit.saturating_sub(t.elapsed());
            if left.is_zero() {
                // The relay is too slow: what is still queued will not be sent. (A frame
                // being written now is only counted once its connection ends.)
                st.drop_queue();
                break;
            }
            st = self
                .shared
                .wake
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        drop(st);
        self.stats()
    }
}

/// One trace's sink: pushes to the streamer's queue, never blocks, never fails.
pub(crate) struct StreamSink {
    shared: Arc<Shared>,
    trace: u32,
}

impl TraceSink for StreamSink {
    fn metadata(&mut self, text: &[u8]) -> Result<(), Error> {
        let mut st = self.shared.state();
        let link_up = st.link_up;
        let t = &mut st.traces[self.trace as usize];
        t.metadata = Some(Arc::new(text.to_vec()));
        // Sent at the next connection when the link is down; one queued entry sends the latest.
        if link_up && !t.metadata_queued {
            t.metadata_queued = true;
            st.queue.push_back(Queued::Metadata(self.trace));
            self.shared.wake.notify_all();
        }
        Ok(())
    }

    fn packet(&mut self, stream: &str, prefix: &[u8], payload: &[u8]) -> Result<(), Error> {
        let name = wire::string(stream);
        let len = wire::HEADER_LEN + name.len() + prefix.len() + payload.len();
        let mut st = self.shared.state();
        let fits = len - wire::HEADER_LEN <= wire::MAX_PAYLOAD
            && st.queued_bytes + len <= self.shared.target.queue_bytes;
        if !st.link_up || st.ending || !fits {
            st.stats.dropped_packets += 1;
            return Ok(());
        }
        let frame = wire::encode(kind::PACKET, self.trace, &[&name, prefix, payload]);
        st.queued_bytes += frame.len();
        st.queue.push_back(Queued::Packet(frame));
        self.shared.wake.notify_all();
        Ok(())
    }

    /// Queued behind the stream's packets, so the relay writes it after them. Skipped when
    /// the link is down or the queue is full: a beacon is only news, a later one replaces it.
    fn beacon(&mut self, stream: &str, class: u32, ts: u64) -> Result<(), Error> {
        let frame = wire::beacon(self.trace, stream, class, ts);
        let mut st = self.shared.state();
        if !st.link_up
            || st.ending
            || st.queued_bytes + frame.len() > self.shared.target.queue_bytes
        {
            return Ok(());
        }
        st.queued_bytes += frame.len();
        st.queue.push_back(Queued::Beacon(frame));
        self.shared.wake.notify_all();
        Ok(())
    }

    fn complete(&mut self) {
        let mut st = self.shared.state();
        st.traces[self.trace as usize].complete = true;
        if st.link_up {
            st.queue.push_back(Queued::Complete(self.trace));
            self.shared.wake.notify_all();
        }
    }
}

/// Connects and says hello; `Err` carries why, and whether retrying is pointless (refused).
fn connect(shared: &Shared) -> Result<TcpStream, (String, bool)> {
    let t = &shared.target;
    let addrs = t
        .addr
        .to_socket_addrs()
        .map_err(|e| (format!("{}: {e}", t.addr), false))?;
    let mut last = format!("{}: no address", t.addr);
    for a in addrs {
        match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
            Ok(mut s) => {
                let hello = wire::hello(shared.live_timer_us, &t.host, &t.session, &t.token);
                let _ = s.set_nodelay(true);
                let _ = s.set_write_timeout(Some(IO_TIMEOUT));
                let _ = s.set_read_timeout(Some(IO_TIMEOUT));
                s.write_all(&hello)
                    .map_err(|e| (format!("{a}: {e}"), false))?;
                return match read_frame(&mut s) {
                    Ok(Frame::Accepted) => Ok(s),
                    Ok(Frame::Refused(why)) => Err((format!("relay {a} refused: {why}"), true)),
                    Ok(f) => Err((format!("relay {a} answered {f:?}"), false)),
                    Err(e) => Err((format!("relay {a}: {e}"), false)),
                };
            }
            Err(e) => last = format!("{a}: {e}"),
        }
    }
    Err((last, false))
}

fn read_frame(s: &mut impl Read) -> Result<Frame, String> {
    let mut h = [0u8; wire::HEADER_LEN];
    s.read_exact(&mut h).map_err(|e| e.to_string())?;
    let (k, trace, len) = wire::parse_header(&h)?;
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload).map_err(|e| e.to_string())?;
    wire::decode(k, trace, &payload)
}

/// The sender thread: connection, sending, reconnection with backoff.
fn run(shared: Arc<Shared>, first: Result<TcpStream, (String, bool)>) {
    let mut attempt = Some(first);
    let mut backoff = MIN_BACKOFF;
    loop {
        let result = attempt.take().unwrap_or_else(|| connect(&shared));
        match result {
            Ok(conn) => {
                backoff = MIN_BACKOFF;
                if pump(&shared, conn) {
                    break;
                }
            }
            Err((why, refused)) => {
                shared.state().stats.error = Some(why);
                if refused {
                    break;
                }
            }
        }
        let st = shared.state();
        if st.ending {
            break;
        }
        let (st, _) = shared
            .wake
            .wait_timeout_while(st, backoff, |st| !st.ending)
            .unwrap_or_else(|e| e.into_inner());
        if st.ending {
            break;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    let mut st = shared.state();
    st.link_up = false;
    st.stats.connected = false;
    st.drop_queue();
    st.finished = true;
    shared.wake.notify_all();
}

/// What one connection's reader thread saw.
struct Acks {
    acked: AtomicU64,
    closed: AtomicBool,
    /// When the relay last said something.
    heard: Mutex<Instant>,
}

/// Sends the queue over `conn` until the link breaks (returns false) or the recording ended
/// (returns true).
fn pump(shared: &Arc<Shared>, mut conn: TcpStream) -> bool {
    let acks = Arc::new(Acks {
        acked: AtomicU64::new(0),
        closed: AtomicBool::new(false),
        heard: Mutex::new(Instant::now()),
    });
    let reader = conn.try_clone().map(|mut r| {
        let (a, s) = (acks.clone(), shared.clone());
        let _ = r.set_read_timeout(None);
        std::thread::Builder::new()
            .name("tracer-stream-acks".into())
            .spawn(move || {
                while let Ok(Frame::Ack(n)) = read_frame(&mut r) {
                    a.acked.store(n, Release);
                    *a.heard.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                }
                a.closed.store(true, Release);
                let _ = r.shutdown(Shutdown::Both);
                let _st = s.state();
                s.wake.notify_all();
            })
    });
    if !matches!(reader, Ok(Ok(_))) {
        return false;
    }
    {
        // Everything the relay needs before new packets: each trace's latest metadata, and
        // which traces are already complete. The queue is empty while the link is down.
        let mut st = shared.state();
        let mut resend = Vec::new();
        for (i, t) in st.traces.iter_mut().enumerate() {
            if t.metadata.is_some() {
                t.metadata_queued = true;
                resend.push(Queued::Metadata(i as u32));
            }
            if t.complete {
                resend.push(Queued::Complete(i as u32));
            }
        }
        st.queue.extend(resend);
        if st.ending {
            st.queue.push_back(Queued::End);
        }
        st.link_up = true;
        st.stats.connected = true;
        st.stats.connections += 1;
        st.stats.error = None;
    }
    let mut sent = 0u64;
    let mut credited = 0u64;
    let mut ended: Option<Instant> = None;
    let ok = loop {
        // Credit acknowledged packets.
        let acked = acks.acked.load(Acquire).min(sent);
        if acked > credited {
            shared.state().stats.sent_packets += acked - credited;
            credited = acked;
        }
        if let Some(t) = ended {
            // After End the relay acknowledges everything and closes.
            if acks.closed.load(Acquire) || t.elapsed() > IO_TIMEOUT {
                break true;
            }
        }
        let mut st = shared.state();
        let next = loop {
            if ended.is_some() {
                st = shared
                    .wake
                    .wait_timeout(st, Duration::from_millis(20))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                break Some(None);
            }
            if acks.closed.load(Acquire) {
                break None;
            }
            if let Some(q) = st.queue.pop_front() {
                break Some(Some(q));
            }
            let (s, timeout) = shared
                .wake
                .wait_timeout(st, KEEPALIVE)
                .unwrap_or_else(|e| e.into_inner());
            st = s;
            let heard = *acks.heard.lock().unwrap_or_else(|e| e.into_inner());
            if heard.elapsed() > SILENCE_LIMIT {
                st.stats.error = Some(format!(
                    "{}: no answer for {} s",
                    shared.target.addr,
                    SILENCE_LIMIT.as_secs()
                ));
                break None;
            }
            if timeout.timed_out() && st.queue.is_empty() {
                break Some(Some(Queued::Keepalive));
            }
        };
        let Some(next) = next else {
            break false;
        };
        let Some(item) = next else {
            continue;
        };
        let frame = match item {
            Queued::Metadata(t) => {
                let tr = &mut st.traces[t as usize];
                tr.metadata_queued = false;
                let text = tr.metadata.clone().unwrap_or_default();
                let name = wire::string(&tr.name);
                wire::encode(kind::METADATA, t, &[&name, &text])
            }
            Queued::Keepalive => wire::encode(kind::KEEPALIVE, 0, &[]),
            Queued::Packet(f) => {
                st.queued_bytes -= f.len();
                sent += 1;
                f
            }
            Queued::Beacon(f) => {
                st.queued_bytes -= f.len();
                f
            }
            Queued::Complete(t) => wire::encode(kind::COMPLETE, t, &[]),
            Queued::End => {
                ended = Some(Instant::now());
                wire::encode(kind::END, 0, &[])
            }
        };
        drop(st);
        if let Err(e) = conn.write_all(&frame) {
            shared.state().stats.error = Some(format!("{}: {e}", shared.target.addr));
            break false;
        }
    };
    let _ = conn.shutdown(Shutdown::Both);
    // Wait for the reader to see the end (bounded by its socket closing).
    let t = Instant::now();
    while !acks.closed.load(Acquire) && t.elapsed() < IO_TIMEOUT {
        std::thread::sleep(Duration::from_millis(5));
    }
    let acked = acks.acked.load(Acquire).min(sent);
    let mut st = shared.state();
    st.stats.sent_packets += acked.saturating_sub(credited);
    st.stats.dropped_packets += sent - acked;
    st.link_up = false;
    st.stats.connected = false;
    if !ok {
        st.drop_queue();
        if st.stats.error.is_none() {
            st.stats.error = Some(format!("{}: connection lost", shared.target.addr));
        }
    }
    ok
}
