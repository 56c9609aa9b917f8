//! The lines each statement of an example spans, without an interpreter.
//!
//! Claims are judged against the statements they sit on, so the harness
//! used to parse every example with `ast` for its statement spans, and
//! turning CPython's tree into Python objects costs more than compiling the
//! example. Here the spans come from the text: logical lines (brackets,
//! strings, `\`), `;`, and indentation for compound statements. The result is
//! what `ast.walk` gives (`[lineno, end_lineno]` of every `ast.stmt`,
//! outermost first), or `None` where this is unsure (tabs, `match`,
//! unbalanced text, a clause with nothing to continue), and the harness
//! parses as before. `tests/spans.rs` holds it to `ast` on real documents.

/// One logical line: a statement's worth of physical lines.
struct Logical {
    /// Indentation of its first line, in bytes.
    indent: usize,
    /// Its code characters outside comments, each with its 1-based line,
    /// bracket depth and whether it is inside a string.
    chars: Vec<Char>,
}

#[derive(Clone, Copy)]
struct Char {
    c: char,
    line: usize,
    depth: i32,
    in_string: bool,
}

/// One statement of an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    /// First and last line, 1-based within the example's code.
    pub first: usize,
    pub last: usize,
    pub kind: StatementKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// `if`, `for`, `def`…: a header and a suite.
    Compound,
    /// A lone call to `print`: its value is `None`, its output is all it shows.
    Print,
    Simple,
}

/// `[first, last]` line (1-based within `code`) of every statement,
/// outermost first, or `None` when unsure.
pub fn statement_spans(code: &str) -> Option<Vec<(usize, usize)>> {
    Some(
        statements(code)?
            .iter()
            .map(|s| (s.first, s.last))
            .collect(),
    )
}

/// Every statement of `code`, outermost first, or `None` when unsure.
pub fn statements(code: &str) -> Option<Vec<Statement>> {
    let logical = logical_lines(code)?;
    let mut builder = Builder::default();
    for line in &logical {
        builder.add(line)?;
    }
    Some(builder.finish())
}

/// Splits `code` into logical lines; `None` if a string or bracket is left
/// open, or indentation uses tabs.
fn logical_lines(code: &str) -> Option<Vec<Logical>> {
    let mut out = Vec::new();
    let mut current: Option<Logical> = None;
    let mut string: Option<(char, bool)> = None;
    let mut depth = 0i32;
    for (n, text) in code.lines().enumerate() {
        let line = n + 1;
        if current.is_none() {
            let body = text.trim_start_matches([' ', '\t', '\x0c']);
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let lead = &text[..text.len() - body.len()];
            if lead.contains(['\t', '\x0c']) {
                return None;
            }
            current = Some(Logical {
                indent: lead.len(),
                chars: Vec::new(),
            });
        }
        let logical = current.as_mut().expect("a logical line is open");
        let mut continued = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let at = |c, depth| Char {
                c,
                line,
                depth,
                in_string: string.is_some(),
            };
            let mut taken = vec![at(c, depth)];
            match string {
                Some((quote, triple)) => {
                    if c == '\\' {
                        taken.extend(chars.next().map(|next| at(next, depth)));
                    } else if c == quote && !triple {
                        string = None;
                    } else if c == quote
                        && chars.clone().take(2).filter(|r| *r == quote).count() == 2
                    {
                        let closing: Vec<char> = chars.by_ref().take(2).collect();
                        taken.extend(closing.into_iter().map(|q| at(q, depth)));
                        string = None;
                    }
                }
                None => match c {
                    '#' => break,
                    '\'' | '"' => {
                        let triple = chars.clone().take(2).filter(|r| *r == c).count() == 2;
                        if triple {
                            let opening: Vec<char> = chars.by_ref().take(2).collect();
                            taken.extend(opening.into_iter().map(|q| at(q, depth)));
                        }
                        string = Some((c, triple));
                    }
                    '\\' if chars.peek().is_none() => {
                        continued = true;
                        taken.clear();
                    }
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth < 0 {
                            return None;
                        }
                        taken = vec![at(c, depth)];
                    }
                    _ => {}
                },
            }
            logical.chars.extend(taken);
        }
        // A single-quoted string ends with its line unless the newline is escaped.
        if let Some((_, false)) = string {
            if !text.ends_with('\\') {
                return None;
            }
        }
        if string.is_none() && depth == 0 && !continued {
            out.extend(current.take());
        } else if let Some(logical) = current.as_mut() {
            logical.chars.push(Char {
                c: '\n',
                line,
                depth,
                in_string: string.is_some(),
            });
        }
    }
    match current {
        None => Some(out),
        Some(_) => None,
    }
}

/// Keywords that open a compound statement (a clause's header ends at the
/// first `:` outside brackets and strings).
const COMPOUND: &[&str] = &["if", "for", "while", "try", "with", "def", "class"];
/// Keywords that continue the compound statement above them.
const CLAUSES: &[&str] = &["elif", "else", "except", "finally"];

/// An open compound statement.
struct Open {
    indent: usize,
    keyword: &'static str,
    /// Its index in `spans`.
    span: usize,
}

#[derive(Default)]
struct Builder {
    /// Each statement and its depth, in source order.
    spans: Vec<(Statement, usize)>,
    open: Vec<Open>,
}

impl Builder {
    fn add(&mut self, logical: &Logical) -> Option<()> {
        let code = &logical.chars[..];
        let word = first_word(code);
        if matches!(word.as_str(), "match" | "case" | "lambda") {
            return None; // soft keywords and oddities: let the parser decide
        }
        let clause = CLAUSES.contains(&word.as_str());
        self.close(logical.indent, clause.then_some(word.as_str()))?;
        if word == "@" {
            return Some(()); // a decorator: its def or class is the statement
        }
        let first_line = code.first()?.line;
        let last_line = last_code_line(code)?;
        // Everything open contains this line.
        for open in &self.open {
            let span = &mut self.spans[open.span].0;
            span.last = span.last.max(last_line);
        }
        let keyword = match word.as_str() {
            "async" => compound_after_async(code)?,
            w => COMPOUND
                .iter()
                .chain(CLAUSES)
                .find(|k| **k == w)
                .copied()
                .unwrap_or(""),
        };
        if keyword.is_empty() {
            return self.simple(code, 0);
        }
        let colon = header_colon(code)?;
        match keyword {
            "elif" => self.open_compound(logical.indent, "if", first_line, code, colon),
            "else" | "except" | "finally" => self.inline_body(code, colon),
            _ => self.open_compound(logical.indent, keyword, first_line, code, colon),
        }
    }

    /// Closes what a line at `indent` ends; a clause keeps the compound it
    /// continues open (and must find one).
    fn close(&mut self, indent: usize, clause: Option<&str>) -> Option<()> {
        while let Some(top) = self.open.last() {
            if top.indent > indent {
                self.open.pop();
                continue;
            }
            if top.indent < indent {
                break;
            }
            match clause {
                Some(clause) if continues(top.keyword, clause) => return Some(()),
                _ => {
                    self.open.pop();
                }
            }
        }
        // A clause must continue something at its own indentation.
        clause.is_none().then_some(())
    }

    fn open_compound(
        &mut self,
        indent: usize,
        keyword: &'static str,
        first: usize,
        code: &[Char],
        colon: usize,
    ) -> Option<()> {
        let depth = self.open.len();
        let statement = Statement {
            first,
            last: last_code_line(code)?,
            kind: StatementKind::Compound,
        };
        self.spans.push((statement, depth));
        self.open.push(Open {
            indent,
            keyword,
            span: self.spans.len() - 1,
        });
        self.inline_body(code, colon)
    }

    /// The statements after a header's colon on its own line (`if x: y; z`).
    fn inline_body(&mut self, code: &[Char], colon: usize) -> Option<()> {
        let body = &code[colon + 1..];
        if body.iter().all(|c| c.c.is_whitespace()) {
            return Some(());
        }
        self.simple(body, self.open.len())
    }

    /// Simple statements separated by `;` at depth 0.
    fn simple(&mut self, code: &[Char], depth: usize) -> Option<()> {
        let depth = depth.max(self.open.len());
        for piece in code.split(|c| c.c == ';' && c.depth == 0 && !c.in_string) {
            let Some(first) = piece.iter().find(|c| !c.c.is_whitespace()) else {
                continue;
            };
            let kind = if is_lone_print(piece) {
                StatementKind::Print
            } else {
                StatementKind::Simple
            };
            let statement = Statement {
                first: first.line,
                last: last_code_line(piece)?,
                kind,
            };
            self.spans.push((statement, depth));
        }
        Some(())
    }

    fn finish(self) -> Vec<Statement> {
        let mut spans = self.spans;
        // ast.walk is breadth first: outer statements before inner ones.
        spans.sort_by_key(|&(_, depth)| depth);
        spans.into_iter().map(|(statement, _)| statement).collect()
    }
}

/// Can `clause` continue a compound statement opened by `keyword`?
fn continues(keyword: &str, clause: &str) -> bool {
    match clause {
        "elif" => keyword == "if",
        "else" => matches!(keyword, "if" | "for" | "while" | "try"),
        "except" | "finally" => keyword == "try",
        _ => false,
    }
}

/// `async def`, `async for`, `async with`.
fn compound_after_async(code: &[Char]) -> Option<&'static str> {
    let text: String = code.iter().map(|c| c.c).collect();
    let rest = text.trim_start().strip_prefix("async")?.trim_start();
    ["def", "for", "with"]
        .into_iter()
        .find(|k| rest.starts_with(k) && !rest[k.len()..].starts_with(is_word))
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The first word of a statement (`@` for a decorator).
fn first_word(code: &[Char]) -> String {
    let mut chars = code.iter().map(|c| c.c).skip_while(|c| c.is_whitespace());
    match chars.next() {
        Some('@') => "@".to_string(),
        Some(c) if is_word(c) => std::iter::once(c)
            .chain(chars.take_while(|c| is_word(*c)))
            .collect(),
        _ => String::new(),
    }
}

/// Index of the colon that ends a clause's header: the first `:` outside
/// brackets and strings that is not `:=`. A `lambda` before it makes this
/// unsure.
fn header_colon(code: &[Char]) -> Option<usize> {
    let mut word = String::new();
    for (i, c) in code.iter().enumerate() {
        if c.in_string || c.depth > 0 {
            word.clear();
            continue;
        }
        if is_word(c.c) {
            word.push(c.c);
            continue;
        }
        if word == "lambda" {
            return None;
        }
        word.clear();
        if c.c == ':' && code.get(i + 1).is_none_or(|n| n.c != '=') {
            return Some(i);
        }
    }
    None
}

/// `print(…)` and nothing else: the bracket after `print` closes on the
/// statement's last code character. (Brackets carry the depth around them.)
fn is_lone_print(piece: &[Char]) -> bool {
    let code: Vec<&Char> = piece
        .iter()
        .filter(|c| c.in_string || !c.c.is_whitespace())
        .collect();
    let starts: String = code.iter().take(6).map(|c| c.c).collect();
    if starts != "print(" || code[0].in_string {
        return false;
    }
    let depth = code[0].depth;
    let close = code[6..]
        .iter()
        .position(|c| c.c == ')' && c.depth == depth && !c.in_string);
    close.is_some_and(|i| 6 + i == code.len() - 1)
}

fn last_code_line(code: &[Char]) -> Option<usize> {
    code.iter()
        .rev()
        .find(|c| !c.c.is_whitespace() || c.in_string)
        .map(|c| c.line)
}

#[cfg(test)]
mod tests {
    use super::statement_spans;

    fn spans(code: &str) -> Vec<(usize, usize)> {
        statement_spans(code).expect("sure")
    }

    #[test]
    fn simple_statements_and_semicolons() {
        assert_eq!(spans("a = 1\nb = (2,\n     3)  # c\n"), [(1, 1), (2, 3)]);
        assert_eq!(spans("a = 1; b = 2\n"), [(1, 1), (1, 1)]);
        assert_eq!(spans("s = '''x\n;y'''; t = 1\n"), [(1, 2), (2, 2)]);
    }

    #[test]
    fn a_quote_ending_a_line_in_a_triple_quoted_string_closes_nothing() {
        assert_eq!(
            spans("s = \"\"\"\nit's\n'x'\n\"\"\"\nt = 1\n"),
            [(1, 4), (5, 5)]
        );
    }

    #[test]
    fn compound_statements_span_their_suites_and_clauses() {
        let code = "if a:\n    x = 1\n\n    # note\nelif b:\n    y = 2\nelse:\n    z = 3\nw = 4\n";
        assert_eq!(
            spans(code),
            [(1, 8), (9, 9), (2, 2), (5, 8), (6, 6), (8, 8)]
        );
        let code = "@deco\ndef f(x: int) -> dict[str, int]:\n    return {1: 2}\n";
        assert_eq!(spans(code), [(2, 3), (3, 3)]);
        assert_eq!(spans("for i in range(3): print(i)\n"), [(1, 1), (1, 1)]);
    }

    #[test]
    fn a_lone_print_call_and_everything_else() {
        use super::{StatementKind, statements};
        let kind = |code: &str| statements(code).expect("sure")[0].kind;
        let lone = [
            "print(x)",
            "print(f(1), sep=')')  # 3",
            "print(\n    a,\n    b)",
            "print('''a)\nb''')",
        ];
        for code in lone {
            assert_eq!(kind(code), StatementKind::Print, "{code}");
        }
        for code in ["print(x) or y", "x = print(1)", "print(a)(b)", "pprint(x)"] {
            assert_eq!(kind(code), StatementKind::Simple, "{code}");
        }
        assert_eq!(kind("if x: print(x)"), StatementKind::Compound);
        assert_eq!(
            statements("if x: print(x)").unwrap()[1].kind,
            StatementKind::Print
        );
    }

    #[test]
    fn unsure_text_is_left_to_the_parser() {
        assert_eq!(
            statement_spans("match x:\n    case 1:\n        pass\n"),
            None
        );
        assert_eq!(statement_spans("x = (1,\n"), None);
        assert_eq!(statement_spans("if a:\n\tx = 1\n"), None);
        assert_eq!(statement_spans("else:\n    pass\n"), None);
        assert_eq!(statement_spans("s = 'open\n"), None);
    }
}
