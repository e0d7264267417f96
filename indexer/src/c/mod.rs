//! The C recognizer: tracepoint declarations, classes, probe sites and wrapper macros of one
//! C file, from its tokens.
//!
//! One walk over the tokens, in source order, with the preprocessor directives applied as
//! they are passed: `#define TRACE_SYSTEM` sets the system of what follows, `#if` branches
//! give each declaration its condition, and a `#define` whose body uses a declaration macro
//! (or pastes `trace_##x`) becomes a wrapper that is expanded at each later use. tree-sitter is
//! consulted once at the end, for the function around each site.

pub(crate) mod args;
mod branches;
mod expand;
mod functions;
mod payload;
pub(crate) mod specs;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use args::{arg_range, arg_word, split_commas, Invocation};
use specs::{decl_spec, is_system_define, site_form, Role, SiteNaming, SpecKind};

use crate::lex::{lex, render, Directive, DirectiveKind, Tok, TokKind};
use crate::model::{
    Dialect, EventClass, EventDecl, FileIndex, Param, Payload, ProbeSite, SiteForm, TextRange,
    WrapperMacro,
};

/// Wrappers that expand to wrappers that expand to …: deeper than this is a loop.
const MAX_EXPANSION_DEPTH: u32 = 16;
/// Wrappers that each use two others grow exponentially: a file gets this many expansions.
const EXPANSION_BUDGET: u32 = 100_000;

/// Text past this size is not indexed: tokens take several times the text's memory, and no
/// real tracepoint header comes near it (the largest files of the Linux tree that mention a
/// tracepoint word are a few MB of generated register definitions).
pub const MAX_INDEXED_BYTES: usize = 32 << 20;

/// Indexes one C file. `imports` are the wrapper macros of the headers it includes, which its
/// own `#define`s override. A file larger than [`MAX_INDEXED_BYTES`] gets a partial index of
/// its beginning.
pub fn index_c(text: &str, imports: &[WrapperMacro]) -> FileIndex {
    let mut cut = text.len().min(MAX_INDEXED_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = &text[..cut];
    let lexed = lex(text);
    let mut r = Recognizer {
        text,
        out: FileIndex::default(),
        system: None,
        frames: Vec::new(),
        wrappers: imports
            .iter()
            .map(|w| (w.name.clone(), Rc::new(w.clone())))
            .collect(),
        loglevels: Vec::new(),
        sdt_seen: HashSet::new(),
        function_lookups: Vec::new(),
        expansions_left: EXPANSION_BUDGET,
    };
    let groups = branches::split_groups(&lexed.tokens, &lexed.directives);
    if groups.is_empty() {
        r.walk(
            &lexed.tokens,
            &lexed.directives,
            Origin::File,
            0,
            usize::MAX,
        );
        return r.finish(&lexed.tokens);
    }
    let main: Vec<Tok<'_>> = lexed
        .tokens
        .iter()
        .enumerate()
        .filter(|&(i, _)| !branches::in_later_branch(&groups, i))
        .map(|(_, t)| t.clone())
        .collect();
    r.walk(&main, &lexed.directives, Origin::File, 0, usize::MAX);
    for g in &groups {
        let tail = match lexed.tokens.get(g.end) {
            Some(first) => &main[main.partition_point(|t| t.range.start < first.range.start)..],
            None => &[],
        };
        let start = lexed.tokens[g.branches[0].tokens.start.min(lexed.tokens.len() - 1)]
            .range
            .start;
        let system = system_at(&lexed.directives, start);
        for (k, branch) in g.branches.iter().enumerate().skip(1) {
            let mut stream: Vec<Tok<'_>> = lexed.tokens[branch.tokens.clone()].to_vec();
            stream.extend(tail.iter().cloned());
            let saved_system = std::mem::replace(&mut r.system, system.clone());
            r.frames.push(Frame {
                prior: g.branches[..k]
                    .iter()
                    .filter_map(|b| b.condition.clone())
                    .collect(),
                current: branch.condition.clone(),
                guard: false,
            });
            r.walk(&stream, &[], Origin::File, 0, branch.tokens.len());
            r.frames.pop();
            r.system = saved_system;
        }
    }
    r.finish(&main)
}

/// The system (`TRACE_SYSTEM`, provider) defined at byte `pos` of the file.
fn system_at(directives: &[Directive<'_>], pos: u32) -> Option<String> {
    let mut system = None;
    for d in directives.iter().take_while(|d| d.range.start < pos) {
        match &d.kind {
            DirectiveKind::Define { name, body, .. } if is_system_define(&name.text) => {
                system = arg_word(body);
            }
            DirectiveKind::Undef(name) if is_system_define(name) => system = None,
            _ => {}
        }
    }
    system
}

/// Where the tokens being walked come from.
#[derive(Clone, Copy)]
enum Origin<'c> {
    /// The file's own top-level tokens.
    File,
    /// The body of a `#define` that is not a wrapper: only literal probe sites count there.
    Define { params: &'c [String] },
    /// The expansion of a wrapper used in this file; `name` and `full` are the outermost
    /// use's ranges. Tokens of the wrapper's body carry `name` as their range.
    Expansion {
        wrapper: &'c str,
        name: TextRange,
        full: TextRange,
    },
}

/// One `#if` … `#endif` group being inside.
struct Frame {
    /// Conditions of the earlier branches (`#if A` … `#elif B` has `A` here while in `B`).
    prior: Vec<String>,
    /// The current branch's condition; `None` in `#else`.
    current: Option<String>,
    /// An include guard: true of the whole file, so left out of conditions.
    guard: bool,
}

struct Recognizer<'a> {
    text: &'a str,
    out: FileIndex,
    system: Option<String>,
    frames: Vec<Frame>,
    wrappers: HashMap<String, Rc<WrapperMacro>>,
    /// `TRACEPOINT_LOGLEVEL(provider, name, level)`, applied once every event is known.
    loglevels: Vec<(Option<String>, String, String)>,
    sdt_seen: HashSet<(Option<String>, String)>,
    /// (site index, byte offset) of sites whose function the syntax tree tells.
    function_lookups: Vec<(usize, u32)>,
    expansions_left: u32,
}

impl<'a> Recognizer<'a> {
    /// Walks `toks`, starting recognitions only before index `limit` (a recognition may read
    /// past it: a split `#if` branch's invocation ends in the common tail).
    fn walk(
        &mut self,
        toks: &[Tok<'a>],
        directives: &[Directive<'a>],
        origin: Origin<'_>,
        depth: u32,
        limit: usize,
    ) {
        let mut d = 0;
        let mut i = 0;
        while i < toks.len().min(limit) {
            while d < directives.len() && directives[d].range.start < toks[i].range.start {
                self.directive(directives, d);
                d += 1;
            }
            let t = &toks[i];
            if !t.is_ident() || !toks.get(i + 1).is_some_and(|n| n.is_punct("(")) {
                i += 1;
                continue;
            }
            let name = t.text.as_ref();
            if !matches!(origin, Origin::Define { .. }) {
                if let Some(spec) = decl_spec(name) {
                    let inv = Invocation::parse(toks, i);
                    self.declaration(spec, toks, &inv, origin);
                    i = inv.next();
                    continue;
                }
                if let Some(w) = self.wrappers.get(name).cloned() {
                    let inv = Invocation::parse(toks, i);
                    if depth < MAX_EXPANSION_DEPTH && self.expansions_left > 0 {
                        self.expansions_left -= 1;
                        self.expand_use(&w, toks, &inv, origin, depth);
                    }
                    i = inv.next();
                    continue;
                }
            }
            if let Some((form, naming, event)) = site_form(name) {
                let pasted = toks.get(i + 1).is_some_and(|n| n.is_punct("##"));
                if pasted {
                    // `trace_x_##name(` in a macro body: a site only once expanded.
                } else if is_definition(toks, i) {
                    if naming == SiteNaming::Callee {
                        self.out.trace_functions.push(name.to_string());
                    }
                } else if !is_member_access(toks, i) {
                    self.site(toks, i, form, naming, event, origin);
                }
            }
            i += 1;
        }
        while d < directives.len() {
            self.directive(directives, d);
            d += 1;
        }
    }

    fn expand_use(
        &mut self,
        w: &WrapperMacro,
        toks: &[Tok<'a>],
        inv: &Invocation,
        origin: Origin<'_>,
        depth: u32,
    ) {
        let use_name = toks[inv.name].range;
        let expanded = if w.object_like {
            let mut e = expand::expand(w, &[], use_name);
            let end = inv.close.min(toks.len() - 1);
            e.extend(toks[inv.name + 1..=end].iter().cloned());
            e
        } else {
            let args: Vec<&[Tok<'a>]> = inv.args.iter().map(|r| &toks[r.clone()]).collect();
            expand::expand(w, &args, use_name)
        };
        let origin = match origin {
            Origin::Expansion { .. } => origin,
            _ => Origin::Expansion {
                wrapper: &w.name,
                name: use_name,
                full: inv.full_range(toks),
            },
        };
        self.walk(&expanded, &[], origin, depth + 1, usize::MAX);
    }

    fn directive(&mut self, directives: &[Directive<'a>], k: usize) {
        let dir = &directives[k];
        match &dir.kind {
            DirectiveKind::Define { name, params, body } => {
                self.define(name, params.as_deref(), body, dir.range)
            }
            DirectiveKind::Undef(name) => {
                if is_system_define(name) {
                    self.system = None;
                }
                self.wrappers.remove(name);
            }
            DirectiveKind::Include(path) => self.out.includes.push(path.clone()),
            DirectiveKind::If { condition, ifndef } => {
                let defines_next = |n: &String| {
                    matches!(directives.get(k + 1).map(|d| &d.kind),
                        Some(DirectiveKind::Define { name, .. }) if name.text == n.as_str())
                };
                let guard = condition.contains("HEADER_MULTI_READ")
                    || ifndef.as_ref().is_some_and(defines_next);
                self.frames.push(Frame {
                    prior: Vec::new(),
                    current: Some(condition.clone()),
                    guard,
                });
            }
            DirectiveKind::Elif(condition) => self.next_branch(Some(condition.clone())),
            DirectiveKind::Else => self.next_branch(None),
            DirectiveKind::Endif => {
                self.frames.pop();
            }
            DirectiveKind::Other => {}
        }
    }

    fn next_branch(&mut self, condition: Option<String>) {
        if let Some(f) = self.frames.last_mut() {
            if let Some(c) = f.current.take() {
                f.prior.push(c);
            }
            f.current = condition;
        }
    }

    fn condition(&self) -> Option<String> {
        let parts: Vec<String> = self
            .frames
            .iter()
            .filter(|f| !f.guard)
            .flat_map(|f| {
                f.prior
                    .iter()
                    .map(|p| format!("!({p})"))
                    .chain(f.current.clone())
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join(" && "))
    }

    fn define(
        &mut self,
        name: &Tok<'a>,
        params: Option<&[String]>,
        body: &[Tok<'a>],
        range: TextRange,
    ) {
        let n = name.text.as_ref();
        if is_system_define(n) {
            self.system = arg_word(body);
            return;
        }
        if n.starts_with("trace_") {
            self.out.trace_functions.push(n.to_string());
        }
        // The tracing frameworks define the declaration macros themselves; those definitions
        // are not wrappers, and what they paste is not a probe site.
        let builtin = decl_spec(n).is_some()
            || site_form(n).is_some_and(|(_, naming, _)| naming == SiteNaming::ProviderArgs);
        if builtin {
            return;
        }
        let params_list = params.unwrap_or(&[]);
        let is_wrapper = match params {
            None => {
                body.len() == 1
                    && body[0].is_ident()
                    && (decl_spec(&body[0].text).is_some()
                        || self.wrappers.contains_key(body[0].text.as_ref())
                        || site_form(&body[0].text)
                            .is_some_and(|(_, naming, _)| naming == SiteNaming::ProviderArgs))
            }
            Some(params) => self.uses_declarations(body) || has_param_site(body, params),
        };
        // Literal sites in any macro body are sites where they are written (a wrapper's
        // expansions skip them, so each is counted once).
        self.walk(
            body,
            &[],
            Origin::Define {
                params: params_list,
            },
            0,
            usize::MAX,
        );
        if !is_wrapper {
            return;
        }
        let body_text = body
            .first()
            .map(|first| {
                let end = (range.end as usize).max(first.range.start as usize);
                self.text.get(first.range.start as usize..end).unwrap_or("")
            })
            .unwrap_or("");
        let wrapper = WrapperMacro {
            name: n.to_string(),
            params: params_list.to_vec(),
            body: body_text.to_string(),
            object_like: params.is_none(),
            name_range: name.range,
            full_range: range,
        };
        self.wrappers
            .insert(wrapper.name.clone(), Rc::new(wrapper.clone()));
        self.out.wrappers.push(wrapper);
    }

    /// Whether a macro body invokes a declaration macro or a known wrapper.
    fn uses_declarations(&self, body: &[Tok<'_>]) -> bool {
        body.windows(2).any(|w| {
            w[0].is_ident()
                && w[1].is_punct("(")
                && (decl_spec(&w[0].text).is_some()
                    || self.wrappers.contains_key(w[0].text.as_ref()))
        })
    }

    fn declaration(
        &mut self,
        spec: specs::DeclSpec,
        toks: &[Tok<'a>],
        inv: &Invocation,
        origin: Origin<'_>,
    ) {
        let args: Vec<&[Tok<'a>]> = inv.args.iter().map(|r| &toks[r.clone()]).collect();
        let (mut name, mut class, mut provider, mut map, mut level) =
            (None, None, None, None, None);
        let mut class_range = None;
        for (k, role) in spec.roles.iter().enumerate() {
            let Some(arg) = args.get(k) else { break };
            let word = arg_word(arg);
            match role {
                Role::Name => name = word.zip(arg_range(arg)),
                Role::ClassName => {
                    class = word;
                    // A class named in a wrapper's body has no place of its own at the use.
                    class_range = arg_range(arg).filter(|r| match origin {
                        Origin::Expansion { name, .. } => *r != name,
                        _ => true,
                    });
                }
                Role::Provider => provider = word,
                Role::Map => map = word,
                Role::Level => level = Some(render(arg)),
            }
        }
        let Some((name, name_range)) = name else {
            return;
        };
        let payload = self.payload(spec.dialect, &args[spec.roles.len().min(args.len())..]);
        let system = match spec.dialect {
            Dialect::Ust => provider.clone().or_else(|| self.system.clone()),
            _ => self.system.clone(),
        };
        let (full_range, via_wrapper) = match origin {
            Origin::Expansion { wrapper, full, .. } => (full, Some(wrapper.to_string())),
            _ => (inv.full_range(toks), None),
        };
        let macro_name = toks[inv.name].text.to_string();
        let condition = self.condition();
        match spec.kind {
            SpecKind::Event | SpecKind::Instance => self.out.events.push(EventDecl {
                name,
                system,
                dialect: spec.dialect,
                macro_name,
                class,
                class_range,
                map,
                module: None,
                payload,
                loglevel: None,
                condition,
                name_range,
                full_range,
                via_wrapper,
                implicit: false,
            }),
            SpecKind::Class => self.out.classes.push(EventClass {
                name,
                system,
                dialect: spec.dialect,
                macro_name,
                payload,
                condition,
                name_range,
                full_range,
            }),
            SpecKind::Loglevel => {
                if let Some(level) = level {
                    self.loglevels.push((provider, name, level));
                }
            }
        }
    }

    /// The payload pieces among a declaration's non-positional arguments.
    fn payload(&self, dialect: Dialect, args: &[&[Tok<'a>]]) -> Payload {
        let mut p = Payload::default();
        for arg in args {
            let Some(first) = arg.first().filter(|t| t.is_ident()) else {
                continue;
            };
            let Some(inner) = inner_tokens(arg) else {
                continue;
            };
            match first.text.as_ref() {
                "TP_PROTO" if dialect != Dialect::Ust => p.params = payload::proto_params(inner),
                "TP_ARGS" | "LTTNG_UST_TP_ARGS" | "TRACER_ARGS" if dialect == Dialect::Ust => {
                    p.params = payload::ust_args_params(inner)
                }
                "TP_STRUCT__entry" | "TP_FIELDS" | "LTTNG_UST_TP_FIELDS" | "TRACER_FIELDS" => {
                    p.fields = payload::fields(inner)
                }
                "TP_printk" => {
                    p.format = split_commas(inner).first().map(|fmt| self.source_text(fmt))
                }
                _ => {}
            }
        }
        p
    }

    /// The text of tokens as written when they are this file's own, else rendered.
    fn source_text(&self, toks: &[Tok<'_>]) -> String {
        let contiguous_in_file = toks
            .iter()
            .all(|t| self.text.get(t.range.start as usize..t.range.end as usize) == Some(&t.text));
        match (contiguous_in_file, arg_range(toks)) {
            (true, Some(r)) => self
                .text
                .get(r.start as usize..r.end as usize)
                .map_or_else(|| render(toks), str::to_string),
            _ => render(toks),
        }
    }

    fn site(
        &mut self,
        toks: &[Tok<'a>],
        i: usize,
        form: SiteForm,
        naming: SiteNaming,
        event: &str,
        origin: Origin<'_>,
    ) {
        let inv = Invocation::parse(toks, i);
        let args: Vec<&[Tok<'a>]> = inv.args.iter().map(|r| &toks[r.clone()]).collect();
        if let Origin::Expansion { name: use_name, .. } = origin {
            // Spelled out in the wrapper's body: recorded there, where it is written.
            let literal = match naming {
                SiteNaming::Callee => toks[i].range == use_name,
                SiteNaming::ProviderArgs => args
                    .iter()
                    .take(2)
                    .all(|a| a.iter().all(|t| t.range == use_name)),
            };
            if literal {
                return;
            }
        }
        let (event, provider, name_range, payload_args) = match naming {
            SiteNaming::Callee => (event.to_string(), None, toks[i].range, &args[..]),
            SiteNaming::ProviderArgs => {
                let (Some(p), Some(n)) = (args.first(), args.get(1)) else {
                    return;
                };
                if let Origin::Define { params } = origin {
                    if [p, n]
                        .iter()
                        .any(|a| a.iter().any(|t| params.iter().any(|q| *q == t.text)))
                    {
                        return;
                    }
                }
                let (Some(pw), Some(nw), Some(range)) = (arg_word(p), arg_word(n), arg_range(n))
                else {
                    return;
                };
                (nw, Some(pw), range, &args[2..])
            }
        };
        let (full_range, via_wrapper, lookup_at) = match origin {
            Origin::Expansion { wrapper, full, .. } => {
                (full, Some(wrapper.to_string()), Some(full.start))
            }
            Origin::File => (inv.full_range(toks), None, Some(toks[i].range.start)),
            Origin::Define { .. } => (inv.full_range(toks), None, None),
        };
        if form == SiteForm::Sdt && self.sdt_seen.insert((provider.clone(), event.clone())) {
            let params = payload_args
                .iter()
                .map(|a| Param {
                    ty: String::new(),
                    name: render(a),
                })
                .collect();
            self.out.events.push(EventDecl {
                condition: self.condition(),
                via_wrapper: via_wrapper.clone(),
                implicit: true,
                ..EventDecl::plain(
                    event.clone(),
                    provider.clone(),
                    Dialect::Sdt,
                    toks[i].text.to_string(),
                    Payload {
                        params,
                        ..Payload::default()
                    },
                    name_range,
                    full_range,
                )
            });
        }
        if let Some(offset) = lookup_at {
            self.function_lookups.push((self.out.sites.len(), offset));
        }
        self.out.sites.push(ProbeSite {
            event,
            provider,
            form,
            callee: toks[i].text.to_string(),
            args: payload_args.len() as u32,
            function: None,
            name_range,
            full_range,
            via_wrapper,
        });
    }

    fn finish(mut self, tokens: &[Tok<'_>]) -> FileIndex {
        for (provider, name, level) in std::mem::take(&mut self.loglevels) {
            for e in self.out.events.iter_mut() {
                if e.name == name && (provider.is_none() || e.system == provider) {
                    e.loglevel = Some(level.clone());
                }
            }
        }
        if !self.function_lookups.is_empty() {
            let offsets: Vec<u32> = self.function_lookups.iter().map(|&(_, o)| o).collect();
            let names =
                functions::enclosing_functions(self.text, &top_level_items(tokens), &offsets);
            for ((site, _), name) in self.function_lookups.iter().zip(names) {
                self.out.sites[*site].function = name;
            }
        }
        self.out.trace_functions.sort();
        self.out.trace_functions.dedup();
        // Split `#if` branches are read after the main stream: restore source order.
        self.out.events.sort_by_key(|e| e.full_range.start);
        self.out.classes.sort_by_key(|c| c.full_range.start);
        self.out.sites.sort_by_key(|s| s.full_range.start);
        self.out
    }
}

/// The file's top-level items that have a brace-enclosed body (functions, initialized
/// structs), each from just after the previous top-level `;` or `}` to its closing `}`. An
/// `#if` that unbalances braces makes an item longer, never loses one.
fn top_level_items(tokens: &[Tok<'_>]) -> Vec<TextRange> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut item_start = 0u32;
    let mut body_open = false;
    for t in tokens {
        if t.kind != TokKind::Punct {
            continue;
        }
        match t.text.as_ref() {
            "{" => {
                depth += 1;
                body_open = true;
            }
            "}" if depth > 0 => {
                depth -= 1;
                if depth == 0 && body_open {
                    items.push(TextRange {
                        start: item_start,
                        end: t.range.end,
                    });
                    item_start = t.range.end;
                    body_open = false;
                }
            }
            ";" if depth == 0 => item_start = t.range.end,
            _ => {}
        }
    }
    items
}

/// `TP_PROTO(...)` → the tokens between its parentheses.
fn inner_tokens<'t, 'a>(arg: &'t [Tok<'a>]) -> Option<&'t [Tok<'a>]> {
    if !arg.get(1)?.is_punct("(") {
        return None;
    }
    let inv = Invocation::parse(arg, 0);
    Some(&arg[2..inv.close.max(2).min(arg.len())])
}

/// `void trace_foo(int x)`, `struct s *trace_bar(void)`: a function being declared or defined,
/// not called.
fn is_definition(toks: &[Tok<'_>], i: usize) -> bool {
    let Some(prev) = i.checked_sub(1).map(|p| &toks[p]) else {
        return false;
    };
    match prev.kind {
        TokKind::Ident => !matches!(
            prev.text.as_ref(),
            "return" | "else" | "do" | "case" | "goto" | "sizeof"
        ),
        TokKind::Punct => prev.text == "*",
        _ => false,
    }
}

/// `ops->trace_foo(...)`, `s.trace_foo(...)`: a member, not a tracepoint.
fn is_member_access(toks: &[Tok<'_>], i: usize) -> bool {
    let prev = |k: usize| i.checked_sub(k).map(|p| toks[p].text.as_ref());
    prev(1) == Some(".") || (prev(1) == Some(">") && prev(2) == Some("-"))
}

/// Whether a macro body has a probe site whose event comes from a parameter: `trace_##x(…)`
/// or `tracepoint(prov, x, …)`. Such a macro is a call-site helper, expanded at its uses.
fn has_param_site(body: &[Tok<'_>], params: &[String]) -> bool {
    (0..body.len()).any(|i| {
        let t = &body[i];
        if !t.is_ident() {
            return false;
        }
        let next = body.get(i + 1);
        let pasted_callee = ["trace_", "register_trace_", "unregister_trace_"]
            .iter()
            .any(|p| t.text.starts_with(p))
            && next.is_some_and(|n| n.is_punct("##"));
        if pasted_callee {
            return !is_definition(body, i);
        }
        let provider_args =
            site_form(&t.text).is_some_and(|(_, n, _)| n == SiteNaming::ProviderArgs);
        if provider_args && next.is_some_and(|n| n.is_punct("(")) {
            let inv = Invocation::parse(body, i);
            return inv.args.iter().take(2).any(|r| {
                body[r.clone()]
                    .iter()
                    .any(|tok| params.iter().any(|p| *p == tok.text))
            });
        }
        false
    })
}
