//! The Rust recognizer: tracer-core's `tracepoint!`, the `usdt` crate's providers and probe
//! macros, the `probe` crate's `probe!`, and Rust-for-Linux `declare_trace!`, from
//! tree-sitter-rust's syntax tree.
//!
//! Macro arguments arrive as a flat `token_tree`; they are split at top-level commas by walking
//! its children (nested delimiters are child token trees, so nothing needs matching). Sites of
//! `tracepoint!` and `probe!` declare their event themselves; the first site of an event in a
//! file carries its implicit declaration.

use std::cell::RefCell;
use std::collections::HashSet;

use tree_sitter::{Node, Parser, Tree};

use crate::c::MAX_INDEXED_BYTES;
use crate::model::{Dialect, EventDecl, FileIndex, Param, Payload, ProbeSite, SiteForm, TextRange};

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

fn parse(text: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_rust::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        slot.as_mut()?.parse(text, None)
    })
}

pub fn index_rust(text: &str) -> FileIndex {
    let mut cut = text.len().min(MAX_INDEXED_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = &text[..cut];
    let Some(tree) = parse(text) else {
        return FileIndex::default();
    };
    let mut r = Recognizer {
        text,
        out: FileIndex::default(),
        tracer_macros: vec!["tracepoint".to_string()],
        implicit_seen: HashSet::new(),
        rfl_calls: Vec::new(),
    };
    let nodes = preorder(tree.root_node());
    // `use … as alias` must be known before the sites that use the alias.
    for n in &nodes {
        if n.kind() == "use_as_clause" {
            r.use_alias(*n);
        }
    }
    for n in &nodes {
        match n.kind() {
            "mod_item" => r.usdt_provider(*n),
            "macro_invocation" => r.macro_invocation(*n),
            "call_expression" => r.call(*n),
            _ => {}
        }
    }
    r.finish()
}

/// Every node, parents before children, without recursion (a deeply nested file must not
/// overflow the stack).
fn preorder(root: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        out.push(n);
        let mut cursor = n.walk();
        let children: Vec<Node<'_>> = n.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out
}

struct RflCall {
    name: String,
    args: u32,
    name_range: TextRange,
    full_range: TextRange,
    function: Option<String>,
}

struct Recognizer<'a> {
    text: &'a str,
    out: FileIndex,
    /// Names under which tracer-core's `tracepoint!` is used here (`use … as tp`).
    tracer_macros: Vec<String>,
    implicit_seen: HashSet<(String, String)>,
    rfl_calls: Vec<RflCall>,
}

fn range(n: Node<'_>) -> TextRange {
    TextRange::new(n.start_byte(), n.end_byte())
}

impl<'a> Recognizer<'a> {
    fn text_of(&self, n: Node<'_>) -> &'a str {
        self.text.get(n.byte_range()).unwrap_or("")
    }

    fn use_alias(&mut self, clause: Node<'_>) {
        let (Some(path), Some(alias)) = (
            clause.child_by_field_name("path"),
            clause.child_by_field_name("alias"),
        ) else {
            return;
        };
        let path = self.text_of(path);
        if path.rsplit("::").next() == Some("tracepoint") && path.contains("tracer_core") {
            self.tracer_macros.push(self.text_of(alias).to_string());
        }
    }

    /// `#[usdt::provider] mod p { fn e(x: u8) {} }`: each function declares `p:e`.
    fn usdt_provider(&mut self, module: Node<'_>) {
        let mut provider = None;
        let mut sibling = module.prev_named_sibling();
        while let Some(attr) = sibling.filter(|s| s.kind() == "attribute_item") {
            let text = self.text_of(attr);
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            if compact.starts_with("#[usdt::provider") || compact.starts_with("#[provider") {
                provider = Some(provider_override(&compact));
            }
            sibling = attr.prev_named_sibling();
        }
        let Some(overridden) = provider else { return };
        let (Some(name), Some(body)) = (
            module.child_by_field_name("name"),
            module.child_by_field_name("body"),
        ) else {
            return;
        };
        let module_name = self.text_of(name).to_string();
        let module = overridden.as_ref().map(|_| module_name.clone());
        let provider = overridden.unwrap_or(module_name);
        let mut cursor = body.walk();
        for f in body.named_children(&mut cursor) {
            if !matches!(f.kind(), "function_item" | "function_signature_item") {
                continue;
            }
            let Some(fname) = f.child_by_field_name("name") else {
                continue;
            };
            let params = f
                .child_by_field_name("parameters")
                .map(|p| self.parameters(p))
                .unwrap_or_default();
            self.out.events.push(EventDecl {
                module: module.clone(),
                ..EventDecl::plain(
                    self.text_of(fname).to_string(),
                    Some(provider.clone()),
                    Dialect::Usdt,
                    "usdt::provider".to_string(),
                    Payload {
                        params,
                        ..Payload::default()
                    },
                    range(fname),
                    range(f),
                )
            });
        }
    }

    fn parameters(&self, params: Node<'_>) -> Vec<Param> {
        let mut cursor = params.walk();
        params
            .named_children(&mut cursor)
            .filter(|p| p.kind() == "parameter")
            .map(|p| Param {
                ty: p
                    .child_by_field_name("type")
                    .map(|t| self.text_of(t).to_string())
                    .unwrap_or_default(),
                name: p
                    .child_by_field_name("pattern")
                    .map(|t| self.text_of(t).to_string())
                    .unwrap_or_default(),
            })
            .collect()
    }

    fn macro_invocation(&mut self, inv: Node<'_>) {
        let (Some(path), Some(tt)) = (inv.child_by_field_name("macro"), token_tree(inv)) else {
            return;
        };
        let segments: Vec<&str> = self.text_of(path).split("::").map(str::trim).collect();
        let Some(&name) = segments.last() else { return };
        let args = split_args(tt);
        if self.tracer_macros.iter().any(|m| m == name) {
            self.provider_site(inv, &args, SiteForm::TracerMacro, Dialect::Tracer);
        } else if matches!(name, "probe" | "probe_lazy") {
            self.provider_site(inv, &args, SiteForm::Probe, Dialect::Probe);
        } else if name == "declare_trace" {
            self.declare_trace(tt);
        } else if segments.len() >= 2 {
            self.usdt_site(inv, path, &segments, tt);
        }
    }

    /// `tracepoint!(prov, name, level: L, f = v, …)` and `probe!(prov, name, args…)`.
    fn provider_site<'t>(
        &mut self,
        inv: Node<'t>,
        args: &[Vec<Node<'t>>],
        form: SiteForm,
        dialect: Dialect,
    ) {
        fn word<'t>(arg: Option<&Vec<Node<'t>>>) -> Option<Node<'t>> {
            match arg.map(Vec::as_slice) {
                Some([n]) if n.kind() == "identifier" => Some(*n),
                _ => None,
            }
        }
        let (Some(prov), Some(event)) = (word(args.first()), word(args.get(1))) else {
            return;
        };
        let rest = &args[2..];
        let mut loglevel = None;
        let mut params = Vec::new();
        for (k, arg) in rest.iter().enumerate() {
            match (form, arg.as_slice()) {
                (SiteForm::TracerMacro, [key, colon, level, ..])
                    if self.text_of(*key) == "level" && colon.kind() == ":" =>
                {
                    loglevel = Some(self.text_of(*level).to_string());
                }
                (SiteForm::TracerMacro, [field, eq, ..]) if eq.kind() == "=" => {
                    params.push(Param {
                        ty: String::new(),
                        name: self.text_of(*field).to_string(),
                    })
                }
                (SiteForm::Probe, _) => params.push(Param {
                    ty: String::new(),
                    name: format!("arg{k}"),
                }),
                _ => {}
            }
        }
        let (provider, name) = (
            self.text_of(prov).to_string(),
            self.text_of(event).to_string(),
        );
        if self.implicit_seen.insert((provider.clone(), name.clone())) {
            let macro_name = format!(
                "{}!",
                self.text_of(inv.child_by_field_name("macro").unwrap_or(inv))
            );
            self.out.events.push(EventDecl {
                loglevel,
                implicit: true,
                ..EventDecl::plain(
                    name.clone(),
                    Some(provider.clone()),
                    dialect,
                    macro_name,
                    Payload {
                        params: params.clone(),
                        ..Payload::default()
                    },
                    range(event),
                    range(inv),
                )
            });
        }
        self.push_site(
            inv,
            name,
            Some(provider),
            form,
            params.len() as u32,
            range(event),
        );
    }

    /// `p::e!(|| (a, b))`: a `usdt` probe; the closure's tuple is the payload.
    fn usdt_site(&mut self, inv: Node<'_>, path: Node<'_>, segments: &[&str], tt: Node<'_>) {
        let mut cursor = tt.walk();
        let inner: Vec<Node<'_>> = tt.children(&mut cursor).collect();
        let body = &inner[1..inner.len().saturating_sub(1).max(1)];
        let closure_at = match body.first().map(|n| n.kind()) {
            Some("||") => 1,
            Some("move") if body.get(1).is_some_and(|n| n.kind() == "||") => 2,
            _ => return,
        };
        let payload = &body[closure_at..];
        let args = match payload {
            [] => 0,
            [tuple]
                if tuple.kind() == "token_tree"
                    && tuple.child(0).is_some_and(|d| d.kind() == "(") =>
            {
                split_args(*tuple).len() as u32
            }
            _ => 1,
        };
        let provider = segments[segments.len() - 2].to_string();
        let name_node = path.child_by_field_name("name").unwrap_or(path);
        let name = self.text_of(name_node).to_string();
        self.push_site(
            inv,
            name,
            Some(provider),
            SiteForm::Usdt,
            args,
            range(name_node),
        );
    }

    /// `declare_trace! { unsafe fn name(magic: c_int); … }`
    fn declare_trace(&mut self, tt: Node<'_>) {
        let mut cursor = tt.walk();
        let toks: Vec<Node<'_>> = tt.children(&mut cursor).collect();
        for i in 0..toks.len() {
            if toks[i].kind() != "fn" {
                continue;
            }
            let (Some(name), Some(params)) = (toks.get(i + 1), toks.get(i + 2)) else {
                continue;
            };
            if name.kind() != "identifier" || params.kind() != "token_tree" {
                continue;
            }
            let start = if i > 0 && toks[i - 1].kind() == "unsafe" {
                toks[i - 1]
            } else {
                toks[i]
            };
            let end = toks[i + 2..]
                .iter()
                .find(|t| t.kind() == ";")
                .copied()
                .unwrap_or(*params);
            let params = split_args(*params)
                .into_iter()
                .filter_map(|p| {
                    let colon = p.iter().position(|n| n.kind() == ":")?;
                    let name = p[..colon]
                        .iter()
                        .map(|n| self.text_of(*n))
                        .collect::<String>();
                    let ty = p[colon + 1..]
                        .iter()
                        .map(|n| self.text_of(*n))
                        .collect::<Vec<_>>()
                        .join(" ");
                    Some(Param { ty, name })
                })
                .collect();
            let full_range = TextRange {
                start: start.start_byte() as u32,
                end: end.end_byte() as u32,
            };
            self.out.events.push(EventDecl::plain(
                self.text_of(*name).to_string(),
                None,
                Dialect::Rfl,
                "declare_trace!".to_string(),
                Payload {
                    params,
                    ..Payload::default()
                },
                range(*name),
                full_range,
            ));
        }
    }

    /// A plain call; kept until the end, when the file's `declare_trace!` names are known.
    fn call(&mut self, call: Node<'_>) {
        let Some(function) = call.child_by_field_name("function") else {
            return;
        };
        let callee = match function.kind() {
            "identifier" => function,
            "scoped_identifier" => match function.child_by_field_name("name") {
                Some(n) => n,
                None => return,
            },
            _ => return,
        };
        let args = call
            .child_by_field_name("arguments")
            .map_or(0, |a| a.named_child_count() as u32);
        self.rfl_calls.push(RflCall {
            name: self.text_of(callee).to_string(),
            args,
            name_range: range(callee),
            full_range: range(call),
            function: enclosing_function(call, self.text),
        });
    }

    fn push_site(
        &mut self,
        inv: Node<'_>,
        event: String,
        provider: Option<String>,
        form: SiteForm,
        args: u32,
        name_range: TextRange,
    ) {
        let callee = inv
            .child_by_field_name("macro")
            .map(|m| format!("{}!", self.text_of(m)))
            .unwrap_or_default();
        self.out.sites.push(ProbeSite {
            event,
            provider,
            form,
            callee,
            args,
            function: enclosing_function(inv, self.text),
            name_range,
            full_range: range(inv),
            via_wrapper: None,
        });
    }

    fn finish(mut self) -> FileIndex {
        let declared: HashSet<String> = self
            .out
            .events
            .iter()
            .filter(|e| e.dialect == Dialect::Rfl)
            .map(|e| e.name.clone())
            .collect();
        for call in std::mem::take(&mut self.rfl_calls) {
            if declared.contains(&call.name) {
                self.out.sites.push(ProbeSite {
                    callee: call.name.clone(),
                    event: call.name,
                    provider: None,
                    form: SiteForm::Call,
                    args: call.args,
                    function: call.function,
                    name_range: call.name_range,
                    full_range: call.full_range,
                    via_wrapper: None,
                });
            }
        }
        self.out.events.sort_by_key(|e| e.full_range.start);
        self.out.sites.sort_by_key(|s| s.full_range.start);
        self.out
    }
}

/// The provider name an attribute sets: `#[usdt::provider(provider = "name")]` → `"name"`;
/// `None` when the module's own name is the provider's.
fn provider_override(attr: &str) -> Option<String> {
    let at = attr.find("provider=\"")? + "provider=\"".len();
    let rest = &attr[at..];
    Some(rest[..rest.find('"')?].to_string())
}

fn token_tree(inv: Node<'_>) -> Option<Node<'_>> {
    let mut cursor = inv.walk();
    let found = inv.children(&mut cursor).find(|c| c.kind() == "token_tree");
    found
}

/// A token tree's arguments: its children between the delimiters, split at commas.
fn split_args(tt: Node<'_>) -> Vec<Vec<Node<'_>>> {
    let mut cursor = tt.walk();
    let children: Vec<Node<'_>> = tt.children(&mut cursor).collect();
    let inner = match children.len() {
        0 | 1 => &[][..],
        n => &children[1..n - 1],
    };
    let mut out: Vec<Vec<Node<'_>>> = vec![Vec::new()];
    for c in inner {
        if c.kind() == "," {
            out.push(Vec::new());
        } else if !c.kind().ends_with("comment") {
            if let Some(last) = out.last_mut() {
                last.push(*c);
            }
        }
    }
    if out.last().is_some_and(Vec::is_empty) {
        out.pop();
    }
    out
}

fn enclosing_function(node: Node<'_>, text: &str) -> Option<String> {
    let mut n = node.parent();
    while let Some(p) = n {
        if p.kind() == "function_item" {
            return p
                .child_by_field_name("name")
                .and_then(|name| text.get(name.byte_range()))
                .map(str::to_string);
        }
        n = p.parent();
    }
    None
}
