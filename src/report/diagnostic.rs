//! How a failing example reads as text: rustc-style diagnostics on the
//! guide's lines and `- expected` / `+ actual` diffs. The human report
//! shows them under each example; JUnit and Markdown quote them, and
//! `snipcheck review` shows the diff, so they live here rather than in
//! any one format.
//!
//! Everything that comes from a guide or a run goes through [`visible`].

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

use super::model::{ClaimKind, ClaimVerdict, ExampleVerdict, PyError, SnapshotCheck, Verdict};
use super::{DocumentReport, visible};

/// How the terminal report is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Also list the claims that hold and the comments left unchecked.
    pub verbose: bool,
    /// ANSI colours (only on a terminal, and never with `NO_COLOR` set).
    pub color: bool,
}

/// `--color`: when the human report is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    Always,
    Never,
}

impl Options {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    pub fn for_terminal(verbose: bool) -> Options {
        use std::io::IsTerminal;
        Options::new(verbose, ColorChoice::Auto, std::io::stdout().is_terminal())
    }

    /// `terminal`: whether the stream the report goes to is one.
    pub fn new(verbose: bool, color: ColorChoice, terminal: bool) -> Options {
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Options { verbose, color }
    }
}

/// Why an example did not pass: errors, drifting claims with a diff, a
/// snapshot diff. This is also the message of a failing `cargo test`.
pub fn details(example: &ExampleVerdict, doc: &DocumentReport, options: Options) -> String {
    let path = doc.path.as_path();
    let mut out = String::new();
    if let Some(stop) = &example.interrupted {
        let line = stop.line.unwrap_or(example.example.fence_line);
        out.push_str(&annotated(
            doc,
            example.status.name(),
            &stop.message,
            &[line],
            "here",
            options,
        ));
    }
    if let Some(error) = &example.error {
        let title = format!("{}: {}", error.type_name, error.message);
        match error.line {
            Some(line) => out.push_str(&annotated(
                doc,
                "error",
                &title,
                &[line],
                "raised here",
                options,
            )),
            None => {
                let _ = writeln!(
                    out,
                    "error: {}\n  --> {}",
                    visible(&title),
                    visible(&path.display().to_string())
                );
            }
        }
        if let Some(missing) = &error.missing {
            let _ = writeln!(out, "  = help: {}", visible(&missing.help()));
        }
    }
    if example.error.as_ref().is_some_and(refused_by_the_kernel) {
        let _ = writeln!(
            out,
            "note: refused by the sandbox (seccomp): examples may not start processes, \
             use the network or signal other processes (see SECURITY.md)"
        );
    }
    for claim in example.drifts() {
        out.push_str(&claim_diff(claim, doc, options));
    }
    match &example.snapshot {
        SnapshotCheck::Differs {
            path: snap,
            expected,
            ..
        } => {
            let _ = writeln!(out, "snapshot differs: {}", shown(snap));
            out.push_str(&unified(
                expected,
                &doc.snapshot_text(example),
                "snapshot",
                options,
            ));
            let _ = writeln!(
                out,
                "  (accept with `snipcheck review` or `cargo insta review`)"
            );
        }
        SnapshotCheck::New {
            pending: Some(proposed),
            ..
        } => {
            let _ = writeln!(
                out,
                "new snapshot: {} (accept with `snipcheck review` or `cargo insta review`)",
                shown(proposed)
            );
        }
        SnapshotCheck::New { path, .. } => {
            let _ = writeln!(
                out,
                "snapshot missing: {} (nothing is written under CI=true: run `snipcheck check` \
                 without it to propose one, then `snipcheck review`)",
                shown(path)
            );
        }
        _ => {}
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
                visible(&path.display().to_string()),
                claim.claim.line,
                claim.claim.kind.name(),
                claim.verdict.name(),
                visible(&claim.claim.expected.replace('\n', "⏎"))
            );
        }
    }
    out
}

/// `PermissionError: [Errno 1] Operation not permitted`: `EPERM`, the
/// seccomp filter's answer (Landlock's is `EACCES`, "Permission denied").
fn refused_by_the_kernel(error: &PyError) -> bool {
    error.type_name == "PermissionError" && error.message.starts_with("[Errno 1] ")
}

fn claim_diff(claim: &ClaimVerdict, doc: &DocumentReport, options: Options) -> String {
    let title = format!(
        "{} claim does not match what CPython printed",
        claim.claim.kind.name()
    );
    let actual = claim.actual.trim_end_matches('\n');
    let label = if actual.contains('\n') || claim.claim.is_multiline() {
        "the guide says this; CPython printed what the diff shows".to_string()
    } else {
        let verb = if claim.claim.kind == ClaimKind::Raises {
            "raised"
        } else {
            "printed"
        };
        format!("CPython {verb} `{actual}`")
    };
    let mut out = annotated_at(
        doc,
        "drift",
        &title,
        &claim.claim.lines,
        Some(&claim.claim.expected),
        &label,
        options,
    );
    out.push_str(&unified(
        &claim.claim.expected,
        &claim.actual,
        "guide",
        options,
    ));
    out
}

/// A rustc-style diagnostic on guide lines, drawn by annotate-snippets: the
/// lines (and the one before, for context) with `lines` underlined.
fn annotated(
    doc: &DocumentReport,
    id: &str,
    title: &str,
    lines: &[usize],
    label: &str,
    options: Options,
) -> String {
    annotated_at(doc, id, title, lines, None, label, options)
}

/// Same, underlining only `claim` when it ends its (single) line.
fn annotated_at(
    doc: &DocumentReport,
    id: &str,
    title: &str,
    lines: &[usize],
    claim: Option<&str>,
    label: &str,
    options: Options,
) -> String {
    use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
    let (Some(&first), Some(&last)) = (lines.iter().min(), lines.iter().max()) else {
        return String::new();
    };
    let start = first.saturating_sub(1).max(1);
    let lines: Vec<String> = doc
        .source
        .lines()
        .skip(start - 1)
        .take(last + 1 - start)
        .map(|line| visible(line).into_owned())
        .collect();
    let text: Vec<&str> = lines.iter().map(String::as_str).collect();
    let source = text.join("\n");
    let (title, label) = (visible(title), visible(label));
    let claim = claim.map(visible);
    let claim = claim.as_deref();
    // Underline the claim itself: from its first non-blank byte to the end.
    let offset: usize = text[..first - start].iter().map(|l| l.len() + 1).sum();
    let first_text = text.get(first - start).copied().unwrap_or("");
    let end = source.trim_end().len();
    let span = match claim
        .filter(|c| first == last && !c.is_empty() && first_text.trim_end().ends_with(c))
    {
        Some(c) => {
            offset + first_text.trim_end().len() - c.len()..offset + first_text.trim_end().len()
        }
        None => {
            let span_start = offset + (first_text.len() - first_text.trim_start().len());
            span_start..end.max(span_start)
        }
    };
    let path = visible(&doc.path.display().to_string()).into_owned();
    let report = &[Level::ERROR.primary_title(&*title).id(id).element(
        Snippet::source(&source)
            .line_start(start)
            .path(&path)
            .fold(false)
            .annotation(AnnotationKind::Primary.span(span).label(&*label)),
    )];
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    format!("{}\n", renderer.render(report))
}

/// `- expected` / `+ actual`, line by line (red and green in colour);
/// `source` says where the expected text comes from (the guide, a snapshot).
pub fn unified(expected: &str, actual: &str, source: &str, options: Options) -> String {
    let (expected, actual) = (visible(expected), visible(actual));
    let (expected, actual) = (
        expected.trim_end_matches('\n'),
        actual.trim_end_matches('\n'),
    );
    let mut out = String::new();
    let paint = |sign: char, text: &str| match (options.color, sign) {
        (true, '-') => format!("\x1b[31m{text}\x1b[0m"),
        (true, '+') => format!("\x1b[32m{text}\x1b[0m"),
        _ => text.to_string(),
    };
    if !expected.contains('\n') && !actual.contains('\n') {
        let _ = writeln!(out, "{}", paint('-', &format!("- expected: {expected}")));
        let _ = writeln!(out, "{}", paint('+', &format!("+ actual:   {actual}")));
        return out;
    }
    let _ = writeln!(out, "--- expected ({source})\n+++ actual (CPython)");
    for change in TextDiff::from_lines(expected, actual).iter_all_changes() {
        let sign = match change.tag() {
            ChangeTag::Delete => '-',
            ChangeTag::Insert => '+',
            ChangeTag::Equal => ' ',
        };
        let line = format!("{sign} {}", change.value().trim_end_matches('\n'));
        let _ = writeln!(out, "{}", paint(sign, &line));
    }
    out
}

/// A path as every report prints it (see [`crate::paths`]), made visible.
fn shown(path: &std::path::Path) -> String {
    visible(&crate::paths::shown(path).display().to_string()).into_owned()
}
