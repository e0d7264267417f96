//! `#if` groups whose branches open parentheses that the code after `#endif` closes:
//!
//! ```c
//! #if (LINUX_VERSION_CODE >= KERNEL_VERSION(3,4,0))
//! LTTNG_TRACEPOINT_EVENT(jbd2_update_log_tail,
//! #else
//! LTTNG_TRACEPOINT_EVENT(jbd2_cleanup_journal_tail,
//! #endif
//!     TP_PROTO(...), TP_ARGS(...), TP_FIELDS(...))
//! ```
//!
//! Read as one token stream, the first invocation would swallow the second and everything
//! after it. Such a group is *split*: the main stream keeps its first branch only, and each
//! other branch is read again as its own stream, followed by the common tail.

use std::ops::Range;

use crate::lex::{Directive, DirectiveKind, Tok, TokKind};

/// One branch of a group: its tokens (indices into the file's tokens) and its condition
/// (`None` for `#else`).
#[derive(Debug)]
pub(crate) struct Branch {
    pub tokens: Range<usize>,
    pub condition: Option<String>,
}

/// A split `#if` group.
#[derive(Debug)]
pub(crate) struct SplitGroup {
    pub branches: Vec<Branch>,
    /// The first token after the group's `#endif`.
    pub end: usize,
}

/// The split groups of a file, outermost first. Groups whose branches balance their
/// parentheses (nearly all of them) are not returned.
pub(crate) fn split_groups(tokens: &[Tok<'_>], directives: &[Directive<'_>]) -> Vec<SplitGroup> {
    // (branches so far, start token of the current branch, its condition)
    let mut open: Vec<(Vec<Branch>, usize, Option<String>)> = Vec::new();
    let mut out = Vec::new();
    let mut t = 0;
    for d in directives {
        while t < tokens.len() && tokens[t].range.start < d.range.start {
            t += 1;
        }
        match &d.kind {
            DirectiveKind::If { condition, .. } => {
                open.push((Vec::new(), t, Some(condition.clone())))
            }
            DirectiveKind::Elif(_) | DirectiveKind::Else => {
                if let Some((branches, start, cond)) = open.last_mut() {
                    branches.push(Branch {
                        tokens: *start..t,
                        condition: cond.take(),
                    });
                    *start = t;
                    *cond = match &d.kind {
                        DirectiveKind::Elif(c) => Some(c.clone()),
                        _ => None,
                    };
                }
            }
            DirectiveKind::Endif => {
                if let Some((mut branches, start, cond)) = open.pop() {
                    branches.push(Branch {
                        tokens: start..t,
                        condition: cond,
                    });
                    let unbalanced = branches
                        .iter()
                        .any(|b| paren_balance(&tokens[b.tokens.clone()]) != 0);
                    if branches.len() > 1 && unbalanced {
                        out.push(SplitGroup { branches, end: t });
                    }
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|g| g.branches[0].tokens.start);
    out
}

fn paren_balance(toks: &[Tok<'_>]) -> i64 {
    toks.iter()
        .filter(|t| t.kind == TokKind::Punct)
        .map(|t| match t.text.as_ref() {
            "(" => 1,
            ")" => -1,
            _ => 0,
        })
        .sum()
}

/// Whether token `i` lies in a branch other than the first of a split group (and so is left
/// out of the main stream).
pub(crate) fn in_later_branch(groups: &[SplitGroup], i: usize) -> bool {
    groups
        .iter()
        .any(|g| g.branches[1..].iter().any(|b| b.tokens.contains(&i)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::lex;

    #[test]
    fn only_unbalanced_groups_split() {
        let src = "#if A\nF(a,\n#else\nF(b,\n#endif\nx)\n#if B\ng(1);\n#else\ng(2);\n#endif\n";
        let lexed = lex(src);
        let groups = split_groups(&lexed.tokens, &lexed.directives);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].branches.len(), 2);
        assert_eq!(groups[0].branches[1].condition, None);
        assert!(in_later_branch(&groups, 4));
        assert!(!in_later_branch(&groups, 0));
    }
}
