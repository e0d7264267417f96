//! The TSDL parser: metadata text in, the declared trace out ([`Metadata`]): byte order,
//! clocks, `env`, the packet header, stream classes and event classes, every type resolved to
//! a [`TypeDecl`] tree (type aliases, `typedef`s and named `struct`/`variant`/`enum`s are
//! expanded where used, in C-like nested scopes).
//!
//! Field names lose one leading underscore, as CTF 1.8 readers do (writers prefix names that
//! would clash with TSDL keywords); paths in sequence lengths and variant tags are stripped the
//! same way when they are resolved. `callsite` blocks and unknown attributes are ignored.

use super::lex::{tokenize, SyntaxError, Tok, Token};
use crate::ctf::metadata::EnvValue;
use std::collections::HashMap;
use std::sync::Arc;

/// Byte order as written in the metadata; `Native` is the trace's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderDecl {
    Native,
    Le,
    Be,
}

/// An `integer { … }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IntDecl {
    pub bits: u32,
    pub align: u32,
    pub signed: bool,
    pub order: OrderDecl,
    /// 8-bit integers with an encoding are characters: arrays of them are text.
    pub text: bool,
    /// `map = clock.NAME.value`.
    pub clock: Option<String>,
}

/// One `label = lo ... hi` of an enumeration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mapping {
    pub label: Arc<str>,
    pub lo: i128,
    pub hi: i128,
}

/// Length of an array (fixed) or a sequence (a path to an earlier integer field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LenDecl {
    Fixed(u64),
    Path(Vec<String>),
}

/// A named member of a structure or a variant option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldDecl {
    /// The name as exposed (one leading underscore removed).
    pub name: Arc<str>,
    /// The name as written, which a variant tag's label may match instead.
    pub raw: Arc<str>,
    pub ty: TypeDecl,
}

/// A resolved type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TypeDecl {
    Int(IntDecl),
    Float {
        bits: u32,
        align: u32,
        order: OrderDecl,
    },
    Str,
    Enum {
        repr: IntDecl,
        mappings: Arc<[Mapping]>,
    },
    Struct {
        fields: Vec<FieldDecl>,
        /// `align(N)` after the body (bits); the members may require more.
        align: u32,
    },
    Variant {
        tag: Option<Vec<String>>,
        options: Vec<FieldDecl>,
    },
    Array {
        elem: Box<TypeDecl>,
        len: LenDecl,
    },
}

/// A `clock { … }` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Clock {
    /// The clock's name, as integers refer to it (`map = clock.NAME.value`).
    pub name: String,
    /// Ticks per second.
    pub freq: u64,
    /// Seconds from the Unix epoch to the clock's origin.
    pub offset_s: i64,
    /// Additional ticks from the Unix epoch to the clock's origin.
    pub offset: i64,
}

impl Clock {
    /// Nanoseconds since the Unix epoch of clock value `cycles`.
    pub fn to_ns(&self, cycles: u64) -> i64 {
        let freq = i128::from(self.freq.max(1));
        let ticks = i128::from(cycles) + i128::from(self.offset);
        let ns = i128::from(self.offset_s) * 1_000_000_000 + ticks * 1_000_000_000 / freq;
        ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

/// A `stream { … }` block.
#[derive(Clone, Debug, Default)]
pub(crate) struct StreamDecl {
    pub id: Option<u64>,
    pub event_header: Option<TypeDecl>,
    pub packet_context: Option<TypeDecl>,
    pub event_context: Option<TypeDecl>,
    /// Where the block starts in the metadata text.
    pub offset: usize,
}

/// An `event { … }` block.
#[derive(Clone, Debug, Default)]
pub(crate) struct EventDecl {
    pub name: String,
    pub id: Option<u64>,
    pub stream_id: Option<u64>,
    pub loglevel: Option<i64>,
    pub emf_uri: Option<String>,
    pub context: Option<TypeDecl>,
    pub fields: Option<TypeDecl>,
    /// Where the block starts in the metadata text, for errors found later.
    pub offset: usize,
}

/// Everything the metadata declares.
#[derive(Clone, Debug)]
pub(crate) struct Metadata {
    pub big_endian: bool,
    pub uuid: Option<[u8; 16]>,
    pub packet_header: Option<TypeDecl>,
    pub env: Vec<(String, EnvValue)>,
    pub clocks: Vec<Clock>,
    pub streams: Vec<StreamDecl>,
    pub events: Vec<EventDecl>,
}

/// An attribute value: `= 12`, `= "text"`, `= le`, `= clock.monotonic.value`.
#[derive(Clone, Debug)]
enum AttrValue {
    Int(i128),
    Str(String),
    Path(Vec<String>),
}

/// Parses metadata text.
pub(crate) fn parse(text: &[u8]) -> Result<Metadata, SyntaxError> {
    let toks = tokenize(text)?;
    let mut p = Parser {
        toks: &toks,
        at: 0,
        scopes: vec![HashMap::new()],
    };
    p.metadata()
}

struct Parser<'t> {
    toks: &'t [Token],
    at: usize,
    /// Type names visible here, innermost last. Keys: alias names (`unsigned long`) and
    /// `struct NAME`, `variant NAME`, `enum NAME`.
    scopes: Vec<HashMap<String, TypeDecl>>,
}

fn is_type_keyword(s: &str) -> bool {
    matches!(
        s,
        "integer" | "floating_point" | "string" | "struct" | "variant" | "enum"
    )
}

/// Removes the one leading underscore CTF writers add to names.
fn exposed(name: &str) -> &str {
    name.strip_prefix('_').unwrap_or(name)
}

impl<'t> Parser<'t> {
    fn peek(&self) -> &'t Tok {
        &self.toks[self.at.min(self.toks.len() - 1)].tok
    }

    fn peek_at(&self, n: usize) -> &'t Tok {
        &self.toks[(self.at + n).min(self.toks.len() - 1)].tok
    }

    fn here(&self) -> &'t Token {
        &self.toks[self.at.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> &'t Tok {
        let t = self.peek();
        if self.at < self.toks.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        let t = self.here();
        Err(SyntaxError {
            offset: t.offset,
            line: t.line,
            message: message.into(),
        })
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Tok::Punct(q) if *q == p)
    }

    fn is_ident(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Ident(i) if i == s)
    }

    fn eat(&mut self, p: &str) -> bool {
        if self.is_punct(p) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Result<(), SyntaxError> {
        if self.eat(p) {
            Ok(())
        } else {
            self.error(format!("expected `{p}`, found {}", self.peek()))
        }
    }

    fn ident(&mut self) -> Result<String, SyntaxError> {
        match self.peek() {
            Tok::Ident(s) => {
                self.bump();
                Ok(s.clone())
            }
            t => self.error(format!("expected a name, found {t}")),
        }
    }

    fn lookup(&self, key: &str) -> Option<&TypeDecl> {
        self.scopes.iter().rev().find_map(|s| s.get(key))
    }

    fn declare(&mut self, key: String, ty: TypeDecl) {
        if let Some(s) = self.scopes.last_mut() {
            s.insert(key, ty);
        }
    }

    fn metadata(&mut self) -> Result<Metadata, SyntaxError> {
        let mut m = Metadata {
            big_endian: false,
            uuid: None,
            packet_header: None,
            env: Vec::new(),
            clocks: Vec::new(),
            streams: Vec::new(),
            events: Vec::new(),
        };
        loop {
            let block = match self.peek() {
                Tok::Eof => return Ok(m),
                Tok::Ident(s) if matches!(self.peek_at(1), Tok::Punct("{")) => s.as_str(),
                _ => "",
            };
            match block {
                "trace" => self.trace(&mut m)?,
                "env" => {
                    self.bump();
                    self.bump();
                    while !self.eat("}") {
                        let key = self.dotted()?;
                        self.expect("=")?;
                        let v = match self.value()? {
                            AttrValue::Int(i) => EnvValue::Int(i as i64),
                            AttrValue::Str(s) => EnvValue::Str(s),
                            AttrValue::Path(p) => EnvValue::Str(p.join(".")),
                        };
                        self.expect(";")?;
                        m.env.push((key.join("."), v));
                    }
                    self.expect(";")?;
                }
                "clock" => {
                    let c = self.clock()?;
                    m.clocks.push(c);
                }
                "stream" => {
                    let s = self.stream()?;
                    m.streams.push(s);
                }
                "event" => {
                    let e = self.event()?;
                    m.events.push(e);
                }
                "callsite" => self.skip_block()?,
                _ => self.declaration()?,
            }
        }
    }

    /// Skips `NAME { … };` whatever it holds.
    fn skip_block(&mut self) -> Result<(), SyntaxError> {
        self.bump();
        self.expect("{")?;
        let mut depth = 1;
        while depth > 0 {
            match self.bump() {
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => depth -= 1,
                Tok::Eof => return self.error("unterminated block"),
                _ => {}
            }
        }
        self.expect(";")
    }

    /// The statements of a block, handing each attribute (`name = value;` or
    /// `name := type;`) to `attr`.
    fn block(
        &mut self,
        mut attr: impl FnMut(&mut Self, Vec<String>, Attr) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        self.bump();
        self.expect("{")?;
        self.scopes.push(HashMap::new());
        while !self.eat("}") {
            if matches!(self.peek(), Tok::Ident(s) if matches!(s.as_str(), "typealias" | "typedef") || is_type_keyword(s))
            {
                self.declaration()?;
                continue;
            }
            let name = self.dotted()?;
            if self.eat(":=") {
                let ty = self.type_spec()?;
                self.expect(";")?;
                attr(self, name, Attr::Type(ty))?;
            } else {
                self.expect("=")?;
                let v = self.value()?;
                self.expect(";")?;
                attr(self, name, Attr::Value(v))?;
            }
        }
        self.scopes.pop();
        self.expect(";")
    }

    fn trace(&mut self, m: &mut Metadata) -> Result<(), SyntaxError> {
        self.block(|p, name, a| {
            match (name.join(".").as_str(), a) {
                ("byte_order", Attr::Value(v)) => {
                    m.big_endian = match p.order(&v)? {
                        OrderDecl::Be => true,
                        OrderDecl::Le => false,
                        OrderDecl::Native => cfg!(target_endian = "big"),
                    }
                }
                ("uuid", Attr::Value(AttrValue::Str(s))) => match parse_uuid(&s) {
                    Some(u) => m.uuid = Some(u),
                    None => return p.error(format!("bad uuid \"{s}\"")),
                },
                ("packet.header", Attr::Type(t)) => m.packet_header = Some(t),
                _ => {}
            }
            Ok(())
        })
    }

    fn clock(&mut self) -> Result<Clock, SyntaxError> {
        let mut c = Clock {
            name: String::new(),
            freq: 1_000_000_000,
            offset_s: 0,
            offset: 0,
        };
        self.block(|p, name, a| {
            let Attr::Value(v) = a else { return Ok(()) };
            match name.join(".").as_str() {
                "name" => c.name = p.text(v)?,
                "freq" => c.freq = p.int(v)? as u64,
                "offset_s" => c.offset_s = p.int(v)? as i64,
                "offset" => c.offset = p.int(v)? as i64,
                _ => {}
            }
            Ok(())
        })?;
        Ok(c)
    }

    fn stream(&mut self) -> Result<StreamDecl, SyntaxError> {
        let mut s = StreamDecl {
            offset: self.here().offset,
            ..StreamDecl::default()
        };
        self.block(|p, name, a| {
            match (name.join(".").as_str(), a) {
                ("id", Attr::Value(v)) => s.id = Some(p.int(v)? as u64),
                ("event.header", Attr::Type(t)) => s.event_header = Some(t),
                ("event.context", Attr::Type(t)) => s.event_context = Some(t),
                ("packet.context", Attr::Type(t)) => s.packet_context = Some(t),
                _ => {}
            }
            Ok(())
        })?;
        Ok(s)
    }

    fn event(&mut self) -> Result<EventDecl, SyntaxError> {
        let mut e = EventDecl {
            offset: self.here().offset,
            ..EventDecl::default()
        };
        self.block(|p, name, a| {
            match (name.join(".").as_str(), a) {
                ("name", Attr::Value(v)) => e.name = p.text(v)?,
                ("id", Attr::Value(v)) => e.id = Some(p.int(v)? as u64),
                ("stream_id", Attr::Value(v)) => e.stream_id = Some(p.int(v)? as u64),
                ("loglevel", Attr::Value(v)) => e.loglevel = Some(p.int(v)? as i64),
                ("model.emf.uri", Attr::Value(v)) => e.emf_uri = Some(p.text(v)?),
                ("context", Attr::Type(t)) => e.context = Some(t),
                ("fields", Attr::Type(t)) => e.fields = Some(t),
                _ => {}
            }
            Ok(())
        })?;
        Ok(e)
    }

    /// `a.b.c`
    fn dotted(&mut self) -> Result<Vec<String>, SyntaxError> {
        let mut v = vec![self.ident()?];
        while self.eat(".") {
            v.push(self.ident()?);
        }
        Ok(v)
    }

    fn value(&mut self) -> Result<AttrValue, SyntaxError> {
        match self.peek() {
            Tok::Str(s) => {
                self.bump();
                Ok(AttrValue::Str(s.clone()))
            }
            Tok::Int(_) | Tok::Punct("-") | Tok::Punct("+") => Ok(AttrValue::Int(self.signed()?)),
            Tok::Ident(_) => Ok(AttrValue::Path(self.dotted()?)),
            t => self.error(format!("expected a value, found {t}")),
        }
    }

    fn signed(&mut self) -> Result<i128, SyntaxError> {
        let neg = if self.eat("-") {
            true
        } else {
            self.eat("+");
            false
        };
        match self.peek() {
            Tok::Int(i) => {
                self.bump();
                Ok(if neg { -i128::from(*i) } else { i128::from(*i) })
            }
            t => self.error(format!("expected an integer, found {t}")),
        }
    }

    fn int(&self, v: AttrValue) -> Result<i128, SyntaxError> {
        match v {
            AttrValue::Int(i) => Ok(i),
            other => self.error(format!("expected an integer, found {other:?}")),
        }
    }

    fn text(&self, v: AttrValue) -> Result<String, SyntaxError> {
        match v {
            AttrValue::Str(s) => Ok(s),
            AttrValue::Path(p) => Ok(p.join(".")),
            AttrValue::Int(i) => Ok(i.to_string()),
        }
    }

    fn boolean(&self, v: AttrValue) -> Result<bool, SyntaxError> {
        match v {
            AttrValue::Int(i) => Ok(i != 0),
            AttrValue::Path(p) if p.len() == 1 => match p[0].as_str() {
                "true" | "TRUE" => Ok(true),
                "false" | "FALSE" => Ok(false),
                other => self.error(format!("expected true or false, found `{other}`")),
            },
            other => self.error(format!("expected true or false, found {other:?}")),
        }
    }

    fn order(&self, v: &AttrValue) -> Result<OrderDecl, SyntaxError> {
        match v {
            AttrValue::Path(p) if p.len() == 1 => match p[0].as_str() {
                "native" => Ok(OrderDecl::Native),
                "le" | "little_endian" => Ok(OrderDecl::Le),
                "be" | "big_endian" | "network" => Ok(OrderDecl::Be),
                other => self.error(format!("unknown byte order `{other}`")),
            },
            other => self.error(format!("expected a byte order, found {other:?}")),
        }
    }

    /// `typealias T := NAME;`, `typedef T NAME;`, or a `struct`/`variant`/`enum` defined
    /// for later use (`struct NAME { … };`).
    fn declaration(&mut self) -> Result<(), SyntaxError> {
        if self.is_ident("typealias") {
            self.bump();
            let ty = self.type_spec()?;
            while self.eat("*") {}
            self.expect(":=")?;
            let mut words = vec![self.ident()?];
            while let Tok::Ident(w) = self.peek() {
                words.push(w.clone());
                self.bump();
            }
            while self.eat("*") {}
            self.expect(";")?;
            self.declare(words.join(" "), ty);
            return Ok(());
        }
        if self.is_ident("typedef") {
            self.bump();
            let ty = self.type_spec()?;
            for (name, ty) in self.declarators(ty)? {
                self.declare(name.raw.to_string(), ty);
            }
            return Ok(());
        }
        match self.peek() {
            Tok::Ident(s) if is_type_keyword(s) => {
                self.type_spec()?;
                self.expect(";")
            }
            t => self.error(format!("expected a declaration or a block, found {t}")),
        }
    }

    /// One or more declarators after a type, up to and including `;`: `name`, `name[4]`,
    /// `name[len_field]`, `a, b`.
    fn declarators(&mut self, ty: TypeDecl) -> Result<Vec<(Named, TypeDecl)>, SyntaxError> {
        let mut out = Vec::new();
        loop {
            let raw = self.ident()?;
            let mut dims = Vec::new();
            while self.eat("[") {
                let len = match self.peek() {
                    Tok::Int(n) => {
                        self.bump();
                        LenDecl::Fixed(*n)
                    }
                    _ => LenDecl::Path(self.dotted()?),
                };
                self.expect("]")?;
                dims.push(len);
            }
            // `t a[2][3]` is an array of 2 arrays of 3, as in C.
            let mut t = ty.clone();
            for len in dims.into_iter().rev() {
                t = TypeDecl::Array {
                    elem: Box::new(t),
                    len,
                };
            }
            out.push((
                Named {
                    raw: Arc::from(raw.as_str()),
                    name: Arc::from(exposed(&raw)),
                },
                t,
            ));
            if !self.eat(",") {
                break;
            }
        }
        self.expect(";")?;
        Ok(out)
    }

    /// The members of a `struct` or `variant` body, after its `{`, up to and including `}`.
    fn members(&mut self) -> Result<Vec<FieldDecl>, SyntaxError> {
        self.scopes.push(HashMap::new());
        let mut fields = Vec::new();
        while !self.eat("}") {
            if self.is_ident("typealias") || self.is_ident("typedef") {
                self.declaration()?;
                continue;
            }
            let ty = self.type_spec()?;
            if self.eat(";") {
                continue; // a named type defined in the body for later use
            }
            for (n, ty) in self.declarators(ty)? {
                fields.push(FieldDecl {
                    name: n.name,
                    raw: n.raw,
                    ty,
                });
            }
        }
        self.scopes.pop();
        Ok(fields)
    }

    /// A type: `integer {…}`, `floating_point {…}`, `string`, `struct`, `variant`, `enum`
    /// (defined here or by name), or a type alias.
    fn type_spec(&mut self) -> Result<TypeDecl, SyntaxError> {
        while self.is_ident("const") {
            self.bump();
        }
        let kw = match self.peek() {
            Tok::Ident(s) => s.clone(),
            t => return self.error(format!("expected a type, found {t}")),
        };
        match kw.as_str() {
            "integer" => {
                self.bump();
                self.integer().map(TypeDecl::Int)
            }
            "floating_point" => {
                self.bump();
                self.floating_point()
            }
            "string" => {
                self.bump();
                if self.is_punct("{") {
                    self.attrs(|_, _, _| Ok(()))?;
                }
                Ok(TypeDecl::Str)
            }
            "struct" => {
                self.bump();
                let name = self.optional_name();
                if !self.eat("{") {
                    let Some(name) = name else {
                        return self.error("expected a structure body or name");
                    };
                    return self.named(&format!("struct {name}"));
                }
                let fields = self.members()?;
                let mut align = 1;
                if self.is_ident("align") {
                    self.bump();
                    self.expect("(")?;
                    align = self.alignment()?;
                    self.expect(")")?;
                }
                let t = TypeDecl::Struct { fields, align };
                if let Some(n) = name {
                    self.declare(format!("struct {n}"), t.clone());
                }
                Ok(t)
            }
            "variant" => {
                self.bump();
                let name = self.optional_name();
                let tag = if self.eat("<") {
                    let t = self.dotted()?;
                    self.expect(">")?;
                    Some(t)
                } else {
                    None
                };
                if !self.eat("{") {
                    let Some(name) = name else {
                        return self.error("expected a variant body or name");
                    };
                    let mut t = self.named(&format!("variant {name}"))?;
                    if let (TypeDecl::Variant { tag: old, .. }, Some(new)) = (&mut t, tag) {
                        *old = Some(new);
                    }
                    return Ok(t);
                }
                let options = self.members()?;
                let t = TypeDecl::Variant { tag, options };
                if let Some(n) = name {
                    self.declare(format!("variant {n}"), t.clone());
                }
                Ok(t)
            }
            "enum" => {
                self.bump();
                let name = self.optional_name();
                let repr = if self.eat(":") {
                    match self.type_spec()? {
                        TypeDecl::Int(i) => Some(i),
                        TypeDecl::Enum { repr, .. } => Some(repr),
                        _ => return self.error("an enumeration's container must be an integer"),
                    }
                } else {
                    None
                };
                if !self.eat("{") {
                    let Some(name) = name else {
                        return self.error("expected an enumeration body or name");
                    };
                    return self.named(&format!("enum {name}"));
                }
                let repr = match repr {
                    Some(r) => r,
                    None => match self.lookup("int") {
                        Some(TypeDecl::Int(i)) => i.clone(),
                        _ => return self.error("an enumeration needs a container type"),
                    },
                };
                let mappings = self.mappings()?;
                let t = TypeDecl::Enum {
                    repr,
                    mappings: mappings.into(),
                };
                if let Some(n) = name {
                    self.declare(format!("enum {n}"), t.clone());
                }
                Ok(t)
            }
            _ => {
                // An alias, possibly of several words (`unsigned long`). In a field the last
                // word is the field's name, so take the longest prefix that names a type.
                let mut words = Vec::new();
                let mut n = 0;
                while let Tok::Ident(w) = self.peek_at(n) {
                    words.push(w.as_str());
                    n += 1;
                }
                for take in (1..=words.len()).rev() {
                    let key = words[..take].join(" ");
                    if let Some(t) = self.lookup(&key) {
                        let t = t.clone();
                        self.at += take;
                        return Ok(t);
                    }
                }
                self.error(format!("unknown type `{kw}`"))
            }
        }
    }

    fn optional_name(&mut self) -> Option<String> {
        match self.peek() {
            Tok::Ident(s) if s != "align" => {
                let s = s.clone();
                self.bump();
                Some(s)
            }
            _ => None,
        }
    }

    fn named(&self, key: &str) -> Result<TypeDecl, SyntaxError> {
        match self.lookup(key) {
            Some(t) => Ok(t.clone()),
            None => self.error(format!("unknown type `{key}`")),
        }
    }

    fn alignment(&mut self) -> Result<u32, SyntaxError> {
        let a = self.signed()?;
        if a <= 0 || a > 1 << 16 || a & (a - 1) != 0 {
            return self.error(format!("alignment {a} is not a power of two"));
        }
        Ok(a as u32)
    }

    /// `{ name = value; … }` of a basic type.
    fn attrs(
        &mut self,
        mut f: impl FnMut(&mut Self, &str, AttrValue) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        self.expect("{")?;
        while !self.eat("}") {
            let name = self.ident()?;
            self.expect("=")?;
            let v = self.value()?;
            self.expect(";")?;
            f(self, &name, v)?;
        }
        Ok(())
    }

    fn integer(&mut self) -> Result<IntDecl, SyntaxError> {
        let mut bits = None;
        let mut align = None;
        let mut i = IntDecl {
            bits: 0,
            align: 0,
            signed: false,
            order: OrderDecl::Native,
            text: false,
            clock: None,
        };
        self.attrs(|p, name, v| {
            match name {
                "size" => {
                    let s = p.int(v)?;
                    if !(1..=64).contains(&s) {
                        return p.error(format!("integer size {s} is not in 1..=64"));
                    }
                    bits = Some(s as u32);
                }
                "align" => {
                    let a = p.int(v)?;
                    if a <= 0 || a > 1 << 16 || a & (a - 1) != 0 {
                        return p.error(format!("alignment {a} is not a power of two"));
                    }
                    align = Some(a as u32);
                }
                "signed" => i.signed = p.boolean(v)?,
                "byte_order" => i.order = p.order(&v)?,
                "encoding" => {
                    i.text = !matches!(&v, AttrValue::Path(w) if w.len() == 1 && w[0] == "none")
                }
                "map" => {
                    if let AttrValue::Path(w) = v {
                        if w.len() == 3 && w[0] == "clock" && w[2] == "value" {
                            i.clock = Some(w[1].clone());
                        }
                    }
                }
                _ => {} // base: presentation only
            }
            Ok(())
        })?;
        let Some(bits) = bits else {
            return self.error("integer without a size");
        };
        i.bits = bits;
        i.align = align.unwrap_or(if bits % 8 == 0 { 8 } else { 1 });
        Ok(i)
    }

    fn floating_point(&mut self) -> Result<TypeDecl, SyntaxError> {
        let (mut exp, mut mant, mut align, mut order) = (0, 0, 8, OrderDecl::Native);
        self.attrs(|p, name, v| {
            match name {
                "exp_dig" => exp = p.int(v)?,
                "mant_dig" => mant = p.int(v)?,
                "align" => {
                    let a = p.int(v)?;
                    if a <= 0 || a > 1 << 16 || a & (a - 1) != 0 {
                        return p.error(format!("alignment {a} is not a power of two"));
                    }
                    align = a as u32;
                }
                "byte_order" => order = p.order(&v)?,
                _ => {}
            }
            Ok(())
        })?;
        let bits = match (exp, mant) {
            (8, 24) => 32,
            (11, 53) => 64,
            _ => {
                return self.error(format!(
                "unsupported floating point (exp_dig {exp}, mant_dig {mant}): only 32 and 64 bits"
            ))
            }
        };
        Ok(TypeDecl::Float { bits, align, order })
    }

    /// `{ A, B = 3, "C" = 4 ... 9, }`, after the `{`.
    fn mappings(&mut self) -> Result<Vec<Mapping>, SyntaxError> {
        let mut out = Vec::new();
        let mut next = 0i128;
        while !self.eat("}") {
            let label = match self.peek() {
                Tok::Ident(s) | Tok::Str(s) => s.clone(),
                t => return self.error(format!("expected an enumeration label, found {t}")),
            };
            self.bump();
            let (lo, hi) = if self.eat("=") {
                let lo = self.signed()?;
                let hi = if self.eat("...") { self.signed()? } else { lo };
                (lo, hi)
            } else {
                (next, next)
            };
            if hi < lo {
                return self.error(format!("empty range {lo} ... {hi}"));
            }
            next = hi + 1;
            out.push(Mapping {
                label: Arc::from(label.as_str()),
                lo,
                hi,
            });
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        Ok(out)
    }
}

/// A declarator's name, as written and as exposed.
struct Named {
    raw: Arc<str>,
    name: Arc<str>,
}

enum Attr {
    Value(AttrValue),
    Type(TypeDecl),
}

/// `"3082dc51-911d-40c2-967a-f6c54f96ba51"` to bytes.
pub(crate) fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = s.bytes().filter(|&b| b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut u = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        u[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(u)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Metadata in the shape LTTng-UST 2.13 writes (per-UID buffers, contexts added).
    pub(crate) const UST_LIKE: &str = r#"/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 64; align = 8; signed = false; } := unsigned long;
typealias integer { size = 5; align = 1; signed = false; } := uint5_t;
typealias integer { size = 27; align = 1; signed = false; } := uint27_t;

trace {
	major = 1; minor = 8;
	uuid = "00112233-4455-6677-8899-aabbccddeeff";
	byte_order = le;
	packet.header := struct {
		uint32_t magic;
		uint8_t  uuid[16];
		uint32_t stream_id;
		uint64_t stream_instance_id;
	};
};

env {
	domain = "ust";
	tracer_major = 2;
	offset_like = -3;
};

clock {
	name = "monotonic";
	uuid = "ffeeddcc-bbaa-9988-7766-554433221100";
	description = "Monotonic Clock";
	freq = 1000000000; /* Hz */
	offset = 1700000000000000000;
};

typealias integer { size = 27; align = 1; signed = false; map = clock.monotonic.value; } := uint27_clock_monotonic_t;
typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;

struct packet_context {
	uint64_clock_monotonic_t timestamp_begin;
	uint64_clock_monotonic_t timestamp_end;
	uint64_t content_size;
	uint64_t packet_size;
	uint64_t packet_seq_num;
	unsigned long events_discarded;
	uint32_t cpu_id;
};

struct event_header_compact {
	enum : uint5_t { compact = 0 ... 30, extended = 31 } id;
	variant <id> {
		struct { uint27_clock_monotonic_t timestamp; } compact;
		struct { uint32_t id; uint64_clock_monotonic_t timestamp; } extended;
	} v;
} align(8);

stream {
	id = 0;
	event.header := struct event_header_compact;
	packet.context := struct packet_context;
	event.context := struct {
		integer { size = 32; align = 8; signed = 1; encoding = none; base = 10; } _vpid;
		integer { size = 8; align = 8; signed = 1; encoding = UTF8; base = 10; } _procname[17];
	};
};

event {
	name = "my_app:bin";
	id = 1;
	stream_id = 0;
	loglevel = 13;
	model.emf.uri = "callsite?file=a.c&line=3";
	fields := struct {
		integer { size = 64; align = 8; signed = 0; encoding = none; base = 16; } _baddr;
		string _path;
		integer { size = 64; align = 8; signed = 0; encoding = none; base = 10; } __blob_length;
		integer { size = 8; align = 8; signed = 0; encoding = none; base = 16; } _blob[ __blob_length ];
		enum : uint8_t { "A" = 0, B, C = 5 ... 9 } _kind;
		floating_point { exp_dig = 11; mant_dig = 53; align = 64; byte_order = be; } _ratio;
	};
};

callsite {
	name = "my_app:bin";
	func = "main";
};
"#;

    #[test]
    fn lttng_shaped_metadata_parses_into_resolved_types() {
        let m = parse(UST_LIKE.as_bytes()).unwrap();
        assert!(!m.big_endian);
        assert_eq!(m.uuid.unwrap()[15], 0xff);
        assert_eq!(m.env.len(), 3);
        assert_eq!(m.env[2], ("offset_like".into(), EnvValue::Int(-3)));
        assert_eq!(m.clocks[0].name, "monotonic");
        assert_eq!(m.clocks[0].offset, 1_700_000_000_000_000_000);
        assert_eq!(m.streams.len(), 1);
        let Some(TypeDecl::Struct { fields, align }) = &m.streams[0].event_header else {
            panic!()
        };
        assert_eq!(*align, 8);
        assert_eq!(&*fields[0].name, "id");
        let TypeDecl::Enum { repr, mappings } = &fields[0].ty else {
            panic!()
        };
        assert_eq!((repr.bits, repr.align), (5, 1));
        assert_eq!((mappings[0].lo, mappings[0].hi), (0, 30));
        let TypeDecl::Variant { tag, options } = &fields[1].ty else {
            panic!()
        };
        assert_eq!(tag.as_deref(), Some(&["id".to_string()][..]));
        let TypeDecl::Struct { fields: ext, .. } = &options[1].ty else {
            panic!()
        };
        let TypeDecl::Int(ts) = &ext[1].ty else {
            panic!()
        };
        assert_eq!(ts.clock.as_deref(), Some("monotonic"));

        let e = &m.events[0];
        assert_eq!(
            (e.name.as_str(), e.id, e.loglevel),
            ("my_app:bin", Some(1), Some(13))
        );
        assert_eq!(e.emf_uri.as_deref(), Some("callsite?file=a.c&line=3"));
        let Some(TypeDecl::Struct { fields, .. }) = &e.fields else {
            panic!()
        };
        let names: Vec<&str> = fields.iter().map(|f| &*f.name).collect();
        assert_eq!(
            names,
            ["baddr", "path", "_blob_length", "blob", "kind", "ratio"]
        );
        assert_eq!(
            fields[3].ty,
            TypeDecl::Array {
                elem: Box::new(TypeDecl::Int(IntDecl {
                    bits: 8,
                    align: 8,
                    signed: false,
                    order: OrderDecl::Native,
                    text: false,
                    clock: None
                })),
                len: LenDecl::Path(vec!["__blob_length".into()])
            }
        );
        let TypeDecl::Enum { mappings, .. } = &fields[4].ty else {
            panic!()
        };
        assert_eq!((mappings[1].lo, mappings[2].lo, mappings[2].hi), (1, 5, 9));
        assert_eq!(
            fields[5].ty,
            TypeDecl::Float {
                bits: 64,
                align: 64,
                order: OrderDecl::Be
            }
        );
        let Some(TypeDecl::Struct { fields, .. }) = &m.streams[0].event_context else {
            panic!()
        };
        assert!(
            matches!(&fields[1].ty, TypeDecl::Array { elem, len: LenDecl::Fixed(17) }
            if matches!(&**elem, TypeDecl::Int(i) if i.text))
        );
    }

    #[test]
    fn scoped_aliases_typedefs_and_multi_dimensional_arrays() {
        let m = parse(
            br#"
            typealias integer { size = 32; } := int;
            typedef int pair[2];
            event {
                name = plain_ident;
                typealias integer { size = 16; signed = true; byte_order = be; } := short;
                fields := struct {
                    pair p;
                    short grid[2][3];
                    enum colour { red, green } c;
                    enum colour again;
                };
            };
            "#,
        )
        .unwrap();
        let e = &m.events[0];
        assert_eq!(e.name, "plain_ident");
        let Some(TypeDecl::Struct { fields, .. }) = &e.fields else {
            panic!()
        };
        assert!(matches!(
            &fields[0].ty,
            TypeDecl::Array {
                len: LenDecl::Fixed(2),
                ..
            }
        ));
        let TypeDecl::Array { elem, len } = &fields[1].ty else {
            panic!()
        };
        assert_eq!(len, &LenDecl::Fixed(2));
        assert!(matches!(
            &**elem,
            TypeDecl::Array {
                len: LenDecl::Fixed(3),
                ..
            }
        ));
        assert!(matches!(&fields[2].ty, TypeDecl::Enum { repr, .. } if repr.bits == 32));
        assert_eq!(fields[3].ty, fields[2].ty);
        // `short` was declared inside the event: not visible outside it.
        let err = parse(b"event { typealias integer { size = 16; } := short; }; event { fields := struct { short s; }; };")
            .unwrap_err();
        assert!(err.message.contains("unknown type `short`"), "{err:?}");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse(
            b"trace {\n  byte_order = le;\n  packet.header := struct { uint32_t magic; };\n};",
        )
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("uint32_t"), "{e:?}");
        let e = parse(b"\n\nevent { name = \"x\" }").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("expected `;`"), "{e:?}");
        let e = parse(b"integer { size = 65; } x;").unwrap_err();
        assert!(e.message.contains("1..=64"), "{e:?}");
        assert!(parse(b"\x7fELF\x02\x01").is_err());
    }

    #[test]
    fn clock_offsets_convert_cycles_to_unix_nanoseconds() {
        let c = Clock {
            name: "c".into(),
            freq: 2_000_000_000,
            offset_s: 10,
            offset: 4,
        };
        assert_eq!(c.to_ns(6), 10_000_000_005);
    }
}
