//! Event schemas: everything the metadata says about one event class (name, call site, level,
//! payload layout), as owned plain data.
//!
//! A schema comes from a Rust `tracepoint!` (its [`FieldDesc`]s), from a C call site (the C
//! API's field descriptors) or from another process (the class log in shared memory, see
//! [`crate::remote`]). The TSDL writer and the event walker only see schemas, so they describe
//! and cut the events of every source the same way. [`EventSchema::encode`] and
//! [`EventSchema::decode`] are the class log's record format; decoding never trusts its input.

use crate::codec::{Dec, Enc};
use crate::field::{FieldDesc, FieldType, Scalar};

/// The type of one payload field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A number; `hex` asks readers to show it in base 16.
    Number {
        /// Size and representation.
        ty: Scalar,
        /// Display base 16.
        hex: bool,
    },
    /// One byte, described as an enumeration `false`/`true`.
    Bool,
    /// NUL-terminated UTF-8.
    Str,
    /// `len` numbers; `text` marks a character array.
    Array {
        /// Element type.
        elem: Scalar,
        /// Element count.
        len: u32,
        /// Characters (8-bit elements shown as text).
        text: bool,
    },
    /// An unsigned length of `len_bits` bits, then that many numbers.
    Sequence {
        /// Element type.
        elem: Scalar,
        /// Bits of the length prefix: 8, 16, 32 or 64.
        len_bits: u8,
        /// Characters (8-bit elements shown as text).
        text: bool,
    },
    /// An integer with named values or ranges.
    Enum {
        /// The integer representation.
        repr: Scalar,
        /// Label and inclusive range of every entry.
        labels: Vec<EnumLabel>,
    },
}

/// One entry of an enumeration: `label = start ... end`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumLabel {
    /// The name shown for values in the range.
    pub label: String,
    /// First value.
    pub start: i64,
    /// Last value (equal to `start` for a single value).
    pub end: i64,
}

/// A named payload field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSchema {
    /// Identifier characters only (checked by [`EventSchema::decode`]).
    pub name: String,
    /// Its type.
    pub kind: FieldKind,
}

/// One event class: the events of one call site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSchema {
    /// The id its events carry in the trace.
    pub id: u32,
    /// Provider (`myapp` in `myapp:request_done`).
    pub provider: String,
    /// Event name within the provider.
    pub event: String,
    /// Source file of the call site, as the compiler named it.
    pub file: String,
    /// Line of the call site.
    pub line: u32,
    /// Enclosing function.
    pub function: String,
    /// Severity, LTTng numbering (0 = emergency … 14 = debug).
    pub level: u32,
    /// Payload fields in order.
    pub fields: Vec<FieldSchema>,
}

impl FieldKind {
    /// The kind of a Rust `tracepoint!` field.
    pub fn from_type(ty: &FieldType) -> FieldKind {
        match *ty {
            FieldType::Scalar(s) => FieldKind::Number { ty: s, hex: false },
            FieldType::Bool => FieldKind::Bool,
            FieldType::Str => FieldKind::Str,
            FieldType::Array(elem, len) => FieldKind::Array {
                elem,
                len: u32::try_from(len).unwrap_or(u32::MAX),
                text: false,
            },
            FieldType::Sequence(elem) => FieldKind::Sequence {
                elem,
                len_bits: 32,
                text: false,
            },
            FieldType::Enum { repr, labels } => FieldKind::Enum {
                repr,
                labels: labels
                    .iter()
                    .map(|&(l, v)| EnumLabel {
                        label: l.to_owned(),
                        start: v,
                        end: v,
                    })
                    .collect(),
            },
        }
    }

    /// Position after the field starting at `bytes[pos..]`, or `None` if it is cut short.
    #[inline]
    pub fn skip(&self, bytes: &[u8], pos: usize) -> Option<usize> {
        let end = match self {
            FieldKind::Number { ty: s, .. } | FieldKind::Enum { repr: s, .. } => pos + s.size(),
            FieldKind::Bool => pos + 1,
            FieldKind::Str => pos + crate::ctf::first_nul(bytes.get(pos..)?)? + 1,
            FieldKind::Array { elem, len, .. } => pos.checked_add(elem.size() * *len as usize)?,
            FieldKind::Sequence { elem, len_bits, .. } => {
                let w = usize::from(*len_bits / 8);
                let mut n = [0u8; 8];
                n[..w].copy_from_slice(bytes.get(pos..pos + w)?);
                let n = usize::try_from(u64::from_le_bytes(n)).ok()?;
                (pos + w).checked_add(elem.size().checked_mul(n)?)?
            }
        };
        (end <= bytes.len()).then_some(end)
    }
}

impl EventSchema {
    /// The schema of a Rust call site.
    pub fn from_rust(
        id: u32,
        (provider, event, file, line): (&str, &str, &str, u32),
        function: &str,
        level: u32,
        fields: &[FieldDesc],
    ) -> EventSchema {
        EventSchema {
            id,
            provider: provider.to_owned(),
            event: event.to_owned(),
            file: file.to_owned(),
            line,
            function: function.to_owned(),
            level,
            fields: fields
                .iter()
                .map(|f| FieldSchema {
                    name: f.name.to_owned(),
                    kind: FieldKind::from_type(&f.ty),
                })
                .collect(),
        }
    }

    /// `provider:event`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.provider, self.event)
    }

    /// Appends the class-log record of this schema to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut e = Enc(out);
        e.u32(self.id);
        e.str(&self.provider);
        e.str(&self.event);
        e.str(&self.file);
        e.u32(self.line);
        e.str(&self.function);
        e.u32(self.level);
        e.u32(self.fields.len() as u32);
        for f in &self.fields {
            e.str(&f.name);
            match &f.kind {
                FieldKind::Number { ty, hex } => {
                    e.u8(0);
                    put_scalar(&mut e, *ty);
                    e.u8(u8::from(*hex));
                }
                FieldKind::Bool => e.u8(1),
                FieldKind::Str => e.u8(2),
                FieldKind::Array { elem, len, text } => {
                    e.u8(3);
                    put_scalar(&mut e, *elem);
                    e.u32(*len);
                    e.u8(u8::from(*text));
                }
                FieldKind::Sequence {
                    elem,
                    len_bits,
                    text,
                } => {
                    e.u8(4);
                    put_scalar(&mut e, *elem);
                    e.u8(*len_bits);
                    e.u8(u8::from(*text));
                }
                FieldKind::Enum { repr, labels } => {
                    e.u8(5);
                    put_scalar(&mut e, *repr);
                    e.u32(labels.len() as u32);
                    for l in labels {
                        e.str(&l.label);
                        e.i64(l.start);
                        e.i64(l.end);
                    }
                }
            }
        }
    }

    /// Reads one record written by [`EventSchema::encode`]; `None` when it is malformed (cut
    /// short, unknown tags, sizes that are not 8/16/32/64 bits, field names that are not
    /// identifiers). The record may come from another process, so nothing is trusted.
    pub fn decode(bytes: &[u8]) -> Option<EventSchema> {
        let mut d = Dec::new(bytes);
        let id = d.u32()?;
        let provider = d.str()?;
        let event = d.str()?;
        let file = d.str()?;
        let line = d.u32()?;
        let function = d.str()?;
        let level = d.u32()?;
        let n = d.u32()?;
        let mut fields = Vec::new();
        for _ in 0..n {
            let name = d.str()?;
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return None;
            }
            let kind = match d.u8()? {
                0 => FieldKind::Number {
                    ty: get_scalar(&mut d)?,
                    hex: d.u8()? != 0,
                },
                1 => FieldKind::Bool,
                2 => FieldKind::Str,
                3 => FieldKind::Array {
                    elem: get_scalar(&mut d)?,
                    len: d.u32()?,
                    text: d.u8()? != 0,
                },
                4 => FieldKind::Sequence {
                    elem: get_scalar(&mut d)?,
                    len_bits: Some(d.u8()?).filter(|b| matches!(b, 8 | 16 | 32 | 64))?,
                    text: d.u8()? != 0,
                },
                5 => {
                    let repr = get_scalar(&mut d)?;
                    let count = d.u32()?;
                    let mut labels = Vec::new();
                    for _ in 0..count {
                        let label = d.str()?;
                        let start = d.i64()?;
                        let end = d.i64()?;
                        labels.push(EnumLabel { label, start, end });
                    }
                    FieldKind::Enum { repr, labels }
                }
                _ => return None,
            };
            fields.push(FieldSchema { name, kind });
        }
        d.done().then_some(EventSchema {
            id,
            provider,
            event,
            file,
            line,
            function,
            level,
            fields,
        })
    }
}

impl EventSchema {
    /// The payload `bytes` of one event as text: `count = 3, name = "world"`. Stops at the
    /// first field the bytes do not hold.
    pub fn format_payload(&self, bytes: &[u8]) -> String {
        let mut out = String::new();
        let mut pos = 0;
        for f in &self.fields {
            let Some(end) = f.kind.skip(bytes, pos) else {
                break;
            };
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(&f.name);
            out.push_str(" = ");
            format_field(&mut out, &f.kind, &bytes[pos..end]);
            pos = end;
        }
        out
    }
}

fn scalar_text(s: Scalar, b: &[u8], hex: bool) -> String {
    let mut w = [0u8; 8];
    w[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
    let raw = u64::from_le_bytes(w);
    match s {
        Scalar::Int { bits, signed } => {
            if hex {
                format!("{raw:#x}")
            } else if signed {
                let shift = 64 - u32::from(bits);
                (((raw << shift) as i64) >> shift).to_string()
            } else {
                raw.to_string()
            }
        }
        Scalar::F32 => f32::from_bits(raw as u32).to_string(),
        Scalar::F64 => f64::from_bits(raw).to_string(),
    }
}

fn int_value(s: Scalar, b: &[u8]) -> i64 {
    scalar_text(s, b, false).parse().unwrap_or(0)
}

fn format_field(out: &mut String, kind: &FieldKind, b: &[u8]) {
    use std::fmt::Write;
    match kind {
        FieldKind::Number { ty, hex } => out.push_str(&scalar_text(*ty, b, *hex)),
        FieldKind::Bool => out.push_str(if b.first() == Some(&0) {
            "false"
        } else {
            "true"
        }),
        FieldKind::Str => {
            let _ = write!(
                out,
                "{:?}",
                String::from_utf8_lossy(&b[..b.len().saturating_sub(1)])
            );
        }
        FieldKind::Array { elem, text, .. } | FieldKind::Sequence { elem, text, .. } => {
            let items = match kind {
                FieldKind::Sequence { len_bits, .. } => &b[usize::from(*len_bits / 8)..],
                _ => b,
            };
            if *text {
                let _ = write!(out, "{:?}", String::from_utf8_lossy(items));
            } else {
                out.push('[');
                for (i, c) in items.chunks(elem.size()).enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&scalar_text(*elem, c, false));
                }
                out.push(']');
            }
        }
        FieldKind::Enum { repr, labels } => {
            let v = int_value(*repr, b);
            match labels.iter().find(|l| l.start <= v && v <= l.end) {
                Some(l) => {
                    let _ = write!(out, "{} ({v})", l.label);
                }
                None => out.push_str(&v.to_string()),
            }
        }
    }
}

fn put_scalar(e: &mut Enc<'_>, s: Scalar) {
    match s {
        Scalar::Int { bits, signed } => {
            e.u8(0);
            e.u8(bits);
            e.u8(u8::from(signed));
        }
        Scalar::F32 => e.u8(1),
        Scalar::F64 => e.u8(2),
    }
}

fn get_scalar(d: &mut Dec<'_>) -> Option<Scalar> {
    match d.u8()? {
        0 => {
            let bits = d.u8()?;
            let signed = d.u8()? != 0;
            matches!(bits, 8 | 16 | 32 | 64).then_some(Scalar::Int { bits, signed })
        }
        1 => Some(Scalar::F32),
        2 => Some(Scalar::F64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EventSchema {
        EventSchema {
            id: 3,
            provider: "hello_world".into(),
            event: "greeting".into(),
            file: "src/hé llo.c".into(),
            line: 21,
            function: "main".into(),
            level: 13,
            fields: vec![
                FieldSchema {
                    name: "n".into(),
                    kind: FieldKind::Number {
                        ty: Scalar::Int {
                            bits: 32,
                            signed: true,
                        },
                        hex: true,
                    },
                },
                FieldSchema {
                    name: "s".into(),
                    kind: FieldKind::Str,
                },
                FieldSchema {
                    name: "seq".into(),
                    kind: FieldKind::Sequence {
                        elem: Scalar::F64,
                        len_bits: 16,
                        text: false,
                    },
                },
                FieldSchema {
                    name: "e".into(),
                    kind: FieldKind::Enum {
                        repr: Scalar::Int {
                            bits: 8,
                            signed: false,
                        },
                        labels: vec![EnumLabel {
                            label: "LOW".into(),
                            start: 0,
                            end: 9,
                        }],
                    },
                },
            ],
        }
    }

    #[test]
    fn records_round_trip() {
        let s = sample();
        let mut b = Vec::new();
        s.encode(&mut b);
        assert_eq!(EventSchema::decode(&b), Some(s));
    }

    #[test]
    fn every_truncation_and_a_bad_name_are_refused() {
        let mut b = Vec::new();
        sample().encode(&mut b);
        for n in 0..b.len() {
            assert_eq!(EventSchema::decode(&b[..n]), None, "cut at {n}");
        }
        let mut bad = sample();
        bad.fields[0].name = "a;b".into();
        let mut b = Vec::new();
        bad.encode(&mut b);
        assert_eq!(EventSchema::decode(&b), None);
    }

    #[test]
    fn payloads_are_formatted_field_by_field() {
        let s = sample();
        let mut b = Vec::new();
        b.extend_from_slice(&255i32.to_le_bytes());
        b.extend_from_slice(b"hi\0");
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&2.5f64.to_le_bytes());
        b.push(4);
        assert_eq!(
            s.format_payload(&b),
            "n = 0xff, s = \"hi\", seq = [2.5], e = LOW (4)"
        );
        assert_eq!(s.format_payload(&b[..6]), "n = 0xff");
    }

    #[test]
    fn sequences_with_any_length_prefix_are_skipped() {
        let k = FieldKind::Sequence {
            elem: Scalar::Int {
                bits: 16,
                signed: false,
            },
            len_bits: 8,
            text: false,
        };
        assert_eq!(k.skip(&[2, 1, 0, 2, 0], 0), Some(5));
        assert_eq!(k.skip(&[3, 1, 0, 2, 0], 0), None);
        let huge = FieldKind::Sequence {
            elem: Scalar::F64,
            len_bits: 64,
            text: false,
        };
        assert_eq!(
            huge.skip(&[0xff; 8], 0),
            None,
            "no overflow on huge lengths"
        );
    }
}
