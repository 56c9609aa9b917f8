//! GitHub Actions workflow commands: annotations that put each drift and
//! error on the guide's line in a pull request's diff, then one summary.
//!
//! ```text
//! ::error file=guide/a.md,line=560,title=snipcheck drift (a%3A%3Ab%3A%3A1)::expected 26, got 25
//! ::notice::snipcheck: 38 examples: 37 pass, 1 drift, 0 error, 0 skipped · embedded CPython 3.11.2
//! ```
//!
//! One line per annotation: message text escapes `%`, `\r`, `\n`; property
//! values also escape `:` and `,` (as `@actions/core` does), so no text from
//! a guide or a run can start a line, let alone a command; control
//! characters are shown as escapes ([`visible`]). File paths are
//! written as the report has them, so run `snipcheck` from the repository
//! root with relative paths for GitHub to find the files. Claims that are
//! unchecked, not reached or hold produce nothing.

use std::fmt::Write as _;

use super::model::{ClaimVerdict, ExampleVerdict, SnapshotCheck, Status};
use super::{DocumentReport, Report, Run, Summary, Writer, counts, exception, visible};

/// Every annotation, one per line, and a closing `::notice::` summary.
pub fn render(report: &Report) -> String {
    super::write_all(Box::new(Github::default()), report)
}

/// The annotations as documents finish; the summary at the end.
#[derive(Default)]
pub struct Github {
    annotations: String,
}

impl Writer for Github {
    fn document(&mut self, doc: &DocumentReport) {
        for example in &doc.examples {
            annotate(&mut self.annotations, example, doc);
        }
    }

    fn finish(self: Box<Self>, run: &Run, summary: &Summary) -> String {
        let mut out = self.annotations;
        let _ = writeln!(
            out,
            "::notice::{}",
            escape_data(&visible(&format!(
                "snipcheck: {} · {} · sandbox: {}",
                counts(summary),
                run.interpreter(),
                run.sandbox
            )))
        );
        out
    }
}

fn annotate(out: &mut String, example: &ExampleVerdict, doc: &DocumentReport) {
    let id = &example.example.id;
    for claim in example.drifts() {
        error(
            out,
            doc,
            claim.claim.line,
            claim.claim.lines.last().copied(),
            &format!("snipcheck drift ({id})"),
            &claim_message(claim),
        );
    }
    if let SnapshotCheck::Differs { path, .. } = &example.snapshot {
        error(
            out,
            doc,
            example.example.fence_line,
            None,
            &format!("snipcheck drift ({id})"),
            &format!("stdout differs from its snapshot {}", path.display()),
        );
    }
    if !matches!(
        example.status,
        Status::Error | Status::Timeout | Status::Crash
    ) {
        return;
    }
    let (line, message) = match (&example.interrupted, &example.error) {
        (Some(stop), _) => (stop.line, stop.message.clone()),
        (None, Some(e)) => (e.line, exception(e)),
        (None, None) => (None, example.status.name().to_string()),
    };
    error(
        out,
        doc,
        line.unwrap_or(example.example.fence_line),
        None,
        &format!("snipcheck {} ({id})", example.status.name()),
        &message,
    );
}

/// `::error file=…,line=…[,endLine=…],title=…::message`
fn error(
    out: &mut String,
    doc: &DocumentReport,
    line: usize,
    end_line: Option<usize>,
    title: &str,
    message: &str,
) {
    let _ = write!(
        out,
        "::error file={},line={line}",
        escape_property(&visible(&repo_relative(&doc.path)))
    );
    if let Some(end) = end_line.filter(|&end| end > line) {
        let _ = write!(out, ",endLine={end}");
    }
    let _ = writeln!(
        out,
        ",title={}::{}",
        escape_property(&visible(title)),
        escape_data(&visible(message))
    );
}

/// `expected 26, got 25`; claims or output of several lines get a line
/// each, under `expected:` and `got:`.
fn claim_message(claim: &ClaimVerdict) -> String {
    let expected = claim.claim.expected.trim_end_matches('\n');
    let actual = claim.actual.trim_end_matches('\n');
    if actual.is_empty() {
        return format!("expected {expected}, got nothing");
    }
    if !expected.contains('\n') && !actual.contains('\n') {
        return format!("expected {expected}, got {actual}");
    }
    format!("expected:\n{expected}\ngot:\n{actual}")
}

/// Escapes a command's message (`escapeData` in `@actions/core`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value (`escapeProperty` in `@actions/core`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub attaches annotations only to paths relative to the repository
/// root: `./guide/x.md` and absolute paths under the working directory are
/// made relative (CI runs from the root).
fn repo_relative(path: &std::path::Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let relative = path.strip_prefix(&cwd).unwrap_or(path);
    let relative = relative.strip_prefix(".").unwrap_or(relative);
    relative.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_actions_core_does() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a::b, c%"), "a%3A%3Ab%2C c%25");
    }
}
