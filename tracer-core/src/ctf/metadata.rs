//! TSDL metadata: the text that makes a trace self-describing for CTF 1.8 readers (babeltrace2,
//! Trace Compass).
//!
//! Call sites: babeltrace2 2.0 warns on TSDL `callsite` blocks, so each call site is its own
//! event class (same name as the other call sites of the event, its own id) and carries its
//! location in the event attribute `model.emf.uri`, which readers accept and keep:
//! `callsite?file=src%2Fmain.rs&line=42&func=myapp%3A%3Ahandle` — a URI query whose values are
//! percent-encoded, so the file and function can hold any character.

use crate::clock::TraceClock;
use crate::ctf::header::TSDL_EVENT_HEADER;
use crate::ctf::packet::{TSDL_PACKET_CONTEXT, TSDL_PACKET_HEADER};
use crate::field::Scalar;
use crate::schema::{EnumLabel, EventSchema, FieldKind, FieldSchema};
use std::fmt::Write;
use std::sync::Arc;

/// Everything the metadata describes.
pub struct TraceDescription<'a> {
    /// Trace UUID.
    pub uuid: [u8; 16],
    /// Clock UUID: the same in every trace of one recording, so readers merge them.
    pub clock_uuid: [u8; 16],
    /// The trace clock.
    pub clock: &'a TraceClock,
    /// Stream classes: (stream id, channel name).
    pub channels: &'a [(u32, &'a str)],
    /// Event classes; each is declared once per stream class.
    pub classes: &'a [Arc<EventSchema>],
    /// Extra `env` entries (name, value).
    pub env: &'a [(&'a str, EnvValue)],
}

/// Value of an `env` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvValue {
    /// A string literal.
    Str(String),
    /// An integer literal.
    Int(i64),
}

/// Formats a UUID the way TSDL and most tools write it.
pub fn uuid_string(u: &[u8; 16]) -> String {
    let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A TSDL string literal.
fn quoted(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                q.push('\\');
                q.push(c);
            }
            '\n' => q.push_str("\\n"),
            c if c.is_control() => q.push(' '),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// Percent-encodes everything but unreserved URI characters.
fn pct(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            o.push(b as char);
        } else {
            let _ = write!(o, "%{b:02X}");
        }
    }
    o
}

/// The `model.emf.uri` value describing a call site.
pub fn callsite_uri(file: &str, line: u32, function: &str) -> String {
    format!(
        "callsite?file={}&line={line}&func={}",
        pct(file),
        pct(function)
    )
}

fn scalar(s: Scalar, hex: bool, text: bool) -> String {
    match s {
        Scalar::Int { bits, signed } => {
            let base = if hex { " base = 16;" } else { "" };
            let enc = if text && bits == 8 {
                " encoding = UTF8;"
            } else {
                ""
            };
            format!("integer {{ size = {bits}; align = 8; signed = {signed};{base}{enc} }}")
        }
        Scalar::F32 => "floating_point { exp_dig = 8; mant_dig = 24; align = 8; }".into(),
        Scalar::F64 => "floating_point { exp_dig = 11; mant_dig = 53; align = 8; }".into(),
    }
}

fn enum_entries(labels: &[EnumLabel]) -> String {
    let mut body: Vec<String> = labels
        .iter()
        .map(|l| {
            if l.start == l.end {
                format!("{} = {}", quoted(&l.label), l.start)
            } else {
                format!("{} = {} ... {}", quoted(&l.label), l.start, l.end)
            }
        })
        .collect();
    if body.is_empty() {
        body.push("\"\" = 0".into());
    }
    body.join(", ")
}

/// Field declarations. Names get a `_` prefix, which CTF readers strip, so a field may be
/// called like a TSDL keyword (`id`, `length`).
fn field(out: &mut String, f: &FieldSchema) {
    let n = &f.name;
    let _ = match &f.kind {
        FieldKind::Number { ty, hex } => writeln!(out, "\t\t{} _{n};", scalar(*ty, *hex, false)),
        FieldKind::Bool => writeln!(
            out,
            "\t\tenum : integer {{ size = 8; align = 8; signed = false; }} {{ \"false\" = 0, \"true\" = 1 }} _{n};"
        ),
        FieldKind::Str => writeln!(out, "\t\tstring {{ encoding = UTF8; }} _{n};"),
        FieldKind::Array { elem, len, text } => {
            writeln!(out, "\t\t{} _{n}[{len}];", scalar(*elem, false, *text))
        }
        FieldKind::Sequence {
            elem,
            len_bits,
            text,
        } => writeln!(
            out,
            "\t\tinteger {{ size = {len_bits}; align = 8; signed = false; }} __{n}_length;\n\t\t{} _{n}[__{n}_length];",
            scalar(*elem, false, *text)
        ),
        FieldKind::Enum { repr, labels } => writeln!(
            out,
            "\t\tenum : {} {{ {} }} _{n};",
            scalar(*repr, false, false),
            enum_entries(labels)
        ),
    };
}

/// The complete metadata text.
pub fn tsdl(d: &TraceDescription<'_>) -> String {
    let uuid = uuid_string(&d.uuid);
    let clock_uuid = uuid_string(&d.clock_uuid);
    let mut o = String::from("/* CTF 1.8 */\n\n");
    for (name, size, signed) in [
        ("uint8_t", 8, false),
        ("uint16_t", 16, false),
        ("uint32_t", 32, false),
        ("uint64_t", 64, false),
    ] {
        let _ = writeln!(
            o,
            "typealias integer {{ size = {size}; align = 8; signed = {signed}; }} := {name};"
        );
    }
    let _ = write!(
        o,
        "\ntrace {{\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"{uuid}\";\n\tbyte_order = le;\n{TSDL_PACKET_HEADER}\n}};\n\n"
    );
    o.push_str("env {\n");
    for (k, v) in d.env {
        let _ = match v {
            EnvValue::Str(s) => writeln!(o, "\t{k} = {};", quoted(s)),
            EnvValue::Int(i) => writeln!(o, "\t{k} = {i};"),
        };
    }
    o.push_str("};\n\n");
    let c = d.clock;
    let source = match c.source {
        crate::clock::ClockSource::Tsc => "invariant TSC calibrated against CLOCK_MONOTONIC",
        crate::clock::ClockSource::Monotonic => "CLOCK_MONOTONIC",
    };
    let _ = write!(
        o,
        "clock {{\n\tname = \"monotonic\";\n\tuuid = \"{clock_uuid}\";\n\tdescription = \"{source}\";\n\tfreq = {};\n\tprecision = 1;\n\toffset_s = {};\n\toffset = {};\n\tabsolute = FALSE;\n}};\n\n",
        c.freq, c.offset_s, c.offset_ticks
    );
    o.push_str("typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;\n\n");
    for (sid, _) in d.channels {
        let _ = write!(
            o,
            "stream {{\n\tid = {sid};\n\tevent.header := {TSDL_EVENT_HEADER};\n{TSDL_PACKET_CONTEXT}\n}};\n\n"
        );
    }
    // Classes outermost: a class registered later only appends text, so the metadata of a
    // live trace grows by appending (the live relay sends viewers only what is new).
    for ec in d.classes {
        for (sid, _) in d.channels {
            let _ = write!(
                o,
                "event {{\n\tname = {};\n\tid = {};\n\tstream_id = {sid};\n\tloglevel = {};\n\tmodel.emf.uri = {};\n\tfields := struct {{\n",
                quoted(&ec.full_name()),
                ec.id,
                ec.level,
                quoted(&callsite_uri(&ec.file, ec.line, &ec.function)),
            );
            for f in &ec.fields {
                field(&mut o, f);
            }
            o.push_str("\t};\n};\n\n");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_and_uri_formats() {
        let u: [u8; 16] = std::array::from_fn(|i| i as u8);
        assert_eq!(uuid_string(&u), "00010203-0405-0607-0809-0a0b0c0d0e0f");
        assert_eq!(
            callsite_uri("src/a b.rs", 7, "m::f"),
            "callsite?file=src/a%20b.rs&line=7&func=m%3A%3Af"
        );
        assert_eq!(quoted("a\"b\\"), "\"a\\\"b\\\\\"");
    }
}
