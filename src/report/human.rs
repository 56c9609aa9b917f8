//! The terminal report: one line per example, and for each drift a diff that
//! points at the guide's line.

use std::fmt::Write as _;
use std::path::Path;

use similar::{ChangeTag, TextDiff};

use crate::check::{DocumentReport, Report};
use crate::snapshot::SnapshotCheck;
use crate::verdict::{ClaimVerdict, ExampleVerdict, Status, Verdict};

/// Whether to list claims that were not checked (prose comments).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub verbose: bool,
}

/// The whole report, ending in a one-line summary.
pub fn render(report: &Report, options: Options) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "snipcheck {} · embedded CPython {}",
        env!("CARGO_PKG_VERSION"),
        report.python
    );
    for doc in &report.documents {
        for example in &doc.examples {
            out.push_str(&example_line(example, &doc.path));
            out.push_str(&indent(&details(example, doc, options)));
        }
    }
    out.push_str(&summary_line(report));
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// `PASS   doc::section::1  guide/doc.md:12`
pub fn example_line(example: &ExampleVerdict, path: &Path) -> String {
    let status = example.status.name().to_uppercase();
    let mut line = format!(
        "{status:<7} {}  {}:{}",
        example.example.id,
        path.display(),
        example.example.fence_line
    );
    if let Some(reason) = &example.example.skip {
        let _ = write!(line, "  ({reason})");
    }
    line.push('\n');
    line
}

/// Why an example did not pass: errors, drifting claims with a diff, a
/// snapshot diff. This is also the message of a failing `cargo test`.
pub fn details(example: &ExampleVerdict, doc: &DocumentReport, options: Options) -> String {
    let path = doc.path.as_path();
    let mut out = String::new();
    if let Some(stop) = &example.interrupted {
        let _ = writeln!(out, "{}: {}", example.status.name(), stop.message);
        let line = stop.line.unwrap_or(example.example.fence_line);
        let _ = writeln!(out, "  --> {}:{line}", path.display());
    }
    if let Some(error) = &example.error {
        let line = error
            .line
            .map(|l| format!("{}:{l}", path.display()))
            .unwrap_or_else(|| path.display().to_string());
        let _ = writeln!(out, "error: {}: {}", error.type_name, error.message);
        let _ = writeln!(out, "  --> {line}");
        if let Some(l) = error.line {
            out.push_str(&source_lines(&doc.source, &[l]));
        }
    }
    for claim in example.drifts() {
        out.push_str(&claim_diff(claim, doc));
    }
    if let SnapshotCheck::Differs {
        path: snap,
        expected,
    } = &example.snapshot
    {
        let _ = writeln!(out, "snapshot differs: {}", snap.display());
        out.push_str(&unified(
            expected,
            &crate::snapshot::normalize(&example.stdout, ""),
        ));
        let _ = writeln!(
            out,
            "  (accept with `cargo insta review` after `cargo test`)"
        );
    }
    if example.truncated {
        let _ = writeln!(
            out,
            "note: output cut at the configured limit ([run] max_output)"
        );
    }
    if options.verbose {
        for claim in example
            .claims
            .iter()
            .filter(|c| c.verdict != Verdict::Drifts)
        {
            let rule = claim
                .rule
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{}:{}: {} {}{rule}: {}",
                path.display(),
                claim.claim.line,
                claim.claim.kind.name(),
                claim.verdict.name(),
                claim.claim.expected.replace('\n', "⏎")
            );
        }
    }
    out
}

fn claim_diff(claim: &ClaimVerdict, doc: &DocumentReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "drift: {} claim does not match what CPython printed",
        claim.claim.kind.name()
    );
    let _ = writeln!(out, "  --> {}:{}", doc.path.display(), claim.claim.line);
    out.push_str(&source_lines(&doc.source, &claim.claim.lines));
    out.push_str(&unified(&claim.claim.expected, &claim.actual));
    out
}

/// The guide lines, numbered as in the file.
fn source_lines(source: &str, lines: &[usize]) -> String {
    let width = lines.iter().max().map(|l| l.to_string().len()).unwrap_or(1);
    let mut out = format!("{:width$} |\n", "");
    let numbered = source.lines().enumerate().map(|(i, text)| (i + 1, text));
    for (number, text) in numbered.filter(|(n, _)| lines.contains(n)) {
        let _ = writeln!(out, "{number:width$} | {text}");
    }
    let _ = writeln!(out, "{:width$} |", "");
    out
}

/// `- expected` / `+ actual`, line by line.
fn unified(expected: &str, actual: &str) -> String {
    let (expected, actual) = (
        expected.trim_end_matches('\n'),
        actual.trim_end_matches('\n'),
    );
    let mut out = String::new();
    if !expected.contains('\n') && !actual.contains('\n') {
        let _ = writeln!(out, "- expected: {expected}");
        let _ = writeln!(out, "+ actual:   {actual}");
        return out;
    }
    let _ = writeln!(out, "--- expected (guide)\n+++ actual (CPython)");
    for change in TextDiff::from_lines(expected, actual).iter_all_changes() {
        let sign = match change.tag() {
            ChangeTag::Delete => '-',
            ChangeTag::Insert => '+',
            ChangeTag::Equal => ' ',
        };
        let _ = writeln!(out, "{sign} {}", change.value().trim_end_matches('\n'));
    }
    out
}

/// `38 examples: 36 pass, 1 drift, 1 error, 0 skipped in 0.12 s` (timeouts
/// and crashes are named only when there are some).
pub fn summary_line(report: &Report) -> String {
    let s = report.summary();
    let mut counts = format!("{} pass, {} drift, {} error", s.pass, s.drift, s.error);
    for (n, name) in [(s.timeout, "timeout"), (s.crash, "crash")] {
        if n > 0 {
            let _ = write!(counts, ", {n} {name}");
        }
    }
    format!(
        "{} examples: {counts}, {} skipped in {:.2} s\n",
        s.examples,
        s.skipped,
        report.elapsed.as_secs_f64()
    )
}

/// Whether an example needs a closer look in the report.
pub fn is_failure(example: &ExampleVerdict) -> bool {
    matches!(
        example.status,
        Status::Drift | Status::Error | Status::Timeout | Status::Crash
    )
}
