//! "The parent trusts nothing it did not see": each test runs a fixture of
//! `tests/fixtures/trust/` through the real binary and its sandbox, and
//! checks that what the examples did (forged events, floods, failures on a
//! second run, kills) cannot make a verdict pass that nobody earned.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One run at a time: the tests measure time and memory, which runs beside
/// them would skew on a small machine.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// A copy of the fixture folder `name` in a temporary folder (the cache
/// lives there, and nothing is left in the repository).
fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = common::root().join("tests/fixtures/trust").join(name);
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

/// `snipcheck check --format json . ARGS` in `dir`: the report.
fn check(dir: &Path, args: &[&str]) -> Value {
    let out = common::run_in(dir, &[&["check", "--format", "json", "."], args].concat());
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::text(&out.stderr)))
}

/// The examples of the report's only document.
fn examples(report: &Value) -> &[Value] {
    report["documents"][0]["examples"].as_array().unwrap()
}

fn example<'a>(report: &'a Value, id: &str) -> &'a Value {
    examples(report)
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("no example {id}: {report:#}"))
}

fn status(example: &Value) -> &str {
    example["status"].as_str().unwrap()
}

fn message(example: &Value) -> &str {
    example["error"]["message"].as_str().unwrap_or_default()
}

#[test]
fn an_example_that_never_ran_never_passes_a_forged_end() {
    let _alone = alone();
    let dir = fixture("forged-end");
    let report = check(dir.path(), &["--no-cache"]);
    let never_ran = example(&report, "forged-end::forged-end::2");
    assert_eq!(status(never_ran), "crash", "{never_ran:#}");
    assert!(
        message(never_ran).contains("`end` before every example was done"),
        "{never_ran:#}"
    );
    assert_eq!(report["summary"]["pass"], 1, "{report:#}");
}

#[test]
fn a_failure_only_the_second_run_had_does_not_make_a_drift_vary() {
    let _alone = alone();
    let dir = fixture("second-run-error");
    let report = check(dir.path(), &["--no-cache"]);
    let example = example(&report, "second-run-error::second-run-error::1");
    assert_eq!(status(example), "drift", "{example:#}");
    assert_eq!(example["claims"][0]["verdict"], "drifts", "{example:#}");
}

#[test]
fn a_run_that_hit_a_resource_limit_is_not_cached() {
    let _alone = alone();
    let dir = fixture("resource-failure");
    for run in 0..2 {
        let report = check(dir.path(), &[]);
        let example = &examples(&report)[0];
        assert_eq!(example["error"]["type"], "MemoryError", "{example:#}");
        assert_eq!(
            report["documents"][0]["cached"], false,
            "run {run} came from the cache"
        );
    }
}

/// The parent's peak memory (`VmHWM`), read while it runs, and its report.
fn peak_memory_of_check(dir: &Path) -> (u64, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(["check", "--no-cache", "--format", "json", "."])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    // The report is read by a thread: a full pipe must not stop the run.
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut stdout = stdout;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut bytes).unwrap();
        bytes
    });
    while child.try_wait().unwrap().is_none() {
        let text = std::fs::read_to_string(&status).unwrap_or_default();
        let hwm = text
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
        peak_kb = peak_kb.max(hwm.unwrap_or(0));
        std::thread::sleep(Duration::from_millis(20));
    }
    let bytes = reader.join().unwrap();
    let report = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
    (peak_kb * 1024, report)
}

#[test]
fn a_flood_of_writes_ends_as_a_crash_within_bounded_memory() {
    let _alone = alone();
    let dir = fixture("flood");
    let (peak, report) = peak_memory_of_check(dir.path());
    assert!(peak < 300 << 20, "the parent peaked at {} MB", peak >> 20);
    let crashed: Vec<&Value> = examples(&report)
        .iter()
        .filter(|e| status(e) == "crash")
        .collect();
    assert!(
        crashed
            .first()
            .is_some_and(|e| message(e).contains("output budget")),
        "{report:#}"
    );
    assert_eq!(report["summary"]["pass"], 0, "{report:#}");
}

#[test]
fn kills_cost_linear_time_and_what_was_not_run_does_not_pass() {
    let _alone = alone();
    let dir = fixture("replays");
    let began = Instant::now();
    let report = check(dir.path(), &["--no-cache"]);
    let took = began.elapsed();
    // First-hand, each pair takes 5 s busy and 1.2 s until its kill. After
    // every kill, the busy examples before it were replayed: 5 × (1 + 2 +
    // 3 + 4) s more, 75 s in all. Replays that may take no longer than the
    // first-hand run and 0.1 s an example allow the first one (5 s, for
    // 6.2 + 0.8 s), not the second (15 s in all, for 12.4 + 0.8 s): about
    // 18 s, with room for a loaded machine (the busy loops count CPU time).
    assert!(took < Duration::from_secs(50), "took {took:?}");
    let statuses: Vec<&str> = examples(&report).iter().map(status).collect();
    assert_eq!(
        statuses,
        [
            "pass", "timeout", "pass", "timeout", "error", "error", "error", "error"
        ],
        "{report:#}"
    );
    for example in &examples(&report)[4..] {
        assert_eq!(example["error"]["type"], "NotRun", "{example:#}");
        assert!(message(example).contains("replay"), "{example:#}");
    }
}
