//! The traced program's side of a remote recording: connects to the recorder named by
//! `TRACER_SESSION` once per process, creates the recording's channels in shared memory, and
//! keeps a thread that sends new streams and applies rule changes.
//!
//! The connection happens on the first tracepoint hit (or the C library's constructor), on that
//! thread, waiting at most `TRACER_REGISTER_TIMEOUT_MS` (3 s) for the recorder — like LTTng-UST,
//! so the program's first events are recorded. Every failure leaves the program untraced and
//! running: no recorder, a refused registration, a recorder that dies (the agent thread sees
//! the socket close and takes the channels away, so the probes cost a branch again).
//!
//! `fork`: the child shares its parent's mappings, so it must never write them. An atfork
//! handler takes the tracer's locks around the fork; in the child it drops the recording
//! without touching shared memory (writers check their pid before sealing), detaches the class
//! log and marks every call site unregistered, so the child's first hit connects it as a
//! process of its own.

use super::log::ClassLog;
use super::proto::{Message, Socket};
use super::{PROTOCOL_VERSION, REGISTER_TIMEOUT_ENV, SESSION_ENV};
use crate::locks::{lock, lock_from_tracepoint};
use crate::registry;
use crate::ringbuffer::Stream;
use crate::session::{self, Channel, StreamSink};
use std::cell::RefCell;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering::*};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

/// The pid the last connection attempt was made for (a forked child differs).
static ATTEMPTED_PID: AtomicU32 = AtomicU32::new(0);
/// Serializes connection attempts; first in the tracer's lock order.
static INIT: Mutex<()> = Mutex::new(());
/// The live connection of this process.
static AGENT: Mutex<Option<Agent>> = Mutex::new(None);

#[derive(Debug)]
struct Agent {
    socket: Arc<Socket>,
    /// Their stream sinks hold the queue and its eventfd.
    channels: Vec<Arc<Channel>>,
}

/// Streams created by tracepoints, waiting for the agent thread to send them.
#[derive(Debug)]
struct StreamQueue {
    pending: Mutex<Vec<(u32, Arc<Stream>)>>,
    /// Counts the streams, in queue order.
    log: Arc<ClassLog>,
    /// Non-blocking eventfd the agent thread polls.
    wake: OwnedFd,
}

impl StreamSink for StreamQueue {
    fn announce(&self, channel: u32, stream: &Arc<Stream>) {
        let mut pending = lock(&self.pending);
        self.log.count_stream();
        pending.push((channel, stream.clone()));
        drop(pending);
        let one = 1u64.to_ne_bytes();
        // SAFETY: an 8-byte write to our eventfd; a full counter (EAGAIN) already means
        // "wake up", so the result is not needed.
        unsafe { libc::write(self.wake.as_raw_fd(), one.as_ptr().cast(), 8) };
    }
}

impl StreamQueue {
    /// Sends every pending stream; false when the socket is gone.
    fn flush(&self, socket: &Socket) -> bool {
        let pending = std::mem::take(&mut *lock(&self.pending));
        for (channel, stream) in pending {
            let Some(fd) = stream.ring.shared_fd() else {
                continue;
            };
            let m = Message::Stream {
                channel,
                stream: stream.id,
            };
            if socket.send(&m, &[fd], false).is_err() {
                return false;
            }
        }
        true
    }
}

/// Connects this process to the recorder named by `TRACER_SESSION`, once per process (a
/// forked child connects again). Called by every call-site registration before it takes a
/// lock; returns at once when the attempt was made already.
pub fn ensure_connected() {
    let pid = std::process::id();
    if ATTEMPTED_PID.load(Acquire) == pid {
        return;
    }
    // A signal handler that interrupted a connection attempt of its own thread skips it.
    let Some(_init) = lock_from_tracepoint(&INIT) else {
        return;
    };
    if ATTEMPTED_PID.load(Acquire) == pid {
        return;
    }
    ATTEMPTED_PID.store(pid, Release);
    let Some(path) = std::env::var_os(SESSION_ENV) else {
        return;
    };
    if let Err(why) = connect(std::path::Path::new(&path)) {
        eprintln!(
            "tracer: not recording (recorder at {}: {why})",
            std::path::Path::new(&path).display()
        );
    }
}

fn timeout() -> Duration {
    let ms = std::env::var(REGISTER_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000u64);
    Duration::from_millis(ms)
}

fn set_recv_timeout(s: &Socket, t: Duration) {
    let tv = libc::timeval {
        tv_sec: t.as_secs() as libc::time_t,
        tv_usec: t.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: setsockopt with a valid timeval.
    unsafe {
        libc::setsockopt(
            s.0.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
}

fn procname() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .map(|s| s.trim_end().to_owned())
        .unwrap_or_else(|_| "program".to_owned())
}

fn connect(path: &std::path::Path) -> Result<(), String> {
    let socket = Socket::connect(path).map_err(|e| e.to_string())?;
    let log = Arc::new(ClassLog::create().map_err(|e| format!("shared memory: {e}"))?);
    let notifier = Arc::new(log.notifier().ok_or("shared futex")?);
    let clock = match crate::clock::trace_clock().source {
        crate::clock::ClockSource::Tsc => 0,
        crate::clock::ClockSource::Monotonic => 1,
    };
    let hello = Message::Hello {
        version: PROTOCOL_VERSION,
        pid: std::process::id(),
        // SAFETY: getppid has no preconditions.
        ppid: unsafe { libc::getppid() } as u32,
        procname: procname(),
        clock,
    };
    let log_fd = log.mapping().fd().ok_or("control memfd")?;
    socket
        .send(&hello, &[log_fd], false)
        .map_err(|e| e.to_string())?;
    set_recv_timeout(&socket, timeout());
    let channels = match socket.recv() {
        Ok(Some((Message::Setup { channels }, _))) => channels,
        Ok(Some((Message::Refused { reason }, _))) => return Err(format!("refused: {reason}")),
        Ok(Some(_)) => return Err("unexpected answer".into()),
        Ok(None) => return Err("the recorder closed the connection".into()),
        Err(e) => return Err(e.to_string()),
    };
    set_recv_timeout(&socket, Duration::ZERO);

    // SAFETY: eventfd(2) with constant flags.
    let efd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if efd < 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    let queue = Arc::new(StreamQueue {
        pending: Mutex::new(Vec::new()),
        log: log.clone(),
        // SAFETY: fresh descriptor.
        wake: unsafe { OwnedFd::from_raw_fd(efd) },
    });
    {
        // Every schema registered so far goes to the log before the channels exist; the ones
        // registered later are appended by `register_with` under the same lock.
        let mut reg = registry::registry();
        for c in &reg.classes {
            if !log.append(&c.schema) {
                return Err("too many event classes for the shared log".into());
            }
        }
        reg.log = Some(log);
    }
    let chans = session::add_remote_channels(&channels, notifier, queue.clone())
        .map_err(|e| e.to_string())?;
    let socket = Arc::new(socket);
    if !queue.flush(&socket) {
        return Err("the recorder went away".into());
    }
    static ATFORK: Once = Once::new();
    ATFORK.call_once(|| {
        // SAFETY: the handlers are `extern "C"` functions that live for the whole program.
        unsafe {
            libc::pthread_atfork(
                Some(before_fork),
                Some(after_fork_parent),
                Some(after_fork_child),
            )
        };
    });
    *lock(&AGENT) = Some(Agent {
        socket: socket.clone(),
        channels: chans.clone(),
    });
    for c in &chans {
        session::set_channel_rules(c, None, true);
    }
    let spawned = std::thread::Builder::new()
        .name("tracer-agent".into())
        .spawn(move || serve(socket, chans, queue));
    if let Err(e) = spawned {
        disconnect();
        return Err(format!("agent thread: {e}"));
    }
    Ok(())
}

/// The agent thread: sends new streams, applies rules, and disconnects when the recorder
/// goes away.
fn serve(socket: Arc<Socket>, channels: Vec<Arc<Channel>>, queue: Arc<StreamQueue>) {
    // Here, not on the program's first hit: registering for the recorder's barriers waits for
    // an RCU grace period (~15 ms in a threaded program). Until it is done the recorder gives
    // this program's streams no beacons.
    if crate::membarrier::register() {
        queue.log.set_fenced();
    }
    loop {
        let mut fds = [
            libc::pollfd {
                fd: socket.0.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: queue.wake.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: poll on two valid pollfds.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        if fds[1].revents != 0 {
            let mut buf = [0u8; 8];
            // SAFETY: reading the eventfd counter into an 8-byte buffer.
            unsafe { libc::read(queue.wake.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
            if !queue.flush(&socket) {
                break;
            }
        }
        if fds[0].revents != 0 {
            match socket.recv() {
                Ok(Some((
                    Message::Rules {
                        channel,
                        rules,
                        excluded,
                        active,
                    },
                    _,
                ))) => {
                    if let Some(c) = channels.get(channel as usize) {
                        session::set_channel_rules(c, Some((rules, excluded)), active);
                    }
                }
                // Anything else from a recorder is ignored; a broken socket ends the
                // recording for this process.
                Ok(Some(_)) => {}
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
    disconnect();
}

/// Ends this process's recording: the channels leave the table (their sites stop recording)
/// and new registrations no longer go to the shared log.
fn disconnect() {
    let Some(agent) = lock(&AGENT).take() else {
        return;
    };
    {
        let mut table = session::channel_table();
        session::remove_channels(&mut table, &agent.channels);
        table.recompute_masks();
    }
    registry::registry().log = None;
    agent.socket.shutdown();
}

thread_local! {
    /// The locks `before_fork` took, released after the fork in parent and child.
    static FORK_LOCKS: RefCell<Vec<Box<dyn std::any::Any>>> = const { RefCell::new(Vec::new()) };
}

extern "C" fn before_fork() {
    // The lock order: connection attempts, agent state, channel table, registry.
    let init = lock(&INIT);
    let agent = lock(&AGENT);
    let table = session::channel_table();
    let reg = registry::registry();
    let _ = FORK_LOCKS.try_with(|l| {
        let mut l = l.borrow_mut();
        l.push(Box::new(init));
        l.push(Box::new(agent));
        l.push(Box::new(table));
        l.push(Box::new(reg));
    });
}

fn release_fork_locks() {
    let _ = FORK_LOCKS.try_with(|l| {
        let mut l = l.borrow_mut();
        // Release in reverse order of acquisition.
        while l.pop().is_some() {}
    });
}

extern "C" fn after_fork_parent() {
    release_fork_locks();
}

extern "C" fn after_fork_child() {
    let _ = FORK_LOCKS.try_with(|l| {
        let mut l = l.borrow_mut();
        let mut reg = l.pop();
        let mut table = l.pop();
        let mut agent = l.pop();
        if let (Some(reg), Some(table), Some(agent)) = (&mut reg, &mut table, &mut agent) {
            let reg = reg.downcast_mut::<registry::RegistryGuard>();
            let table = table.downcast_mut::<crate::locks::Held<'static, session::ChannelTable>>();
            let agent = agent.downcast_mut::<crate::locks::Held<'static, Option<Agent>>>();
            if let (Some(reg), Some(table), Some(agent)) = (reg, table, agent) {
                if let Some(a) = agent.take() {
                    session::remove_channels(table, &a.channels);
                    // Dropping closes this child's copies of the socket and eventfd; the
                    // mappings are unmapped from the child only.
                    drop(a);
                }
                reg.log = None;
                reg.mark_all_unregistered();
            }
        }
        drop(reg);
        drop(table);
        drop(agent);
        while l.pop().is_some() {}
    });
}
