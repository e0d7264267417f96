//! One viewer connection's state and its answers: which streams it follows, how far it has
//! read each stream file, how much of each metadata file it has been sent.
//!
//! Packet indexes come from the stream files themselves: the next packet's header and context
//! are read where the previous packet ended, and a packet is only offered once the file holds
//! all of it (the recorder appends a packet in two writes). The recorder writes a trace's
//! metadata before any packet that needs it, so the metadata read after finding a packet
//! describes it. A stream hangs up (HUP) once its trace is complete and every packet was sent;
//! until then an empty read is INACTIVE with the stream's beacon time (nothing older is still
//! to come, [`tracer_core::remote::beacon`]) when there is one no older than what the viewer
//! was already told of the stream and the viewer knows every stream of the session, else
//! RETRY. The beacon is read before looking for a packet:
//! it is written after the packets it follows, so none of them is missed.

use super::catalog::{Catalog, Session, StreamFile};
use super::wire::{self, Index, Reply, Request};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use tracer_core::ctf::packet::{PacketInfo, PACKET_PREFIX_LEN};
use tracer_core::remote::beacon::Beacon;

/// A packet larger than this is refused (the largest sub-buffer is far smaller).
const MAX_PACKET: u32 = 1 << 28;
/// Opens every metadata chunk after the first.
const METADATA_SIGNATURE: &[u8] = b"/* CTF 1.8 */\n";

enum Followed {
    Data {
        file: PathBuf,
        session: u64,
        trace: u64,
        /// Where the next packet starts.
        next: u64,
        /// The latest time this viewer was given for the stream (a packet's end or a beacon):
        /// an INACTIVE older than it would take the viewer's clock back.
        shown: u64,
        /// Every packet was delivered and the trace is complete.
        hung_up: bool,
    },
    Metadata {
        file: PathBuf,
        session: u64,
        /// Bytes of the metadata file sent so far.
        sent: Vec<u8>,
    },
}

/// A viewer connection.
pub struct Viewer {
    catalog: Arc<Catalog>,
    id: u64,
    attached: Vec<u64>,
    streams: HashMap<u64, Followed>,
    /// Metadata stream of each trace.
    metadata_of: HashMap<u64, u64>,
}

impl Viewer {
    pub fn new(catalog: Arc<Catalog>, id: u64) -> Self {
        Viewer {
            catalog,
            id,
            attached: Vec::new(),
            streams: HashMap::new(),
            metadata_of: HashMap::new(),
        }
    }

    /// The reply to a request, or why the connection must end (logged by the caller).
    pub fn handle(&mut self, req: Request) -> Result<Reply, String> {
        Ok(match req {
            Request::Connect { major, kind, .. } => {
                if major != wire::MAJOR {
                    return Err(format!(
                        "protocol {major}.x is not supported (this relay speaks {}.{})",
                        wire::MAJOR,
                        wire::MINOR
                    ));
                }
                if kind != wire::CLIENT_COMMAND {
                    return Err(format!("connection type {kind} is not supported"));
                }
                wire::connect_reply(self.id)
            }
            Request::ListSessions => {
                let list = self.catalog.list();
                list.iter()
                    .fold(Reply::default().u32(list.len() as u32), wire::write_session)
            }
            Request::CreateSession => Reply::default().u32(wire::session::OK),
            Request::Attach { session_id } => self.attach(session_id),
            Request::NewStreams { session_id } => self.new_streams(session_id),
            Request::GetMetadata { stream_id } => self.metadata(stream_id),
            Request::NextIndex { stream_id } => self.next_index(stream_id),
            Request::GetPacket {
                stream_id,
                offset,
                len,
            } => self.packet(stream_id, offset, len),
            Request::Detach { session_id } => self.detach(session_id),
        })
    }

    fn follow(&mut self, session: u64, s: &StreamFile) {
        let f = if s.entry.metadata {
            self.metadata_of.insert(s.entry.trace_id, s.entry.id);
            Followed::Metadata {
                file: s.file.clone(),
                session,
                sent: Vec::new(),
            }
        } else {
            Followed::Data {
                file: s.file.clone(),
                session,
                trace: s.entry.trace_id,
                next: 0,
                shown: 0,
                hung_up: false,
            }
        };
        self.streams.insert(s.entry.id, f);
    }

    /// Streams of `s` this viewer does not follow yet.
    fn unseen(&self, s: &Session) -> Vec<StreamFile> {
        self.catalog
            .streams(s)
            .into_iter()
            .filter(|f| !self.streams.contains_key(&f.entry.id))
            .collect()
    }

    fn stream_list(&mut self, session: u64, status: u32, new: &[StreamFile]) -> Reply {
        for s in new {
            self.follow(session, s);
        }
        new.iter().fold(
            Reply::default().u32(status).u32(new.len() as u32),
            |r, s| wire::write_stream(r, &s.entry),
        )
    }

    /// babeltrace2 always asks for `SEEK_LAST` (the request's seek is not even decoded):
    /// every stream is served from its first packet anyway, so a viewer that attaches late
    /// still gets the whole recording, as counts in an editor need.
    fn attach(&mut self, session_id: u64) -> Reply {
        let Some(s) = self.catalog.session(session_id) else {
            return Reply::default().u32(wire::attach::UNKNOWN).u32(0);
        };
        if !self.attached.contains(&session_id) {
            self.attached.push(session_id);
            self.catalog.attached(session_id, true);
        }
        let new = self.unseen(&s);
        self.stream_list(session_id, wire::attach::OK, &new)
    }

    fn new_streams(&mut self, session_id: u64) -> Reply {
        let session = self
            .attached
            .contains(&session_id)
            .then(|| self.catalog.session(session_id))
            .flatten();
        let Some(s) = session else {
            return Reply::default().u32(wire::new_streams::ERR).u32(0);
        };
        let live = s.is_live();
        let new = self.unseen(&s);
        if !new.is_empty() {
            return self.stream_list(session_id, wire::new_streams::OK, &new);
        }
        // Over only once this viewer has every packet: a viewer may close the session as
        // soon as it is told.
        let delivered = self.streams.values().all(|f| match f {
            Followed::Data {
                session, hung_up, ..
            } => *session != session_id || *hung_up,
            Followed::Metadata { .. } => true,
        });
        let status = if !live && delivered {
            wire::new_streams::HUP
        } else {
            wire::new_streams::NO_NEW
        };
        Reply::default().u32(status).u32(0)
    }

    fn metadata(&mut self, stream_id: u64) -> Reply {
        let reply = |status: u32, data: &[u8]| {
            Reply::default()
                .u64(data.len() as u64)
                .u32(status)
                .bytes(data)
        };
        let Some(Followed::Metadata { file, sent, .. }) = self.streams.get_mut(&stream_id) else {
            return reply(wire::metadata::ERR, &[]);
        };
        let text = match std::fs::read(&*file) {
            Ok(t) => t,
            Err(e) => {
                log(self.id, &format!("{}: {e}", file.display()));
                return reply(wire::metadata::ERR, &[]);
            }
        };
        if !text.starts_with(sent) {
            log(
                self.id,
                &format!(
                    "{}: the metadata changed instead of growing; a live viewer cannot follow it",
                    file.display()
                ),
            );
            return reply(wire::metadata::ERR, &[]);
        }
        if text.len() == sent.len() {
            return reply(wire::metadata::NO_NEW, &[]);
        }
        let new = &text[sent.len()..];
        // babeltrace2 decodes each plain-text chunk on its own and wants every one to open
        // with the TSDL signature (lttng-relayd sends packetized metadata instead); the
        // signature is a comment, so a reader that joins the chunks loses nothing.
        let r = if sent.is_empty() || new.starts_with(b"/* CTF") {
            reply(wire::metadata::OK, new)
        } else {
            reply(wire::metadata::OK, &[METADATA_SIGNATURE, new].concat())
        };
        *sent = text;
        r
    }

    /// Flags for an index of a stream of `session`/`trace`: metadata or streams to fetch.
    fn flags(&self, session: u64, trace: u64) -> u32 {
        let mut flags = 0;
        let metadata = self
            .metadata_of
            .get(&trace)
            .and_then(|id| self.streams.get(id));
        if let Some(Followed::Metadata { file, sent, .. }) = metadata {
            if std::fs::metadata(file).is_ok_and(|m| m.len() > sent.len() as u64) {
                flags |= wire::FLAG_NEW_METADATA;
            }
        }
        if let Some(s) = self.catalog.session(session) {
            if !self.unseen(&s).is_empty() {
                flags |= wire::FLAG_NEW_STREAM;
            }
        }
        flags
    }

    fn next_index(&mut self, stream_id: u64) -> Reply {
        let err = || wire::index_reply(&Index::default(), wire::index::ERR, 0);
        let Some(Followed::Data {
            file,
            session,
            trace,
            next,
            ..
        }) = self.streams.get(&stream_id)
        else {
            return err();
        };
        let (file, session, trace, at) = (file.clone(), *session, *trace, *next);
        // Completeness before the scan: a trace seen complete has every byte on disk already.
        let complete = match (self.catalog.session(session), file.parent()) {
            (Some(s), Some(trace_dir)) => s.trace_complete(trace_dir),
            _ => true,
        };
        let beacon = match (file.parent(), file.file_name().and_then(|n| n.to_str())) {
            (Some(dir), Some(name)) => Beacon::read(dir, name),
            _ => None,
        };
        let found = match next_packet(&file, at) {
            Ok(p) => p,
            Err(e) => {
                log(self.id, &format!("{} at offset {at}: {e}", file.display()));
                return err();
            }
        };
        let flags = self.flags(session, trace);
        let Some(Followed::Data {
            next,
            shown,
            hung_up,
            ..
        }) = self.streams.get_mut(&stream_id)
        else {
            return err();
        };
        match found {
            Some(p) => {
                let bits = (PACKET_PREFIX_LEN + p.payload_len) as u64 * 8;
                *next = at + bits / 8;
                *shown = (*shown).max(p.timestamp_end);
                let index = Index {
                    offset: at,
                    packet_bits: bits,
                    content_bits: bits,
                    timestamp_begin: p.timestamp_begin,
                    timestamp_end: p.timestamp_end,
                    events_discarded: p.events_discarded,
                    stream_class: u64::from(p.stream_id),
                };
                wire::index_reply(&index, wire::index::OK, flags)
            }
            // A viewer that does not know every stream yet must not be told to move on:
            // babeltrace2 2.0 only looks for new streams after an OK index.
            None if !complete => match beacon {
                Some(b) if b.ts >= *shown && flags & wire::FLAG_NEW_STREAM == 0 => {
                    *shown = b.ts;
                    let index = Index {
                        timestamp_end: b.ts,
                        stream_class: b.class,
                        ..Index::default()
                    };
                    wire::index_reply(&index, wire::index::INACTIVE, flags)
                }
                _ => wire::index_reply(&Index::default(), wire::index::RETRY, flags),
            },
            None => {
                *hung_up = true;
                wire::index_reply(&Index::default(), wire::index::HUP, flags)
            }
        }
    }

    fn packet(&mut self, stream_id: u64, offset: u64, len: u32) -> Reply {
        let err = || Reply::default().u32(wire::packet::ERR).u32(0).u32(0);
        let Some(Followed::Data { file, .. }) = self.streams.get(&stream_id) else {
            return err();
        };
        if len > MAX_PACKET {
            log(self.id, &format!("GET_PACKET of {len} bytes refused"));
            return err();
        }
        let mut data = vec![0u8; len as usize];
        let read = std::fs::File::open(file).and_then(|mut f| {
            f.seek(SeekFrom::Start(offset))?;
            f.read_exact(&mut data)
        });
        if let Err(e) = read {
            log(
                self.id,
                &format!("{} at offset {offset}, {len} bytes: {e}", file.display()),
            );
            return err();
        }
        Reply::default()
            .u32(wire::packet::OK)
            .u32(len)
            .u32(0)
            .bytes(&data)
    }

    fn detach(&mut self, session_id: u64) -> Reply {
        if !self.attached.contains(&session_id) {
            return Reply::default().u32(wire::session::DETACH_UNKNOWN);
        }
        self.attached.retain(|s| *s != session_id);
        self.catalog.attached(session_id, false);
        self.streams.retain(|_, f| match f {
            Followed::Data { session, .. } | Followed::Metadata { session, .. } => {
                *session != session_id
            }
        });
        Reply::default().u32(wire::session::OK)
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        for s in &self.attached {
            self.catalog.attached(*s, false);
        }
    }
}

/// The packet at byte `at` of a stream file, once the file holds all of it.
fn next_packet(file: &std::path::Path, at: u64) -> Result<Option<PacketInfo>, String> {
    let mut f = std::fs::File::open(file).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    if len < at + PACKET_PREFIX_LEN as u64 {
        return Ok(None);
    }
    let mut prefix = [0u8; PACKET_PREFIX_LEN];
    f.seek(SeekFrom::Start(at))
        .and_then(|_| f.read_exact(&mut prefix))
        .map_err(|e| e.to_string())?;
    let p = PacketInfo::decode(&prefix)?;
    let end = at + (PACKET_PREFIX_LEN + p.payload_len) as u64;
    Ok((len >= end).then_some(p))
}

pub fn log(viewer: u64, msg: &str) {
    eprintln!("tracer-lsp relay: viewer {viewer}: {msg}");
}
