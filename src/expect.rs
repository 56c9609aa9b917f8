//! Matching rules: does what the guide says match what CPython printed?
//!
//! Writers abbreviate. Each abbreviation the tool accepts is a named [`Rule`],
//! documented in the README and tested below; anything else is drift. The
//! rules only ever *read* the claim more generously in ways a reader would
//! (`...`, `~8MB`, `True - same instance!`); they never ignore a value.

use std::fmt;

use regex::Regex;
use std::sync::LazyLock;

/// A way a claim may state output. Listed in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Rule {
    /// Same text, trailing whitespace of each line and trailing newlines ignored.
    Exact,
    /// Output printed over several lines (a loop), written on one line joined
    /// by `, `: `# 1, 2, 3` for three prints.
    Iterations,
    /// The value followed by commentary: `True - same instance!`,
    /// `Connecting to db (only printed once)`.
    Commentary,
    /// A number followed by its unit: `48 bytes` for `48`.
    Unit,
    /// A printed string written as a literal: `"Hello World!"` for
    /// `Hello World!` (and a REPL string value written without quotes).
    Quoted,
    /// Reprs written with the other quote style: `["a", "b"]` for `['a', 'b']`.
    Quotes,
    /// The value introduced by a word: `Returns 5`, `Result: 5`, `-> 5`, `→ 5`.
    Label,
    /// `...` (or `…`) stands for any text, as in doctest's ELLIPSIS.
    Ellipsis,
    /// `~N unit` holds within ±20 % (sizes: B, KB, MB, GB, KiB…; times: s, ms…).
    Approximate,
    /// A claim wrapped over several comment lines: runs of whitespace,
    /// including the line breaks, compare as one space.
    Whitespace,
    /// doctest's NORMALIZE_WHITESPACE within lines: whitespace around the
    /// claim never matters, and a run of spaces inside a line compares as one.
    NormalizeWhitespace,
    /// Claim and output both read as Python literals (`ast.literal_eval`)
    /// and are the same value: `['a','b']` for `['a', 'b']`, a set in any
    /// order, `"kiwi"` for `'kiwi'`; a claim written as a repr holds when the
    /// printed text is the string it denotes.
    Literal,
    /// A bare value for a labelled line: `12` for `Total: 12`.
    LabelledValue,
    /// Memory addresses (`0x7f3a…`, eight or more hex digits) compare equal:
    /// they change from run to run.
    Address,
    /// Terminal colour codes (`\x1b[32m`) in the output are not text: a
    /// claim shows what the reader sees.
    Ansi,
    /// `1-10` (or `1 to 10`) for a printed number in that range: how a
    /// writer states a random value.
    Range,
    /// All whitespace removed on both sides, for an output block whose
    /// tool was told to ignore it (pytest-codeblocks'
    /// `expected-output-ignore-whitespace`); never otherwise.
    IgnoreWhitespace,
}

impl Rule {
    /// `normalize_whitespace`: how reports name the rule.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The rules that made a claim hold, e.g. `iterations+ellipsis`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules(pub Vec<Rule>);

impl fmt::Display for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.0.iter().map(|r| r.name()).collect();
        f.write_str(&names.join("+"))
    }
}

/// Result of comparing one claim with its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Holds(Rules),
    Drifts,
    /// The comment does not read as output at all (`# Loads now` on a line
    /// that prints `Loading…`): a note, not a failure.
    Unchecked,
}

/// How the claim was written, which decides the rules that apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shape {
    /// Wrapped over several comment lines.
    pub multiline: bool,
    /// Explicitly marked as output (`# Output:`): never prose.
    pub explicit: bool,
    /// Compared with a REPL value rather than printed text: it reads as a
    /// claim only when it looks like a Python value.
    pub value: bool,
    /// The writer's tool compares this output with whitespace removed.
    pub ignore_whitespace: bool,
}

/// Compares a claim with the output of the code it speaks about.
pub fn evaluate(expected: &str, actual: &str, shape: Shape) -> Match {
    let expected = tidy(expected);
    let actual = tidy(actual);
    if let Some(rules) = find_rules(&expected, &actual, shape) {
        return Match::Holds(Rules(rules));
    }
    // `Returns 6` reads as a value as much as `6` does.
    let core = LABELS
        .iter()
        .find_map(|l| expected.strip_prefix(l))
        .unwrap_or(&expected)
        .trim();
    // `# 2, its first position`: the value part decides, the prose never does.
    let value_part = split_value(core).map(|(value, _)| value);
    let looks = value_part.is_some_and(starts_like_a_value)
        || if shape.value {
            looks_like_value(core, &actual)
        } else {
            looks_like_output(core, &actual)
        };
    if shape.explicit || looks {
        Match::Drifts
    } else {
        Match::Unchecked
    }
}

fn find_rules(expected: &str, actual: &str, shape: Shape) -> Option<Vec<Rule>> {
    for (e, e_rules) in expected_readings(expected) {
        for (a, a_rules) in actual_readings(actual) {
            if let Some(rule) = compare(&e, &a, shape) {
                let mut rules: Vec<Rule> = e_rules.iter().chain(&a_rules).copied().collect();
                if rule != Rule::Exact || rules.is_empty() {
                    rules.push(rule);
                }
                rules.sort();
                rules.dedup();
                return Some(rules);
            }
        }
    }
    None
}

/// Trailing whitespace per line and surrounding blank lines do not count.
fn tidy(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_matches('\n').to_string()
}

/// Separators between a value and the writer's commentary on it:
/// `# 2, its first position`, `# 3 (the length)`, `# set() : the difference`.
const COMMENTARY: &[&str] = &[" - ", " – ", " — ", " -- ", ", ", " : ", "; ", " (", "  "];

/// Separators after prose that introduces a value: `# sorted by name, ['a']`.
const INTRODUCTION: &[&str] = &[", ", ": ", " - ", " -> ", " → ", " = "];

/// Splits a comment into its value part and its prose, when it has both:
/// the value first (`3 (the length)`), or prose that introduces the value
/// (`sorted by name, ['a', 'b']`). `None` for a comment that is all value
/// (`1, 2, 3`) or all prose.
pub fn split_value(comment: &str) -> Option<(&str, &str)> {
    value_then_prose(comment)
        .next()
        .or_else(|| {
            INTRODUCTION.iter().find_map(|sep| {
                let (head, tail) = comment.split_once(sep)?;
                // The introduction is words only: no part of a value in it.
                let words_only = !head.contains(['[', '(', '{', '\'', '"', '<']);
                // The value is a whole literal (`['a', 'b']`, `3`), not the
                // start of more prose (`x -> 2 and y -> 3`).
                let tail = tail.trim();
                (words_only && is_prose(head) && crate::pysource::literal(tail).is_some())
                    .then_some((tail, head))
            })
        })
        .or_else(|| prose_then_literal(comment))
}

/// `Prints the text 'Hello world!'`: words, then a literal that ends the
/// comment (a quoted string or a bracketed value).
fn prose_then_literal(comment: &str) -> Option<(&str, &str)> {
    comment
        .match_indices([' '])
        .map(|(i, _)| (comment[..i].trim_end(), &comment[i + 1..]))
        .find(|(head, tail)| {
            tail.starts_with(['\'', '"', '[', '{', '('])
                && !head.contains(['[', '(', '{', '\'', '"', '<'])
                && is_prose(head)
                && crate::pysource::literal(tail).is_some()
        })
        .map(|(head, tail)| (tail, head))
}

/// Every way of reading `comment` as a value followed by commentary.
fn value_then_prose(comment: &str) -> impl Iterator<Item = (&str, &str)> {
    COMMENTARY.iter().flat_map(move |sep| {
        comment.match_indices(sep).filter_map(move |(i, _)| {
            let (value, prose) = (comment[..i].trim_end(), &comment[i + sep.len()..]);
            let prose_ok = match *sep {
                " (" => prose.ends_with(')') && is_prose(prose.trim_end_matches(')')),
                // `Alice, Bob` is two values: commentary after a comma is a phrase.
                ", " => is_prose(prose) && prose.split_whitespace().count() >= 2,
                _ => is_prose(prose),
            };
            (prose_ok && !value.is_empty()).then_some((value, prose))
        })
    })
}

/// Words, not a value: some letters, and not a Python literal.
fn is_prose(text: &str) -> bool {
    let text = text.trim();
    !starts_like_a_value(text)
        && text
            .split(|c: char| !c.is_alphabetic())
            .any(|w| w.chars().count() >= 2)
        && crate::pysource::literal(text).is_none()
}

/// Starts the way a Python value or a repr does (digit, quote, bracket,
/// `<`, `True`, `None`…), or is a whole literal.
pub fn starts_like_a_value(text: &str) -> bool {
    let first = text.chars().next().unwrap_or(' ');
    "0123456789-+[({<'\"~.≈".contains(first)
        || ["True", "False", "None"].iter().any(|w| {
            text.strip_prefix(w)
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric()))
        })
        || crate::pysource::literal(text).is_some()
}

/// The claim as written, then with commentary or a unit taken off.
fn expected_readings(expected: &str) -> Vec<(String, Vec<Rule>)> {
    let mut out = vec![(expected.to_string(), vec![])];
    if let Some(rest) = LABELS.iter().find_map(|l| expected.strip_prefix(l)) {
        out.push((rest.trim_start().to_string(), vec![Rule::Label]));
    }
    let trimmed = expected.trim();
    for (value, _) in value_then_prose(trimmed) {
        out.push((value.to_string(), vec![Rule::Commentary]));
    }
    if let Some((value, _)) = split_value(trimmed).filter(|(v, _)| !trimmed.starts_with(v)) {
        out.push((value.to_string(), vec![Rule::Label]));
    }
    if let Some(c) = NUMBER_WITH_UNIT.captures(expected) {
        if !expected.starts_with('~') {
            out.push((c[1].to_string(), vec![Rule::Unit]));
        }
    }
    for (e, rules) in out.clone() {
        if let Some(inner) = unquote(&e) {
            out.push((
                inner.to_string(),
                [rules.as_slice(), &[Rule::Quoted]].concat(),
            ));
        }
        if e.contains('"') && !e.contains('\'') {
            out.push((
                e.replace('"', "'"),
                [rules.as_slice(), &[Rule::Quotes]].concat(),
            ));
        }
    }
    out.retain(|(e, _)| !e.is_empty());
    with_addresses(out)
}

/// `text` with every memory address made alike.
pub fn without_addresses(text: &str) -> String {
    with_addresses(vec![(text.to_string(), vec![])])
        .pop()
        .map_or_else(|| text.to_string(), |(t, _)| t)
}

/// Each reading again with memory addresses made alike (the `address` rule).
fn with_addresses(mut readings: Vec<(String, Vec<Rule>)>) -> Vec<(String, Vec<Rule>)> {
    for (text, rules) in readings.clone() {
        if ADDRESS.is_match(&text) {
            let normal = ADDRESS
                .replace_all(&text, |c: &regex::Captures<'_>| {
                    let at = if c[0].starts_with("at ") { "at " } else { "" };
                    format!("{at}0x[ADDR]")
                })
                .into_owned();
            readings.push((normal, [rules.as_slice(), &[Rule::Address]].concat()));
        }
    }
    readings
}

/// An object's address as CPython prints it: `0x` and eight or more hex
/// digits, or any hex number after ` at ` in a repr (`hex(255)` is a value,
/// `0x7f5e2c3b1a90` and `<f at 0x6a670>` are addresses).
static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b0x[0-9a-fA-F]{8,}\b|(?:\bat )0x[0-9a-fA-F]+\b").unwrap());

/// The value after a label on a one-line output: `Total: 12` → `12`.
pub fn labelled_value(actual: &str) -> Option<&str> {
    let c = LABELLED.captures(actual.trim_end())?;
    Some(c.get(1)?.as_str().trim_end())
}

/// A terminal colour or style escape sequence.
static ANSI: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\x1b\[[0-9;]*[A-Za-z]").unwrap());

/// `Total: 12` → `12`: the value after a label on a one-line output.
static LABELLED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][\w .'()-]*?\s*[:=]\s*(\S.*)$").unwrap());

/// Words that introduce a value in a claim (the `label` rule).
const LABELS: &[&str] = &[
    "Returns ",
    "returns ",
    "Returns: ",
    "Result: ",
    "result: ",
    "Prints ",
    "prints ",
    "Prints: ",
    "Gives ",
    "gives ",
    "-> ",
    "→ ",
];

/// `"text"` or `'text'` (one line, the quote not inside) → `text`.
fn unquote(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = text.strip_prefix(quote)?.strip_suffix(quote)?;
    (!inner.contains(quote) && !inner.contains('\n')).then_some(inner)
}

/// The output as printed, then its lines joined by `, `.
fn actual_readings(actual: &str) -> Vec<(String, Vec<Rule>)> {
    let mut out = vec![(actual.to_string(), vec![])];
    if ANSI.is_match(actual) {
        out.push((ANSI.replace_all(actual, "").into_owned(), vec![Rule::Ansi]));
    }
    if let Some(inner) = unquote(actual) {
        out.push((inner.to_string(), vec![Rule::Quoted]));
    }
    if actual.contains('\n') {
        let joined: Vec<&str> = actual.lines().collect();
        out.push((joined.join(", "), vec![Rule::Iterations]));
    } else if let Some(c) = LABELLED.captures(actual) {
        out.push((c[1].trim_end().to_string(), vec![Rule::LabelledValue]));
    }
    with_addresses(out)
}

fn compare(e: &str, a: &str, shape: Shape) -> Option<Rule> {
    if e == a {
        return Some(Rule::Exact);
    }
    if normalize_whitespace(e) == normalize_whitespace(a) {
        return Some(Rule::NormalizeWhitespace);
    }
    if let Some(rule) = same_literal(e, a) {
        return Some(rule);
    }
    if (e.contains("...") || e.contains('…')) && ellipsis_match(e, a) {
        return Some(Rule::Ellipsis);
    }
    if approximately(e, a) {
        return Some(Rule::Approximate);
    }
    if in_range(e, a) {
        return Some(Rule::Range);
    }
    let no_space = |s: &str| s.split_whitespace().collect::<String>();
    if shape.ignore_whitespace && no_space(e) == no_space(a) {
        return Some(Rule::IgnoreWhitespace);
    }
    if shape.multiline {
        let (e, a) = (squeeze(e), squeeze(a));
        if e == a || (e.contains("...") && ellipsis_match(&e, &a)) {
            return Some(Rule::Whitespace);
        }
    }
    None
}

/// doctest's ELLIPSIS: the pieces between `...` appear in order.
pub fn ellipsis_match(expected: &str, actual: &str) -> bool {
    // `…` is one mark: `0.…` is `0.` then anything (not `0` then `.`).
    let expected = expected.replace("...", "…");
    let pieces: Vec<&str> = expected.split('…').collect();
    if pieces.len() == 1 {
        return expected == actual;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    if !actual.ends_with(last) {
        return false;
    }
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    true
}

/// doctest's NORMALIZE_WHITESPACE, line by line: runs of spaces and tabs
/// compare as one space, and whitespace around the text is dropped.
fn normalize_whitespace(text: &str) -> String {
    let lines: Vec<String> = text.trim().lines().map(squeeze).collect();
    lines.join("\n")
}

/// Both sides are the same Python value, or the claim is the repr of the
/// printed text (`'a\'b'` for `a'b`).
fn same_literal(e: &str, a: &str) -> Option<Rule> {
    use crate::pysource::{Literal, literal};
    match (literal(e), literal(a)) {
        (Some(x), Some(y)) if x == y => Some(Rule::Literal),
        (Some(Literal::Str(s)), _) if s == a => Some(Rule::Quoted),
        _ => None,
    }
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

static NUMBER_WITH_UNIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(-?\d+(?:\.\d+)?)\s*([A-Za-zµ%]+)$").unwrap());
static APPROX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:~|≈|about |approx\.? )\s*(-?\d+(?:\.\d+)?)\s*([A-Za-zµ%]*)$").unwrap()
});
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*([A-Za-zµ%]*)$").unwrap());

/// `~8MB` against `8448728`: same dimension, within ±20 %.
fn approximately(e: &str, a: &str) -> bool {
    let (Some(ce), Some(ca)) = (APPROX.captures(e), NUMBER.captures(a)) else {
        return false;
    };
    let (Ok(ne), Ok(na)) = (ce[1].parse::<f64>(), ca[1].parse::<f64>()) else {
        return false;
    };
    let (Some((ke, de)), Some((ka, da))) = (unit(&ce[2]), unit(&ca[2])) else {
        return false;
    };
    // A bare number stands in the claim's dimension (bytes for a size).
    if da != Dim::None && de != da {
        return false;
    }
    let (want, got) = (ne * ke, na * ka);
    (got - want).abs() <= 0.2 * want.abs()
}

/// `1-10`, `0.5 to 1.5`: a claim that states a range.
static RANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(-?\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(-?\d+(?:\.\d+)?)$").unwrap());

/// Does the claim state a pattern rather than a value: an ellipsis, an
/// approximation (`~8MB`) or a range (`1-10`)?
pub fn states_a_pattern(expected: &str) -> bool {
    let e = expected.trim();
    e.contains("...") || e.contains('…') || APPROX.is_match(e) || RANGE.is_match(e)
}

/// `1-10` against `7`: a number within the claimed bounds.
fn in_range(e: &str, a: &str) -> bool {
    let (Some(c), Ok(n)) = (RANGE.captures(e), a.trim().parse::<f64>()) else {
        return false;
    };
    let (Ok(low), Ok(high)) = (c[1].parse::<f64>(), c[2].parse::<f64>()) else {
        return false;
    };
    low < high && (low..=high).contains(&n)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dim {
    None,
    Size,
    Time,
}

fn unit(u: &str) -> Option<(f64, Dim)> {
    let lower = u.to_ascii_lowercase();
    Some(match lower.as_str() {
        "" => (1.0, Dim::None),
        "b" | "byte" | "bytes" => (1.0, Dim::Size),
        "kb" => (1e3, Dim::Size),
        "mb" => (1e6, Dim::Size),
        "gb" => (1e9, Dim::Size),
        "kib" => (1024.0, Dim::Size),
        "mib" => (1024.0 * 1024.0, Dim::Size),
        "gib" => (1024.0 * 1024.0 * 1024.0, Dim::Size),
        "s" | "sec" | "secs" | "second" | "seconds" => (1.0, Dim::Time),
        "ms" => (1e-3, Dim::Time),
        "us" | "µs" => (1e-6, Dim::Time),
        "ns" => (1e-9, Dim::Time),
        "min" | "minutes" => (60.0, Dim::Time),
        _ => return None,
    })
}

/// Does a comment that failed to match read as (wrong) output, or as prose?
///
/// It reads as output when it starts like a Python value (digit, quote,
/// bracket, `<`, `True`…), when it is a single word, or when at least half of
/// its words appear in the real output (`Call 1 to greet` vs `Call 2 to
/// greet`). Prose such as `Instant, even for large n` on a line printing
/// `354224848179261915075`, or `Connection closed after block` under a line
/// printing `Using Connection(db)`, is left unchecked.
pub fn looks_like_output(expected: &str, actual: &str) -> bool {
    let first = expected.chars().next().unwrap_or(' ');
    if "0123456789-+[({<'\"~.≈".contains(first) {
        return true;
    }
    if ["True", "False", "None"]
        .iter()
        .any(|w| expected.starts_with(w))
    {
        return true;
    }
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|w| w.chars().count() >= 2)
            .map(str::to_lowercase)
            .collect()
    };
    let claimed = words(expected);
    let printed = words(actual);
    // A single word stands for a single printed word (`alice` for `bob`);
    // one that shares nothing with a sentence is a note on it
    // (`ZeroDivisionError` where the code printed `Cannot divide by zero`).
    if claimed.len() <= 1 && !expected.contains(' ') {
        return actual.split_whitespace().count() <= 1
            || claimed.iter().any(|w| printed.contains(w));
    }
    // Prose may mention a word of the output; wrong output repeats most of it.
    let shared = claimed.iter().filter(|w| printed.contains(w)).count();
    shared * 2 >= claimed.len()
}

/// Does a comment on a silent expression read as its value? Only when it
/// starts like a Python value or a repr (`Point(`), or shares half its words
/// with the value; `x = 5  # int` stays prose.
pub fn looks_like_value(expected: &str, actual: &str) -> bool {
    let first = expected.chars().next().unwrap_or(' ');
    if "0123456789-+[({<'\"~.".contains(first)
        || ["True", "False", "None"]
            .iter()
            .any(|w| expected.starts_with(w))
    {
        return true;
    }
    let head = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric() && c != '_')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let same_type =
        !head(expected).is_empty() && head(expected) == head(actual) && expected.contains('(');
    // One word for a word-like value (`True`, `'Elwood'`): the value, misspelt.
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    let wordlike_value =
        word(actual.trim_matches(['\'', '"'])) && !actual.starts_with(|c: char| c.is_ascii_digit());
    same_type
        || (word(expected) && wordlike_value)
        || (expected.contains(' ') && looks_like_output(expected, actual))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(e: &str, a: &str) -> String {
        match evaluate(e, a, Shape::default()) {
            Match::Holds(r) => r.to_string(),
            other => panic!("{e:?} vs {a:?}: {other:?}"),
        }
    }

    fn verdict(e: &str, a: &str) -> Match {
        evaluate(e, a, Shape::default())
    }

    #[test]
    fn exact_ignores_trailing_whitespace_only() {
        assert_eq!(holds("<class 'type'>", "<class 'type'>\n"), "exact");
        assert_eq!(holds("a  \nb", "a\nb   \n\n"), "exact");
        assert_eq!(verdict("42", "43"), Match::Drifts);
        assert_eq!(verdict(" 42", "43"), Match::Drifts);
    }

    #[test]
    fn iterations_joined_by_comma() {
        assert_eq!(holds("1, 2, 3, 4", "1\n2\n3\n4\n"), "iterations");
        assert_eq!(verdict("1, 2, 3", "1\n2\n3\n4\n"), Match::Drifts);
    }

    #[test]
    fn commentary_after_value() {
        assert_eq!(holds("True - same instance!", "True"), "commentary");
        assert_eq!(
            holds("Connecting to db (only printed once)", "Connecting to db"),
            "commentary"
        );
        assert_eq!(holds("False (restored)", "False"), "commentary");
        assert_eq!(verdict("True - same instance!", "False"), Match::Drifts);
        assert_eq!(
            holds("a - b", "a - b"),
            "exact",
            "a dash inside the value is kept"
        );
    }

    #[test]
    fn unit_after_number() {
        assert_eq!(holds("48 bytes", "48"), "unit");
        assert_eq!(verdict("112 bytes", "200"), Match::Drifts);
    }

    #[test]
    fn ellipsis_and_literal_dots() {
        assert_eq!(
            holds("0, 2, 4, 6, ...", "0\n2\n4\n6\n8\n10"),
            "iterations+ellipsis"
        );
        assert_eq!(
            holds("[1024, 1156, 1296, ...]", "[1024, 1156, 1296, 1444, 9604]"),
            "ellipsis"
        );
        assert_eq!(holds("Loading data.txt...", "Loading data.txt..."), "exact");
        assert_eq!(holds("Loading data.txt...", "Loading data.txt"), "ellipsis");
        assert_eq!(holds("took … seconds", "took 1.00 seconds"), "ellipsis");
        assert_eq!(holds("0.…", "0.965"), "ellipsis");
        assert_eq!(
            verdict("[1024, 1157, ...]", "[1024, 1156, 1296]"),
            Match::Drifts
        );
        assert!(!ellipsis_match("ab...ba", "aba"), "pieces may not overlap");
        assert!(
            ellipsis_match("abc", "abc") && !ellipsis_match("a", "aa"),
            "no ellipsis: plain equality"
        );
    }

    #[test]
    fn approximate_within_twenty_percent() {
        assert_eq!(holds("~8MB", "8448728"), "approximate");
        assert_eq!(holds("~ 8 MiB", "8448728"), "approximate");
        assert_eq!(holds("~200 bytes", "208"), "approximate");
        assert_eq!(holds("~1.0 s", "1.1s"), "approximate");
        assert_eq!(verdict("~8MB", "12000000"), Match::Drifts);
        assert_eq!(
            verdict("~8MB", "8 s"),
            Match::Drifts,
            "dimensions must agree"
        );
        assert_eq!(
            verdict("8MB", "8448728"),
            Match::Drifts,
            "no ~, no tolerance"
        );
    }

    #[test]
    fn quoted_strings_and_other_quote_style() {
        assert_eq!(holds("\"Hello World!\"", "Hello World!"), "quoted");
        assert_eq!(
            holds("[\"Hello\", \"World!\"]", "['Hello', 'World!']"),
            "literal"
        );
        assert_eq!(holds("[\"it's\", 'a']", "[\"it's\", 'a']"), "exact");
        assert_eq!(holds("\"apple\"", "'apple'"), "literal");
        assert_eq!(holds("apple", "'apple'"), "quoted");
        assert_eq!(
            holds(r"'a\'b'", "a'b"),
            "quoted",
            "a repr of the printed str"
        );
        assert_eq!(verdict("\"Hello\"", "Hello World!"), Match::Drifts);
        assert_eq!(verdict("[\"a\", \"b\"]", "['a', 'c']"), Match::Drifts);
        assert_eq!(
            verdict("\"it's\"", "its"),
            Match::Drifts,
            "inner quote: no swapping"
        );
    }

    #[test]
    fn labels_before_the_value() {
        assert_eq!(holds("Returns 5", "5"), "label");
        assert_eq!(holds("-> [1, 2]", "[1, 2]"), "label");
        assert_eq!(holds("→ 'a'", "'a'"), "label");
        assert_eq!(verdict("Returns 6", "5"), Match::Drifts);
        let value = Shape {
            value: true,
            ..Shape::default()
        };
        assert_eq!(
            evaluate("Returns number of items", "3", value),
            Match::Unchecked
        );
    }

    #[test]
    fn values_need_to_look_like_values() {
        let value = Shape {
            value: true,
            ..Shape::default()
        };
        assert_eq!(evaluate("int", "5", value), Match::Unchecked);
        assert_eq!(evaluate("Elwoxd", "'Elwood'", value), Match::Drifts);
        assert_eq!(evaluate("yes", "True", value), Match::Drifts);
        assert_eq!(evaluate("str", "3.5", value), Match::Unchecked);
        assert_eq!(
            evaluate("Returns number of items", "3", value),
            Match::Unchecked
        );
        assert_eq!(evaluate("4", "3", value), Match::Drifts);
        assert_eq!(
            evaluate("Point(x=1, y=3)", "Point(x=1, y=2)", value),
            Match::Drifts
        );
        assert_eq!(evaluate("'pear'", "'apple'", value), Match::Drifts);
        assert!(matches!(
            evaluate("Point(x=1, y=2)", "Point(x=1, y=2)", value),
            Match::Holds(_)
        ));
    }

    /// Section 1 of issue #11: values, not characters.
    #[test]
    fn values_not_characters() {
        // normalize_whitespace
        assert_eq!(holds("  [1, 2]", "[1, 2]"), "normalize_whitespace");
        assert_eq!(holds("a   b", "a b"), "normalize_whitespace");
        assert_eq!(holds("x\ty", "x    y"), "normalize_whitespace");
        assert_eq!(verdict("  [1, 3]", "[1, 2]"), Match::Drifts);
        assert_eq!(verdict("a   b", "a c"), Match::Drifts);
        assert_eq!(
            verdict("1 2", "12"),
            Match::Drifts,
            "a run is one space, not none"
        );
        // literal
        assert_eq!(holds("['a','b']", "['a', 'b']"), "literal");
        assert_eq!(holds("{'x', 'y'}", "{'y', 'x'}"), "literal");
        assert_eq!(holds("\"kiwi\"", "'kiwi'"), "literal");
        assert_eq!(verdict("['a','b']", "['b', 'a']"), Match::Drifts);
        assert_eq!(verdict("{'x', 'y'}", "{'x', 'z'}"), Match::Drifts);
        assert_eq!(verdict("\"kiwi\"", "'kiwis'"), Match::Drifts);
        assert_eq!(
            verdict("1.0", "1"),
            Match::Drifts,
            "type changes are drifts"
        );
        // labelled_value
        assert_eq!(holds("12", "Total: 12"), "labelled_value");
        assert_eq!(holds("[1, 2]", "items = [1, 2]"), "labelled_value");
        assert_eq!(holds("'Al'", "Name: Al"), "quoted+labelled_value");
        assert_eq!(verdict("13", "Total: 12"), Match::Drifts);
        assert_eq!(verdict("[1, 2]", "items = [1, 3]"), Match::Drifts);
        assert_eq!(verdict("3.5", "Mean: 3.25"), Match::Drifts);
        // address
        let obj = "<__main__.A object at 0x7f3a2b1c0d90>";
        assert_eq!(
            holds("<__main__.A object at 0x7f0000000000>", obj),
            "address"
        );
        assert_eq!(
            holds("[<A at 0x10ab34cd0>]", "[<A at 0x7fab34cd0e12>]"),
            "address"
        );
        assert_eq!(holds("0x55d0c0ffee00", "0x7f3a2b1c0d90"), "address");
        assert_eq!(
            verdict("<__main__.B object at 0x7f0000000000>", obj),
            Match::Drifts
        );
        assert_eq!(
            verdict("0xff", "0xfe"),
            Match::Drifts,
            "hex values are values"
        );
        assert_eq!(
            verdict("[<A at 0x10ab34cd0>, 1]", "[<A at 0x7fab34cd0e12>, 2]"),
            Match::Drifts
        );
    }

    #[test]
    fn ranges_hold_numbers_within_them() {
        assert_eq!(holds("1-10", "7"), "range");
        assert_eq!(holds("0.5 to 1.5", "1.2"), "range");
        assert_eq!(holds("1 – 6", "6"), "range");
        assert_eq!(verdict("1-10", "11"), Match::Drifts);
        assert_eq!(verdict("0.5 to 1.5", "0.4"), Match::Drifts);
        assert_eq!(verdict("10-1", "5"), Match::Drifts, "bounds in order");
    }

    #[test]
    fn ansi_colour_codes_are_not_text() {
        assert_eq!(holds("ok", "\x1b[32mok\x1b[0m"), "ansi");
        assert_eq!(holds("[1, 2]", "\x1b[1m[1, 2]\x1b[0m"), "ansi");
        assert_eq!(holds("a b", "\x1b[2ma\x1b[0m b"), "ansi");
        assert_eq!(verdict("ok", "\x1b[32mno\x1b[0m"), Match::Drifts);
        assert_eq!(verdict("[1, 2]", "\x1b[1m[1, 3]\x1b[0m"), Match::Drifts);
        assert_eq!(verdict("a b", "\x1b[2ma\x1b[0m c"), Match::Drifts);
    }

    /// Section 2 of issue #11: a value part and prose; only the value counts.
    #[test]
    fn value_and_commentary() {
        let cases = [
            ("2, its first position", "2", "5"),
            ("False, because it starts with a digit", "False", "True"),
            ("[1, 2], not what we wanted", "[1, 2]", "[1, 3]"),
            ("sorted by name, ['a', 'b']", "['a', 'b']", "['a', 'c']"),
            ("3 (the length)", "3", "4"),
            ("3 - the length", "3", "4"),
            ("{...} - the order may differ", "{'a': 1}", "[1]"),
            ("set() : the difference", "set()", "{1}"),
        ];
        for (claim, good, bad) in cases {
            assert!(
                matches!(verdict(claim, good), Match::Holds(_)),
                "{claim} vs {good}"
            );
            assert_eq!(verdict(claim, bad), Match::Drifts, "{claim} vs {bad}");
        }
        assert_eq!(
            split_value("2, its first position"),
            Some(("2", "its first position"))
        );
        assert_eq!(split_value("1, 2, 3"), None, "all value");
        assert_eq!(
            verdict("Alice, Bob", "Alice"),
            Match::Drifts,
            "two values, not commentary"
        );
        assert_eq!(verdict("1, 2, 3", "1"), Match::Drifts);
    }

    #[test]
    fn words_that_share_nothing_with_a_sentence_are_prose() {
        assert_eq!(
            verdict("ZeroDivisionError", "Cannot divide by zero"),
            Match::Unchecked
        );
        assert_eq!(verdict("KeyError", "missing key: 'x'"), Match::Unchecked);
        assert_eq!(
            verdict("fallback", "Using the default value"),
            Match::Unchecked
        );
        assert_eq!(verdict("alice", "bob"), Match::Drifts);
        assert_eq!(
            verdict("Error", "Error: bad"),
            Match::Drifts,
            "shares a word"
        );
        assert_eq!(
            verdict("'divide'", "Cannot divide by zero"),
            Match::Drifts,
            "a literal"
        );
        assert_eq!(verdict("42", "Cannot divide by zero"), Match::Drifts);
    }

    #[test]
    fn whitespace_for_wrapped_claims() {
        let shape = Shape {
            multiline: true,
            ..Shape::default()
        };
        let e = "{'A': <class '__main__.A'>,\n 'B': <class '__main__.B'>}";
        let a = "{'A': <class '__main__.A'>, 'B': <class '__main__.B'>}";
        assert!(matches!(evaluate(e, a, shape), Match::Holds(r) if r.to_string() == "whitespace"));
        assert_eq!(
            evaluate(e, a, Shape::default()),
            Match::Drifts,
            "single-line claims keep spacing"
        );
        assert_eq!(
            evaluate("{'A': 1,\n 'B': 3}", "{'A': 1, 'B': 2}", shape),
            Match::Drifts
        );
    }

    #[test]
    fn prose_is_unchecked_and_values_drift() {
        assert_eq!(
            verdict("Loads now", "Loading data from data.txt..."),
            Match::Unchecked
        );
        assert_eq!(
            verdict("Instant, even for large n", "354224848179261915075"),
            Match::Unchecked
        );
        assert_eq!(verdict("Call 1 to greet", "Call 2 to greet"), Match::Drifts);
        assert_eq!(
            verdict(
                "Connection automatically closed after block",
                "Using Connection(db)"
            ),
            Match::Unchecked
        );
        assert_eq!(verdict("Hello World", "Goodbye World"), Match::Drifts);
        assert_eq!(
            verdict("alice", "bob"),
            Match::Drifts,
            "a single word is a value"
        );
        assert_eq!(verdict("'x'", "y"), Match::Drifts);
        assert_eq!(verdict("None", "0"), Match::Drifts);
        let explicit = Shape {
            explicit: true,
            ..Shape::default()
        };
        assert_eq!(evaluate("Loads now", "Loading", explicit), Match::Drifts);
    }
}
