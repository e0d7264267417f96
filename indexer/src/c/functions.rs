//! Which function a probe site sits in, from tree-sitter-c's syntax tree.
//!
//! tree-sitter is good at function bodies even in macro-heavy kernel code (an `ERROR` node
//! inside a body still leaves the enclosing `function_definition` intact), so the name of the
//! innermost `function_definition` around a site's offset is its function. Parsing whole
//! files costs more than everything else the indexer does, so only the top-level items that
//! hold sites are parsed; the parser is cached per thread because creating one is not free.

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

use crate::model::TextRange;

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// The enclosing function's name for each byte offset (`None` at file scope or where the
/// tree has no recognisable definition). `items` are the file's top-level items with a body
/// (from the token stream, in order); only the items holding an offset are parsed, which is a
/// small part of a large file.
pub(crate) fn enclosing_functions(
    text: &str,
    items: &[TextRange],
    offsets: &[u32],
) -> Vec<Option<String>> {
    let mut out = vec![None; offsets.len()];
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut k = 0;
    while k < order.len() {
        let off = offsets[order[k]];
        let at = items.partition_point(|r| r.end <= off);
        let Some(item) = items.get(at).filter(|r| r.start <= off).copied() else {
            k += 1;
            continue;
        };
        let Some(snippet) = text.get(item.start as usize..item.end as usize) else {
            k += 1;
            continue;
        };
        let tree = parse(snippet);
        while k < order.len() && offsets[order[k]] < item.end {
            let rel = (offsets[order[k]] - item.start) as usize;
            if let Some(tree) = &tree {
                out[order[k]] = function_at(tree.root_node(), snippet, rel);
            }
            k += 1;
        }
    }
    out
}

fn parse(text: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser.set_language(&tree_sitter_c::LANGUAGE.into()).ok()?;
            *slot = Some(parser);
        }
        slot.as_mut()?.parse(text, None)
    })
}

fn function_at(root: Node<'_>, text: &str, offset: usize) -> Option<String> {
    let mut node = root.descendant_for_byte_range(offset, offset);
    while let Some(n) = node {
        if n.kind() == "function_definition" {
            return function_name(n, text);
        }
        node = n.parent();
    }
    None
}

fn function_name(def: Node<'_>, text: &str) -> Option<String> {
    let mut d = def.child_by_field_name("declarator")?;
    loop {
        match d.kind() {
            "identifier" | "field_identifier" => {
                return text.get(d.byte_range()).map(str::to_string);
            }
            "function_declarator"
            | "pointer_declarator"
            | "parenthesized_declarator"
            | "attributed_declarator" => {
                d = d
                    .child_by_field_name("declarator")
                    .or_else(|| d.named_child(0))?;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_enclosing_definitions() {
        let text = "static int *foo(int a)\n{\n\tbar(a);\n}\nint x = 1;\nvoid baz(void) { q(); }\n";
        let offs = [
            text.find("q()").unwrap() as u32,
            text.find("bar").unwrap() as u32,
            text.find("x =").unwrap() as u32,
        ];
        let items = [
            TextRange::new(0, text.find("int x").unwrap()),
            TextRange::new(text.find("void baz").unwrap(), text.len()),
        ];
        assert_eq!(
            enclosing_functions(text, &items, &offs),
            [Some("baz".to_string()), Some("foo".to_string()), None]
        );
    }
}
