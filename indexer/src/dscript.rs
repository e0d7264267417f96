//! DTrace provider scripts (`.d`), as the `usdt` crate's `dtrace_provider!("file.d")` reads
//! them: `provider p { probe start_work(uint8_t); probe stop_work(uint64_t, char *); };`.
//! Each probe declares the event `p:start_work` (dialect `usdt`); its parameters are types
//! only, named `arg0`, `arg1`, … for completion placeholders.

use crate::c::args::{split_commas, Invocation};
use crate::lex::{lex, render};
use crate::model::{Dialect, EventDecl, FileIndex, Param, Payload, TextRange};

pub fn index_dscript(text: &str) -> FileIndex {
    let toks = lex(text).tokens;
    let mut out = FileIndex::default();
    let mut i = 0;
    while i + 2 < toks.len() {
        let is_provider =
            toks[i].text == "provider" && toks[i + 1].is_ident() && toks[i + 2].is_punct("{");
        if !is_provider {
            i += 1;
            continue;
        }
        let provider = toks[i + 1].text.to_string();
        let mut j = i + 3;
        while j < toks.len() && !toks[j].is_punct("}") {
            let is_probe = toks[j].text == "probe"
                && toks.get(j + 1).is_some_and(|t| t.is_ident())
                && toks.get(j + 2).is_some_and(|t| t.is_punct("("));
            if !is_probe {
                j += 1;
                continue;
            }
            let inv = Invocation::parse(&toks, j + 1);
            let inner_end = inv.close.min(toks.len());
            let params = split_commas(&toks[j + 3..inner_end.max(j + 3)])
                .into_iter()
                .filter(|p| match p {
                    [] => false,
                    [only] => only.text != "void",
                    _ => true,
                })
                .enumerate()
                .map(|(k, ty)| Param {
                    ty: render(ty),
                    name: format!("arg{k}"),
                })
                .collect();
            let name = &toks[j + 1];
            let full_range = TextRange {
                start: toks[j].range.start,
                end: toks.get(inv.close).map_or(name.range.end, |t| t.range.end),
            };
            out.events.push(EventDecl::plain(
                name.text.to_string(),
                Some(provider.clone()),
                Dialect::Usdt,
                "probe".to_string(),
                Payload {
                    params,
                    ..Payload::default()
                },
                name.range,
                full_range,
            ));
            j = inv.next();
        }
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_and_probes() {
        let idx = index_dscript(
            "/* c */ provider my_provider {\n  probe start_work(uint8_t);\n  probe stop_work(uint64_t, char *);\n  probe none();\n};\n",
        );
        let names: Vec<(&str, usize)> = idx
            .events
            .iter()
            .map(|e| (e.name.as_str(), e.payload.params.len()))
            .collect();
        assert_eq!(names, [("start_work", 1), ("stop_work", 2), ("none", 0)]);
        assert_eq!(idx.events[1].payload.params[1].ty, "char *");
        assert_eq!(idx.events[0].system.as_deref(), Some("my_provider"));
        let _ = index_dscript("provider p { probe x(");
    }
}
