//! What a run found, as every report format reads it: [`check`](crate::check)
//! builds a [`Report`], the formats only render it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::snapshot;

// What a Report holds, named here so that the formats read `report::model`
// alone and nothing of the stages behind it.
pub use crate::claim::ClaimKind;
pub use crate::run::outcome::PyError;
pub use crate::snapshot::SnapshotCheck;
pub use crate::verdict::{ClaimVerdict, ExampleVerdict, Status, Verdict};

/// The verdicts of one document.
#[derive(Debug, Clone)]
pub struct DocumentReport {
    pub path: PathBuf,
    /// The working directory it ran in, for redaction.
    pub workdir: String,
    /// The Markdown text, for showing the guide's lines in reports (the
    /// document's own, shared).
    pub source: Arc<str>,
    pub examples: Vec<ExampleVerdict>,
    /// Setup and cleanup code that ran as it should: bookkeeping, not a
    /// claim, so no example (one that failed stays among `examples`, an
    /// error on its own line).
    pub setup: Vec<ExampleVerdict>,
    /// Its run came from the result cache (see [`crate::cache`]).
    pub cached: bool,
}

impl DocumentReport {
    /// Moves the setup and cleanup code that ran as it should out of
    /// `examples`, into `setup`.
    pub fn set_setup_apart(&mut self) {
        let (setup, examples) = std::mem::take(&mut self.examples)
            .into_iter()
            .partition(ExampleVerdict::is_bookkeeping);
        self.examples = examples;
        self.setup.extend::<Vec<_>>(setup);
    }

    /// An example's stdout as its snapshot holds it (see [`snapshot::redact`]).
    pub fn snapshot_text(&self, example: &ExampleVerdict) -> String {
        snapshot::redact(&example.stdout, &self.workdir, &self.path)
    }
}

/// The verdicts of a whole run: its facts and every document's verdicts,
/// for the callers that read them all (`update`, `init`, `watch`, tests).
/// `check` does not build one: it streams documents to the writers (see
/// [`super::Writer`]), so that a run never holds every outcome.
#[derive(Debug, Clone)]
pub struct Report {
    pub run: Run,
    pub documents: Vec<DocumentReport>,
}

/// What a run found besides its documents' verdicts: the header every
/// format prints, and what only the end of the run knows.
#[derive(Debug, Clone)]
pub struct Run {
    /// Version of the embedded CPython.
    pub python: String,
    /// The venv the examples imported from, if any.
    pub venv: Option<PathBuf>,
    /// Which sandbox layers were in force, in a few words (the header).
    pub sandbox: String,
    /// The projects' config files read for their doc-test conventions
    /// (`docs/conf.py (Sphinx doctest)`), and notes on what they said that
    /// could not be read: the header.
    pub conventions: Vec<String>,
    pub elapsed: Duration,
    /// The documents run a second time for nondeterminism, and how long
    /// that took (the cost of the `varies` verdict).
    pub second_run: (usize, Duration),
    /// Why nothing ran, when that is legitimate (`--changed-since` with
    /// nothing changed, an empty `--partition` shard).
    pub note: Option<String>,
}

/// Counts by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub examples: usize,
    pub pass: usize,
    pub drift: usize,
    pub error: usize,
    pub skipped: usize,
    pub timeout: usize,
    pub crash: usize,
    /// Claims and prose comments, by verdict: what was checked and what not.
    pub claims: ClaimCounts,
    /// Snapshots that differ, that are missing under CI (both failures),
    /// and that are new (proposed for review).
    pub snapshots: SnapshotCounts,
    /// Blocks the document's doc-test tool does not run, by tool: listed
    /// apart so that nothing goes unchecked silently.
    pub not_run_by: Vec<NotRunBy>,
    /// Setup and cleanup blocks that ran as they should (not examples).
    pub setup: usize,
    /// Documents run a second time to find the claims that vary (the
    /// time it took is in [`Report::second_run`]).
    pub second_run_documents: usize,
    /// Documents whose run came from the result cache, of `documents`.
    pub cached_documents: usize,
    pub documents: usize,
}

/// `not run by Sphinx doctest: 21 blocks, 5 failed (strict mode)`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotRunBy {
    pub tool: &'static str,
    pub blocks: usize,
    /// Run anyway (strict mode).
    pub ran: usize,
    /// Of those run, how many drifted or did not finish.
    pub failed: usize,
}

/// `412 claims: 398 hold, 3 drift, 2 vary, 9 prose`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClaimCounts {
    /// Every claim and prose comment: the sum of the counts below.
    pub total: usize,
    pub hold: usize,
    pub drift: usize,
    pub vary: usize,
    /// Comments read as prose and claims left unchecked.
    pub prose: usize,
    pub not_reached: usize,
    pub error: usize,
    pub skipped: usize,
}

/// Snapshot comparisons by outcome (those that matched are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotCounts {
    pub drift: usize,
    pub missing: usize,
    pub new: usize,
}

impl SnapshotCounts {
    fn count(&mut self, check: &SnapshotCheck) {
        match check {
            SnapshotCheck::Differs { .. } => self.drift += 1,
            SnapshotCheck::New { in_ci: true, .. } => self.missing += 1,
            SnapshotCheck::New { .. } => self.new += 1,
            _ => {}
        }
    }
}

impl Summary {
    fn count_unrun(&mut self, tool: &'static str, status: Status) {
        let at = match self.not_run_by.iter().position(|n| n.tool == tool) {
            Some(at) => at,
            None => {
                self.not_run_by.push(NotRunBy {
                    tool,
                    blocks: 0,
                    ran: 0,
                    failed: 0,
                });
                self.not_run_by.len() - 1
            }
        };
        let entry = &mut self.not_run_by[at];
        entry.blocks += 1;
        entry.ran += usize::from(status != Status::Skipped);
        entry.failed += usize::from(!matches!(status, Status::Pass | Status::Skipped));
    }
}

impl Summary {
    /// Counts one document's verdicts in: a summary is made as documents
    /// finish, without keeping them.
    pub fn add(&mut self, doc: &DocumentReport) {
        for e in &doc.examples {
            self.examples += 1;
            match e.status {
                Status::Pass => self.pass += 1,
                Status::Drift => self.drift += 1,
                Status::Error => self.error += 1,
                Status::Skipped => self.skipped += 1,
                Status::Timeout => self.timeout += 1,
                Status::Crash => self.crash += 1,
            }
            let c = &mut self.claims;
            for claim in &e.claims {
                match claim.verdict {
                    Verdict::Holds => c.hold += 1,
                    Verdict::Drifts => c.drift += 1,
                    Verdict::Varies => c.vary += 1,
                    Verdict::NotReached => c.not_reached += 1,
                    Verdict::Error => c.error += 1,
                    Verdict::Skipped => c.skipped += 1,
                    Verdict::Unchecked => {}
                }
            }
            c.prose += e.prose.len();
            self.snapshots.count(&e.snapshot);
            if let Some(tool) = e.example.unrun_by() {
                self.count_unrun(tool.name(), e.status);
            }
        }
        let c = &mut self.claims;
        c.total = c.hold + c.drift + c.vary + c.prose + c.not_reached + c.error + c.skipped;
        self.setup += doc.setup.len();
        self.documents += 1;
        self.cached_documents += usize::from(doc.cached);
    }

    /// The counts of `run` itself (its second runs).
    pub fn with_run(mut self, run: &Run) -> Summary {
        self.second_run_documents = run.second_run.0;
        self
    }

    /// Everything passed (or was skipped on purpose).
    pub fn is_success(&self) -> bool {
        self.drift == 0 && self.error == 0 && self.timeout == 0 && self.crash == 0
    }
}

impl Run {
    /// `embedded CPython 3.11.2` and, when one is used, `· venv .venv`: the
    /// header of every report format.
    pub fn interpreter(&self) -> String {
        match &self.venv {
            Some(venv) => format!("embedded CPython {} · venv {}", self.python, venv.display()),
            None => format!("embedded CPython {}", self.python),
        }
    }
}

impl Report {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for doc in &self.documents {
            s.add(doc);
        }
        s.with_run(&self.run)
    }

    /// Everything passed (or was skipped on purpose).
    pub fn is_success(&self) -> bool {
        self.summary().is_success()
    }
}
