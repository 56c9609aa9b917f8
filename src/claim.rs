//! [`Example`] → the [`Claim`]s its comments make about output.
//!
//! Parsing is purely textual: which comments *could* state output, and which
//! code line each one speaks about. Whether that code printed anything, and so
//! whether the comment is a claim or prose, is decided later against what
//! really ran ([`crate::verdict`]).

use serde::Serialize;

use crate::markdown::Example;
use crate::pysource::{self, Line};

/// How a claim is written in the guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(strum::VariantArray))]
pub enum ClaimKind {
    /// `print(x)  # 42`: the output of the statement on that line.
    Trailing,
    /// Comment lines right under a statement that prints, with the same or
    /// deeper indentation: its output, possibly wrapped over several lines.
    Below,
    /// `# Output: …`: what the example printed since the previous `# Output:`
    /// that no other claim accounts for.
    Output,
    /// `fruits[0]  # "apple"`: the REPL value of a bare expression (or of a
    /// simple assignment) that printed nothing.
    Value,
    /// `# => 42` (or `# => Output: 42`), trailing or on the line below.
    Arrow,
    /// pydantic-style `#> value` lines under a print.
    Chevron,
    /// A `>>>` example of a session block (```pycon).
    Doctest,
    /// A `>>>` example in a docstring the example defines.
    Docstring,
    /// An `output` / `text` fence right after the example: all its stdout.
    OutputBlock,
    /// `int("x")  # ValueError: invalid literal…`: the exception the
    /// statement raises, shown on purpose.
    Raises,
}

impl ClaimKind {
    /// `output_block`: as serde spells it in the JSON report.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// One statement about output, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub kind: ClaimKind,
    /// Guide line of the (first) comment.
    pub line: usize,
    /// Every guide line the claim's text spans.
    pub lines: Vec<usize>,
    /// The claimed text; wrapped claims keep their line breaks.
    pub expected: String,
    /// Guide line of the code the claim speaks about. For `# Output:`, the
    /// first line of the statements it covers: those directly above it, back
    /// to the previous claim or blank line.
    pub anchor: usize,
}

impl Claim {
    pub fn is_multiline(&self) -> bool {
        self.lines.len() > 1
    }

    /// Claims that may state a REPL value: on the statement's own line, or
    /// marked with `=>` / `#>`.
    pub fn may_be_a_value(&self) -> bool {
        self.line == self.anchor || matches!(self.kind, ClaimKind::Arrow | ClaimKind::Chevron)
    }

    /// Claims about the statement at `anchor` (rather than a whole example).
    pub fn speaks_about_a_statement(&self) -> bool {
        matches!(
            self.kind,
            ClaimKind::Trailing | ClaimKind::Below | ClaimKind::Arrow | ClaimKind::Chevron
        )
    }
}

/// Finds every comment in `example` that may state output, and its output
/// block. A `>>>` session's claims are doctest's, made when it runs.
pub fn parse(example: &Example) -> Vec<Claim> {
    let mut claims = if example.is_session() || !example.is_checked() {
        Vec::new()
    } else {
        parse_code(&example.code, example.first_line())
    };
    if let Some(block) = &example.output_block {
        let count = block.text.lines().count().max(1);
        claims.push(Claim {
            kind: ClaimKind::OutputBlock,
            line: block.line,
            lines: (block.line..block.line + count).collect(),
            expected: block.text.clone(),
            anchor: block.line,
        });
    }
    claims
}

/// Same as [`parse`], for code whose first line is guide line `first_line`.
pub fn parse_code(code: &str, first_line: usize) -> Vec<Claim> {
    let lines = pysource::lines(code);
    let starts = pysource::statement_starts(&lines);
    let mut claims: Vec<Claim> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        let guide_line = first_line + i;
        let Some(comment) = line.comment.filter(|c| !is_annotation(c)) else {
            i += 1;
            continue;
        };
        if line.has_code {
            let (kind, text) = marked(comment);
            let head = &lines[starts[i]];
            let head_code = &head.text[..head.comment_col.min(head.text.len())];
            // `x = load()  # . matches any character`: prose, unless marked,
            // or unless the comment is a whole Python literal on the
            // statement's own line (`b = a[0]  # 'H'` states b's value).
            let states_a_value = starts[i] == i && literal_value(text);
            let binds = kind.is_none() && pysource::binds_a_name(head_code) && !states_a_value;
            // `greet()  # calls the wrapper` then `# Output: …`: the output
            // line is the claim, the trailing comment a note on the call.
            let output_follows = kind.is_none()
                && !crate::expect::starts_like_a_value(text)
                && lines.get(i + 1).is_some_and(|l| {
                    l.is_comment_only() && l.comment.and_then(output_marker).is_some()
                });
            if binds || output_follows {
                i += 1;
                continue;
            }
            claims.push(Claim {
                kind: kind.unwrap_or(ClaimKind::Trailing),
                line: guide_line,
                lines: vec![guide_line],
                expected: text.to_string(),
                anchor: guide_line,
            });
            i += 1;
        } else if let Some(rest) = output_marker(comment) {
            // `# Output:` alone on its line: the output follows, a line each.
            let taken = if rest.is_empty() {
                continuation(&lines[i + 1..])
            } else {
                0
            };
            let expected = match taken {
                0 => rest.to_string(),
                _ => comment_text(&lines[i + 1..=i + taken]),
            };
            let after = claims
                .last()
                .map(|c| c.lines[c.lines.len() - 1] - first_line);
            claims.push(Claim {
                kind: ClaimKind::Output,
                line: guide_line,
                lines: (guide_line..=guide_line + taken).collect(),
                expected,
                anchor: first_line + covered_from(&lines, i, after),
            });
            i += 1 + taken;
        } else if let Some(anchor) = below_anchor(&lines, i) {
            let chevron = marked(comment).0 == Some(ClaimKind::Chevron);
            let taken = 1 + if chevron {
                chevron_continuation(&lines[i + 1..])
            } else {
                continuation(&lines[i + 1..])
            };
            claims.push(Claim {
                kind: marked(comment).0.unwrap_or(ClaimKind::Below),
                line: guide_line,
                lines: (guide_line..guide_line + taken).collect(),
                expected: comment_text(&lines[i..i + taken]),
                anchor: first_line + anchor,
            });
            i += taken;
        } else {
            i += 1;
        }
    }
    claims
}

/// A comment whose value part is a whole Python literal: `'H'`, `5`,
/// `'d' (end of string)`.
fn literal_value(comment: &str) -> bool {
    let value = crate::expect::split_value(comment).map_or(comment, |(value, _)| value);
    pysource::literal(value.trim()).is_some()
}

/// mkdocs-material code annotations (`# (1)!`, `# (2)`) mark a note
/// rendered elsewhere: never a claim.
fn is_annotation(comment: &str) -> bool {
    let inner = comment.strip_suffix('!').unwrap_or(comment);
    inner
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The index of the first line a `# Output:` comment at index `at` covers:
/// the statements directly above it, back to the line after the previous
/// claim (index `after`) or to a blank line that a top-level statement
/// follows. Output printed earlier in the example is not part of it.
fn covered_from(lines: &[Line<'_>], at: usize, after: Option<usize>) -> usize {
    let floor = after.map_or(0, |a| a + 1);
    let indent = lines[at].indent;
    (floor..at)
        .rev()
        .find(|&j| {
            lines[j].is_blank()
                && lines[j + 1..at]
                    .iter()
                    .find(|l| !l.is_blank())
                    .is_some_and(|l| l.indent <= indent)
        })
        .map_or(floor, |blank| blank + 1)
}

/// `Output: rest` (any case, `Outputs:` too) → `rest`.
fn output_marker(comment: &str) -> Option<&str> {
    let (head, rest) = comment.split_once(':')?;
    let head = head.trim().to_ascii_lowercase();
    matches!(head.as_str(), "output" | "outputs").then(|| rest.trim())
}

/// The comments of `lines`, one per line, markers (`=>`, `>`) taken off.
fn comment_text(lines: &[Line<'_>]) -> String {
    let texts: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.comment)
        .map(|c| marked(c).1)
        .collect();
    texts.join("\n")
}

/// `=> [Output:] text` is an arrow claim, `> text` (from `#>`) a chevron;
/// `Output:` alone is just taken off.
fn marked(comment: &str) -> (Option<ClaimKind>, &str) {
    if let Some(rest) = comment.strip_prefix("=>") {
        let rest = rest.trim_start();
        return (Some(ClaimKind::Arrow), output_marker(rest).unwrap_or(rest));
    }
    if let Some(rest) = comment
        .strip_prefix('>')
        .filter(|_| !comment.starts_with(">>"))
    {
        return (
            Some(ClaimKind::Chevron),
            rest.strip_prefix(' ').unwrap_or(rest),
        );
    }
    (None, output_marker(comment).unwrap_or(comment))
}

/// How many comment-only lines follow, up to a blank line, code, or a new
/// `# Output:`.
fn continuation(lines: &[Line<'_>]) -> usize {
    lines
        .iter()
        .take_while(|l| l.is_comment_only() && l.comment.and_then(output_marker).is_none())
        .count()
}

/// How many `#>` lines follow: a plain comment after them is prose
/// (`#> True` then `# a copy shares the reference`).
fn chevron_continuation(lines: &[Line<'_>]) -> usize {
    lines
        .iter()
        .take_while(|l| {
            l.is_comment_only()
                && l.comment
                    .is_some_and(|c| c.starts_with('>') && !c.starts_with(">>"))
        })
        .count()
}

/// A comment block right under a code line with no comment of its own
/// speaks about that line; dedented to the level of an enclosing block's
/// header (a loop, say), it speaks about that whole block.
fn below_anchor(lines: &[Line<'_>], i: usize) -> Option<usize> {
    let above = lines.get(i.checked_sub(1)?)?;
    if !above.has_code || above.comment.is_some() {
        return None;
    }
    let indent = lines[i].indent;
    // The first line of a block's body is a note on the block, not output
    // of its header (`for x in xs:` then `    # skip the header row`).
    let opens_block = above.text.trim_end().ends_with(':');
    if indent > above.indent && opens_block {
        return None;
    }
    if indent >= above.indent {
        return Some(i - 1);
    }
    // The nearest line above at the comment's indentation opens the block.
    (0..i - 1)
        .rev()
        .find(|&j| lines[j].has_code && lines[j].indent <= indent)
        .filter(|&j| lines[j].indent == indent && lines[j].text.trim_end().ends_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(code: &str) -> Vec<(ClaimKind, usize, String, usize)> {
        parse_code(code, 10)
            .into_iter()
            .map(|c| (c.kind, c.line, c.expected, c.anchor))
            .collect()
    }

    use ClaimKind::*;

    #[test]
    fn trailing_comments_anchor_to_their_line() {
        assert_eq!(
            claims("print(type(x))  # <class 'type'>\nx = 1"),
            [(Trailing, 10, "<class 'type'>".into(), 10)]
        );
        assert_eq!(
            claims("print(1)  # Output: 1"),
            [(Trailing, 10, "1".into(), 10)]
        );
    }

    #[test]
    fn standalone_output_lines() {
        assert_eq!(
            claims("f()\n# Output: Connecting (once)\n"),
            [(Output, 11, "Connecting (once)".into(), 10)]
        );
        let c = parse_code("f()\n\n# Output:\n# a\n#  b\n\nx", 1);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].expected, "a\n b");
        assert_eq!(c[0].lines, [3, 4, 5]);
    }

    #[test]
    fn comment_lines_under_code_continue_it() {
        let code = "print(r)\n# {'a': 1,\n#  'b': 2}\n\n# Factory pattern";
        assert_eq!(claims(code), [(Below, 11, "{'a': 1,\n 'b': 2}".into(), 10)]);
        let code = "try:\n    f()\nexcept E as e:\n    print(e)\n    # Error: bad\n";
        assert_eq!(claims(code), [(Below, 14, "Error: bad".into(), 13)]);
    }

    #[test]
    fn dedented_comments_speak_about_the_enclosing_block() {
        assert_eq!(
            claims("for x in y:\n    print(x)\n# 0\n# 1"),
            [(Below, 12, "0\n1".into(), 10)]
        );
        assert!(claims("def f():\n    return 1\n\n# after a blank line").is_empty());
        assert!(claims("if a:\n    if b:\n        print(1)\n  # odd indentation").is_empty());
    }

    #[test]
    fn not_below_when_after_a_trailing_comment() {
        assert_eq!(claims("print(1)  # 1\n# more words").len(), 1);
        assert!(claims("# intro\nprint(1)").is_empty());
    }

    #[test]
    fn arrow_and_chevron_markers() {
        assert_eq!(claims("x + 1  # => 42"), [(Arrow, 10, "42".into(), 10)]);
        assert_eq!(
            claims("f()  # => Output: hi"),
            [(Arrow, 10, "hi".into(), 10)]
        );
        assert_eq!(
            claims("print(user)\n#> User(id=1,\n#>   name='a')"),
            [(Chevron, 11, "User(id=1,\n  name='a')".into(), 10)]
        );
        assert_eq!(claims("print(x)\n# => 5"), [(Arrow, 11, "5".into(), 10)]);
    }

    #[test]
    fn comments_in_docstrings_are_ignored() {
        assert!(claims("def f():\n    \"\"\"\n    # Output: no\n    \"\"\"\n").is_empty());
    }
}
