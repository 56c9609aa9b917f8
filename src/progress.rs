//! How a run shows on stderr that it is alive: a bar on a terminal, one line
//! per finished document elsewhere (a CI log), nothing under `--quiet`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::documents::Documents;
use crate::report::DocumentReport;
use crate::verdict::Status;

/// What stderr shows while documents run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// A bar on a terminal for long runs, nothing elsewhere (the library's
    /// default: `cargo test` of a guide prints no lines).
    #[default]
    Bar,
    /// The bar on a terminal, else a line per finished document, such as
    /// `[3/25] docs/intro.md: 12 pass` (the CLI's default).
    BarOrLines,
    /// Nothing (`--quiet`).
    Quiet,
}

/// The progress of one run.
pub struct Progress {
    bar: indicatif::ProgressBar,
    lines: bool,
    total: usize,
    done: AtomicUsize,
}

impl Progress {
    pub fn start(jobs: &Documents, mode: Mode) -> Progress {
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        Progress {
            bar: if mode == Mode::Quiet {
                indicatif::ProgressBar::hidden()
            } else {
                bar(jobs)
            },
            lines: mode == Mode::BarOrLines && !terminal,
            total: jobs.len(),
            done: AtomicUsize::new(0),
        }
    }

    /// `path` finished: judged as `report`, or failed (`None`).
    pub fn finished(&self, path: &Path, report: Option<&DocumentReport>) {
        self.bar.inc(1);
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.lines {
            let mut shown = String::new();
            for c in path.display().to_string().chars() {
                if c.is_control() {
                    shown.extend(c.escape_default());
                } else {
                    shown.push(c);
                }
            }
            let counts = report.map_or_else(|| "failed".to_string(), counts);
            eprintln!("[{n}/{}] {shown}: {counts}", self.total);
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `12 pass, 1 drift (cached)`.
fn counts(report: &DocumentReport) -> String {
    let statuses = [
        (Status::Pass, "pass"),
        (Status::Drift, "drift"),
        (Status::Error, "error"),
        (Status::Timeout, "timeout"),
        (Status::Crash, "crash"),
        (Status::Skipped, "skipped"),
    ];
    let mut parts: Vec<String> = statuses
        .iter()
        .filter_map(|(status, word)| {
            let n = report
                .examples
                .iter()
                .filter(|e| e.status == *status && !e.is_bookkeeping())
                .count();
            (n > 0).then(|| format!("{n} {word}"))
        })
        .collect();
    if parts.is_empty() {
        parts.push("0 examples".into());
    }
    let cached = if report.cached { " (cached)" } else { "" };
    format!("{}{cached}", parts.join(", "))
}

/// A progress bar on stderr for long runs; indicatif hides it when stderr
/// is not a terminal.
fn bar(jobs: &Documents) -> indicatif::ProgressBar {
    let examples = jobs.examples();
    if jobs.len() < 2 || examples < 100 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(jobs.len() as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {pos}/{len} documents {wide_bar} {elapsed}",
    ) {
        bar.set_style(style);
    }
    bar
}
