//! The socket protocol between a traced program and its recorder: `SOCK_SEQPACKET` messages
//! (one `sendmsg` is one message, so threads never interleave bytes) that carry descriptors
//! with `SCM_RIGHTS`.
//!
//! ```text
//! program                                   recorder
//! Hello{pid, procname, clock} + control fd  ──▶
//!                                           ◀──  Setup{channels with rules} | Refused{why}
//! Stream{channel, id} + stream memfd        ──▶  (any time a stream is created)
//!                                           ◀──  Rules{channel, rules, active} (any time)
//! EOF (exit, crash)                         ──▶  the recorder drains what was committed
//! ```
//!
//! Messages are small and little-endian; decoding refuses anything malformed.

use crate::codec::{Dec, Enc};
use crate::ringbuffer::config::{ChannelConfig, Mode};
use crate::session::EventRule;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// Largest message.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// What a channel of a recording looks like to a program.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelSetup {
    /// Stream files are `NAME_N`.
    pub name: String,
    /// Ring shape and mode (timers are the recorder's business).
    pub config: ChannelConfig,
    /// Enabled events.
    pub rules: Vec<EventRule>,
    /// Events excluded from wildcard rules.
    pub excluded: Vec<String>,
}

/// One protocol message.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// Program → recorder, with the control memfd.
    Hello {
        /// [`super::PROTOCOL_VERSION`].
        version: u32,
        /// The program's pid (the recorder also checks the peer credentials).
        pid: u32,
        /// Its parent (set for forked children).
        ppid: u32,
        /// `/proc/self/comm`-style name.
        procname: String,
        /// 0 = TSC, 1 = CLOCK_MONOTONIC: must match the recorder's clock.
        clock: u8,
    },
    /// Recorder → program: the channels to create.
    Setup {
        /// Channel descriptions, in stream-class order.
        channels: Vec<ChannelSetup>,
    },
    /// Recorder → program: registration refused (the program runs untraced).
    Refused {
        /// Why, for the program's stderr.
        reason: String,
    },
    /// Program → recorder, with the stream's memfd.
    Stream {
        /// Channel index in the setup.
        channel: u32,
        /// `stream_instance_id` within the channel.
        stream: u64,
    },
    /// Recorder → program: new rules for a channel, and whether it records.
    Rules {
        /// Channel index.
        channel: u32,
        /// The channel's rules now.
        rules: Vec<EventRule>,
        /// Events excluded from wildcard rules.
        excluded: Vec<String>,
        /// False stops recording in the channel.
        active: bool,
    },
}

fn put_rules(e: &mut Enc<'_>, rules: &[EventRule], excluded: &[String]) {
    e.u32(rules.len() as u32);
    for r in rules {
        e.str(&r.pattern);
        e.u32(r.max_level.map_or(u32::MAX, |l| l as u32));
    }
    e.u32(excluded.len() as u32);
    for x in excluded {
        e.str(x);
    }
}

fn get_rules(d: &mut Dec<'_>) -> Option<(Vec<EventRule>, Vec<String>)> {
    let mut rules = Vec::new();
    for _ in 0..d.count()? {
        let pattern = d.str()?;
        let level = d.u32()?;
        let mut r = EventRule::new(&pattern);
        if level != u32::MAX {
            r = r.max_level(crate::registry::LogLevel::from_u32(level)?);
        }
        rules.push(r);
    }
    let mut excluded = Vec::new();
    for _ in 0..d.count()? {
        excluded.push(d.str()?);
    }
    Some((rules, excluded))
}

impl Message {
    /// The message's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Enc(&mut out);
        match self {
            Message::Hello {
                version,
                pid,
                ppid,
                procname,
                clock,
            } => {
                e.u8(1);
                e.u32(*version);
                e.u32(*pid);
                e.u32(*ppid);
                e.str(procname);
                e.u8(*clock);
            }
            Message::Setup { channels } => {
                e.u8(2);
                e.u32(channels.len() as u32);
                for c in channels {
                    e.str(&c.name);
                    e.u64(c.config.subbuf_size as u64);
                    e.u64(c.config.subbuf_count as u64);
                    e.u8(u8::from(c.config.mode == Mode::Overwrite));
                    e.u32(c.config.prealloc_streams as u32);
                    put_rules(&mut e, &c.rules, &c.excluded);
                }
            }
            Message::Refused { reason } => {
                e.u8(3);
                e.str(reason);
            }
            Message::Stream { channel, stream } => {
                e.u8(4);
                e.u32(*channel);
                e.u64(*stream);
            }
            Message::Rules {
                channel,
                rules,
                excluded,
                active,
            } => {
                e.u8(5);
                e.u32(*channel);
                put_rules(&mut e, rules, excluded);
                e.u8(u8::from(*active));
            }
        }
        out
    }

    /// Reads a message; `None` when malformed.
    pub fn decode(b: &[u8]) -> Option<Message> {
        let mut d = Dec::new(b);
        let m = match d.u8()? {
            1 => Message::Hello {
                version: d.u32()?,
                pid: d.u32()?,
                ppid: d.u32()?,
                procname: d.str()?,
                clock: d.u8()?,
            },
            2 => {
                let mut channels = Vec::new();
                for _ in 0..d.count()? {
                    let name = d.str()?;
                    let config = ChannelConfig {
                        subbuf_size: usize::try_from(d.u64()?).ok()?,
                        subbuf_count: usize::try_from(d.u64()?).ok()?,
                        mode: if d.u8()? != 0 {
                            Mode::Overwrite
                        } else {
                            Mode::Discard
                        },
                        prealloc_streams: d.u32()? as usize,
                        ..ChannelConfig::default()
                    };
                    let (rules, excluded) = get_rules(&mut d)?;
                    channels.push(ChannelSetup {
                        name,
                        config,
                        rules,
                        excluded,
                    });
                }
                Message::Setup { channels }
            }
            3 => Message::Refused { reason: d.str()? },
            4 => Message::Stream {
                channel: d.u32()?,
                stream: d.u64()?,
            },
            5 => {
                let channel = d.u32()?;
                let (rules, excluded) = get_rules(&mut d)?;
                Message::Rules {
                    channel,
                    rules,
                    excluded,
                    active: d.u8()? != 0,
                }
            }
            _ => return None,
        };
        d.done().then_some(m)
    }
}

/// A connected `SOCK_SEQPACKET` socket.
#[derive(Debug)]
pub struct Socket(pub OwnedFd);

const MAX_FDS: usize = 4;

impl Socket {
    /// Connects to the recorder listening at `path`.
    pub fn connect(path: &std::path::Path) -> io::Result<Socket> {
        let fd = socket()?;
        let (addr, len) = sockaddr(path)?;
        // SAFETY: `addr` is a valid sockaddr_un of `len` bytes.
        let r = unsafe {
            libc::connect(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_un).cast(),
                len,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Socket(fd))
    }

    /// Sends one message with `fds`; never raises SIGPIPE. `nonblocking` returns `WouldBlock`
    /// instead of waiting for room.
    pub fn send(&self, m: &Message, fds: &[BorrowedFd<'_>], nonblocking: bool) -> io::Result<()> {
        let bytes = m.encode();
        let mut iov = libc::iovec {
            iov_base: bytes.as_ptr() as *mut libc::c_void,
            iov_len: bytes.len(),
        };
        let mut cmsg_buf = [0u64; 8];
        // SAFETY: zeroed msghdr, then every pointer set to live buffers of the given sizes.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !fds.is_empty() {
            let fds = &fds[..fds.len().min(MAX_FDS)];
            // SAFETY: CMSG_SPACE is a pure computation.
            let space = unsafe { libc::CMSG_SPACE((fds.len() * 4) as u32) } as usize;
            msg.msg_control = cmsg_buf.as_mut_ptr().cast();
            msg.msg_controllen = space;
            // SAFETY: msg_control points to `space <= 64` bytes we own; CMSG_FIRSTHDR and
            // CMSG_DATA stay inside it.
            unsafe {
                let c = libc::CMSG_FIRSTHDR(&msg);
                (*c).cmsg_level = libc::SOL_SOCKET;
                (*c).cmsg_type = libc::SCM_RIGHTS;
                (*c).cmsg_len = libc::CMSG_LEN((fds.len() * 4) as u32) as usize;
                let data = libc::CMSG_DATA(c).cast::<RawFd>();
                for (i, fd) in fds.iter().enumerate() {
                    data.add(i).write_unaligned(fd.as_raw_fd());
                }
            }
        }
        let mut flags = libc::MSG_NOSIGNAL;
        if nonblocking {
            flags |= libc::MSG_DONTWAIT;
        }
        loop {
            // SAFETY: `msg` describes live buffers.
            let n = unsafe { libc::sendmsg(self.0.as_raw_fd(), &msg, flags) };
            if n >= 0 {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Receives one message and the descriptors it carries. `Ok(None)` at end of stream.
    /// A message that does not decode is an `InvalidData` error (its descriptors are closed).
    pub fn recv(&self) -> io::Result<Option<(Message, Vec<OwnedFd>)>> {
        let mut buf = vec![0u8; MAX_MESSAGE];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        let mut cmsg_buf = [0u64; 16];
        // SAFETY: zeroed msghdr pointing to our buffers.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cmsg_buf.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&cmsg_buf);
        let n = loop {
            // SAFETY: as above; MSG_CMSG_CLOEXEC so received descriptors do not leak to
            // programs we start.
            let n = unsafe { libc::recvmsg(self.0.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
            if n >= 0 {
                break n as usize;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        };
        let mut fds = Vec::new();
        // SAFETY: walking the control messages the kernel wrote into `cmsg_buf`.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                    let data = libc::CMSG_DATA(c).cast::<RawFd>();
                    let count = ((*c).cmsg_len - libc::CMSG_LEN(0) as usize) / 4;
                    for i in 0..count {
                        fds.push(OwnedFd::from_raw_fd(data.add(i).read_unaligned()));
                    }
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
        if n == 0 && fds.is_empty() {
            return Ok(None);
        }
        if msg.msg_flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "message or descriptors cut short",
            ));
        }
        match Message::decode(&buf[..n]) {
            Some(m) => Ok(Some((m, fds))),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "malformed message",
            )),
        }
    }

    /// The peer's (pid, uid) from `SO_PEERCRED`.
    pub fn peer(&self) -> io::Result<(u32, u32)> {
        // SAFETY: getsockopt writes at most `len` bytes into `cred`.
        let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
        // SAFETY: as above.
        let r = unsafe {
            libc::getsockopt(
                self.0.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                (&mut cred as *mut libc::ucred).cast(),
                &mut len,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok((cred.pid as u32, cred.uid))
    }

    /// Wakes a thread blocked in [`Socket::recv`] on this socket (it then sees end of stream).
    pub fn shutdown(&self) {
        // SAFETY: shutdown on our descriptor.
        unsafe { libc::shutdown(self.0.as_raw_fd(), libc::SHUT_RDWR) };
    }
}

fn socket() -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2).
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn sockaddr(path: &std::path::Path) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: zeroed sockaddr_un is valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let p = path.as_os_str().as_bytes();
    if p.len() >= addr.sun_path.len() {
        return Err(io::Error::other(format!(
            "socket path too long: {}",
            path.display()
        )));
    }
    for (d, s) in addr.sun_path.iter_mut().zip(p) {
        *d = *s as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + p.len() + 1;
    Ok((addr, len as libc::socklen_t))
}

/// A listening `SOCK_SEQPACKET` socket.
#[derive(Debug)]
pub struct Listener(OwnedFd);

impl Listener {
    /// Listens at `path` (which must not exist).
    pub fn bind(path: &std::path::Path) -> io::Result<Listener> {
        let fd = socket()?;
        let (addr, len) = sockaddr(path)?;
        // SAFETY: valid sockaddr of `len` bytes; plain syscalls on our descriptor.
        unsafe {
            if libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_un).cast(),
                len,
            ) != 0
                || libc::listen(fd.as_raw_fd(), 64) != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(Listener(fd))
    }

    /// Waits for the next program. `Err` after [`Listener::shutdown`].
    pub fn accept(&self) -> io::Result<Socket> {
        loop {
            // SAFETY: accept4 without an address.
            let fd = unsafe {
                libc::accept4(
                    self.0.as_raw_fd(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    libc::SOCK_CLOEXEC,
                )
            };
            if fd >= 0 {
                // SAFETY: fresh descriptor.
                return Ok(Socket(unsafe { OwnedFd::from_raw_fd(fd) }));
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Makes a blocked [`Listener::accept`] return an error.
    pub fn shutdown(&self) {
        // SAFETY: shutdown on our descriptor.
        unsafe { libc::shutdown(self.0.as_raw_fd(), libc::SHUT_RDWR) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_garbage_is_refused() {
        let msgs = [
            Message::Hello {
                version: 1,
                pid: 42,
                ppid: 1,
                procname: "hello".into(),
                clock: 0,
            },
            Message::Setup {
                channels: vec![ChannelSetup {
                    name: "chan".into(),
                    config: ChannelConfig::default(),
                    rules: vec![EventRule::new("a:*").max_level(crate::LogLevel::Info)],
                    excluded: vec!["a:b".into()],
                }],
            },
            Message::Stream {
                channel: 0,
                stream: 3,
            },
            Message::Rules {
                channel: 0,
                rules: vec![],
                excluded: vec![],
                active: false,
            },
        ];
        for m in msgs {
            let b = m.encode();
            assert_eq!(Message::decode(&b).as_ref(), Some(&m));
            for n in 0..b.len() {
                assert_eq!(Message::decode(&b[..n]), None);
            }
        }
        assert_eq!(Message::decode(&[2, 0xff, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn descriptors_travel_with_messages() {
        let dir = std::env::temp_dir().join(format!("tracer-proto-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sock");
        let l = Listener::bind(&path).unwrap();
        let c = Socket::connect(&path).unwrap();
        let s = l.accept().unwrap();
        let m = crate::shm::Mapping::memfd(c"t", 4096, false).unwrap();
        let msg = Message::Stream {
            channel: 1,
            stream: 2,
        };
        c.send(&msg, &[m.fd().unwrap()], false).unwrap();
        let (got, fds) = s.recv().unwrap().unwrap();
        assert_eq!(got, msg);
        assert_eq!(fds.len(), 1);
        assert_eq!(s.peer().unwrap().0, std::process::id());
        drop(c);
        assert!(s.recv().unwrap().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
