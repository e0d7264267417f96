//! Compiles the declared types of a trace into what the decoder runs: a node arena (for
//! decoding values) and, per stream class and event class, a flat list of [`Op`]s (for walking
//! events without building values).
//!
//! Compiling resolves what the decoder would otherwise look up per event: sequence lengths and
//! variant tags become register slots written by the integer they name; the fields CTF gives a
//! meaning (packet `magic`, `stream_id`, `content_size`, …, the event header's `id`,
//! clock-mapped timestamps) become roles. The op lists track the bit position modulo the
//! alignments they know, so consecutive fixed-size fields the walk does not need collapse into
//! one constant skip: an LTTng payload of integers and a string is two ops.

use super::tsdl::{Clock, FieldDecl, IntDecl, LenDecl, Mapping, Metadata, OrderDecl, TypeDecl};
use std::collections::HashMap;
use std::sync::Arc;

/// Register slot index; `NO_SLOT` when no length or tag refers to the field.
pub(crate) const NO_SLOT: u16 = u16::MAX;

/// What CTF makes of an integer field, beyond its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    None,
    /// The event header's `id` (the last one decoded wins: LTTng's extended form overrides).
    EventId,
    /// Mapped to a clock: updates the low `bits` bits of the current clock value.
    Clock,
    Magic,
    StreamId,
    StreamInstanceId,
    TsBegin,
    TsEnd,
    ContentSize,
    PacketSize,
    Discarded,
    SeqNum,
    CpuId,
}

/// An integer or enumeration.
#[derive(Clone, Debug)]
pub(crate) struct IntNode {
    pub bits: u32,
    pub signed: bool,
    pub be: bool,
    pub align: u32,
    pub text: bool,
    pub slot: u16,
    pub role: Role,
    pub labels: Option<Arc<[Mapping]>>,
}

/// How many elements an array or sequence has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Count {
    Fixed(u64),
    Slot(u16),
}

/// A tag value range that selects a variant option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Case {
    pub lo: i128,
    pub hi: i128,
    pub option: u32,
}

/// A type as the decoder sees it. Children are indices into [`Layout::nodes`].
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Int(IntNode),
    Float {
        bits: u32,
        be: bool,
        align: u32,
    },
    Str,
    Struct {
        align: u32,
        members: Vec<(Arc<str>, usize)>,
    },
    Array {
        align: u32,
        elem: usize,
        len: Count,
        text: bool,
        min_elem: u64,
    },
    Variant {
        tag: u16,
        signed: bool,
        cases: Arc<[Case]>,
        options: Vec<(Arc<str>, usize)>,
    },
}

/// One step of an event walk. Alignment before reads is explicit (`Align`) or folded into a
/// `Skip` when the position is known modulo it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Op {
    Skip(u64),
    Align(u32),
    Read {
        bits: u32,
        be: bool,
        signed: bool,
        slot: u16,
        role: Role,
    },
    /// A NUL-terminated string; the position is byte-aligned.
    Str,
    /// `count` elements of `stride` bits that need no decoding.
    SkipElems {
        count: Count,
        stride: u64,
    },
    Loop {
        count: Count,
        min_elem: u64,
        body: Box<[Op]>,
    },
    Variant {
        tag: u16,
        signed: bool,
        cases: Arc<[Case]>,
        options: Box<[Box<[Op]>]>,
    },
}

/// Public description of an event class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventClass {
    /// Event name (`provider:event`).
    pub name: String,
    /// Event id within its stream class.
    pub id: u64,
    /// Stream class id.
    pub stream_id: u64,
    /// `loglevel`, if declared.
    pub loglevel: Option<i64>,
    /// `model.emf.uri`, if declared (tracer-core puts the call site there).
    pub emf_uri: Option<String>,
}

/// Event ids to class indices.
#[derive(Clone, Debug)]
pub(crate) enum ClassTable {
    Dense(Vec<u32>),
    Sparse(HashMap<u64, u32>),
}

impl ClassTable {
    #[inline]
    pub fn get(&self, id: u64) -> Option<usize> {
        match self {
            ClassTable::Dense(v) => match v.get(id as usize) {
                Some(&i) if i != u32::MAX => Some(i as usize),
                _ => None,
            },
            ClassTable::Sparse(m) => m.get(&id).map(|&i| i as usize),
        }
    }
}

/// A stream class, compiled.
#[derive(Clone, Debug)]
pub(crate) struct StreamLayout {
    pub id: u64,
    pub packet_context_ops: Vec<Op>,
    /// The event header without clock updates (counting) and with them (values).
    pub header_count: Vec<Op>,
    pub header_full: Vec<Op>,
    /// `header_count` as a table, when it has the usual shape.
    pub header_fast: Option<TaggedHeader>,
    pub event_context: Option<usize>,
    pub by_id: ClassTable,
    /// Per event id (when ids are dense): the class index and its counting walk, one load
    /// away from the id.
    pub count_plans: Vec<(u32, CountPlan)>,
}

/// How counting walks over one class's context and payload. The common shapes — only
/// fixed-size fields, or fixed-size fields then one string — skip the op dispatch, whose
/// indirect jump per op is most of the counting cost otherwise.
#[derive(Clone, Debug)]
pub(crate) enum CountPlan {
    /// Fixed-size fields only: skip this many bits.
    Fixed(u64),
    /// Fixed-size fields (this many bits), then a string and nothing after it.
    FixedThenString(u64),
    /// Anything else: walk the ops.
    Ops(Box<[Op]>),
}

impl CountPlan {
    pub(crate) fn of(ops: &[Op]) -> CountPlan {
        let skips = ops.iter().take_while(|o| matches!(o, Op::Skip(_))).count();
        let bits = ops[..skips]
            .iter()
            .map(|o| match o {
                Op::Skip(n) => *n,
                _ => 0,
            })
            .try_fold(0u64, |a, n| a.checked_add(n));
        match (bits, &ops[skips..]) {
            (Some(n), []) => CountPlan::Fixed(n),
            (Some(n), [Op::Str]) => CountPlan::FixedThenString(n),
            _ => CountPlan::Ops(ops.into()),
        }
    }
}

/// An event class, compiled.
#[derive(Clone, Debug)]
pub(crate) struct ClassLayout {
    pub context: Option<usize>,
    pub fields: Option<usize>,
    /// Stream event context, event context and payload, walked without values.
    pub ops: Vec<Op>,
}

/// A trace's metadata, compiled.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub nodes: Vec<Node>,
    pub slots: usize,
    pub big_endian: bool,
    pub packet_header_ops: Vec<Op>,
    /// Whether the packet header has a `magic` (needed to find the next packet after a bad one).
    pub has_magic: bool,
    pub streams: Vec<StreamLayout>,
    pub classes: Vec<EventClass>,
    pub class_layouts: Vec<ClassLayout>,
    pub clock: Option<Clock>,
    pub uuid: Option<[u8; 16]>,
}

impl Layout {
    /// The stream class a packet belongs to.
    pub fn stream_index(&self, id: Option<u64>) -> Option<usize> {
        match id {
            Some(id) => self.streams.iter().position(|s| s.id == id),
            None if self.streams.len() == 1 => Some(0),
            None => None,
        }
    }
}

/// A compile error: where in the metadata text (a block's start) and what.
#[derive(Debug)]
pub(crate) struct CompileError {
    pub offset: usize,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    PacketHeader,
    PacketContext,
    EventHeader,
    Other,
}

/// Where a field being compiled sits.
#[derive(Clone, Copy)]
struct Ctx {
    scope: Scope,
    /// Directly a member of the scope's root structure.
    top: bool,
    in_array: bool,
}

struct Compiler {
    nodes: Vec<Node>,
    min_bits: Vec<u64>,
    slots: usize,
    big_endian: bool,
    /// Members compiled so far in each open structure, innermost last.
    frames: Vec<Vec<(Arc<str>, usize)>>,
    /// Compiled scope roots visible to the current one: absolute prefix and node.
    roots: Vec<(&'static [&'static str], usize)>,
    clock_name: Option<String>,
}

/// Compiles parsed metadata.
pub(crate) fn compile(m: &Metadata) -> Result<Layout, CompileError> {
    let mut c = Compiler {
        nodes: Vec::new(),
        min_bits: Vec::new(),
        slots: 0,
        big_endian: m.big_endian,
        frames: Vec::new(),
        roots: Vec::new(),
        clock_name: None,
    };
    let at = |offset: usize| move |message: String| CompileError { offset, message };
    let packet_header = match &m.packet_header {
        Some(t) => Some(
            c.root(t, Scope::PacketHeader, &["trace", "packet", "header"])
                .map_err(at(0))?,
        ),
        None => None,
    };
    let trace_roots = c.roots.clone();
    let mut stream_decls: Vec<_> = m.streams.iter().collect();
    let implicit;
    if stream_decls.is_empty() {
        implicit = super::tsdl::StreamDecl::default();
        stream_decls.push(&implicit);
    }
    if stream_decls.len() > 1 && stream_decls.iter().any(|s| s.id.is_none()) {
        return Err(CompileError {
            offset: stream_decls[0].offset,
            message: "several stream classes, not all with an id".into(),
        });
    }
    struct StreamNodes {
        roots: Vec<(&'static [&'static str], usize)>,
        packet_context: Option<usize>,
        header: Option<usize>,
        context: Option<usize>,
    }
    let mut sn = Vec::new();
    for s in &stream_decls {
        c.roots = trace_roots.clone();
        let e = at(s.offset);
        let packet_context = match &s.packet_context {
            Some(t) => Some(
                c.root(t, Scope::PacketContext, &["stream", "packet", "context"])
                    .map_err(e)?,
            ),
            None => None,
        };
        let header = match &s.event_header {
            Some(t) => Some(
                c.root(t, Scope::EventHeader, &["stream", "event", "header"])
                    .map_err(at(s.offset))?,
            ),
            None => None,
        };
        let context = match &s.event_context {
            Some(t) => Some(
                c.root(t, Scope::Other, &["stream", "event", "context"])
                    .map_err(at(s.offset))?,
            ),
            None => None,
        };
        sn.push(StreamNodes {
            roots: c.roots.clone(),
            packet_context,
            header,
            context,
        });
    }
    let mut classes = Vec::new();
    let mut class_nodes = Vec::new();
    for e in &m.events {
        let err = at(e.offset);
        let stream = match e.stream_id {
            Some(id) => stream_decls.iter().position(|s| s.id.unwrap_or(0) == id),
            None if stream_decls.len() == 1 => Some(0),
            None => None,
        };
        let Some(stream) = stream else {
            return Err(err(format!(
                "event `{}` names stream class {:?}, which is not declared",
                e.name, e.stream_id
            )));
        };
        c.roots = sn[stream].roots.clone();
        let context = match &e.context {
            Some(t) => Some(
                c.root(t, Scope::Other, &["event", "context"])
                    .map_err(&err)?,
            ),
            None => None,
        };
        let fields = match &e.fields {
            Some(t) => Some(
                c.root(t, Scope::Other, &["event", "fields"])
                    .map_err(&err)?,
            ),
            None => None,
        };
        classes.push(EventClass {
            name: e.name.clone(),
            id: e.id.unwrap_or(0),
            stream_id: stream_decls[stream].id.unwrap_or(0),
            loglevel: e.loglevel,
            emf_uri: e.emf_uri.clone(),
        });
        class_nodes.push((stream, context, fields, e.offset));
    }

    // Ops are generated last: a later scope may have given an earlier field a slot.
    let ops_of = |c: &Compiler, roots: &[Option<usize>], clock: bool, phase: Phase| {
        let mut b = OpBuilder::new(phase, clock);
        for r in roots.iter().flatten() {
            c.ops(*r, &mut b);
        }
        b.finish()
    };
    let packet_header_ops = ops_of(&c, &[packet_header], true, Phase::BYTE).0;
    let has_magic = packet_header_ops.iter().any(|o| {
        matches!(
            o,
            Op::Read {
                role: Role::Magic,
                ..
            }
        )
    });
    // Events start where the previous one ended; assume byte alignment and check it below.
    let mut streams = Vec::new();
    let mut ends = Vec::new();
    for (s, n) in stream_decls.iter().zip(&sn) {
        let (packet_context_ops, ctx_end) = ops_of(&c, &[n.packet_context], true, Phase::BYTE);
        let (header_count, _) = ops_of(&c, &[n.header], false, Phase::BYTE);
        let (header_full, header_end) = ops_of(&c, &[n.header], true, Phase::BYTE);
        ends.push(ctx_end);
        streams.push((
            s.id.unwrap_or(0),
            packet_context_ops,
            header_count,
            header_full,
            header_end,
        ));
    }
    let mut class_layouts = Vec::new();
    for &(stream, context, fields, _) in &class_nodes {
        let (ops, end) = ops_of(
            &c,
            &[sn[stream].context, context, fields],
            false,
            streams[stream].4,
        );
        ends.push(end);
        class_layouts.push(ClassLayout {
            context,
            fields,
            ops,
        });
    }
    if ends.iter().any(|p| p.m < 8 || p.r % 8 != 0) {
        // Some event or context ends off a byte boundary: compile without the assumption.
        for (i, (_, pc, hc, hf, he)) in streams.iter_mut().enumerate() {
            let n = &sn[i];
            *pc = ops_of(&c, &[n.packet_context], true, Phase::UNKNOWN).0;
            *hc = ops_of(&c, &[n.header], false, Phase::UNKNOWN).0;
            let full = ops_of(&c, &[n.header], true, Phase::UNKNOWN);
            *hf = full.0;
            *he = full.1;
        }
        for (cl, &(stream, context, fields, _)) in class_layouts.iter_mut().zip(&class_nodes) {
            cl.ops = ops_of(
                &c,
                &[sn[stream].context, context, fields],
                false,
                streams[stream].4,
            )
            .0;
        }
    }
    let mut stream_layouts: Vec<StreamLayout> = streams
        .into_iter()
        .zip(&sn)
        .map(|((id, pc, hc, hf, _), n)| StreamLayout {
            id,
            packet_context_ops: pc,
            header_fast: tagged_header(&hc),
            header_count: hc,
            header_full: hf,
            event_context: n.context,
            by_id: ClassTable::Dense(Vec::new()),
            count_plans: Vec::new(),
        })
        .collect();
    for (si, sl) in stream_layouts.iter_mut().enumerate() {
        let mine: Vec<(u64, u32)> = class_nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.0 == si)
            .map(|(i, _)| (classes[i].id, i as u32))
            .collect();
        for (i, &(id, ci)) in mine.iter().enumerate() {
            if mine[..i].iter().any(|&(other, _)| other == id) {
                return Err(CompileError {
                    offset: class_nodes[ci as usize].3,
                    message: format!(
                        "event `{}`: id {id} is used twice in stream class {}",
                        classes[ci as usize].name, sl.id
                    ),
                });
            }
        }
        let max = mine.iter().map(|m| m.0).max().unwrap_or(0);
        sl.by_id = if max < 1 << 20 {
            let mut v = vec![u32::MAX; max as usize + 1];
            for (id, ci) in mine {
                v[id as usize] = ci;
            }
            sl.count_plans = v
                .iter()
                .map(|&ci| match class_layouts.get(ci as usize) {
                    Some(cl) => (ci, CountPlan::of(&cl.ops)),
                    None => (u32::MAX, CountPlan::Fixed(0)),
                })
                .collect();
            ClassTable::Dense(v)
        } else {
            ClassTable::Sparse(mine.into_iter().collect())
        };
    }
    let clock = match &c.clock_name {
        Some(name) => m.clocks.iter().find(|k| &k.name == name).cloned(),
        None => None,
    }
    .or_else(|| m.clocks.first().cloned());
    Ok(Layout {
        nodes: c.nodes,
        slots: c.slots,
        big_endian: m.big_endian,
        packet_header_ops,
        has_magic,
        streams: stream_layouts,
        classes,
        class_layouts,
        clock,
        uuid: m.uuid,
    })
}

fn exposed(name: &str) -> &str {
    name.strip_prefix('_').unwrap_or(name)
}

impl Compiler {
    fn push(&mut self, n: Node, min: u64) -> usize {
        self.nodes.push(n);
        self.min_bits.push(min);
        self.nodes.len() - 1
    }

    fn root(
        &mut self,
        ty: &TypeDecl,
        scope: Scope,
        prefix: &'static [&'static str],
    ) -> Result<usize, String> {
        self.frames.clear();
        let ctx = Ctx {
            scope,
            top: false,
            in_array: false,
        };
        let id = self.node(ty, None, ctx)?;
        self.roots.push((prefix, id));
        Ok(id)
    }

    fn be(&self, o: OrderDecl) -> bool {
        match o {
            OrderDecl::Native => self.big_endian,
            OrderDecl::Be => true,
            OrderDecl::Le => false,
        }
    }

    fn int(
        &mut self,
        i: &IntDecl,
        name: Option<&str>,
        ctx: Ctx,
        labels: Option<Arc<[Mapping]>>,
    ) -> usize {
        let role = if ctx.in_array {
            Role::None
        } else {
            match (ctx.scope, ctx.top, name) {
                (Scope::PacketHeader, true, Some("magic")) => Role::Magic,
                (Scope::PacketHeader, true, Some("stream_id")) => Role::StreamId,
                (Scope::PacketHeader, true, Some("stream_instance_id")) => Role::StreamInstanceId,
                (Scope::PacketContext, true, Some("timestamp_begin")) => Role::TsBegin,
                (Scope::PacketContext, true, Some("timestamp_end")) => Role::TsEnd,
                (Scope::PacketContext, true, Some("content_size")) => Role::ContentSize,
                (Scope::PacketContext, true, Some("packet_size")) => Role::PacketSize,
                (Scope::PacketContext, true, Some("events_discarded")) => Role::Discarded,
                (Scope::PacketContext, true, Some("packet_seq_num")) => Role::SeqNum,
                (Scope::PacketContext, true, Some("cpu_id")) => Role::CpuId,
                (Scope::EventHeader, _, Some("id")) => Role::EventId,
                (Scope::PacketHeader | Scope::PacketContext, _, _) => Role::None,
                _ if i.clock.is_some() => Role::Clock,
                _ => Role::None,
            }
        };
        if role == Role::Clock && ctx.scope == Scope::EventHeader && self.clock_name.is_none() {
            self.clock_name = i.clock.clone();
        }
        let n = IntNode {
            bits: i.bits,
            signed: i.signed,
            be: self.be(i.order),
            align: i.align,
            text: i.text,
            slot: NO_SLOT,
            role,
            labels,
        };
        self.push(Node::Int(n), u64::from(i.bits))
    }

    fn align_of(&self, id: usize) -> u32 {
        match &self.nodes[id] {
            Node::Int(i) => i.align,
            Node::Float { align, .. } | Node::Struct { align, .. } | Node::Array { align, .. } => {
                *align
            }
            Node::Str => 8,
            Node::Variant { .. } => 1,
        }
    }

    fn node(&mut self, ty: &TypeDecl, name: Option<&str>, ctx: Ctx) -> Result<usize, String> {
        Ok(match ty {
            TypeDecl::Int(i) => self.int(i, name, ctx, None),
            TypeDecl::Enum { repr, mappings } => self.int(repr, name, ctx, Some(mappings.clone())),
            TypeDecl::Float { bits, align, order } => {
                let n = Node::Float {
                    bits: *bits,
                    be: self.be(*order),
                    align: *align,
                };
                self.push(n, u64::from(*bits))
            }
            TypeDecl::Str => self.push(Node::Str, 8),
            TypeDecl::Struct { fields, align } => {
                self.frames.push(Vec::new());
                let mut members = Vec::with_capacity(fields.len());
                let mut max_align = *align;
                let mut min = 0u64;
                for f in fields {
                    let inner = Ctx {
                        top: self.frames.len() == 1 && !ctx.in_array,
                        ..ctx
                    };
                    let id = match self.node(&f.ty, Some(&f.name), inner) {
                        Ok(id) => id,
                        Err(e) => {
                            self.frames.pop();
                            return Err(e);
                        }
                    };
                    max_align = max_align.max(self.align_of(id));
                    min = min.saturating_add(self.min_bits[id]);
                    members.push((f.name.clone(), id));
                    if let Some(fr) = self.frames.last_mut() {
                        fr.push((f.name.clone(), id));
                    }
                }
                self.frames.pop();
                self.push(
                    Node::Struct {
                        align: max_align,
                        members,
                    },
                    min,
                )
            }
            TypeDecl::Array { elem, len } => {
                let count = match len {
                    LenDecl::Fixed(n) => Count::Fixed(*n),
                    LenDecl::Path(p) => Count::Slot(self.slot_for(p)?),
                };
                let inner = Ctx {
                    in_array: true,
                    ..ctx
                };
                let e = self.node(elem, None, inner)?;
                let text = matches!(&self.nodes[e], Node::Int(i) if i.text && i.bits == 8);
                let min_elem = self.min_bits[e];
                let min = match count {
                    Count::Fixed(n) => n.saturating_mul(min_elem),
                    Count::Slot(_) => 0,
                };
                let n = Node::Array {
                    align: self.align_of(e),
                    elem: e,
                    len: count,
                    text,
                    min_elem,
                };
                self.push(n, min)
            }
            TypeDecl::Variant { tag, options } => {
                let Some(tag) = tag else {
                    return Err(format!(
                        "variant `{}` has no tag",
                        name.unwrap_or("(anonymous)")
                    ));
                };
                let tag_node = self.resolve(tag)?;
                let slot = self.slot_for(tag)?;
                let Node::Int(IntNode {
                    labels: Some(labels),
                    signed,
                    ..
                }) = &self.nodes[tag_node]
                else {
                    return Err(format!(
                        "variant tag `{}` is not an enumeration",
                        tag.join(".")
                    ));
                };
                let (labels, signed) = (labels.clone(), *signed);
                let mut ids = Vec::with_capacity(options.len());
                let mut min = u64::MAX;
                for o in options {
                    let id = self.node(&o.ty, Some(&o.name), ctx)?;
                    min = min.min(self.min_bits[id]);
                    ids.push((o.name.clone(), id));
                }
                let cases = select(&labels, options);
                let n = Node::Variant {
                    tag: slot,
                    signed,
                    cases: cases.into(),
                    options: ids,
                };
                self.push(n, if min == u64::MAX { 0 } else { min })
            }
        })
    }

    /// The node an earlier integer field's path names: absolute (`event.fields.len`), or
    /// relative, looked up from the innermost open structure outwards, then in the earlier
    /// scopes of the same event.
    fn resolve(&self, path: &[String]) -> Result<usize, String> {
        let shown = || path.join(".");
        for (prefix, root) in self.roots.iter().rev() {
            if path.len() > prefix.len() && path.iter().zip(prefix.iter()).all(|(a, b)| a == b) {
                return self
                    .descend(*root, &path[prefix.len()..])
                    .ok_or_else(|| format!("`{}` names no earlier field", shown()));
            }
        }
        let first = exposed(&path[0]);
        let found = self
            .frames
            .iter()
            .rev()
            .find_map(|f| f.iter().rev().find(|(n, _)| &**n == first).map(|m| m.1))
            .or_else(|| {
                self.roots
                    .iter()
                    .rev()
                    .find_map(|(_, r)| match &self.nodes[*r] {
                        Node::Struct { members, .. } => {
                            members.iter().find(|(n, _)| &**n == first).map(|m| m.1)
                        }
                        _ => None,
                    })
            });
        found
            .and_then(|id| self.descend(id, &path[1..]))
            .ok_or_else(|| format!("`{}` names no earlier field", shown()))
    }

    fn descend(&self, mut id: usize, rest: &[String]) -> Option<usize> {
        for part in rest {
            let Node::Struct { members, .. } = &self.nodes[id] else {
                return None;
            };
            id = members.iter().find(|(n, _)| &**n == exposed(part))?.1;
        }
        Some(id)
    }

    fn slot_for(&mut self, path: &[String]) -> Result<u16, String> {
        let id = self.resolve(path)?;
        let next = self.slots;
        match &mut self.nodes[id] {
            Node::Int(i) => {
                if i.slot == NO_SLOT {
                    if next >= usize::from(NO_SLOT) {
                        return Err("too many length and tag fields".into());
                    }
                    i.slot = next as u16;
                    self.slots += 1;
                }
                Ok(i.slot)
            }
            _ => Err(format!("`{}` is not an integer", path.join("."))),
        }
    }

    /// Appends the walk of node `id` to `b`.
    fn ops(&self, id: usize, b: &mut OpBuilder) {
        match &self.nodes[id] {
            Node::Int(i) => {
                b.align(i.align);
                let needed = i.slot != NO_SLOT
                    || !matches!(i.role, Role::None | Role::Clock)
                    || (i.role == Role::Clock && b.clock);
                if needed {
                    b.push(Op::Read {
                        bits: i.bits,
                        be: i.be,
                        signed: i.signed,
                        slot: i.slot,
                        role: if i.role == Role::Clock && !b.clock {
                            Role::None
                        } else {
                            i.role
                        },
                    });
                    b.phase.advance(u64::from(i.bits));
                } else {
                    b.skip(u64::from(i.bits));
                }
            }
            Node::Float { bits, align, .. } => {
                b.align(*align);
                b.skip(u64::from(*bits));
            }
            Node::Str => {
                b.align(8);
                b.push(Op::Str);
                b.phase = Phase { m: 8, r: 0 };
            }
            Node::Struct { members, .. } => {
                b.align(self.align_of(id));
                for (_, m) in members {
                    self.ops(*m, b);
                }
            }
            Node::Array {
                align,
                elem,
                len,
                min_elem,
                ..
            } => {
                b.align(*align);
                let start = b.phase;
                // Elements that are a plain skip whose length keeps the alignment have a fixed
                // stride.
                let mut probe = OpBuilder::new(
                    Phase {
                        m: u64::from(*align),
                        r: 0,
                    },
                    b.clock,
                );
                self.ops(*elem, &mut probe);
                let (body, _) = probe.finish();
                let stride = match body.as_slice() {
                    [] => Some(0),
                    [Op::Skip(k)] if k % u64::from(*align) == 0 => Some(*k),
                    _ => None,
                };
                match (stride, len) {
                    (Some(k), Count::Fixed(n)) => b.skip(k.saturating_mul(*n)),
                    (Some(k), Count::Slot(_)) => {
                        b.push(Op::SkipElems {
                            count: *len,
                            stride: k,
                        });
                        b.phase = start.join(start.after_multiple_of(k));
                    }
                    (None, _) => {
                        let mut body = OpBuilder::new(Phase::UNKNOWN, b.clock);
                        self.ops(*elem, &mut body);
                        b.push(Op::Loop {
                            count: *len,
                            min_elem: *min_elem,
                            body: body.finish().0.into(),
                        });
                        b.phase = Phase::UNKNOWN;
                    }
                }
            }
            Node::Variant {
                tag,
                signed,
                cases,
                options,
            } => {
                let start = b.phase;
                let mut end: Option<Phase> = None;
                let mut compiled = Vec::with_capacity(options.len());
                for (_, o) in options {
                    let mut ob = OpBuilder::new(start, b.clock);
                    self.ops(*o, &mut ob);
                    let (ops, p) = ob.finish();
                    end = Some(end.map_or(p, |e| e.join(p)));
                    compiled.push(ops.into_boxed_slice());
                }
                b.push(Op::Variant {
                    tag: *tag,
                    signed: *signed,
                    cases: cases.clone(),
                    options: compiled.into(),
                });
                b.phase = end.unwrap_or(start);
            }
        }
    }
}

/// Tag ranges to options: an option is selected by the enumeration labels equal to its name
/// (as written or as exposed).
fn select(labels: &[Mapping], options: &[FieldDecl]) -> Vec<Case> {
    labels
        .iter()
        .filter_map(|l| {
            let o = options.iter().position(|o| {
                *o.raw == *l.label || *o.name == *l.label || &*o.name == exposed(&l.label)
            })?;
            Some(Case {
                lo: l.lo,
                hi: l.hi,
                option: o as u32,
            })
        })
        .collect()
}

/// An event header of the usual shape — an enumeration tag, then a variant on it whose
/// options are fixed-size with at most an event id to read (LTTng's compact and large headers,
/// tracer-core's) — as a table from tag ranges to option shapes: counting then reads the tag,
/// maybe the id, and moves on, with no op dispatch.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TaggedHeader {
    pub align: u32,
    /// Bits before the tag.
    pub lead: u64,
    pub tag_bits: u32,
    pub tag_be: bool,
    pub tag_signed: bool,
    /// The tag is the event id (named `id`) unless an option reads another one.
    pub tag_is_id: bool,
    pub tag_slot: u16,
    pub cases: Box<[(i128, i128, HeaderShape)]>,
}

/// A header option after the tag: where its event id is (bit offset, bits, big-endian) and
/// its length in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeaderShape {
    pub id: Option<(u64, u32, bool)>,
    pub len: u64,
}

fn tagged_header(ops: &[Op]) -> Option<TaggedHeader> {
    let mut i = 0;
    let mut align = 1;
    let mut lead = 0;
    if let Some(Op::Align(a)) = ops.get(i) {
        align = *a;
        i += 1;
    }
    if let Some(Op::Skip(n)) = ops.get(i) {
        lead = *n;
        i += 1;
    }
    let Some(&Op::Read {
        bits,
        be,
        signed,
        slot,
        role,
    }) = ops.get(i)
    else {
        return None;
    };
    let Some(Op::Variant {
        tag,
        cases,
        options,
        ..
    }) = ops.get(i + 1)
    else {
        return None;
    };
    if ops.len() != i + 2 || *tag != slot || !matches!(role, Role::EventId | Role::None) {
        return None;
    }
    let mut shapes = Vec::with_capacity(options.len());
    for o in options.iter() {
        let mut shape = HeaderShape { id: None, len: 0 };
        for op in o.iter() {
            match *op {
                Op::Skip(n) => shape.len += n,
                Op::Read {
                    bits,
                    be,
                    signed: false,
                    slot: NO_SLOT,
                    role: Role::EventId,
                } => {
                    shape.id = Some((shape.len, bits, be));
                    shape.len += u64::from(bits);
                }
                _ => return None,
            }
        }
        shapes.push(shape);
    }
    Some(TaggedHeader {
        align,
        lead,
        tag_bits: bits,
        tag_be: be,
        tag_signed: signed,
        tag_is_id: role == Role::EventId,
        tag_slot: slot,
        cases: cases
            .iter()
            .filter_map(|c| Some((c.lo, c.hi, *shapes.get(c.option as usize)?)))
            .collect(),
    })
}

/// What is known of the bit position: `pos % m == r` (`m` a power of two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Phase {
    m: u64,
    r: u64,
}

impl Phase {
    const UNKNOWN: Phase = Phase { m: 1, r: 0 };
    const BYTE: Phase = Phase { m: 8, r: 0 };

    fn advance(&mut self, bits: u64) {
        self.r = (self.r + bits % self.m) % self.m;
    }

    /// The phase after this one plus any multiple of `k` bits.
    fn after_multiple_of(self, k: u64) -> Phase {
        let m = if k == 0 {
            self.m
        } else {
            self.m.min(1 << k.trailing_zeros().min(63))
        };
        Phase { m, r: self.r % m }
    }

    /// What both phases have in common.
    fn join(self, o: Phase) -> Phase {
        let mut m = self.m.min(o.m);
        while m > 1 && self.r % m != o.r % m {
            m /= 2;
        }
        Phase { m, r: self.r % m }
    }
}

struct OpBuilder {
    ops: Vec<Op>,
    pending: u64,
    phase: Phase,
    /// Whether clock-mapped fields are read (values) or skipped (counting).
    clock: bool,
}

impl OpBuilder {
    fn new(phase: Phase, clock: bool) -> Self {
        OpBuilder {
            ops: Vec::new(),
            pending: 0,
            phase,
            clock,
        }
    }

    fn skip(&mut self, bits: u64) {
        self.pending = self.pending.saturating_add(bits);
        self.phase.advance(bits);
    }

    fn align(&mut self, a: u32) {
        let a = u64::from(a);
        if a <= 1 {
            return;
        }
        if a <= self.phase.m {
            let pad = (a - self.phase.r % a) % a;
            self.skip(pad);
        } else {
            self.flush();
            self.ops.push(Op::Align(a as u32));
            self.phase = Phase { m: a, r: 0 };
        }
    }

    fn flush(&mut self) {
        if self.pending > 0 {
            self.ops.push(Op::Skip(self.pending));
            self.pending = 0;
        }
    }

    fn push(&mut self, op: Op) {
        self.flush();
        self.ops.push(op);
    }

    fn finish(mut self) -> (Vec<Op>, Phase) {
        self.flush();
        (self.ops, self.phase)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tsdl::parse;
    use super::*;

    #[test]
    fn lttng_shapes_compile_to_short_walks() {
        let m = parse(super::super::tsdl::tests::UST_LIKE.as_bytes()).unwrap();
        let l = compile(&m).unwrap();
        let s = &l.streams[0];
        // Compact header: 5-bit id (event id and tag), then by tag a 27-bit timestamp (skipped
        // when counting) or a 32-bit id and a 64-bit timestamp.
        assert!(
            matches!(
                &s.header_count[..],
                [Op::Read { bits: 5, role: Role::EventId, .. }, Op::Variant { options, .. }]
                    if *options[0] == [Op::Skip(27)]
                        && matches!(&options[1][..], [Op::Skip(3), Op::Read { bits: 32, role: Role::EventId, .. }, Op::Skip(64)])
            ),
            "{:?}",
            s.header_count
        );
        assert!(s
            .header_full
            .iter()
            .any(|o| matches!(o, Op::Variant { options, .. }
            if matches!(&options[0][..], [Op::Read { bits: 27, role: Role::Clock, .. }]))));
        let fast = s.header_fast.as_ref().unwrap();
        assert_eq!((fast.tag_bits, fast.tag_is_id), (5, true));
        assert_eq!(
            fast.cases[..],
            [
                (0, 30, HeaderShape { id: None, len: 27 }),
                (
                    31,
                    31,
                    HeaderShape {
                        id: Some((3, 32, false)),
                        len: 99
                    }
                )
            ]
        );
        assert!(l.has_magic);
        // Context (vpid, procname[17]): one skip; the payload structure is aligned like its
        // double (64 bits); baddr; the string; the length (read into a slot), the bytes, the
        // enum, padding to the double.
        let ops = &l.class_layouts[0].ops;
        assert_eq!(
            ops[..4],
            [Op::Skip(32 + 17 * 8), Op::Align(64), Op::Skip(64), Op::Str]
        );
        assert!(
            matches!(
                ops[4],
                Op::Read {
                    bits: 64,
                    slot: 1,
                    ..
                }
            ),
            "{ops:?}"
        );
        assert!(
            matches!(
                ops[5],
                Op::SkipElems {
                    count: Count::Slot(1),
                    stride: 8
                }
            ),
            "{ops:?}"
        );
        assert_eq!(ops[6..], [Op::Skip(8), Op::Align(64), Op::Skip(64)]);
        assert_eq!(
            l.classes[0].emf_uri.as_deref(),
            Some("callsite?file=a.c&line=3")
        );
        assert_eq!(l.clock.as_ref().unwrap().name, "monotonic");
    }

    #[test]
    fn paths_resolve_relative_absolute_and_across_scopes() {
        let m = parse(
            br#"
            typealias integer { size = 8; } := u8;
            trace { byte_order = be; packet.header := struct { u8 n; }; };
            stream { event.context := struct { u8 len; }; };
            event { name = a; fields := struct {
                u8 xs[stream.event.context.len];
                u8 ys[len];
                u8 zs[trace.packet.header.n];
                struct { u8 inner; u8 in_struct[inner]; } s;
                u8 s_again[s.inner];
            }; };
            event { name = b; id = 1; fields := struct { u8 nope[missing]; }; };
            "#,
        )
        .unwrap();
        let e = compile(&m).unwrap_err();
        assert!(
            e.message.contains("`missing` names no earlier field"),
            "{e:?}"
        );
        let mut m2 = m.clone();
        m2.events.pop();
        let l = compile(&m2).unwrap();
        assert_eq!(l.slots, 3);
    }
}
