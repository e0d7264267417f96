//! Completion: where the cursor is (after `trace_`, in a `tracepoint(` argument, in the class
//! slot of an instance macro) and what may be typed there, ranked by a fuzzy match.
//!
//! The context comes from the tokens just before the cursor, so it works in the middle of an
//! edit that does not parse.

use std::collections::HashSet;

use super::fuzzy_score;
use crate::c::specs::{decl_spec, site_form, Role, SiteNaming, SpecKind};
use crate::lex::{lex_fragment, Tok, TokKind};
use crate::model::{Dialect, EventClass, EventDecl, SiteForm, TextRange};
use crate::workspace::WorkspaceIndex;
use crate::Language;

/// What is being typed at the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompletionContext {
    /// `trace_sch|`: a kernel tracepoint call; `prefix` is what follows `trace_`.
    TraceCall { prefix: String },
    /// `tracepoint(|` (LTTng-UST), `tracepoint!(|` (tracer-core), `probe!(|`: a provider of
    /// that dialect.
    Provider { dialect: Dialect, prefix: String },
    /// `tracepoint(prov, |`: an event of `provider`; `with_payload` when the call takes one.
    ProviderEvent {
        dialect: Dialect,
        provider: String,
        prefix: String,
        with_payload: bool,
    },
    /// `my_provider::|` in Rust: a `usdt` probe of that provider.
    UsdtEvent { provider: String, prefix: String },
    /// `DEFINE_EVENT(|` and the other instance macros: a class of `dialect` (and `provider`).
    ClassSlot {
        dialect: Dialect,
        provider: Option<String>,
        prefix: String,
    },
}

/// A context and the range of text a chosen item replaces (the word being typed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionSite {
    pub context: CompletionContext,
    pub replace: TextRange,
}

/// How far back the context is looked for: a call's opening parenthesis is rarely further.
const WINDOW: usize = 4096;

/// The completion context at byte `offset` of `text`, a file in `language`, if it is one we
/// complete.
pub fn completion_context(language: Language, text: &str, offset: usize) -> Option<CompletionSite> {
    let offset = offset.min(text.len());
    let mut start = offset.saturating_sub(WINDOW);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let window = &text[start..offset];
    let toks = lex_fragment(window);
    // The word being typed, if the cursor touches one.
    let (word, word_start) = match toks.last() {
        Some(t)
            if t.range.end as usize == window.len()
                && matches!(t.kind, TokKind::Ident | TokKind::Number) =>
        {
            (t.text.to_string(), start + t.range.start as usize)
        }
        _ => (String::new(), offset),
    };
    let word_end = offset
        + text[offset..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
    let replace = TextRange::new(word_start, word_end);
    let before = if word.is_empty() {
        &toks[..]
    } else {
        &toks[..toks.len() - 1]
    };
    let member = before
        .last()
        .is_some_and(|t| t.text == "." || t.text == ">");
    if language == Language::Rust {
        return rust_context(before, word, replace);
    }
    if let Some(prefix) = word.strip_prefix("trace_") {
        if !member {
            return Some(CompletionSite {
                context: CompletionContext::TraceCall {
                    prefix: prefix.to_string(),
                },
                replace,
            });
        }
    }
    let (callee, args) = enclosing_call(before)?;
    let arg_index = args.len() - 1;
    let context = if let Some((form, SiteNaming::ProviderArgs, _)) = site_form(&callee) {
        match arg_index {
            0 => CompletionContext::Provider {
                dialect: Dialect::Ust,
                prefix: word,
            },
            1 => CompletionContext::ProviderEvent {
                dialect: Dialect::Ust,
                provider: args[0].iter().map(|t| t.text.as_ref()).collect(),
                prefix: word,
                with_payload: matches!(form, SiteForm::Tracepoint | SiteForm::DoTracepoint),
            },
            _ => return None,
        }
    } else {
        let spec = decl_spec(&callee).filter(|s| s.kind == SpecKind::Instance)?;
        let slot = spec.roles.iter().position(|r| *r == Role::ClassName)?;
        if slot != arg_index {
            return None;
        }
        let provider = spec
            .roles
            .iter()
            .position(|r| *r == Role::Provider)
            .and_then(|p| args.get(p))
            .map(|a| a.iter().map(|t| t.text.as_ref()).collect());
        CompletionContext::ClassSlot {
            dialect: spec.dialect,
            provider,
            prefix: word,
        }
    };
    Some(CompletionSite { context, replace })
}

/// Rust: `tracepoint!(`/`probe!(` arguments and `provider::` paths.
fn rust_context(before: &[Tok<'_>], word: String, replace: TextRange) -> Option<CompletionSite> {
    let n = before.len();
    if n >= 3 && before[n - 1].text == ":" && before[n - 2].text == ":" && before[n - 3].is_ident()
    {
        return Some(CompletionSite {
            context: CompletionContext::UsdtEvent {
                provider: before[n - 3].text.to_string(),
                prefix: word,
            },
            replace,
        });
    }
    let (callee, args) = enclosing_call(before)?;
    let dialect = match callee.as_str() {
        "tracepoint!" => Dialect::Tracer,
        "probe!" | "probe_lazy!" => Dialect::Probe,
        _ => return None,
    };
    let context = match args.len() {
        1 => CompletionContext::Provider {
            dialect,
            prefix: word,
        },
        2 => CompletionContext::ProviderEvent {
            dialect,
            provider: args[0].iter().map(|t| t.text.as_ref()).collect(),
            prefix: word,
            with_payload: true,
        },
        _ => return None,
    };
    Some(CompletionSite { context, replace })
}

/// The innermost unclosed call before the cursor: its callee and the tokens of each argument
/// so far (the last one is the argument being typed).
fn enclosing_call<'t, 'a>(toks: &'t [Tok<'a>]) -> Option<(String, Vec<&'t [Tok<'a>]>)> {
    let mut depth = 0usize;
    let mut commas = Vec::new();
    for i in (0..toks.len()).rev() {
        let t = &toks[i];
        if t.kind != TokKind::Punct {
            continue;
        }
        match t.text.as_ref() {
            ")" => depth += 1,
            "(" if depth > 0 => depth -= 1,
            "(" => {
                let before = toks.get(i.checked_sub(1)?)?;
                // `name!(`: a Rust macro, named with its `!`.
                let callee = if before.is_punct("!") {
                    let name = toks.get(i.checked_sub(2)?).filter(|c| c.is_ident())?;
                    format!("{}!", name.text)
                } else if before.is_ident() {
                    before.text.to_string()
                } else {
                    return None;
                };
                let mut bounds = vec![i];
                bounds.extend(commas.iter().rev());
                bounds.push(toks.len());
                let args = bounds.windows(2).map(|w| &toks[w[0] + 1..w[1]]).collect();
                return Some((callee, args));
            }
            "," if depth == 0 => commas.push(i),
            ";" | "{" | "}" if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// What a completion item inserts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CandidateKind {
    Event,
    Provider,
    Class,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub label: String,
    pub kind: CandidateKind,
    /// The system (provider) and a one-line prototype.
    pub detail: String,
    /// Text to insert, in LSP snippet syntax (`${1:name}` placeholders).
    pub snippet: String,
    /// The declaring file, for documentation.
    pub path: String,
    pub score: u32,
}

/// `name(${1:a}, ${2:b})` snippet placeholders (names escaped for snippet syntax).
fn placeholders(names: &[&str], first: usize) -> String {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("${{{}:{}}}", i + first, n.replace(['$', '}', '\\'], "")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The score of `key` when it matches and was not offered yet.
fn offer<'w>(seen: &mut HashSet<&'w str>, key: &'w str, prefix: &str) -> Option<u32> {
    let score = fuzzy_score(prefix, key)?;
    seen.insert(key).then_some(score)
}

/// What a ranked entry will become, kept as references until it makes the cut.
enum Source<'w> {
    Event(&'w str, &'w EventDecl),
    Provider(&'w str, &'w str),
    Class(&'w str, &'w EventClass),
}

impl WorkspaceIndex {
    /// Ranked candidates for a context, at most `limit`; the flag says whether more matched.
    ///
    /// Names are scored first and only the `limit` best become items: on the Linux tree
    /// `trace_s` matches thousands of events, and formatting each one's prototype cost more
    /// than everything else.
    pub fn complete(&self, context: &CompletionContext, limit: usize) -> (Vec<Candidate>, bool) {
        let mut ranked: Vec<(u32, &str, Source<'_>)> = Vec::new();
        // One candidate per name: an event declared under several `#if` branches is offered once.
        let mut seen: HashSet<&str> = HashSet::new();
        match context {
            CompletionContext::TraceCall { prefix } => {
                for (path, e) in self.all_events() {
                    if e.dialect == Dialect::Kernel {
                        if let Some(score) = offer(&mut seen, &e.name, prefix) {
                            ranked.push((score, &e.name, Source::Event(path, e)));
                        }
                    }
                }
            }
            CompletionContext::Provider { dialect, prefix } => {
                for (path, e) in self.all_events() {
                    if let Some(system) = e.system.as_deref().filter(|_| e.dialect == *dialect) {
                        if let Some(score) = offer(&mut seen, system, prefix) {
                            ranked.push((score, system, Source::Provider(path, system)));
                        }
                    }
                }
            }
            CompletionContext::ProviderEvent {
                dialect,
                provider,
                prefix,
                ..
            } => {
                for (path, e) in self.all_events() {
                    if e.dialect == *dialect && e.system.as_deref() == Some(provider.as_str()) {
                        if let Some(score) = offer(&mut seen, &e.name, prefix) {
                            ranked.push((score, &e.name, Source::Event(path, e)));
                        }
                    }
                }
            }
            CompletionContext::UsdtEvent { provider, prefix } => {
                for (path, e) in self.all_events() {
                    if e.dialect == Dialect::Usdt && e.system.as_deref() == Some(provider.as_str())
                    {
                        if let Some(score) = offer(&mut seen, &e.name, prefix) {
                            ranked.push((score, &e.name, Source::Event(path, e)));
                        }
                    }
                }
            }
            CompletionContext::ClassSlot {
                dialect,
                provider,
                prefix,
            } => {
                for (path, entry) in self.files() {
                    for c in &entry.index.classes {
                        if c.dialect == *dialect && (provider.is_none() || c.system == *provider) {
                            if let Some(score) = offer(&mut seen, &c.name, prefix) {
                                ranked.push((score, &c.name, Source::Class(path, c)));
                            }
                        }
                    }
                }
            }
        }
        ranked.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let incomplete = ranked.len() > limit;
        ranked.truncate(limit);
        let items = ranked
            .into_iter()
            .map(|(score, _, source)| self.candidate(context, source, score))
            .collect();
        (items, incomplete)
    }

    fn candidate(&self, context: &CompletionContext, source: Source<'_>, score: u32) -> Candidate {
        match source {
            Source::Event(path, e) => {
                let params = self.prototype(path, e);
                let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                let proto: Vec<String> = params
                    .iter()
                    .map(|p| format!("{} {}", p.ty, p.name).trim().to_string())
                    .collect();
                let system = e.system.as_deref().unwrap_or("-");
                let (label, snippet) = match context {
                    CompletionContext::ProviderEvent {
                        with_payload: true, ..
                    } if !names.is_empty() => {
                        let args = if e.dialect == Dialect::Tracer {
                            // `tracepoint!(p, e, id = ${1:id})`: fields are named.
                            names
                                .iter()
                                .enumerate()
                                .map(|(i, n)| format!("{n} = ${{{}:{n}}}", i + 1))
                                .collect::<Vec<_>>()
                                .join(", ")
                        } else {
                            placeholders(&names, 1)
                        };
                        (e.name.clone(), format!("{}, {args}", e.name))
                    }
                    CompletionContext::ProviderEvent { .. } => (e.name.clone(), e.name.clone()),
                    CompletionContext::UsdtEvent { .. } => {
                        let payload = match names.len() {
                            0 => "()".to_string(),
                            1 => placeholders(&names, 1),
                            _ => format!("({})", placeholders(&names, 1)),
                        };
                        (e.name.clone(), format!("{}!(|| {payload})", e.name))
                    }
                    _ => (
                        format!("trace_{}", e.name),
                        format!("trace_{}({})", e.name, placeholders(&names, 1)),
                    ),
                };
                Candidate {
                    label,
                    kind: CandidateKind::Event,
                    detail: format!("{system} ({})", proto.join(", ")),
                    snippet,
                    path: path.to_string(),
                    score,
                }
            }
            Source::Provider(path, system) => Candidate {
                label: system.to_string(),
                kind: CandidateKind::Provider,
                detail: match context {
                    CompletionContext::Provider {
                        dialect: Dialect::Ust,
                        ..
                    } => "LTTng-UST provider",
                    _ => "provider",
                }
                .to_string(),
                snippet: system.to_string(),
                path: path.to_string(),
                score,
            },
            Source::Class(path, c) => Candidate {
                label: c.name.clone(),
                kind: CandidateKind::Class,
                detail: format!("{} class", c.system.as_deref().unwrap_or("-")),
                snippet: c.name.clone(),
                path: path.to_string(),
                score,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(src: &str) -> Option<CompletionContext> {
        let offset = src.find('|').unwrap();
        let text = src.replace('|', "");
        completion_context(Language::C, &text, offset).map(|s| s.context)
    }

    #[test]
    fn contexts() {
        assert_eq!(
            ctx("void f() { trace_sch| }"),
            Some(CompletionContext::TraceCall {
                prefix: "sch".into()
            })
        );
        assert_eq!(ctx("void f() { ops->trace_sch| }"), None);
        assert_eq!(
            ctx("tracepoint(|"),
            Some(CompletionContext::Provider {
                dialect: Dialect::Ust,
                prefix: "".into()
            })
        );
        assert_eq!(
            ctx("if (x) tracepoint(hello, gr|, 1)"),
            Some(CompletionContext::ProviderEvent {
                dialect: Dialect::Ust,
                provider: "hello".into(),
                prefix: "gr".into(),
                with_payload: true
            })
        );
        assert_eq!(
            ctx("TRACEPOINT_EVENT_INSTANCE(app, |"),
            Some(CompletionContext::ClassSlot {
                dialect: Dialect::Ust,
                provider: Some("app".into()),
                prefix: "".into()
            })
        );
        assert!(matches!(
            ctx("DEFINE_EVENT(blk|"),
            Some(CompletionContext::ClassSlot { .. })
        ));
        assert_eq!(ctx("DEFINE_EVENT(cls, |"), None);
        assert_eq!(ctx("foo(|"), None);
        assert_eq!(ctx("tracepoint(a, b); x|"), None);
    }

    #[test]
    fn rust_contexts() {
        let rs = |src: &str| {
            let offset = src.find('|').unwrap();
            completion_context(Language::Rust, &src.replace('|', ""), offset).map(|s| s.context)
        };
        assert_eq!(
            rs("fn f() { tracepoint!(myapp, re| }"),
            Some(CompletionContext::ProviderEvent {
                dialect: Dialect::Tracer,
                provider: "myapp".into(),
                prefix: "re".into(),
                with_payload: true
            })
        );
        assert_eq!(
            rs("fn f() { probe!(| }"),
            Some(CompletionContext::Provider {
                dialect: Dialect::Probe,
                prefix: "".into()
            })
        );
        assert_eq!(
            rs("fn f() { my_provider::st| }"),
            Some(CompletionContext::UsdtEvent {
                provider: "my_provider".into(),
                prefix: "st".into()
            })
        );
        assert_eq!(rs("fn f() { trace_sch| }"), None);
    }

    #[test]
    fn replace_range_covers_the_whole_word() {
        let text = "x = trace_sched_sw;";
        let site = completion_context(Language::C, text, text.find("_sw").unwrap()).unwrap();
        assert_eq!(site.replace, TextRange::new(4, 18));
    }
}
