//! Just enough Python lexing to find comments.
//!
//! Claims live in comments, and a `#` inside a string or a docstring is not a
//! comment. This walks strings (any prefix, single or triple quoted, escapes,
//! multi-line) without needing an interpreter, so claim parsing can be tested
//! and fuzzed on its own. It never fails: malformed code just yields fewer
//! comments, and running it reports the real `SyntaxError`.

mod spans;
pub use spans::{Statement, StatementKind, statement_spans, statements};

/// What one physical line holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// The whole line, without its line terminator.
    pub text: &'a str,
    /// Text after `#`, with one leading space and trailing spaces removed.
    pub comment: Option<&'a str>,
    /// Byte column of the `#`.
    pub comment_col: usize,
    /// Whether the line has anything but whitespace before the comment
    /// (string content continued from an earlier line counts as code).
    pub has_code: bool,
    /// Leading whitespace width of the line, in bytes.
    pub indent: usize,
    /// Brackets opened minus brackets closed in the line's code: a line
    /// that starts inside open brackets continues the statement above.
    pub bracket_change: i32,
}

impl Line<'_> {
    /// A line that is only a comment.
    pub fn is_comment_only(&self) -> bool {
        self.comment.is_some() && !self.has_code
    }

    pub fn is_blank(&self) -> bool {
        self.comment.is_none() && !self.has_code
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    /// Inside a string opened by `quote`, triple-quoted or not.
    Str {
        quote: u8,
        triple: bool,
    },
}

/// For each line, the index of the line its statement starts on: lines
/// inside open brackets, after a `\` or inside a multi-line string continue
/// the statement above.
pub fn statement_starts(lines: &[Line<'_>]) -> Vec<usize> {
    let mut starts = Vec::with_capacity(lines.len());
    let mut depth = 0;
    let mut continued = false;
    for (i, line) in lines.iter().enumerate() {
        let start = match starts.last() {
            Some(&s) if depth > 0 || continued => s,
            _ => i,
        };
        starts.push(start);
        depth = (depth + line.bracket_change).max(0);
        let code = &line.text[..line.comment_col.min(line.text.len())];
        continued = code.trim_end().ends_with('\\');
    }
    starts
}

/// Splits `code` into lines and finds each line's comment.
pub fn lines(code: &str) -> Vec<Line<'_>> {
    let mut state = State::Code;
    code.lines()
        .map(|text| {
            let (line, next) = lex_line(text, state);
            state = next;
            line
        })
        .collect()
}

fn lex_line(text: &str, start: State) -> (Line<'_>, State) {
    let bytes = text.as_bytes();
    let indent = bytes
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .count();
    let mut state = start;
    let mut has_code = matches!(start, State::Str { .. });
    let mut bracket_change = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match state {
            State::Str { quote, triple } => {
                if b == b'\\' {
                    i += 2;
                    continue;
                }
                if b == quote && (!triple || bytes[i..].starts_with(&[quote; 3])) {
                    i += if triple { 3 } else { 1 };
                    state = State::Code;
                    continue;
                }
            }
            State::Code => match b {
                b'#' => {
                    let comment = text[i + 1..].strip_prefix(' ').unwrap_or(&text[i + 1..]);
                    let line = Line {
                        text,
                        comment: Some(comment.trim_end()),
                        comment_col: i,
                        has_code,
                        indent,
                        bracket_change,
                    };
                    return (line, state);
                }
                b'\'' | b'"' => {
                    has_code = true;
                    let triple = bytes[i..].starts_with(&[b; 3]);
                    state = State::Str { quote: b, triple };
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                b' ' | b'\t' | b'\x0c' => {}
                b'(' | b'[' | b'{' => {
                    has_code = true;
                    bracket_change += 1;
                }
                b')' | b']' | b'}' => {
                    has_code = true;
                    bracket_change -= 1;
                }
                _ => has_code = true,
            },
        }
        i += 1;
    }
    // A single-quoted string cannot span lines, unless the newline is escaped.
    if let State::Str { triple: false, .. } = state {
        if !text.ends_with('\\') {
            state = State::Code;
        }
    }
    let line = Line {
        text,
        comment: None,
        comment_col: text.len(),
        has_code,
        indent,
        bracket_change,
    };
    (line, state)
}

/// Does a statement whose first line is `code` (comment excluded) bind a
/// name rather than show something: an assignment (plain, augmented or
/// annotated), an `import`, a `def`, a `class` or a decorator? A comment on
/// such a line is the writer's prose unless it carries an explicit marker.
pub fn binds_a_name(code: &str) -> bool {
    let code = code.trim_start();
    let keyword = |k: &str| {
        code.strip_prefix(k)
            .is_some_and(|rest| rest.starts_with([' ', '\t', '(']))
    };
    if [
        "import", "from", "def", "class", "async", "global", "nonlocal",
    ]
    .iter()
    .any(|k| keyword(k))
        || code.starts_with('@')
    {
        return true;
    }
    // A top-level `=` that is not part of `==`, `!=`, `<=`, `>=` or `:=`.
    let bytes = code.as_bytes();
    let (mut depth, mut quote) = (0i32, None::<u8>);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b'#' => return false,
                b'=' if depth == 0 => {
                    let before = i.checked_sub(1).map(|j| bytes[j]);
                    let after = bytes.get(i + 1).copied();
                    let comparison = matches!(before, Some(b'=' | b'!' | b'<' | b'>' | b':'))
                        && !matches!(bytes.get(i.wrapping_sub(2)), Some(b'<' | b'>'))
                        || after == Some(b'=');
                    // `x <<= 1` and `x >>= 1` are assignments.
                    let shift = i >= 2 && matches!(&bytes[i - 2..i], b"<<" | b">>");
                    if !comparison || shift {
                        return true;
                    }
                    if after == Some(b'=') {
                        i += 1;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    false
}

/// A Python literal, as `ast.literal_eval` reads one, compared as Python
/// compares values (a set in any order, `"a"` equal to `'a'`), except that
/// numbers of different types (`1`, `1.0`, `True`) differ: a claim that
/// changes a value's type is a changed value.
#[derive(Debug, Clone)]
pub enum Literal {
    Int(String),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Bool(bool),
    None,
    Ellipsis,
    List(Vec<Literal>),
    Tuple(Vec<Literal>),
    Set(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

impl PartialEq for Literal {
    fn eq(&self, other: &Self) -> bool {
        use Literal::*;
        let contains = |items: &[Literal], x: &Literal| items.iter().any(|y| y == x);
        match (self, other) {
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Str(a), Str(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (None, None) | (Ellipsis, Ellipsis) => true,
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => a == b,
            (Set(a), Set(b)) => {
                a.iter().all(|x| contains(b, x)) && b.iter().all(|x| contains(a, x))
            }
            (Dict(a), Dict(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.iter().any(|(k2, v2)| k == k2 && v == v2))
            }
            _ => false,
        }
    }
}

/// Parses `text` as one Python literal (a bare tuple `1, 2` included), or
/// `None` when it is not one (a name, a call, prose).
pub fn literal(text: &str) -> Option<Literal> {
    let mut p = LiteralParser {
        s: text.trim().as_bytes(),
        i: 0,
    };
    let first = p.value()?;
    p.space();
    let value = if p.eat(b',') {
        let mut items = vec![first];
        items.extend(p.items(None)?);
        Literal::Tuple(items)
    } else {
        first
    };
    p.space();
    (p.i == p.s.len()).then_some(value)
}

struct LiteralParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl LiteralParser<'_> {
    fn space(&mut self) {
        while self.s.get(self.i).is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.space();
        let hit = self.s.get(self.i) == Some(&b);
        self.i += usize::from(hit);
        hit
    }

    fn word(&mut self, w: &str) -> bool {
        let hit = self.s[self.i..].starts_with(w.as_bytes())
            && !self
                .s
                .get(self.i + w.len())
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if hit {
            self.i += w.len();
        }
        hit
    }

    /// Comma-separated values up to `close` (or the end), trailing comma allowed.
    fn items(&mut self, close: Option<u8>) -> Option<Vec<Literal>> {
        let mut items = Vec::new();
        loop {
            self.space();
            if self.i == self.s.len() || close.is_some_and(|c| self.eat(c)) {
                return (close.is_none() || self.s[self.i - 1] == close?).then_some(items);
            }
            items.push(self.value()?);
            if !self.eat(b',') {
                return match close {
                    Some(c) => self.eat(c).then_some(items),
                    None => Some(items),
                };
            }
        }
    }

    fn value(&mut self) -> Option<Literal> {
        self.space();
        let b = *self.s.get(self.i)?;
        match b {
            b'[' => {
                self.i += 1;
                Some(Literal::List(self.items(Some(b']'))?))
            }
            b'(' => {
                self.i += 1;
                if self.eat(b')') {
                    return Some(Literal::Tuple(vec![]));
                }
                let first = self.value()?;
                if self.eat(b')') {
                    return Some(first);
                }
                if !self.eat(b',') {
                    return None;
                }
                let mut items = vec![first];
                items.extend(self.items(Some(b')'))?);
                Some(Literal::Tuple(items))
            }
            b'{' => self.braces(),
            b'\'' | b'"' => self.strings(),
            b'-' | b'+' => {
                self.i += 1;
                match self.value()? {
                    Literal::Int(n) if b == b'-' => Some(Literal::Int(
                        n.strip_prefix('-')
                            .map_or_else(|| format!("-{n}"), str::to_string),
                    )),
                    Literal::Float(f) if b == b'-' => Some(Literal::Float(-f)),
                    n @ (Literal::Int(_) | Literal::Float(_)) => Some(n),
                    _ => None,
                }
            }
            b'.' if self.s[self.i..].starts_with(b"...") => {
                self.i += 3;
                Some(Literal::Ellipsis)
            }
            b'0'..=b'9' | b'.' => self.number(),
            _ => {
                for (w, v) in [
                    ("True", Literal::Bool(true)),
                    ("False", Literal::Bool(false)),
                    ("None", Literal::None),
                    ("Ellipsis", Literal::Ellipsis),
                ] {
                    if self.word(w) {
                        return Some(v);
                    }
                }
                if self.word("set") && self.eat(b'(') && self.eat(b')') {
                    return Some(Literal::Set(vec![]));
                }
                // String prefixes: r, b, u, rb, br (an f-string is not a literal).
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| b"rRbBuU".contains(c) && self.i - start < 2)
                {
                    self.i += 1;
                }
                if self.i > start && matches!(self.s.get(self.i), Some(b'\'' | b'"')) {
                    self.i = start;
                    return self.strings();
                }
                None
            }
        }
    }

    fn braces(&mut self) -> Option<Literal> {
        self.i += 1;
        if self.eat(b'}') {
            return Some(Literal::Dict(vec![]));
        }
        let first = self.value()?;
        if self.eat(b':') {
            let mut pairs = vec![(first, self.value()?)];
            while self.eat(b',') {
                if self.eat(b'}') {
                    return Some(Literal::Dict(pairs));
                }
                let k = self.value()?;
                if !self.eat(b':') {
                    return None;
                }
                pairs.push((k, self.value()?));
            }
            return self.eat(b'}').then_some(Literal::Dict(pairs));
        }
        let mut items = vec![first];
        if self.eat(b',') {
            items.extend(self.items(Some(b'}'))?);
        } else if !self.eat(b'}') {
            return None;
        }
        Some(Literal::Set(items))
    }

    fn number(&mut self) -> Option<Literal> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_'))
            || (matches!(self.s.get(self.i), Some(b'-' | b'+'))
                && matches!(self.s.get(self.i - 1), Some(b'e' | b'E'))
                && !self.s[start..self.i].starts_with(b"0x"))
        {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .replace('_', "");
        let lower = text.to_ascii_lowercase();
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(digits) = lower.strip_prefix(prefix) {
                return u128::from_str_radix(digits, radix)
                    .ok()
                    .map(|n| Literal::Int(n.to_string()));
            }
        }
        if text.bytes().all(|c| c.is_ascii_digit()) {
            let trimmed = text.trim_start_matches('0');
            return Some(Literal::Int(
                if trimmed.is_empty() { "0" } else { trimmed }.into(),
            ));
        }
        if lower.ends_with('j') || lower.bytes().any(|c| c.is_ascii_alphabetic() && c != b'e') {
            return None;
        }
        text.parse::<f64>().ok().map(Literal::Float)
    }

    /// One or more adjacent string literals, concatenated as Python does.
    fn strings(&mut self) -> Option<Literal> {
        let mut text: Option<Literal> = None;
        loop {
            self.space();
            let start = self.i;
            let mut raw = false;
            let mut bytes = false;
            while let Some(c) = self.s.get(self.i).filter(|c| b"rRbBuU".contains(c)) {
                raw |= matches!(c, b'r' | b'R');
                bytes |= matches!(c, b'b' | b'B');
                self.i += 1;
            }
            let Some(&quote) = self.s.get(self.i).filter(|c| matches!(c, b'\'' | b'"')) else {
                self.i = start;
                return text;
            };
            let triple = self.s[self.i..].starts_with(&[quote; 3]);
            let delim = if triple { 3 } else { 1 };
            self.i += delim;
            let body_start = self.i;
            loop {
                let c = *self.s.get(self.i)?;
                if c == b'\\' {
                    self.i += 2;
                    continue;
                }
                if c == quote && (!triple || self.s[self.i..].starts_with(&[quote; 3])) {
                    break;
                }
                if c == b'\n' && !triple {
                    return None;
                }
                self.i += 1;
            }
            let body = std::str::from_utf8(&self.s[body_start..self.i]).ok()?;
            self.i += delim;
            let value = if raw {
                body.to_string()
            } else {
                unescape(body)?
            };
            text = Some(match (text, bytes) {
                (None, false) => Literal::Str(value),
                (None, true) => Literal::Bytes(value.into_bytes()),
                (Some(Literal::Str(s)), false) => Literal::Str(s + &value),
                (Some(Literal::Bytes(mut b)), true) => {
                    b.extend(value.into_bytes());
                    Literal::Bytes(b)
                }
                _ => return None,
            });
        }
    }
}

/// A string literal's backslash escapes, as Python reads them.
fn unescape(body: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        let mut hex = |n: usize| -> Option<char> {
            let digits: String = chars.by_ref().take(n).collect();
            char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
        };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            '\\' | '\'' | '"' => out.push(e),
            '\n' => {}
            'x' => out.push(hex(2)?),
            'u' => out.push(hex(4)?),
            'U' => out.push(hex(8)?),
            _ => {
                out.push('\\');
                out.push(e);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comments(code: &str) -> Vec<Option<&str>> {
        lines(code).into_iter().map(|l| l.comment).collect()
    }

    #[test]
    fn trailing_and_standalone_comments() {
        let l = lines("print(x)  # 42\n    # Output: hi\n\nx = 1");
        assert_eq!(l[0].comment, Some("42"));
        assert!(l[0].has_code);
        assert_eq!(l[0].comment_col, 10);
        assert!(l[1].is_comment_only());
        assert_eq!(l[1].indent, 4);
        assert!(l[2].is_blank());
        assert_eq!(l[3].comment, None);
    }

    #[test]
    fn hashes_in_strings_are_not_comments() {
        assert_eq!(
            comments("s = '# no'  # yes\nt = \"a#b\"\nu = f'{x}#'  #z"),
            [Some("yes"), None, Some("z")]
        );
        assert_eq!(comments(r##"s = "a\"#" # c"##), [Some("c")]);
        assert_eq!(comments(r"s = r'\'#' # c"), [Some("c")]);
    }

    #[test]
    fn docstrings_span_lines() {
        let code = "def f():\n    \"\"\"Doc.\n\n    # not a comment\n    >>> f()  # nor this\n    \"\"\"  # but this\n    return 1";
        assert_eq!(
            comments(code),
            [None, None, None, None, None, Some("but this"), None]
        );
        let l = lines(code);
        assert!(l[3].has_code, "string content is code, not a comment line");
    }

    #[test]
    fn escaped_newline_in_short_string_and_unterminated() {
        assert_eq!(comments("s = 'a\\\n# b'\n# c"), [None, None, Some("c")]);
        assert_eq!(comments("s = 'oops\n# c"), [None, Some("c")]);
    }
    #[test]
    fn bindings_are_assignments_imports_and_definitions() {
        for code in [
            "x = 5",
            "total += n",
            "x: int = 5",
            "a, b = b, a",
            "import os",
            "from a import b",
            "def f(x=1):",
            "class A:",
            "@property",
            "f = lambda x=1: x",
            "n <<= 1",
        ] {
            assert!(binds_a_name(code), "{code}");
        }
        for code in [
            "print(x)",
            "x == 5",
            "f(x=1)",
            "a <= b",
            "(y := 3)",
            "d['k']",
            "'a = b'",
            "importlib.reload(m)",
        ] {
            assert!(!binds_a_name(code), "{code}");
        }
    }

    #[test]
    fn literals_compare_as_values() {
        let same = |a: &str, b: &str| {
            let (x, y) = (literal(a), literal(b));
            x.is_some() && x == y
        };
        assert!(same("['a','b']", "['a', 'b']"));
        assert!(same("{'x', 'y'}", "{'y', 'x'}"));
        assert!(same("\"kiwi\"", "'kiwi'"));
        assert!(same(r"'a\'b'", "\"a'b\""));
        assert!(same("{'a': 1, 'b': [2]}", "{'b': [2], 'a': 1}"));
        assert!(same("(1, 2)", "1, 2"));
        assert!(same("set()", "set()"));
        assert!(same("-3.50", "-3.5"));
        assert!(same("b'x' b'y'", "b'xy'"));
        assert!(!same("[1, 2]", "[2, 1]"), "lists keep their order");
        assert!(!same("1", "1.0"), "a type change is a value change");
        assert!(!same("True", "1"));
        assert!(!same("(1, 2)", "[1, 2]"));
        assert!(!same("{'a': 1}", "{'a': 2}"));
        for text in [
            "hello",
            "f'x'",
            "Point(1, 2)",
            "[1, 2",
            "1 2",
            "x.y",
            "0x7f",
        ] {
            assert!(literal(text).is_none() || text == "0x7f", "{text}");
        }
        assert_eq!(literal("0x7f"), Some(Literal::Int("127".into())));
    }
}
