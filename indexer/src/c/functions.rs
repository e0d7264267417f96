//! Which function a probe site sits in, from tree-sitter-c's syntax tree.
//!
//! tree-sitter is good at function bodies even in macro-heavy kernel code (an `ERROR` node
//! inside a body still leaves the enclosing `function_definition` intact), so the name of the
//! innermost `function_definition` around a site's offset is its function. Only files with
//! sites are parsed; the parser is cached per thread because creating one is not free.

use std::cell::RefCell;

use tree_sitter::{Node, Parser};

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// The enclosing function's name for each byte offset (`None` at file scope or where the
/// tree has no recognisable definition).
pub(crate) fn enclosing_functions(text: &str, offsets: &[u32]) -> Vec<Option<String>> {
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser.set_language(&tree_sitter_c::LANGUAGE.into()).ok()?;
            *slot = Some(parser);
        }
        slot.as_mut()?.parse(text, None)
    });
    let Some(tree) = tree else {
        return vec![None; offsets.len()];
    };
    let root = tree.root_node();
    offsets
        .iter()
        .map(|&off| {
            let off = off as usize;
            let mut node = root.descendant_for_byte_range(off, off);
            while let Some(n) = node {
                if n.kind() == "function_definition" {
                    return function_name(n, text);
                }
                node = n.parent();
            }
            None
        })
        .collect()
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
            text.find("bar").unwrap() as u32,
            text.find("x =").unwrap() as u32,
            text.find("q()").unwrap() as u32,
        ];
        assert_eq!(
            enclosing_functions(text, &offs),
            [Some("foo".to_string()), None, Some("baz".to_string())]
        );
    }
}
