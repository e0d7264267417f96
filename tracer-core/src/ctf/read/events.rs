//! Events with their values, in time order across the stream files of a trace. Values are
//! decoded only for the classes the caller asks for (contexts alone, or contexts and payload);
//! the others are walked with the counting ops and come out with their class and timestamp
//! only.

use super::count::event_error;
use super::exec::{decode, run, Cursor, Regs, Stop};
use super::layout::{EventClass, Layout};
use super::mmap::Mapping;
use super::stream::{self, PacketSpan};
use super::value::{field, Value};
use super::{ReadError, Trace};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

/// One event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Its class (name, id, log level, `model.emf.uri`).
    pub class: Arc<EventClass>,
    /// The stream file it is in.
    pub stream: Arc<Path>,
    /// Clock value (ticks of the trace clock).
    pub cycles: u64,
    /// Nanoseconds since the Unix epoch (clock offset applied; `cycles` if there is no clock).
    pub timestamp_ns: i64,
    /// `cpu_id` of its packet, if the packet context has one.
    pub cpu_id: Option<u64>,
    /// Contexts and payload, for the classes asked for.
    pub fields: Option<Fields>,
}

/// The decoded fields of an event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields {
    /// Stream event context then event context members (LTTng's `vpid`, `ip`, `procname`…).
    pub context: Vec<(Arc<str>, Value)>,
    /// Payload members.
    pub payload: Vec<(Arc<str>, Value)>,
}

impl Event {
    /// Payload member `name`.
    pub fn payload(&self, name: &str) -> Option<&Value> {
        field(&self.fields.as_ref()?.payload, name)
    }

    /// Context member `name`.
    pub fn context(&self, name: &str) -> Option<&Value> {
        field(&self.fields.as_ref()?.context, name)
    }
}

/// What [`Trace::events_decoding`] decodes of the events of a class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Decode {
    /// Nothing: the event has its class and timestamp (walking it costs what counting costs).
    #[default]
    Nothing,
    /// The stream event context and the event context (LTTng's `ip`, `vpid`…); the payload is
    /// walked, not decoded.
    Context,
    /// Contexts and payload.
    All,
}

/// The events of a trace in time order; errors come as `Err` items, and reading goes on after
/// them.
pub struct Events<'t> {
    trace: &'t Trace,
    decode: Vec<Decode>,
    streams: Vec<StreamEvents>,
    heads: Vec<Option<Event>>,
    errors: VecDeque<ReadError>,
}

impl Trace {
    /// Iterates over the events, decoding contexts and payloads of the classes for which
    /// `payloads` is true (the others cost what counting costs).
    pub fn events(&self, payloads: impl Fn(&EventClass) -> bool) -> Events<'_> {
        self.events_decoding(|c| {
            if payloads(c) {
                Decode::All
            } else {
                Decode::Nothing
            }
        })
    }

    /// Iterates over the events, decoding of each class what `decode` says.
    pub fn events_decoding(&self, decode: impl Fn(&EventClass) -> Decode) -> Events<'_> {
        let mut errors = VecDeque::new();
        let mut streams = Vec::new();
        for f in self.stream_files() {
            match Mapping::open(f) {
                Ok(map) => {
                    let scan = stream::scan(&self.layout, f, map.bytes());
                    errors.extend(scan.errors);
                    streams.push(StreamEvents {
                        file: Arc::from(f.as_path()),
                        map,
                        packets: scan.packets,
                        next_packet: 0,
                        packet: None,
                        pos: 0,
                        regs: Regs::new(&self.layout),
                    });
                }
                Err(e) => errors.push_back(ReadError::new(f, 0, format!("cannot map: {e}"))),
            }
        }
        Events {
            trace: self,
            decode: self.classes.iter().map(|c| decode(c)).collect(),
            heads: vec![None; streams.len()],
            streams,
            errors,
        }
    }
}

impl Iterator for Events<'_> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.errors.pop_front() {
            return Some(Err(e));
        }
        for (s, head) in self.streams.iter_mut().zip(self.heads.iter_mut()) {
            if head.is_none() {
                match s.next(self.trace, &self.decode) {
                    Some(Ok(e)) => *head = Some(e),
                    Some(Err(e)) => return Some(Err(e)),
                    None => {}
                }
            }
        }
        let first = self
            .heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|e| (e.cycles, i)))
            .min()?;
        self.heads[first.1].take().map(Ok)
    }
}

/// The reading position in one stream file.
struct StreamEvents {
    file: Arc<Path>,
    map: Mapping,
    packets: Vec<PacketSpan>,
    next_packet: usize,
    packet: Option<usize>,
    /// Bit position of the next event in the current packet.
    pos: u64,
    regs: Regs,
}

impl StreamEvents {
    fn next(&mut self, trace: &Trace, decode: &[Decode]) -> Option<Result<Event, ReadError>> {
        loop {
            let p = match self.packet {
                Some(i) if self.pos < self.packets[i].content_end => &self.packets[i],
                _ => {
                    let p = self.packets.get(self.next_packet)?;
                    self.packet = Some(self.next_packet);
                    self.next_packet += 1;
                    self.pos = p.events;
                    if let Some(b) = p.ctx.ts_begin {
                        self.regs.clock = b;
                    }
                    continue;
                }
            };
            let mut c = Cursor::new(self.map.bytes(), self.pos, p.content_end);
            let start = c.pos;
            match event(&trace.layout, p, &mut c, &mut self.regs, decode) {
                Ok((ci, fields)) => {
                    self.pos = c.pos;
                    let cycles = self.regs.clock;
                    return Some(Ok(Event {
                        class: trace.classes[ci].clone(),
                        stream: self.file.clone(),
                        cycles,
                        timestamp_ns: trace.clock().map_or(cycles as i64, |k| k.to_ns(cycles)),
                        cpu_id: p.ctx.cpu_id,
                        fields,
                    }));
                }
                Err(s) => {
                    self.pos = u64::MAX; // the rest of the packet cannot be located
                    if s == Stop::Overrun && p.truncated {
                        continue;
                    }
                    let msg = event_error(s, p);
                    return Some(Err(ReadError::new(&self.file, start / 8, msg)));
                }
            }
        }
    }
}

/// Decodes one event: its header, then what `decode_class` asks of its class as values, walking
/// the rest.
fn event(
    layout: &Layout,
    p: &PacketSpan,
    c: &mut Cursor<'_>,
    regs: &mut Regs,
    decode_class: &[Decode],
) -> Result<(usize, Option<Fields>), Stop> {
    let sl = &layout.streams[p.stream];
    regs.event_id = 0;
    run(&sl.header_full, c, regs)?;
    let ci = sl
        .by_id
        .get(regs.event_id)
        .ok_or_else(|| Stop::Bad(format!("unknown event id {}", regs.event_id)))?;
    let cl = &layout.class_layouts[ci];
    let mode = decode_class.get(ci).copied().unwrap_or_default();
    let fields = if mode == Decode::Nothing {
        run(&cl.ops, c, regs)?;
        None
    } else {
        let start = c.pos;
        let mut f = Fields::default();
        let payload = (mode == Decode::All).then_some(cl.fields).flatten();
        for (root, is_payload) in [
            (sl.event_context, false),
            (cl.context, false),
            (payload, true),
        ] {
            let Some(r) = root else { continue };
            let out = if is_payload {
                &mut f.payload
            } else {
                &mut f.context
            };
            match decode(&layout.nodes, r, c, regs)? {
                Value::Struct(members) => out.extend(members),
                other => out.push((Arc::from(""), other)),
            }
        }
        if mode == Decode::Context {
            // Walk the whole event again with the counting ops: they know where the payload
            // ends without building its values (re-reading the contexts sets the same
            // registers).
            c.pos = start;
            run(&cl.ops, c, regs)?;
        }
        Some(f)
    };
    if c.pos > c.end {
        return Err(Stop::Overrun);
    }
    Ok((ci, fields))
}
