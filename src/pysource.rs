//! Just enough Python lexing to find comments.
//!
//! Claims live in comments, and a `#` inside a string or a docstring is not a
//! comment. This walks strings (any prefix, single or triple quoted, escapes,
//! multi-line) without needing an interpreter, so claim parsing can be tested
//! and fuzzed on its own. It never fails: malformed code just yields fewer
//! comments, and running it reports the real `SyntaxError`.

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
    };
    (line, state)
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
}
