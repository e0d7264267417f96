//! Expanding a wrapper macro at one use: parameter substitution, `##` pasting and `#`
//! stringizing, as the C preprocessor does it, on tokens.
//!
//! Tokens that come from the use's arguments keep their ranges, so an event named by pasting
//! (`name##_entry` with `local_timer`) points at the argument that supplied it; tokens from
//! the wrapper's body (which may live in another file) take the range of the use's name.

use std::borrow::Cow;

use crate::lex::{lex_fragment, render, Tok, TokKind};
use crate::model::{TextRange, WrapperMacro};

struct Out<'a> {
    tok: Tok<'a>,
    from_arg: bool,
}

/// The replacement tokens of `wrapper` used with `args` at `use_name`. For an object-like
/// wrapper `args` is ignored: the caller appends the use's own parenthesised list.
pub(crate) fn expand<'a>(
    wrapper: &WrapperMacro,
    args: &[&[Tok<'a>]],
    use_name: TextRange,
) -> Vec<Tok<'a>> {
    let body = lex_fragment(&wrapper.body);
    let params = &wrapper.params;
    let mut out: Vec<Out<'a>> = Vec::new();
    let mut paste = false;
    let mut i = 0;
    while i < body.len() {
        let t = &body[i];
        if t.is_punct("##") {
            paste = !out.is_empty();
            i += 1;
            continue;
        }
        let param = |t: &Tok<'_>| {
            if wrapper.object_like || !t.is_ident() {
                return None;
            }
            params.iter().position(|p| p == t.text.as_ref())
        };
        if t.is_punct("#") {
            if let Some(p) = body.get(i + 1).and_then(param) {
                let text = format!("\"{}\"", render(&argument(params, args, p, use_name)));
                push(
                    &mut out,
                    &mut paste,
                    synthetic(TokKind::Str, text, use_name),
                    false,
                );
                i += 2;
                continue;
            }
        }
        if let Some(p) = param(t) {
            let arg = argument(params, args, p, use_name);
            if arg.is_empty() {
                // Pasting with an empty argument leaves the other side alone.
                paste = false;
            }
            for tok in arg {
                push(&mut out, &mut paste, tok, true);
            }
        } else {
            let tok = synthetic(t.kind, t.text.to_string(), use_name);
            push(&mut out, &mut paste, tok, false);
        }
        i += 1;
    }
    out.into_iter().map(|o| o.tok).collect()
}

/// The tokens of parameter `p`'s argument; the last parameter takes any extra arguments
/// (variadics), rejoined with commas.
fn argument<'a>(
    params: &[String],
    args: &[&[Tok<'a>]],
    p: usize,
    use_name: TextRange,
) -> Vec<Tok<'a>> {
    let last = p + 1 == params.len();
    let take = if last {
        args.len().saturating_sub(p)
    } else {
        1
    };
    let mut toks = Vec::new();
    for (k, arg) in args.iter().skip(p).take(take).enumerate() {
        if k > 0 {
            toks.push(synthetic(TokKind::Punct, ",".into(), use_name));
        }
        toks.extend(arg.iter().cloned());
    }
    toks
}

fn synthetic<'a>(kind: TokKind, text: String, range: TextRange) -> Tok<'a> {
    Tok {
        kind,
        range,
        text: Cow::Owned(text),
    }
}

fn push<'a>(out: &mut Vec<Out<'a>>, paste: &mut bool, tok: Tok<'a>, from_arg: bool) {
    if std::mem::take(paste) {
        if let Some(last) = out.last_mut() {
            let text = format!("{}{}", last.tok.text, tok.text);
            let kind = match text.as_bytes().first() {
                Some(b) if b.is_ascii_digit() => TokKind::Number,
                Some(b) if b.is_ascii_alphabetic() || *b == b'_' => TokKind::Ident,
                _ => last.tok.kind,
            };
            if !last.from_arg && from_arg {
                last.tok.range = tok.range;
            }
            last.from_arg |= from_arg;
            last.tok.kind = kind;
            last.tok.text = Cow::Owned(text);
            return;
        }
    }
    out.push(Out { tok, from_arg });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::lex_fragment;

    fn wrapper(params: &[&str], body: &str) -> WrapperMacro {
        WrapperMacro {
            name: "W".into(),
            params: params.iter().map(|p| p.to_string()).collect(),
            body: body.into(),
            object_like: false,
            name_range: TextRange::default(),
            full_range: TextRange::default(),
        }
    }

    #[test]
    fn pasting_keeps_the_argument_range() {
        let w = wrapper(&["name"], "DEFINE_EVENT(c, name##_entry, TP_PROTO(int v))");
        let src = "local_timer";
        let arg = lex_fragment(src);
        let use_name = TextRange::new(100, 101);
        let out = expand(&w, &[&arg], use_name);
        assert_eq!(
            render(&out),
            "DEFINE_EVENT(c, local_timer_entry, TP_PROTO(int v))"
        );
        let pasted = out.iter().find(|t| t.text == "local_timer_entry").unwrap();
        assert_eq!(pasted.range, TextRange::new(0, 11));
        assert_eq!(out[0].range, use_name);
    }

    #[test]
    fn variadics_stringizing_and_empty_pastes() {
        let w = wrapper(&["x", "__VA_ARGS__"], "f(#x, pre##x, __VA_ARGS__)");
        let a = lex_fragment("a");
        let b = lex_fragment("b");
        let c = lex_fragment("c");
        let out = expand(&w, &[&a, &b, &c], TextRange::default());
        assert_eq!(render(&out), "f(\"a\", prea, b, c)");
        let out = expand(&w, &[&[][..]], TextRange::default());
        assert_eq!(render(&out), "f(\"\", pre,)");
    }
}
