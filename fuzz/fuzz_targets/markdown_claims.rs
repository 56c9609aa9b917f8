//! Markdown extraction + claim parsing (+ the matching rules), on arbitrary
//! input. Never calls into Python.
//!
//! Besides "does not panic", it checks invariants that must hold for any
//! input: line numbers of examples and claims point into the guide, ids are
//! unique, the lexer's columns are in range, each code and output line is the
//! text of the guide line it is numbered with, and a claim always matches
//! itself. There is no relaxed mode: every check always runs.
//! `SNIPCHECK_FUZZ_DEBUG=1` prints what was parsed, for reproducing a crash.

#![no_main]

use std::collections::HashSet;
use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use snipcheck::claim::{self, Claim, ClaimKind};
use snipcheck::expect::{self, Match, Shape};
use snipcheck::markdown::Document;
use snipcheck::pysource;

fuzz_target!(|data: &[u8]| {
    // `Document::load` rejects invalid UTF-8; a lossy decode keeps every input useful.
    let source = String::from_utf8_lossy(data).into_owned();

    // The lexer and the claim parser on the raw text too, not only on code
    // that made it through pulldown-cmark.
    check_lines(&source);
    check_claims(&source, 1);

    let doc = Document::parse(Path::new("fuzz.md"), source.clone());
    assert_eq!(doc.name, "fuzz");
    if *DEBUG {
        for ex in &doc.examples {
            eprintln!("{ex:#?}\n{:#?}", claim::parse(ex));
        }
    }
    // The guide's lines as the user (and CPython) count them, from the input
    // itself rather than from `doc.source`: BOM removed, and LF, CRLF and a
    // lone CR each end a line.
    let src_lines = guide_lines(&source);

    let mut ids = HashSet::new();
    for ex in &doc.examples {
        assert!(ids.insert(ex.id.as_str()), "duplicate example id {}", ex.id);
        assert!(ex.ordinal >= 1);
        assert_eq!(
            ex.id,
            format!("{}::{}::{}", doc.name, ex.section, ex.ordinal)
        );
        assert!(
            ex.fence_line >= 1,
            "fence_line {} is not 1-based",
            ex.fence_line
        );
        assert!(
            ex.fence_line <= src_lines.len(),
            "fence_line {} past the end ({} lines)",
            ex.fence_line,
            src_lines.len()
        );

        // `lines()` numbers are consecutive from the line after the fence.
        let lines: Vec<(usize, &str)> = ex.lines().collect();
        for (i, (n, _)) in lines.iter().enumerate() {
            assert_eq!(*n, ex.fence_line + 1 + i, "Example::lines not consecutive");
        }
        let first = ex.first_line();
        let last = ex.fence_line + lines.len(); // == first - 1 when there is no code
        assert!(
            last <= src_lines.len(),
            "{}: code runs to line {last}, the guide has {}",
            ex.id,
            src_lines.len()
        );
        // Each code line really is on the guide line it is numbered with.
        for &(n, text) in &lines {
            assert_on_guide_line(&src_lines, n, text, &ex.id);
        }

        // `parse` = the code's claims (none for a `>>>` session, where
        // doctest makes them) + the claim of its output block, if any.
        let claims = claim::parse(ex);
        let in_code = claim::parse_code(&ex.code, first);
        let (blocks, from_code): (Vec<Claim>, Vec<Claim>) = claims
            .into_iter()
            .partition(|c| c.kind == ClaimKind::OutputBlock);
        if ex.is_session() || !ex.is_checked() {
            // setup/cleanup code only runs: no claims.
            assert!(from_code.is_empty());
        } else {
            assert_eq!(
                from_code, in_code,
                "claim::parse and claim::parse_code disagree"
            );
        }
        check_claim_set(&in_code, first, last, &ex.code);
        assert_eq!(blocks.len(), usize::from(ex.output_block.is_some()));
        for b in &blocks {
            let block = ex.output_block.as_ref().unwrap();
            assert_eq!((b.line, &b.expected), (block.line, &block.text));
            check_lines_field(b);
            assert_eq!(b.anchor, b.line);
            assert!(
                b.line > last + 1,
                "{}: output block inside its example: {b:?}",
                ex.id
            );
            assert!(
                *b.lines.last().unwrap() <= src_lines.len(),
                "{}: output block runs past the guide's {} lines: {b:?}",
                ex.id,
                src_lines.len()
            );
            for (i, text) in b.expected.lines().enumerate() {
                assert_on_guide_line(&src_lines, b.line + i, text, &ex.id);
            }
        }
    }
});

/// `pysource::lines`: one entry per `str::lines` line, columns in range.
fn check_lines(code: &str) {
    let lines = pysource::lines(code);
    let raw: Vec<&str> = code.lines().collect();
    assert_eq!(lines.len(), raw.len());
    for (l, r) in lines.iter().zip(&raw) {
        assert_eq!(l.text, *r);
        assert!(l.indent <= l.text.len());
        assert!(l.comment_col <= l.text.len());
        match l.comment {
            Some(c) => {
                assert_eq!(l.text.as_bytes()[l.comment_col], b'#');
                assert!(l.comment_col >= l.indent);
                assert!(l.text[l.comment_col..].contains(c));
            }
            None => assert_eq!(l.comment_col, l.text.len()),
        }
        if l.is_blank() {
            assert!(
                l.text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\x0c')),
                "blank line with content: {:?}",
                l.text
            );
        }
    }
}

/// `claim::parse_code` at two offsets: same claims, shifted; invariants hold.
fn check_claims(code: &str, first_line: usize) {
    let claims = claim::parse_code(code, first_line);
    let n = code.lines().count();
    check_claim_set(&claims, first_line, first_line + n - 1, code); // first_line >= 1
    let shifted = claim::parse_code(code, first_line + 1000);
    assert_eq!(claims.len(), shifted.len());
    for (a, b) in claims.iter().zip(&shifted) {
        assert_eq!(a.kind, b.kind);
        assert_eq!(a.expected, b.expected);
        assert_eq!(a.line + 1000, b.line);
        assert_eq!(a.anchor + 1000, b.anchor);
        assert_eq!(
            a.lines.iter().map(|l| l + 1000).collect::<Vec<_>>(),
            b.lines
        );
    }
}

/// Claims of code spanning guide lines `first..=last` (`last < first`: no code).
fn check_claim_set(claims: &[Claim], first: usize, last: usize, code: &str) {
    let code_lines: Vec<&str> = code.lines().collect();
    let mut prev_end = 0;
    for (k, c) in claims.iter().enumerate() {
        check_lines_field(c);
        assert!(
            first <= c.line && *c.lines.last().unwrap() <= last,
            "claim lines {:?} outside the code's lines {first}..={last}",
            c.lines
        );
        assert!(
            c.line > prev_end,
            "claims overlap or are out of order: {claims:?}"
        );
        let before = prev_end;
        prev_end = *c.lines.last().unwrap();
        assert!(first <= c.anchor && c.anchor <= c.line, "{c:?}");
        // `if`, not `match`: more kinds may come.
        if c.kind == ClaimKind::Trailing {
            assert_eq!(c.lines.len(), 1);
            assert_eq!(c.anchor, c.line);
        }
        if c.kind == ClaimKind::Output {
            // since 351ce4a an `# Output:` claim's
            // anchor is the first statement it covers, back to the previous
            // claim or a blank line.
            assert!(c.anchor > before && c.anchor <= c.line, "{c:?}");
        }
        if c.kind == ClaimKind::Below {
            assert!(c.anchor < c.line);
        }
        assert_eq!(c.is_multiline(), c.lines.len() > 1);

        // The matching rules, on text the input controls.
        let shape = Shape {
            multiline: c.is_multiline(),
            explicit: c.kind == ClaimKind::Output,
            value: c.may_be_a_value(),
            ignore_whitespace: false,
        };
        let anchor_text = code_lines[c.anchor - first];
        let next = claims.get(k + 1).map_or("", |n| n.expected.as_str());
        for actual in [anchor_text, next, c.expected.as_str()] {
            let _ = expect::evaluate(&c.expected, actual, shape);
            let _ = expect::evaluate(&c.expected, actual, Shape { ignore_whitespace: true, ..shape });
            // Called directly too, with or without an ellipsis in `expected`.
            let _ = expect::ellipsis_match(&c.expected, actual);
            let _ = expect::looks_like_output(&c.expected, actual);
        }
        // A claim always matches its own text exactly (unless it is blank).
        if !tidy_is_empty(&c.expected) {
            match expect::evaluate(&c.expected, &c.expected, shape) {
                Match::Holds(rules) => assert_eq!(rules.to_string(), "exact", "{c:?}"),
                other => panic!("{:?} does not match itself: {other:?}", c.expected),
            }
        }
    }
}

/// `lines` non-empty, consecutive, starting at `line`.
fn check_lines_field(c: &Claim) {
    assert!(!c.lines.is_empty(), "claim with no lines: {c:?}");
    assert_eq!(c.lines[0], c.line, "{c:?}");
    assert!(
        c.lines.windows(2).all(|w| w[1] == w[0] + 1),
        "lines not consecutive: {c:?}"
    );
}

/// `text` (a code or output line) is on guide line `n`: container prefixes
/// (`> `, list indentation) come before it, so it is a suffix of that line.
/// Tabs may be expanded by the parser and NUL becomes U+FFFD, so lines with
/// either are only checked to exist.
fn assert_on_guide_line(src_lines: &[&str], n: usize, text: &str, id: &str) {
    assert!(
        (1..=src_lines.len()).contains(&n),
        "{id}: line {n} of {text:?} is outside the guide's {} lines",
        src_lines.len()
    );
    let guide = src_lines[n - 1];
    // phmdoctest's `phmdoctest:pass` runs the line as `pass` (its other
    // inline command leaves a blank line, which any line ends with).
    let rewritten = text.trim() == "pass" && guide.ends_with("phmdoctest:pass");
    if !rewritten && !guide.contains(['\t', '\0']) && !text.contains(['\t', '\u{fffd}']) {
        assert!(
            guide.ends_with(text),
            "{id}: {text:?} is numbered line {n}, but the guide's line {n} is {guide:?}"
        );
    }
}

/// `source` without its BOM, split at every LF, CRLF and lone CR (so the
/// text after the last line ending is one more line, empty or not).
fn guide_lines(source: &str) -> Vec<&str> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut lines = Vec::new();
    let mut rest = source;
    while let Some(i) = rest.find(['\n', '\r']) {
        lines.push(&rest[..i]);
        let ending = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + ending..];
    }
    lines.push(rest);
    lines
}

static DEBUG: LazyLock<bool> = LazyLock::new(|| std::env::var_os("SNIPCHECK_FUZZ_DEBUG").is_some());

fn tidy_is_empty(text: &str) -> bool {
    text.lines().all(|l| l.trim_end().is_empty())
}
