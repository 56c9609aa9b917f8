//! A Sphinx project's `conf.py`, read statically: never executed.
//!
//! Only top-level assignments of literals are read (strings, with triple
//! quotes and implicit concatenation; lists and tuples of strings; `|` of
//! `doctest.X` flag names): what the doctest builder's settings are in
//! practice. An assignment it cannot read is ignored, with a note.

use std::path::{Path, PathBuf};

/// What `conf.py` says about how the doctest builder runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SphinxConf {
    /// `extensions` names `sphinx.ext.doctest`.
    pub doctest: bool,
    /// `doctest_global_setup`, run in every group's fresh namespace.
    pub global_setup: Option<String>,
    /// `doctest_global_cleanup`, run after every group.
    pub global_cleanup: Option<String>,
    /// `doctest_default_flags`, as flag names (`ELLIPSIS`).
    pub default_flags: Option<Vec<String>>,
    /// `myst_enable_extensions` has `colon_fence`.
    pub colon_fence: bool,
    /// What could not be read, for the report (`conf.py:12: …`).
    pub notes: Vec<String>,
}

/// Settings read; the others are no business of doc-testing.
const READ: &[&str] = &[
    "extensions",
    "doctest_global_setup",
    "doctest_global_cleanup",
    "doctest_default_flags",
    "myst_enable_extensions",
];

/// The `conf.py` that configures `doc`: in its folder or one above it, up
/// to `root` (or the repository's top), else in `root`'s `docs/` or `doc/`.
pub fn find(doc: &Path, root: &Path) -> Option<PathBuf> {
    let root = comparable(root);
    let start = doc.parent().unwrap_or(Path::new(""));
    for dir in start.ancestors() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let conf = dir.join("conf.py");
        if conf.is_file() {
            return Some(conf);
        }
        if comparable(dir) == root || dir.join(".git").exists() {
            break;
        }
    }
    ["docs", "doc"]
        .iter()
        .map(|d| root.join(d).join("conf.py"))
        .find(|c| c.is_file())
}

fn comparable(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// Reads `path`; a file that cannot be read is a note, not an error.
pub fn read(path: &Path) -> SphinxConf {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, &path.display().to_string()),
        Err(e) => SphinxConf {
            notes: vec![format!("{}: not read ({e})", path.display())],
            ..SphinxConf::default()
        },
    }
}

/// The settings in `text` (`name` is the file, for the notes).
pub fn parse(text: &str, name: &str) -> SphinxConf {
    let mut conf = SphinxConf::default();
    let mut lexer = Lexer::new(text);
    while let Some(statement) = lexer.statement() {
        let Some((target, augmented, value)) = assignment(&statement.tokens) else {
            continue;
        };
        if !READ.contains(&target) {
            continue;
        }
        match value {
            Some(value) => conf.set(target, augmented, value),
            None => conf.notes.push(format!(
                "{name}:{}: `{target}` is not a literal snipcheck reads; ignored (conf.py is never run)",
                statement.line
            )),
        }
    }
    conf
}

impl SphinxConf {
    fn set(&mut self, target: &str, augmented: bool, value: Value) {
        match (target, value) {
            ("extensions", Value::List(names)) => {
                let has = names.iter().any(|n| n == "sphinx.ext.doctest");
                self.doctest = has || (augmented && self.doctest);
            }
            ("myst_enable_extensions", Value::List(names)) => {
                let has = names.iter().any(|n| n == "colon_fence");
                self.colon_fence = has || (augmented && self.colon_fence);
            }
            ("doctest_global_setup", Value::Str(code)) => self.global_setup = Some(code),
            ("doctest_global_cleanup", Value::Str(code)) => self.global_cleanup = Some(code),
            ("doctest_default_flags", Value::Flags(flags)) => self.default_flags = Some(flags),
            (target, _) => self.notes.push(format!(
                "conf.py: `{target}` has a value of another type than Sphinx expects; ignored"
            )),
        }
    }
}

/// A literal the reader understands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Str(String),
    List(Vec<String>),
    /// doctest flag names OR'd (`doctest.ELLIPSIS | doctest.SKIP`).
    Flags(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Name(String),
    Str(String),
    /// A string the reader does not decode (an f-string, bytes).
    Opaque,
    Op(char),
}

/// One logical line at the top level (column 0).
struct Statement {
    line: usize,
    tokens: Vec<Token>,
}

/// `name = value` or `name += value`; `Some(None)` value when it is not
/// one the reader understands.
fn assignment(tokens: &[Token]) -> Option<(&str, bool, Option<Value>)> {
    let Some(Token::Name(target)) = tokens.first() else {
        return None;
    };
    let (augmented, rest) = match &tokens[1..] {
        [Token::Op('='), rest @ ..] => (false, rest),
        [Token::Op('+'), Token::Op('='), rest @ ..] => (true, rest),
        _ => return None,
    };
    if target.contains('.') || rest.first() == Some(&Token::Op('=')) {
        return None;
    }
    let mut parser = Parser {
        tokens: rest,
        at: 0,
    };
    let value = parser.value().filter(|_| parser.at == rest.len());
    Some((target, augmented, value))
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<&Token> {
        let token = self.tokens.get(self.at)?;
        self.at += 1;
        Some(token)
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            Token::Str(_) => self.strings().map(Value::Str),
            Token::Name(_) => self.flags().map(Value::Flags),
            Token::Op(open @ ('[' | '(')) => {
                let close = if *open == '[' { ']' } else { ')' };
                self.at += 1;
                self.list(close).map(Value::List)
            }
            _ => None,
        }
    }

    /// `"a" "b"`: implicit concatenation.
    fn strings(&mut self) -> Option<String> {
        let mut text = String::new();
        while let Some(Token::Str(s)) = self.peek() {
            text.push_str(s);
            self.at += 1;
        }
        match self.peek() {
            None | Some(Token::Op(',' | ']' | ')')) => Some(text),
            _ => None,
        }
    }

    fn list(&mut self, close: char) -> Option<Vec<String>> {
        let mut items = Vec::new();
        loop {
            if self.peek() == Some(&Token::Op(close)) {
                self.at += 1;
                return Some(items);
            }
            items.push(self.strings()?);
            match self.next()? {
                Token::Op(',') => {}
                Token::Op(c) if *c == close => return Some(items),
                _ => return None,
            }
        }
    }

    /// `doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE`.
    fn flags(&mut self) -> Option<Vec<String>> {
        let mut flags = Vec::new();
        loop {
            let Some(Token::Name(name)) = self.next() else {
                return None;
            };
            let flag = name.rsplit('.').next().unwrap_or(name);
            if !super::super::dialect::DOCTEST_FLAGS.contains(&flag) {
                return None;
            }
            flags.push(flag.to_string());
            match self.peek() {
                None => return Some(flags),
                Some(Token::Op('|')) => self.at += 1,
                _ => return None,
            }
        }
    }
}

/// Python's tokens, as far as literals need them.
struct Lexer<'a> {
    text: &'a str,
    at: usize,
    line: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Lexer<'a> {
        Lexer {
            text,
            at: 0,
            line: 1,
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn bump(&mut self, bytes: usize) -> &'a str {
        let taken = &self.text[self.at..self.at + bytes];
        self.line += taken.matches('\n').count();
        self.at += bytes;
        taken
    }

    /// The next logical line that starts at column 0 (indented ones, in
    /// `if` blocks and functions, are skipped).
    fn statement(&mut self) -> Option<Statement> {
        loop {
            if self.at >= self.text.len() {
                return None;
            }
            let indented = self.rest().starts_with([' ', '\t']);
            let line = self.line;
            let tokens = self.logical_line();
            if !indented && !tokens.is_empty() {
                return Some(Statement { line, tokens });
            }
        }
    }

    fn logical_line(&mut self) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut depth = 0usize;
        while let Some(c) = self.rest().chars().next() {
            match c {
                '\n' if depth == 0 => {
                    self.bump(1);
                    break;
                }
                ' ' | '\t' | '\r' | '\n' | '\x0c' => {
                    self.bump(1);
                }
                '\\' if self.rest().starts_with("\\\n") => {
                    self.bump(2);
                }
                '#' => {
                    let end = self.rest().find('\n').unwrap_or(self.rest().len());
                    self.bump(end);
                }
                c if c.is_alphabetic() || c == '_' => tokens.push(self.name_or_string()),
                '"' | '\'' => tokens.push(self.string(false, false)),
                c => {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    self.bump(c.len_utf8());
                    tokens.push(Token::Op(c));
                }
            }
        }
        tokens
    }

    fn name_or_string(&mut self) -> Token {
        let rest = self.rest();
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let word = &rest[..end];
        let prefix = word.len() <= 2
            && word.chars().all(|c| "rRbBuUfF".contains(c))
            && rest[end..].starts_with(['"', '\'']);
        if prefix {
            self.bump(end);
            let lower = word.to_ascii_lowercase();
            return self.string(
                lower.contains('r'),
                lower.contains('f') || lower.contains('b'),
            );
        }
        Token::Name(self.bump(end).to_string())
    }

    /// A string literal from its opening quote; `opaque`: decoded but not
    /// usable (an f-string's value is only known when run).
    fn string(&mut self, raw: bool, opaque: bool) -> Token {
        let rest = self.rest();
        let quote = &rest[..1];
        let triple = rest.starts_with(&quote.repeat(3));
        let delimiter = if triple {
            quote.repeat(3)
        } else {
            quote.to_string()
        };
        self.bump(delimiter.len());
        let mut text = String::new();
        loop {
            let rest = self.rest();
            if rest.is_empty() || (!triple && rest.starts_with('\n')) {
                return Token::Opaque;
            }
            if rest.starts_with(delimiter.as_str()) {
                self.bump(delimiter.len());
                return if opaque {
                    Token::Opaque
                } else {
                    Token::Str(text)
                };
            }
            let c = rest.chars().next().unwrap_or('\0');
            if c == '\\' && rest.len() > 1 {
                let next = rest[1..].chars().next().unwrap_or('\0');
                let taken = self.bump(1 + next.len_utf8());
                if raw {
                    text.push_str(taken);
                } else {
                    escape(next, &mut text);
                }
                continue;
            }
            text.push_str(self.bump(c.len_utf8()));
        }
    }
}

/// `\n`, `\t`, `\\`, quotes and a line continuation; any other escape is
/// kept as written, as Python keeps it.
fn escape(c: char, text: &mut String) {
    match c {
        'n' => text.push('\n'),
        't' => text.push('\t'),
        '\\' | '\'' | '"' => text.push(c),
        '\n' => {}
        other => {
            text.push('\\');
            text.push(other);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_doctest_settings() {
        let conf = parse(
            r#"
import doctest, os
extensions = [
    "myst_parser",  # Markdown
    'sphinx.ext.doctest',
]
doctest_global_setup = """
import math
x = 'it''s'
"""
doctest_global_cleanup = "del math" \
    "\n"
doctest_default_flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
myst_enable_extensions = ("colon_fence", "deflist")
if os.environ.get("X"):
    doctest_global_setup = "never read"
"#,
            "conf.py",
        );
        assert!(conf.doctest && conf.colon_fence);
        assert_eq!(
            conf.global_setup.as_deref(),
            Some("\nimport math\nx = 'it''s'\n")
        );
        assert_eq!(conf.global_cleanup.as_deref(), Some("del math\n"));
        assert_eq!(
            conf.default_flags,
            Some(vec!["ELLIPSIS".into(), "NORMALIZE_WHITESPACE".into()])
        );
        assert!(conf.notes.is_empty(), "{:?}", conf.notes);
    }

    #[test]
    fn what_it_cannot_read_is_a_note() {
        let conf = parse(
            "extensions = ['a'] + EXTRA\ndoctest_global_setup = f\"import {x}\"\nextensions += ['sphinx.ext.doctest']\n",
            "docs/conf.py",
        );
        assert!(conf.doctest, "+= extends the list");
        assert_eq!(conf.global_setup, None);
        assert_eq!(conf.notes.len(), 2, "{:?}", conf.notes);
        assert!(conf.notes[1].starts_with("docs/conf.py:2: `doctest_global_setup`"));
    }

    #[test]
    fn a_string_spanning_lines_is_not_a_statement() {
        let conf = parse(
            "x = '''\nextensions = ['sphinx.ext.doctest']\n'''\n",
            "conf.py",
        );
        assert!(!conf.doctest);
    }
}
