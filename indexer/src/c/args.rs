//! Macro invocations as the preprocessor sees them: a name, a parenthesised list, arguments
//! split at top-level commas. The end of an invocation comes from matching parentheses in the
//! tokens, never from a syntax tree (tree-sitter closes `TRACE_EVENT(` early).

use std::ops::Range;

use crate::lex::{Tok, TokKind};
use crate::model::TextRange;

/// `NAME(a, b, c)` at `toks[name]`: argument token ranges and the index of the closing `)`
/// (`toks.len()` when the input ends first).
#[derive(Clone, Debug)]
pub(crate) struct Invocation {
    pub name: usize,
    pub args: Vec<Range<usize>>,
    pub close: usize,
}

impl Invocation {
    /// Parses the invocation whose name is `toks[name]` and whose `(` is `toks[name + 1]`.
    pub fn parse(toks: &[Tok<'_>], name: usize) -> Invocation {
        let open = name + 1;
        let mut depth = 0isize;
        let mut args = Vec::new();
        let mut arg_start = open + 1;
        let mut i = open;
        while i < toks.len() {
            let t = &toks[i];
            if t.kind == TokKind::Punct {
                match t.text.as_ref() {
                    "(" => depth += 1,
                    ")" => {
                        depth -= 1;
                        if depth <= 0 {
                            args.push(arg_start..i);
                            break;
                        }
                    }
                    "," if depth == 1 => {
                        args.push(arg_start..i);
                        arg_start = i + 1;
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        if i >= toks.len() {
            // Truncated input: keep what was there.
            args.push(arg_start.min(toks.len())..toks.len());
        }
        if args.len() == 1 && args[0].is_empty() {
            args.clear();
        }
        Invocation {
            name,
            args,
            close: i,
        }
    }

    /// From the name's first byte to the closing parenthesis's last.
    pub fn full_range(&self, toks: &[Tok<'_>]) -> TextRange {
        let start = toks[self.name].range.start;
        let last = toks
            .get(self.close)
            .or(toks.last())
            .map_or(start, |t| t.range.end);
        TextRange {
            start,
            end: last.max(start),
        }
    }

    /// The index just past the invocation.
    pub fn next(&self) -> usize {
        self.close + 1
    }
}

/// The text of an argument that should be one name (`sched_switch`, `9p_client_req`): its
/// tokens concatenated. `None` for an empty argument.
pub(crate) fn arg_word(toks: &[Tok<'_>]) -> Option<String> {
    let text: String = toks.iter().map(|t| t.text.as_ref()).collect();
    let text = text.trim_matches('"').to_string();
    (!text.is_empty()).then_some(text)
}

/// The byte range covered by an argument's tokens.
pub(crate) fn arg_range(toks: &[Tok<'_>]) -> Option<TextRange> {
    let first = toks.first()?;
    let last = toks.last()?;
    Some(TextRange {
        start: first.range.start,
        end: last.range.end.max(first.range.start),
    })
}

/// Splits a token list at top-level commas (used inside `TP_PROTO(...)`, already unwrapped).
pub(crate) fn split_commas<'t, 'a>(toks: &'t [Tok<'a>]) -> Vec<&'t [Tok<'a>]> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.kind != TokKind::Punct {
            continue;
        }
        match t.text.as_ref() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            "," if depth == 0 => {
                out.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < toks.len() {
        out.push(&toks[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::lex;

    #[test]
    fn nested_parentheses_and_truncation() {
        let lexed = lex("F(a, g(b, c), (d, e))");
        let inv = Invocation::parse(&lexed.tokens, 0);
        assert_eq!(inv.args.len(), 3);
        assert_eq!(inv.close, lexed.tokens.len() - 1);

        let lexed = lex("F(a, g(b");
        let inv = Invocation::parse(&lexed.tokens, 0);
        assert_eq!(inv.args.len(), 2);
        assert_eq!(inv.close, lexed.tokens.len());

        let lexed = lex("F()");
        assert!(Invocation::parse(&lexed.tokens, 0).args.is_empty());
    }
}
