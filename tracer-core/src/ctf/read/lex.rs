//! The TSDL tokenizer: identifiers, integer and string literals, punctuation, each with its
//! byte offset and line so a parse error can point into the metadata file.

use std::fmt;

/// A token's kind and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Ident(String),
    /// The magnitude of an integer literal; a minus sign is a separate [`Tok::Punct`].
    Int(u64),
    Str(String),
    Punct(&'static str),
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(s) => write!(f, "`{s}`"),
            Tok::Int(i) => write!(f, "`{i}`"),
            Tok::Str(s) => write!(f, "\"{s}\""),
            Tok::Punct(p) => write!(f, "`{p}`"),
            Tok::Eof => f.write_str("the end of the metadata"),
        }
    }
}

/// A token and where it starts.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub tok: Tok,
    pub offset: usize,
    pub line: u32,
}

/// A syntax error: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub line: u32,
    pub message: String,
}

// Longest first, so `:=` wins over `:` and `...` over `.`.
const PUNCTS: [&str; 18] = [
    "...", ":=", "{", "}", "(", ")", "[", "]", "<", ">", ";", ",", "=", ":", ".", "-", "+", "*",
];

/// Splits TSDL text into tokens, ending with [`Tok::Eof`]. Works on bytes: the metadata is
/// ASCII outside string literals, which are decoded leniently.
pub(crate) fn tokenize(text: &[u8]) -> Result<Vec<Token>, SyntaxError> {
    let mut out = Vec::with_capacity(text.len() / 4);
    let mut i = 0;
    let mut line = 1u32;
    let err = |offset, line, message: String| SyntaxError {
        offset,
        line,
        message,
    };
    while i < text.len() {
        let c = text[i];
        if c == b'\n' {
            line += 1;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() || c == 0 {
            // NUL bytes pad the text of packetized metadata.
            i += 1;
            continue;
        }
        if text[i..].starts_with(b"/*") {
            let Some(end) = memchr::memmem::find(&text[i + 2..], b"*/") else {
                return Err(err(i, line, "unterminated comment".into()));
            };
            line += memchr::memchr_iter(b'\n', &text[i..i + 2 + end]).count() as u32;
            i += end + 4;
            continue;
        }
        if text[i..].starts_with(b"//") {
            i = memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |n| i + n);
            continue;
        }
        let (start, start_line) = (i, line);
        let tok = if c.is_ascii_alphabetic() || c == b'_' {
            while i < text.len() && (text[i].is_ascii_alphanumeric() || text[i] == b'_') {
                i += 1;
            }
            Tok::Ident(String::from_utf8_lossy(&text[start..i]).into_owned())
        } else if c.is_ascii_digit() {
            while i < text.len() && text[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let lit = std::str::from_utf8(&text[start..i]).unwrap_or("");
            Tok::Int(
                parse_int(lit)
                    .ok_or_else(|| err(start, line, format!("bad integer literal `{lit}`")))?,
            )
        } else if c == b'"' {
            i += 1;
            let mut s = Vec::new();
            loop {
                match text.get(i) {
                    None => return Err(err(start, start_line, "unterminated string".into())),
                    Some(b'"') => break,
                    Some(b'\\') => {
                        let e = *text.get(i + 1).unwrap_or(&b'\\');
                        s.push(match e {
                            b'n' => b'\n',
                            b't' => b'\t',
                            b'0' => 0,
                            other => other,
                        });
                        i += 2;
                    }
                    Some(&b) => {
                        if b == b'\n' {
                            line += 1;
                        }
                        s.push(b);
                        i += 1;
                    }
                }
            }
            i += 1;
            Tok::Str(String::from_utf8_lossy(&s).into_owned())
        } else if c == b'\'' {
            // A character literal is an integer (enumeration values may be written so).
            let (v, len) = match (text.get(i + 1), text.get(i + 2), text.get(i + 3)) {
                (Some(b'\\'), Some(&e), Some(b'\'')) => (e, 4),
                (Some(&ch), Some(b'\''), _) => (ch, 3),
                _ => return Err(err(i, line, "bad character literal".into())),
            };
            i += len;
            Tok::Int(u64::from(v))
        } else if let Some(p) = PUNCTS.iter().find(|p| text[i..].starts_with(p.as_bytes())) {
            i += p.len();
            Tok::Punct(p)
        } else {
            return Err(err(
                i,
                line,
                format!("unexpected character {:?}", char::from(c)),
            ));
        };
        out.push(Token {
            tok,
            offset: start,
            line: start_line,
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        offset: text.len(),
        line,
    });
    Ok(out)
}

/// A C integer literal (decimal, `0x` hex, `0` octal) with optional `u`/`l` suffixes.
fn parse_int(lit: &str) -> Option<u64> {
    let digits = lit.trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(hex, 16).ok()
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()
    } else {
        digits.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        tokenize(s.as_bytes())
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn literals_punctuation_and_comments() {
        assert_eq!(
            kinds("a := 0x1F; /* c\n */ b = -017UL \"s\\\"\" ... // x\n'c'"),
            vec![
                Tok::Ident("a".into()),
                Tok::Punct(":="),
                Tok::Int(31),
                Tok::Punct(";"),
                Tok::Ident("b".into()),
                Tok::Punct("="),
                Tok::Punct("-"),
                Tok::Int(15),
                Tok::Str("s\"".into()),
                Tok::Punct("..."),
                Tok::Int(99),
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn lines_count_comments_and_errors_point_at_them() {
        let t = tokenize(b"/*\n\n*/ x\ny").unwrap();
        assert_eq!((t[0].line, t[1].line), (3, 4));
        let e = tokenize(b"a\n  @").unwrap_err();
        assert_eq!((e.line, e.offset), (2, 4));
        assert!(tokenize(b"\"open").is_err());
        assert!(tokenize(b"/* open").is_err());
        assert!(tokenize(b"99999999999999999999999").is_err());
    }
}
