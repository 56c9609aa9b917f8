//! A Markdown summary for a CI job page (`$GITHUB_STEP_SUMMARY`).
//!
//! A heading with the totals and the embedded CPython; then either a table
//! of the examples that did not pass, each followed by a collapsed
//! `<details>` block with the terminal's diff, or, when everything passes,
//! a table of counts per document. No timings, so the text is the same from
//! run to run.
//!
//! Text from a guide or a run appears only in code spans, fenced blocks
//! longer than any backtick run in it, or HTML-escaped: an example cannot
//! add a link, an image or markup to the summary.

use std::fmt::Write as _;

use super::model::{ExampleVerdict, SnapshotCheck, Status};
use super::{
    DocumentReport, Options, Report, Run, Summary, Writer, counts, details, exception, is_failure,
    visible,
};

/// Longest text a table cell quotes from a claim or its output.
const CELL_CHARS: usize = 60;
/// Longest exception text a table cell quotes.
const ERROR_CHARS: usize = 120;

/// The summary as GitHub-flavoured Markdown.
pub fn render(report: &Report) -> String {
    super::write_all(Box::new(Markdown::default()), report)
}

/// The summary as documents finish. Which table it shows depends on the
/// end (whether anything failed), so it keeps both, each small: a row of
/// counts per document, and a row and a `<details>` block per failure.
#[derive(Default)]
pub struct Markdown {
    /// `| document | examples | pass | skipped |` rows.
    per_document: String,
    /// `| status | example | where | reason |` rows.
    failure_rows: String,
    /// A collapsed diff per failure.
    failure_details: String,
}

impl Writer for Markdown {
    fn document(&mut self, doc: &DocumentReport) {
        let count = |status| doc.examples.iter().filter(|e| e.status == status).count();
        let _ = writeln!(
            self.per_document,
            "| {} | {} | {} | {} |",
            code(&doc.path.display().to_string()),
            doc.examples.len(),
            count(Status::Pass),
            count(Status::Skipped)
        );
        for example in doc.examples.iter().filter(|e| is_failure(e)) {
            failure(
                &mut self.failure_rows,
                &mut self.failure_details,
                doc,
                example,
            );
        }
    }

    fn finish(self: Box<Self>, run: &Run, s: &Summary) -> String {
        let mut out = String::new();
        if !s.is_success() {
            let _ = writeln!(
                out,
                "## snipcheck · {} · {} · sandbox: {}\n",
                counts(s),
                html(&run.interpreter()),
                html(&run.sandbox)
            );
            out.push_str("| status | example | where | reason |\n|---|---|---|---|\n");
            out.push_str(&self.failure_rows);
            out.push_str(&self.failure_details);
            return out;
        }
        let headline = match (s.examples, s.skipped) {
            (0, _) => "no Python examples found".to_string(),
            (n, skipped) => {
                let mut text = match n - skipped {
                    0 => "no example ran".to_string(),
                    1 => "1 example passes".to_string(),
                    run => format!("all {run} examples pass"),
                };
                if skipped > 0 {
                    let _ = write!(text, ", {skipped} skipped");
                }
                text
            }
        };
        let _ = writeln!(
            out,
            "## snipcheck · {headline} · {} · sandbox: {}\n",
            html(&run.interpreter()),
            html(&run.sandbox)
        );
        if s.documents > 0 {
            out.push_str("| document | examples | pass | skipped |\n|---|---:|---:|---:|\n");
            out.push_str(&self.per_document);
        }
        out
    }
}

/// One failing example: its table row and its collapsed diff.
fn failure(rows: &mut String, blocks: &mut String, doc: &DocumentReport, example: &ExampleVerdict) {
    let _ = writeln!(
        rows,
        "| {} | {} | {} | {} |",
        example.status.name(),
        code(&example.example.id),
        code(&format!("{}:{}", doc.path.display(), line(example))),
        cell(&reason(example))
    );
    let language = if example.status == Status::Drift {
        "diff"
    } else {
        "text"
    };
    let _ = writeln!(
        blocks,
        "\n<details><summary>{} <code>{}</code> at <code>{}:{}</code></summary>\n",
        example.status.name(),
        html(&example.example.id),
        html(&doc.path.display().to_string()),
        line(example)
    );
    blocks.push_str(&fenced(
        language,
        &details(example, doc, Options::default()),
    ));
    blocks.push_str("\n</details>\n");
}

/// The guide line the problem is on: the first drifting claim, the line
/// that raised or was running, else the opening fence.
fn line(example: &ExampleVerdict) -> usize {
    let at = match example.status {
        Status::Drift => example.drifts().next().map(|c| c.claim.line),
        Status::Timeout | Status::Crash => example.interrupted.as_ref().and_then(|i| i.line),
        _ => example.error.as_ref().and_then(|e| e.line),
    };
    at.unwrap_or(example.example.fence_line)
}

/// One line on why it failed.
fn reason(example: &ExampleVerdict) -> String {
    if let Some(stop) = &example.interrupted {
        return quote(&stop.message, ERROR_CHARS);
    }
    if let Some(error) = &example.error {
        return quote(&exception(error), ERROR_CHARS);
    }
    let drifts: Vec<_> = example.drifts().collect();
    if let Some(first) = drifts.first() {
        let mut text = format!(
            "{} claim: expected {}, got {}",
            first.claim.kind.name(),
            quote(&first.claim.expected, CELL_CHARS),
            quote(&first.actual, CELL_CHARS)
        );
        if drifts.len() > 1 {
            let _ = write!(text, " (and {} more)", drifts.len() - 1);
        }
        return text;
    }
    if let SnapshotCheck::Differs { path, .. } = &example.snapshot {
        return format!(
            "stdout differs from snapshot {}",
            quote(&path.display().to_string(), CELL_CHARS)
        );
    }
    example.status.name().to_string()
}

/// `` `text` `` on one line (`⏎` for line breaks), cut to `max` characters.
fn quote(text: &str, max: usize) -> String {
    let text = text.trim_end_matches('\n');
    if text.is_empty() {
        return "nothing".to_string();
    }
    let one_line = text.replace('\n', "⏎");
    let mut short: String = one_line.chars().take(max).collect();
    if short.len() < one_line.len() {
        short.push('…');
    }
    code(&short)
}

/// An inline code span that survives backticks in `text`; GitHub renders
/// no HTML or Markdown inside one.
fn code(text: &str) -> String {
    let text = &*visible(text);
    let longest = longest_run(text, '`');
    let ticks = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// A table cell: no line breaks, `|` escaped (also inside code spans).
fn cell(text: &str) -> String {
    text.replace(['\r', '\n'], " ").replace('|', "\\|")
}

/// Text inside HTML (the `<summary>` line).
fn html(text: &str) -> String {
    visible(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace(['\r', '\n'], " ")
}

/// A fenced block longer than any backtick run inside it.
fn fenced(language: &str, text: &str) -> String {
    let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
    let mut out = format!("{fence}{language}\n{text}");
    if !text.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}");
    out
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_and_fences_outgrow_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert!(fenced("diff", "```\nx\n").starts_with("````diff\n"));
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn long_claims_are_cut() {
        let long = "x".repeat(100);
        let quoted = quote(&long, CELL_CHARS);
        assert!(quoted.ends_with("…`"), "{quoted}");
        assert_eq!(quote("a\nb\n", CELL_CHARS), "`a⏎b`");
        assert_eq!(quote("", CELL_CHARS), "nothing");
    }
}
