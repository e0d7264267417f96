//! A forgiving C tokenizer that works on raw text, before and without the preprocessor.
//!
//! Tracepoint declarations are macros that no C parser understands, so the recognizers read
//! tokens instead of syntax trees. This lexer skips comments, string and character literals,
//! splits preprocessor directives out of the token stream (so an `#ifdef` inside a
//! `TP_STRUCT__entry` does not disturb argument matching), and keeps the exact byte range of
//! every token. It never fails: unterminated comments and literals end at the end of the line
//! or file, and bytes it does not understand become one-character punctuation.

use std::borrow::Cow;

use crate::model::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokKind {
    Ident,
    Number,
    Str,
    Char,
    Punct,
}

/// One token. `text` borrows from the source, except for tokens made by macro expansion
/// (pasting with `##`, stringizing with `#`), which own theirs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tok<'a> {
    pub kind: TokKind,
    pub range: TextRange,
    pub text: Cow<'a, str>,
}

impl Tok<'_> {
    pub fn is_punct(&self, p: &str) -> bool {
        self.kind == TokKind::Punct && self.text == p
    }

    pub fn is_ident(&self) -> bool {
        self.kind == TokKind::Ident
    }
}

#[derive(Clone, Debug)]
pub(crate) enum DirectiveKind<'a> {
    Define {
        name: Tok<'a>,
        /// `None` for an object-like macro.
        params: Option<Vec<String>>,
        body: Vec<Tok<'a>>,
    },
    Undef(String),
    Include(String),
    /// `#if`, `#ifdef`, `#ifndef` with the condition rendered as text (`defined(X)` forms for
    /// `#ifdef`/`#ifndef`), and the tested name for `#ifndef` (to spot include guards).
    If {
        condition: String,
        ifndef: Option<String>,
    },
    Elif(String),
    Else,
    Endif,
    Other,
}

#[derive(Clone, Debug)]
pub(crate) struct Directive<'a> {
    pub kind: DirectiveKind<'a>,
    pub range: TextRange,
}

/// A file split into ordinary tokens and preprocessor directives, both in source order.
#[derive(Debug, Default)]
pub(crate) struct Lexed<'a> {
    pub tokens: Vec<Tok<'a>>,
    pub directives: Vec<Directive<'a>>,
}

pub(crate) fn lex(src: &str) -> Lexed<'_> {
    let mut lexer = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
    };
    let mut out = Lexed::default();
    let mut at_line_start = true;
    loop {
        let newline_seen = lexer.skip_trivia(false);
        at_line_start |= newline_seen;
        if lexer.pos >= lexer.bytes.len() {
            break;
        }
        if at_line_start && lexer.bytes[lexer.pos] == b'#' {
            let directive = lexer.directive();
            out.directives.push(directive);
            at_line_start = true;
            continue;
        }
        at_line_start = false;
        if let Some(tok) = lexer.token() {
            out.tokens.push(tok);
        }
    }
    out
}

/// Tokens of a fragment that is not a whole file (a macro body): no directives, so a leading
/// `#` is the stringizing operator.
pub(crate) fn lex_fragment(src: &str) -> Vec<Tok<'_>> {
    let mut lexer = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
    };
    let mut toks = Vec::new();
    loop {
        lexer.skip_trivia(false);
        if lexer.pos >= lexer.bytes.len() {
            return toks;
        }
        if let Some(t) = lexer.token() {
            toks.push(t);
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

impl<'a> Lexer<'a> {
    fn peek(&self, ahead: usize) -> u8 {
        self.bytes.get(self.pos + ahead).copied().unwrap_or(0)
    }

    /// Skips whitespace and comments. In a directive, stops at a newline that is not escaped
    /// (without consuming it). Returns whether a newline was crossed.
    fn skip_trivia(&mut self, in_directive: bool) -> bool {
        let mut newline = false;
        while self.pos < self.bytes.len() {
            match self.bytes[self.pos] {
                b'\n' => {
                    if in_directive {
                        return newline;
                    }
                    newline = true;
                    self.pos += 1;
                }
                b'\\' if matches!(self.peek(1), b'\n' | b'\r') => {
                    self.pos += 1;
                    if self.peek(0) == b'\r' {
                        self.pos += 1;
                    }
                    if self.peek(0) == b'\n' {
                        self.pos += 1;
                    }
                }
                b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => self.pos += 1,
                b'/' if self.peek(1) == b'*' => {
                    let rest = &self.bytes[self.pos + 2..];
                    match memchr::memmem::find(rest, b"*/") {
                        Some(i) => {
                            newline |= !in_directive && memchr::memchr(b'\n', &rest[..i]).is_some();
                            self.pos += 2 + i + 2;
                        }
                        None => self.pos = self.bytes.len(),
                    }
                }
                b'/' if self.peek(1) == b'/' => self.skip_line(),
                _ => break,
            }
        }
        newline
    }

    /// Moves to the end of the line (before the newline), honouring backslash continuations.
    fn skip_line(&mut self) {
        while self.pos < self.bytes.len() {
            match memchr::memchr(b'\n', &self.bytes[self.pos..]) {
                None => self.pos = self.bytes.len(),
                Some(i) => {
                    let nl = self.pos + i;
                    let mut before = nl;
                    if before > 0 && self.bytes[before - 1] == b'\r' {
                        before -= 1;
                    }
                    if before > 0 && self.bytes[before - 1] == b'\\' {
                        self.pos = nl + 1;
                        continue;
                    }
                    self.pos = nl;
                    return;
                }
            }
        }
    }

    fn token(&mut self) -> Option<Tok<'a>> {
        let start = self.pos;
        let b = self.bytes[start];
        let kind = if is_ident_start(b) {
            while self.pos < self.bytes.len() && is_ident_continue(self.bytes[self.pos]) {
                self.pos += 1;
            }
            let word = &self.bytes[start..self.pos];
            let prefix = matches!(word, b"L" | b"u" | b"U" | b"u8");
            match self.peek(0) {
                b'"' if prefix => {
                    self.quoted(b'"');
                    TokKind::Str
                }
                b'\'' if prefix => {
                    self.quoted(b'\'');
                    TokKind::Char
                }
                _ => TokKind::Ident,
            }
        } else if b.is_ascii_digit() || (b == b'.' && self.peek(1).is_ascii_digit()) {
            self.pos += 1;
            while self.pos < self.bytes.len() {
                let c = self.bytes[self.pos];
                let exponent_sign = matches!(c, b'+' | b'-')
                    && matches!(self.bytes[self.pos - 1], b'e' | b'E' | b'p' | b'P');
                if is_ident_continue(c) || c == b'.' || exponent_sign {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            TokKind::Number
        } else if b == b'"' {
            self.quoted(b'"');
            TokKind::Str
        } else if b == b'\'' {
            self.quoted(b'\'');
            TokKind::Char
        } else if b == b'#' && self.peek(1) == b'#' {
            self.pos += 2;
            TokKind::Punct
        } else {
            // One character, whole: a multi-byte UTF-8 character stays one token so every
            // range lies on character boundaries.
            let len = self.src[start..].chars().next().map_or(1, char::len_utf8);
            self.pos += len;
            TokKind::Punct
        };
        Some(Tok {
            kind,
            range: TextRange::new(start, self.pos),
            text: Cow::Borrowed(&self.src[start..self.pos]),
        })
    }

    /// Consumes a quoted literal starting at the opening quote. An unterminated literal ends
    /// at the end of its line.
    fn quoted(&mut self, quote: u8) {
        self.pos += 1;
        while self.pos < self.bytes.len() {
            match self.bytes[self.pos] {
                b'\\' => self.pos += 2,
                b'\n' => return,
                c if c == quote => {
                    self.pos += 1;
                    return;
                }
                _ => self.pos += 1,
            }
        }
        self.pos = self.pos.min(self.bytes.len());
    }

    /// Reads one directive starting at `#`; leaves `pos` at the newline that ends it.
    fn directive(&mut self) -> Directive<'a> {
        let start = self.pos;
        self.pos += 1;
        self.skip_trivia(true);
        let name_start = self.pos;
        while self.pos < self.bytes.len() && is_ident_continue(self.bytes[self.pos]) {
            self.pos += 1;
        }
        let keyword = &self.src[name_start..self.pos];
        let kind = match keyword {
            "define" => self.define(),
            "undef" => {
                let toks = self.rest_tokens();
                DirectiveKind::Undef(toks.first().map(|t| t.text.to_string()).unwrap_or_default())
            }
            "include" | "include_next" => {
                self.skip_trivia(true);
                let from = self.pos;
                self.skip_line();
                let raw = self.src[from..self.pos].trim();
                let path = raw
                    .trim_start_matches(['<', '"'])
                    .split(['>', '"'])
                    .next()
                    .unwrap_or("");
                DirectiveKind::Include(path.trim().to_string())
            }
            "if" => DirectiveKind::If {
                condition: as_written(&self.rest_tokens()),
                ifndef: None,
            },
            "ifdef" => DirectiveKind::If {
                condition: format!("defined({})", as_written(&self.rest_tokens())),
                ifndef: None,
            },
            "ifndef" => {
                let name = as_written(&self.rest_tokens());
                DirectiveKind::If {
                    condition: format!("!defined({name})"),
                    ifndef: Some(name),
                }
            }
            "elif" => DirectiveKind::Elif(as_written(&self.rest_tokens())),
            "else" => {
                self.skip_line();
                DirectiveKind::Else
            }
            "endif" => {
                self.skip_line();
                DirectiveKind::Endif
            }
            _ => {
                // `#error don't` would open a character literal: skip such lines raw.
                self.skip_line();
                DirectiveKind::Other
            }
        };
        Directive {
            kind,
            range: TextRange::new(start, self.pos),
        }
    }

    /// Tokens up to the end of the directive.
    fn rest_tokens(&mut self) -> Vec<Tok<'a>> {
        let mut toks = Vec::new();
        loop {
            self.skip_trivia(true);
            if self.pos >= self.bytes.len() || self.bytes[self.pos] == b'\n' {
                return toks;
            }
            if let Some(t) = self.token() {
                toks.push(t);
            }
        }
    }

    fn define(&mut self) -> DirectiveKind<'a> {
        self.skip_trivia(true);
        if self.pos >= self.bytes.len() || !is_ident_start(self.bytes[self.pos]) {
            self.skip_line();
            return DirectiveKind::Other;
        }
        let Some(name) = self.token() else {
            return DirectiveKind::Other;
        };
        let mut params = None;
        if self.peek(0) == b'(' {
            self.pos += 1;
            let mut list = Vec::new();
            // `...` arrives as three dots: after a separator it is the anonymous variadic
            // `__VA_ARGS__`; after a name (`args...`) it only marks that name variadic.
            let mut after_separator = true;
            loop {
                self.skip_trivia(true);
                if self.pos >= self.bytes.len() || self.bytes[self.pos] == b'\n' {
                    break;
                }
                let Some(t) = self.token() else { break };
                if t.is_punct(")") {
                    break;
                }
                if t.is_ident() {
                    list.push(t.text.to_string());
                    after_separator = false;
                } else if t.is_punct(",") {
                    after_separator = true;
                } else if t.is_punct(".") && after_separator {
                    list.push("__VA_ARGS__".to_string());
                    after_separator = false;
                }
            }
            params = Some(list);
        }
        let body = self.rest_tokens();
        DirectiveKind::Define { name, params, body }
    }
}

/// Tokens as the source spelled them, with each gap (whitespace, comments, continuations)
/// reduced to one space: `a >= b /* x */ \` + newline + `&& c` becomes `a >= b && c`.
pub(crate) fn as_written(toks: &[Tok<'_>]) -> String {
    let mut out = String::new();
    let mut prev_end = None;
    for t in toks {
        if prev_end.is_some_and(|end| t.range.start > end) {
            out.push(' ');
        }
        out.push_str(&t.text);
        prev_end = Some(t.range.end);
    }
    out
}

/// Renders tokens as readable C: one space between tokens, none inside brackets or before
/// commas, so `struct  task_struct*` becomes `struct task_struct *`.
pub(crate) fn render(toks: &[Tok<'_>]) -> String {
    let mut out = String::new();
    let mut prev: Option<&Tok<'_>> = None;
    for t in toks {
        if let Some(p) = prev {
            let glue = matches!(
                p.text.as_ref(),
                "(" | "[" | "!" | "~" | "." | "->" | "##" | "#"
            ) || matches!(
                t.text.as_ref(),
                ")" | "]" | "," | "[" | "." | "->" | "##" | ";"
            ) || (t.text == "(" && p.kind == TokKind::Ident)
                || (p.text == "-" && t.text == ">");
            if !glue {
                out.push(' ');
            }
        }
        out.push_str(&t.text);
        prev = Some(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        lex(src).tokens.iter().map(|t| t.text.to_string()).collect()
    }

    #[test]
    fn comments_strings_and_chars_are_single_tokens_or_gone() {
        let toks = texts("a /* ( */ b // )\n \"(\\\"\" ')' c");
        assert_eq!(toks, ["a", "b", "\"(\\\"\"", "')'", "c"]);
    }

    #[test]
    fn directives_leave_the_token_stream() {
        let lexed = lex("x(\n#ifdef CONFIG_A\n y,\n#endif\n z)");
        let toks: Vec<_> = lexed.tokens.iter().map(|t| t.text.as_ref()).collect();
        assert_eq!(toks, ["x", "(", "y", ",", "z", ")"]);
        assert_eq!(lexed.directives.len(), 2);
    }

    #[test]
    fn define_with_continuations_and_variadics() {
        let lexed =
            lex("#define W(name, args...) \\\n  DEFINE_EVENT(c, name##_x, args) /* c */\nafter");
        let DirectiveKind::Define { name, params, body } = &lexed.directives[0].kind else {
            panic!("not a define");
        };
        assert_eq!(name.text, "W");
        assert_eq!(
            params.as_deref(),
            Some(&["name".to_string(), "args".to_string()][..])
        );
        assert_eq!(render(body), "DEFINE_EVENT(c, name##_x, args)");
        assert_eq!(lexed.tokens.len(), 1);
    }

    #[test]
    fn unterminated_things_end_cleanly() {
        for src in [
            "\"abc",
            "/* abc",
            "'",
            "#define",
            "#",
            "a\\",
            "#if",
            "\u{e9}\u{1F600}",
        ] {
            let _ = lex(src);
        }
    }

    #[test]
    fn render_pointer_types() {
        let lexed = lex("struct  task_struct*p");
        assert_eq!(render(&lexed.tokens[..3]), "struct task_struct *");
    }
}
