//! The terminal report: one line per example, and under each failing one
//! its [`details`]: a diff that points at the guide's line.
//!
//! Everything that comes from a guide or a run (source lines, output,
//! messages, paths) goes through [`visible`]: a terminal never receives an
//! escape sequence, carriage return or NUL that an example printed.

use std::fmt::Write as _;
use std::path::Path;

use super::model::ExampleVerdict;
use super::{DocumentReport, Options, Report, Run, Summary, Writer, details, visible};

/// The whole report, ending in a one-line summary.
pub fn render(report: &Report, options: Options) -> String {
    super::write_all(Box::new(Human::new(options)), report)
}

/// The terminal report as documents finish: each document's lines are
/// rendered at once (its diffs need its source), then it is let go.
pub struct Human {
    options: Options,
    /// The example lines and details so far.
    body: String,
}

impl Human {
    pub fn new(options: Options) -> Human {
        Human {
            options,
            body: String::new(),
        }
    }
}

impl Writer for Human {
    fn document(&mut self, doc: &DocumentReport) {
        for example in &doc.examples {
            self.body.push_str(&example_line(example, &doc.path));
            self.body
                .push_str(&indent(&details(example, doc, self.options)));
        }
    }

    fn finish(self: Box<Self>, run: &Run, summary: &Summary) -> String {
        let mut out = String::with_capacity(self.body.len() + 256);
        let _ = writeln!(
            out,
            "snipcheck {} · {} · sandbox: {}",
            env!("CARGO_PKG_VERSION"),
            visible(&run.interpreter()),
            visible(&run.sandbox)
        );
        for line in &run.conventions {
            let _ = writeln!(out, "conventions: {}", visible(line));
        }
        out.push_str(&self.body);
        out.push_str(&summary_line(run, summary));
        out
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// `PASS   doc::section::1  guide/doc.md:12`
pub fn example_line(example: &ExampleVerdict, path: &Path) -> String {
    let status = example.status.name().to_uppercase();
    let mut line = format!(
        "{status:<7} {}  {}:{}",
        visible(&example.example.id),
        visible(&path.display().to_string()),
        example.example.fence_line
    );
    if let Some(reason) = example
        .skip_reason()
        .or(example.expected_failure.as_deref())
    {
        let _ = write!(line, "  ({})", visible(reason));
    }
    line.push('\n');
    line
}

/// `38 examples: 36 pass, 1 drift, 1 error, 0 skipped in 0.12 s` (timeouts
/// and crashes are named only when there are some), then the claims by
/// verdict: `412 claims: 398 hold, 3 drift, 2 vary, 9 prose`.
pub fn summary_line(run: &Run, s: &Summary) -> String {
    let mut counts = format!("{} pass, {} drift, {} error", s.pass, s.drift, s.error);
    nonzero(
        &mut counts,
        ", ",
        &[(s.timeout, "timeout"), (s.crash, "crash")],
    );
    let c = &s.claims;
    let mut claims = format!(
        "{} claims: {} hold, {} drift, {} vary, {} prose",
        c.total, c.hold, c.drift, c.vary, c.prose
    );
    let unchecked = [
        (c.not_reached, "not reached"),
        (c.error, "error"),
        (c.skipped, "skipped"),
    ];
    nonzero(&mut claims, ", ", &unchecked);
    // A snapshot is no claim, but it can fail an example: the count says so.
    let snaps = s.snapshots;
    let snapshots = [
        (snaps.drift, "snapshot drift"),
        (snaps.missing, "snapshot missing"),
        (snaps.new, "snapshot new"),
    ];
    nonzero(&mut claims, "; ", &snapshots);
    let setup = [(s.setup, "setup/cleanup block(s), not counted as examples")];
    nonzero(&mut claims, "; ", &setup);
    if s.second_run_documents > 0 {
        let _ = write!(
            claims,
            "; {} document(s) run twice for nondeterminism in {:.2} s",
            s.second_run_documents,
            run.second_run.1.as_secs_f64()
        );
    }
    for n in &s.not_run_by {
        let _ = match n.ran {
            0 => write!(
                claims,
                "\nnot run by {}: {} block(s) (`[run] mode = \"strict\"` runs them)",
                n.tool, n.blocks
            ),
            ran => write!(
                claims,
                "\nnot run by {}: {} block(s), {ran} run in strict mode, {} failed",
                n.tool, n.blocks, n.failed
            ),
        };
    }
    let cached = match s.cached_documents {
        0 => String::new(),
        n => format!(" ({n} of {} documents from the cache)", s.documents),
    };
    format!(
        "{} examples: {counts}, {} skipped in {:.2} s{cached}\n{claims}\n",
        s.examples,
        s.skipped,
        run.elapsed.as_secs_f64()
    )
}

/// Appends `{sep}{n} {name}` for each count that is not zero: counts that
/// are rarely there are named only when they are.
fn nonzero(line: &mut String, sep: &str, counts: &[(usize, &str)]) {
    for (n, name) in counts {
        if *n > 0 {
            let _ = write!(line, "{sep}{n} {name}");
        }
    }
}
