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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Exact => "exact",
            Rule::Iterations => "iterations",
            Rule::Commentary => "commentary",
            Rule::Unit => "unit",
            Rule::Quoted => "quoted",
            Rule::Quotes => "quotes",
            Rule::Label => "label",
            Rule::Ellipsis => "ellipsis",
            Rule::Approximate => "approximate",
            Rule::Whitespace => "whitespace",
        }
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
}

/// Compares a claim with the output of the code it speaks about.
pub fn check(expected: &str, actual: &str, shape: Shape) -> Match {
    let expected = tidy(expected);
    let actual = tidy(actual);
    if let Some(rules) = find_rules(&expected, &actual, shape) {
        return Match::Holds(Rules(rules));
    }
    // `Returns 6` reads as a value as much as `6` does.
    let core = LABELS
        .iter()
        .find_map(|l| expected.strip_prefix(l))
        .unwrap_or(&expected);
    let looks = if shape.value {
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

/// The claim as written, then with commentary or a unit taken off.
fn expected_readings(expected: &str) -> Vec<(String, Vec<Rule>)> {
    let mut out = vec![(expected.to_string(), vec![])];
    if let Some(rest) = LABELS.iter().find_map(|l| expected.strip_prefix(l)) {
        out.push((rest.trim_start().to_string(), vec![Rule::Label]));
    }
    for (i, _) in expected.match_indices(" - ") {
        out.push((expected[..i].trim_end().to_string(), vec![Rule::Commentary]));
    }
    if expected.ends_with(')') {
        for (i, _) in expected.match_indices(" (") {
            out.push((expected[..i].trim_end().to_string(), vec![Rule::Commentary]));
        }
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
    out
}

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
    if let Some(inner) = unquote(actual) {
        out.push((inner.to_string(), vec![Rule::Quoted]));
    }
    if actual.contains('\n') {
        let joined: Vec<&str> = actual.lines().collect();
        out.push((joined.join(", "), vec![Rule::Iterations]));
    }
    out
}

fn compare(e: &str, a: &str, shape: Shape) -> Option<Rule> {
    if e == a {
        return Some(Rule::Exact);
    }
    if (e.contains("...") || e.contains('…')) && ellipsis_match(e, a) {
        return Some(Rule::Ellipsis);
    }
    if approximately(e, a) {
        return Some(Rule::Approximate);
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
    let expected = expected.replace('…', "...");
    let pieces: Vec<&str> = expected.split("...").collect();
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
    if claimed.len() <= 1 && !expected.contains(' ') {
        return true;
    }
    // Prose may mention a word of the output; wrong output repeats most of it.
    let printed = words(actual);
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
    same_type || (expected.contains(' ') && looks_like_output(expected, actual))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(e: &str, a: &str) -> String {
        match check(e, a, Shape::default()) {
            Match::Holds(r) => r.to_string(),
            other => panic!("{e:?} vs {a:?}: {other:?}"),
        }
    }

    fn verdict(e: &str, a: &str) -> Match {
        check(e, a, Shape::default())
    }

    #[test]
    fn exact_ignores_trailing_whitespace_only() {
        assert_eq!(holds("<class 'type'>", "<class 'type'>\n"), "exact");
        assert_eq!(holds("a  \nb", "a\nb   \n\n"), "exact");
        assert_eq!(verdict("42", "43"), Match::Drifts);
        assert_eq!(
            verdict(" 42", "42"),
            Match::Drifts,
            "leading space is part of output"
        );
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
            "quotes"
        );
        assert_eq!(holds("\"apple\"", "'apple'"), "quoted");
        assert_eq!(holds("apple", "'apple'"), "quoted");
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
            check("Returns number of items", "3", value),
            Match::Unchecked
        );
    }

    #[test]
    fn values_need_to_look_like_values() {
        let value = Shape {
            value: true,
            ..Shape::default()
        };
        assert_eq!(check("int", "5", value), Match::Unchecked);
        assert_eq!(
            check("Returns number of items", "3", value),
            Match::Unchecked
        );
        assert_eq!(check("4", "3", value), Match::Drifts);
        assert_eq!(
            check("Point(x=1, y=3)", "Point(x=1, y=2)", value),
            Match::Drifts
        );
        assert_eq!(check("'pear'", "'apple'", value), Match::Drifts);
        assert!(matches!(
            check("Point(x=1, y=2)", "Point(x=1, y=2)", value),
            Match::Holds(_)
        ));
    }

    #[test]
    fn whitespace_for_wrapped_claims() {
        let shape = Shape {
            multiline: true,
            ..Shape::default()
        };
        let e = "{'A': <class '__main__.A'>,\n 'B': <class '__main__.B'>}";
        let a = "{'A': <class '__main__.A'>, 'B': <class '__main__.B'>}";
        assert!(matches!(check(e, a, shape), Match::Holds(r) if r.to_string() == "whitespace"));
        assert_eq!(
            check(e, a, Shape::default()),
            Match::Drifts,
            "single-line claims keep spacing"
        );
        assert_eq!(
            check("{'A': 1,\n 'B': 3}", "{'A': 1, 'B': 2}", shape),
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
        assert_eq!(check("Loads now", "Loading", explicit), Match::Drifts);
    }
}
