//! JUnit XML, for CI systems that collect test results (GitHub test
//! reporters, GitLab, Jenkins).
//!
//! One `<testsuite>` per document (named by its path), one `<testcase>` per
//! example (named by its id, `classname` the document's stem, and `file` /
//! `line` attributes pointing at the opening fence). A drift is a
//! `<failure type="drift">` whose message is the `file:line` of the first
//! drifting claim and whose text is the diff the terminal shows; an error,
//! timeout or crash is an `<error>`; a skipped example is `<skipped>`. An
//! example that did not pass also carries what it printed, as
//! `<system-out>` / `<system-err>`.
//!
//! Text from a guide or a run goes through [`visible`]: XML 1.0 has no
//! place for most control characters, so the file stays valid XML.
//!
//! The output is deterministic except for one honest number: the wall time
//! of the whole run, on `<testsuites time="…">`. snipcheck measures neither
//! examples nor documents separately (documents run in parallel), so every
//! `<testsuite>` and `<testcase>` says `time="0.000"` rather than a made-up
//! share. No timestamps, hostnames or ids are written.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::model::{ExampleVerdict, Status};
use super::{
    DocumentReport, Options, Report, Run, Summary, Writer, details, exception, is_failure, visible,
};

/// The report as a JUnit XML document.
pub fn render(report: &Report) -> String {
    super::write_all(Box::new(Junit::default()), report)
}

/// JUnit XML as documents finish: each document's test cases are made at
/// once (compact records: names, statuses, the diffs of failures), the
/// run's properties and the XML at the end.
#[derive(Default)]
pub struct Junit {
    /// Each document's suite, and whether its run came from the cache.
    suites: Vec<(TestSuite, bool)>,
}

impl Writer for Junit {
    fn document(&mut self, doc: &DocumentReport) {
        let mut suite = TestSuite::new(visible(&doc.path.display().to_string()).into_owned());
        suite.set_time(Duration::ZERO);
        suite.add_test_cases(doc.examples.iter().map(|e| case(e, doc)));
        self.suites.push((suite, doc.cached));
    }

    fn finish(self: Box<Self>, run: &Run, _: &Summary) -> String {
        let mut junit = quick_junit::Report::new("snipcheck");
        junit.set_time(run.elapsed);
        for (mut suite, cached) in self.suites {
            add_properties(&mut suite, cached, run);
            junit.add_test_suite(suite);
        }
        junit
            .to_string()
            .expect("serialising to memory cannot fail")
    }
}

/// The run's facts on a suite: the CPython, the cache, the sandbox, the venv.
fn add_properties(suite: &mut TestSuite, cached: bool, run: &Run) {
    suite.add_property(Property::new("python", run.python.as_str()));
    if cached {
        suite.add_property(Property::new("cached", "true"));
    }
    suite.add_property(Property::new("sandbox", visible(&run.sandbox).into_owned()));
    if let Some(venv) = &run.venv {
        let venv = visible(&venv.display().to_string()).into_owned();
        suite.add_property(Property::new("venv", venv));
    }
}

fn case(example: &ExampleVerdict, doc: &DocumentReport) -> TestCase {
    let mut case = TestCase::new(
        visible(&example.example.id).into_owned(),
        status(example, doc),
    );
    case.set_classname(stem(&doc.path));
    case.set_time(Duration::ZERO);
    case.extra.insert(
        "file".into(),
        visible(&doc.path.display().to_string()).into_owned().into(),
    );
    case.extra
        .insert("line".into(), example.example.fence_line.to_string().into());
    if is_failure(example) {
        if !example.stdout.is_empty() {
            case.set_system_out(visible(&example.stdout).into_owned());
        }
        if !example.stderr.is_empty() {
            case.set_system_err(visible(&example.stderr).into_owned());
        }
    }
    case
}

fn status(example: &ExampleVerdict, doc: &DocumentReport) -> TestCaseStatus {
    let details = || details(example, doc, Options::default());
    let (kind, message) = match example.status {
        Status::Pass => return TestCaseStatus::success(),
        Status::Skipped => {
            let mut status = TestCaseStatus::skipped();
            if let Some(reason) = example.skip_reason() {
                status.set_message(visible(reason).into_owned());
            }
            return status;
        }
        Status::Drift => (NonSuccessKind::Failure, drift_message(example, doc)),
        Status::Error | Status::Timeout | Status::Crash => {
            (NonSuccessKind::Error, error_message(example))
        }
    };
    let mut status = TestCaseStatus::non_success(kind);
    status
        .set_type(example.status.name())
        .set_message(visible(&message).into_owned())
        .set_description(details());
    status
}

/// `path:line` of the first drifting claim; for a snapshot that differs
/// with every claim holding, the fence line and the snapshot.
fn drift_message(example: &ExampleVerdict, doc: &DocumentReport) -> String {
    let path = doc.path.display();
    match example.drifts().next() {
        Some(claim) => format!("{path}:{}", claim.claim.line),
        None => format!(
            "{path}:{}: stdout differs from its snapshot",
            example.example.fence_line
        ),
    }
}

/// `KeyError: 'b'`; for a timeout or crash, what stopped the example
/// (`Timeout: ran past its 5 s time limit`, as the JSON report names it).
fn error_message(example: &ExampleVerdict) -> String {
    if let Some(stop) = &example.interrupted {
        return format!("{}: {}", stop.kind.type_name(), stop.message);
    }
    match &example.error {
        Some(error) => exception(error),
        None => example.status.name().to_string(),
    }
}

/// The document's file stem (`advanced-python`), as in example ids.
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
