//! Verdicts → what people and machines read.
//!
//! Every format is a [`Writer`]: fed one finished document at a time, in
//! input order, it keeps only what its text needs (the lines already
//! rendered, compact records) and writes the whole text at the end, when
//! the run's header facts and counts are known. So a check of 50,000
//! examples never holds every outcome, and each format's bytes are those
//! it would render from a whole [`Report`] ([`render`] is that).

mod diagnostic;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
mod model;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::Error;
use model::{ExampleVerdict, PyError, Status};

pub use diagnostic::{ColorChoice, Options, details, unified};
pub use model::{ClaimCounts, DocumentReport, Report, Run, Summary};

/// Report formats of `snipcheck check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per example, and a diff for each drift.
    Human,
    /// The stable machine report documented in the README.
    Json,
    /// JUnit XML: one testcase per example.
    Junit,
    /// GitHub Actions annotations on the claims' lines.
    Github,
    /// A Markdown summary, for `$GITHUB_STEP_SUMMARY`.
    Markdown,
}

/// A report format, written as documents finish.
pub trait Writer {
    /// One finished document's verdicts, in input order.
    fn document(&mut self, doc: &DocumentReport);
    /// The whole text, once the run is over.
    fn finish(self: Box<Self>, run: &Run, summary: &Summary) -> String;
}

/// The writer of one format.
///
/// No line of any format can pass for a workflow command: GitHub's own
/// lines escape their text; the others have `::` at a line's start defused
/// (`\::`; in XML, the first `:` as a character reference, which leaves
/// the XML's content unchanged).
pub fn writer(format: Format, options: Options) -> Box<dyn Writer> {
    match format {
        Format::Human => Box::new(Defused::new(human::Human::new(options), "\\:")),
        Format::Json => Box::new(json::Json::default()),
        Format::Junit => Box::new(Defused::new(junit::Junit::default(), "&#58;")),
        Format::Github => Box::new(github::Github::default()),
        Format::Markdown => Box::new(Defused::new(markdown::Markdown::default(), "\\:")),
    }
}

/// Renders a whole report in one format: its documents fed to the
/// format's [`Writer`].
pub fn render(format: Format, report: &Report, options: Options) -> String {
    write_all(writer(format, options), report)
}

/// Feeds every document of `report` to `writer` and finishes it.
fn write_all(mut writer: Box<dyn Writer>, report: &Report) -> String {
    for doc in &report.documents {
        writer.document(doc);
    }
    writer.finish(&report.run, &report.summary())
}

/// A writer whose text has workflow commands defused (see [`writer`]).
struct Defused<W> {
    inner: W,
    colon: &'static str,
}

impl<W: Writer> Defused<W> {
    fn new(inner: W, colon: &'static str) -> Defused<W> {
        Defused { inner, colon }
    }
}

impl<W: Writer> Writer for Defused<W> {
    fn document(&mut self, doc: &DocumentReport) {
        self.inner.document(doc);
    }

    fn finish(self: Box<Self>, run: &Run, summary: &Summary) -> String {
        defuse_commands(&Box::new(self.inner).finish(run, summary), self.colon)
    }
}

/// Text that came from a run or a guide, made inert for whoever reads the
/// report: control characters (ESC, CR, NUL, DEL, C1) and the characters
/// that reorder text on screen (bidi overrides) become visible escapes
/// (`\x1b`, `\r`, `\u{202e}`); line breaks and tabs stay. Also what keeps
/// JUnit XML valid (XML 1.0 has no place for most control characters).
pub fn visible(text: &str) -> Cow<'_, str> {
    let inert = |c: char| {
        c == '\n'
            || c == '\t'
            || !(c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
    };
    if text.chars().all(inert) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            _ if inert(c) => out.push(c),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Whether an example needs a closer look in the report.
pub fn is_failure(example: &ExampleVerdict) -> bool {
    matches!(
        example.status,
        Status::Drift | Status::Error | Status::Timeout | Status::Crash
    )
}

/// `KeyError: 'b'`, or just `MemoryError` when the message is empty.
fn exception(error: &PyError) -> String {
    if error.message.is_empty() {
        error.type_name.clone()
    } else {
        format!("{}: {}", error.type_name, error.message)
    }
}

/// `5 examples: 1 pass, 2 drift, 1 error, 1 skipped` (timeouts and crashes
/// named only when there are some), without the run time.
fn counts(s: &Summary) -> String {
    let mut text = format!(
        "{} examples: {} pass, {} drift, {} error",
        s.examples, s.pass, s.drift, s.error
    );
    for (n, name) in [(s.timeout, "timeout"), (s.crash, "crash")] {
        if n > 0 {
            let _ = write!(text, ", {n} {name}");
        }
    }
    let _ = write!(text, ", {} skipped", s.skipped);
    text
}

/// A runner (GitHub Actions) acts on any line of a job's log that starts,
/// after blanks, with `::`. In such a line of `text` the first `:` becomes
/// `colon`, so that example text shown in a report is never a command.
pub fn defuse_commands(text: &str, colon: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let blanks = line.len() - line.trim_start().len();
        if line[blanks..].starts_with("::") {
            out.push_str(&line[..blanks]);
            out.push_str(colon);
            out.push_str(&line[blanks + 1..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// `--report FORMAT=PATH`: a report written besides the one on stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    pub format: Format,
    /// `None` for stdout (`-`).
    pub path: Option<PathBuf>,
}

impl FromStr for ReportTarget {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use clap::ValueEnum;
        let (format, path) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not FORMAT=PATH (e.g. junit=target/snipcheck.xml)"))?;
        let format = Format::from_str(format, true).map_err(|_| {
            let names: Vec<String> = Format::value_variants()
                .iter()
                .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
                .collect();
            format!(
                "unknown report format `{format}` (one of {})",
                names.join(", ")
            )
        })?;
        let path = (path != "-").then(|| PathBuf::from(path));
        Ok(ReportTarget { format, path })
    }
}

impl ReportTarget {
    /// Writes a report's text; a file is replaced atomically, never
    /// half-written.
    pub fn write(&self, text: &str) -> Result<(), Error> {
        match &self.path {
            None => {
                use std::io::Write;
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
                Ok(())
            }
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                }
                crate::atomic::write(Path::new(path), text.as_bytes())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(visible("a\x1b[31mb\rc\0d\n\te"), "a\\x1b[31mb\\rc\\0d\n\te");
        assert_eq!(visible("\u{202e}x"), "\\u{202e}x");
        assert!(matches!(visible("plain ünïcode"), Cow::Borrowed(_)));
    }

    #[test]
    fn no_line_starts_a_workflow_command() {
        let text = "ok\n  ::add-mask::x\n::stop-commands::y";
        assert_eq!(
            defuse_commands(text, "\\:"),
            "ok\n  \\::add-mask::x\n\\::stop-commands::y"
        );
    }

    #[test]
    fn report_targets_parse() {
        let t: ReportTarget = "junit=target/x.xml".parse().unwrap();
        assert_eq!(
            (t.format, t.path),
            (Format::Junit, Some(PathBuf::from("target/x.xml")))
        );
        let t: ReportTarget = "GitHub=-".parse().unwrap();
        assert_eq!((t.format, t.path), (Format::Github, None));
        assert!(
            "yaml=x"
                .parse::<ReportTarget>()
                .unwrap_err()
                .contains("one of human, json, junit")
        );
        assert!("junit".parse::<ReportTarget>().is_err());
    }
}
