//! Reading what a declaration says about its payload: prototype parameters from `TP_PROTO`
//! (kernel, lttng-modules) or `TP_ARGS` type/name pairs (LTTng-UST), fields from
//! `TP_STRUCT__entry` (`__field`, `__array`, `__string`, …) or `TP_FIELDS` (`ctf_*`,
//! `lttng_ust_field_*`), and the `TP_printk` format.

use super::args::{split_commas, Invocation};
use crate::lex::{render, Tok, TokKind};
use crate::model::{Field, Param};

/// One C parameter declaration: the name is the last identifier outside brackets (or the one
/// after `(*` for a function pointer); the type is everything else.
pub(crate) fn param(toks: &[Tok<'_>]) -> Option<Param> {
    if toks.is_empty() || (toks.len() == 1 && toks[0].text == "void") {
        return None;
    }
    if toks.len() == 1 && toks[0].is_punct(".") {
        return None;
    }
    // Function pointer: `void (*fn)(int)`.
    if let Some(i) = toks
        .windows(3)
        .position(|w| w[0].is_punct("(") && w[1].is_punct("*") && w[2].is_ident())
    {
        return Some(Param {
            ty: render(toks),
            name: toks[i + 2].text.to_string(),
        });
    }
    let mut end = toks.len();
    // `char comm[16]`: the name precedes the first top-level `[`.
    if let Some(i) = toks.iter().position(|t| t.is_punct("[")) {
        end = i;
    }
    let name_at = toks[..end].iter().rposition(|t| t.is_ident())?;
    if name_at == 0 && end == toks.len() {
        // A lone word is a type without a name (`int`) or a name without a type: keep it as
        // the name, which is what completion placeholders need.
        return Some(Param {
            ty: String::new(),
            name: toks[0].text.to_string(),
        });
    }
    let mut ty: Vec<Tok<'_>> = toks[..name_at].to_vec();
    ty.extend_from_slice(&toks[name_at + 1..]);
    Some(Param {
        ty: render(&ty),
        name: toks[name_at].text.to_string(),
    })
}

/// Parameters of a kernel-style prototype list: `struct task_struct *p, int cpu`.
pub(crate) fn proto_params(list: &[Tok<'_>]) -> Vec<Param> {
    split_commas(list).into_iter().filter_map(param).collect()
}

/// Parameters of an LTTng-UST `TP_ARGS(int, a, const char *, b)`: alternating types and names.
pub(crate) fn ust_args_params(list: &[Tok<'_>]) -> Vec<Param> {
    let parts = split_commas(list);
    if parts.len() == 1 && parts[0].len() == 1 && parts[0][0].text == "void" {
        return Vec::new();
    }
    parts
        .chunks(2)
        .filter_map(|pair| match pair {
            [ty, name] => Some(Param {
                ty: render(ty),
                name: render(name),
            }),
            _ => None,
        })
        .collect()
}

/// Fields of a `TP_STRUCT__entry(...)` or `TP_FIELDS(...)` body: a sequence of field macro
/// invocations, possibly with `#ifdef`s (already out of the token stream) between them.
pub(crate) fn fields(body: &[Tok<'_>]) -> Vec<Field> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        if body[i].kind == TokKind::Ident && body.get(i + 1).is_some_and(|t| t.is_punct("(")) {
            let inv = Invocation::parse(body, i);
            let args: Vec<String> = inv.args.iter().map(|r| render(&body[r.clone()])).collect();
            if let Some(f) = field(&body[i].text, &args) {
                out.push(f);
            }
            i = inv.next();
        } else {
            i += 1;
        }
    }
    out
}

fn field(kind: &str, args: &[String]) -> Option<Field> {
    let arg = |i: usize| args.get(i).filter(|a| !a.is_empty()).cloned();
    let make = |ty: String, name: Option<String>| {
        name.map(|name| Field {
            name,
            ty,
            kind: kind.to_string(),
        })
    };
    if let Some(k) = kind.strip_prefix("__") {
        return match k {
            "array" | "array_desc" => make(
                format!("{}[{}]", arg(0)?, arg(2).unwrap_or_default()),
                arg(1),
            ),
            "dynamic_array" | "rel_dynamic_array" => make(format!("{}[]", arg(0)?), arg(1)),
            "string" | "string_len" | "rel_string" | "rel_string_len" | "vstring" => {
                make("string".into(), arg(0))
            }
            "bitmask" | "rel_bitmask" | "cpumask" | "rel_cpumask" | "sockaddr" => {
                make(k.trim_start_matches("rel_").into(), arg(0))
            }
            _ if args.len() >= 2 => make(arg(0)?, arg(1)),
            _ => None,
        };
    }
    let base = kind
        .strip_prefix("ctf_")
        .or_else(|| kind.strip_prefix("lttng_ust_field_"))
        .or_else(|| kind.strip_prefix("tracer_field_"))?;
    let base = base.strip_prefix("user_").unwrap_or(base);
    let base = base.strip_suffix("_nowrite").unwrap_or(base);
    if base.starts_with("string") {
        return make("string".into(), arg(0));
    }
    if base.starts_with("enum") {
        // UST: (provider, enum, type, name, expr); lttng-modules: (enum, type, name, expr).
        let n = args.len();
        return make(arg(n.checked_sub(3)?)?, arg(n - 2));
    }
    if base.starts_with("array") {
        // (type, name, expr, length) for every array flavour: plain, _text, _bitfield, _hex.
        return make(
            format!("{}[{}]", arg(0)?, arg(3).unwrap_or_default()),
            arg(1),
        );
    }
    if base.starts_with("sequence") {
        return make(format!("{}[]", arg(0)?), arg(1));
    }
    if matches!(base, "unused" | "align") || base.starts_with("custom") {
        return None;
    }
    if args.len() >= 2 {
        return make(arg(0)?, arg(1));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::lex;

    fn params(src: &str) -> Vec<(String, String)> {
        proto_params(&lex(src).tokens)
            .into_iter()
            .map(|p| (p.ty, p.name))
            .collect()
    }

    #[test]
    fn c_parameter_shapes() {
        assert_eq!(
            params("bool preempt, struct task_struct *prev, unsigned int prev_state"),
            [
                ("bool".into(), "preempt".into()),
                ("struct task_struct *".into(), "prev".into()),
                ("unsigned int".into(), "prev_state".into())
            ]
        );
        assert_eq!(params("void"), []);
        assert_eq!(
            params("const char name[16]"),
            [("const char[16]".into(), "name".into())]
        );
        assert_eq!(params("void (*fn)(void *)")[0].1, "fn");
    }

    #[test]
    fn ust_pairs() {
        let p = ust_args_params(&lex("int, my_integer_arg, const char *, my_string_arg").tokens);
        assert_eq!(p[1].ty, "const char *");
        assert_eq!(p[1].name, "my_string_arg");
    }
}
