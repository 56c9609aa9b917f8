//! The hostile corpus (`tests/fixtures/hostile/hostile.md`): examples that
//! loop forever, crash, fork, escape, flood. Each is one test, asserting the
//! exact status and message, and that the canary example right after it, in
//! the same namespace, still runs and passes.
//!
//! The document runs once, through the real binary and its sandbox, with
//! `TMPDIR` pointed at a fresh folder so "no file outside the working
//! directory changes" can be checked exactly.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// (section slug, status, error type, message fragment, guide line of the error)
const CASES: &[(&str, &str, &str, &str, Option<u64>)] = &[
    (
        "infinite-loop",
        "timeout",
        "Timeout",
        "ran past its 1 s time limit",
        Some(13),
    ),
    (
        "loop-that-swallows-every-exception",
        "timeout",
        "Timeout",
        "could not be interrupted",
        None,
    ),
    (
        "exit-with-os_exit",
        "crash",
        "Crash",
        "the worker exited with code 3",
        None,
    ),
    ("sysexit0", "pass", "", "", None),
    ("sysexit1", "error", "SystemExit", "1", Some(62)),
    (
        "segfault-through-ctypes",
        "crash",
        "Crash",
        "killed by signal 11 (SIGSEGV)",
        None,
    ),
    (
        "abort",
        "crash",
        "Crash",
        "killed by signal 6 (SIGABRT)",
        None,
    ),
    ("memory-bomb", "error", "MemoryError", "", Some(94)),
    (
        "fork-bomb",
        "error",
        "PermissionError",
        "examples may not start processes",
        Some(106),
    ),
    (
        "recursion-bomb",
        "error",
        "RecursionError",
        "maximum recursion depth exceeded",
        Some(117),
    ),
    (
        "write-outside-the-working-directory",
        "error",
        "PermissionError",
        "Permission denied: '../escape.txt'",
        Some(129),
    ),
    (
        "write-to-tmp",
        "error",
        "PermissionError",
        "Permission denied: '/tmp/snipcheck-outside.txt'",
        Some(140),
    ),
    (
        "read-system-files",
        "error",
        "PermissionError",
        "Permission denied: '/etc/passwd'",
        Some(151),
    ),
    ("home-is-not-the-users", "pass", "", "", None),
    (
        "socket-connect-to-localhost",
        "error",
        "StubbedNetwork",
        "network is stubbed: no response declared",
        Some(175),
    ),
    (
        "raw-socket-connect-to-a-public-address",
        "error",
        "PermissionError",
        "Operation not permitted",
        Some(187),
    ),
    (
        "subprocess",
        "error",
        "PermissionError",
        "examples may not start processes",
        Some(198),
    ),
    ("huge-output", "pass", "", "", None),
    ("stdout-replaced-and-never-restored", "pass", "", "", None),
    (
        "input-with-nothing-to-read",
        "error",
        "EOFError",
        "input() has nothing to read",
        Some(230),
    ),
    ("thread-that-never-ends", "pass", "", "", None),
    (
        "blocked-in-a-c-call",
        "timeout",
        "Timeout",
        "could not be interrupted",
        None,
    ),
    ("signalalarm", "pass", "", "", None),
    (
        "deleting-the-working-directory",
        "error",
        "PermissionError",
        "Permission denied",
        Some(285),
    ),
    (
        "keyboardinterrupt",
        "error",
        "KeyboardInterrupt",
        "",
        Some(299),
    ),
    (
        "file-too-large",
        "error",
        "OSError",
        "File too large",
        Some(310),
    ),
];

struct Run {
    report: Value,
    tmp: tempfile::TempDir,
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let tmp = tempfile::tempdir().expect("temp dir");
        let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
            .args(["check", "tests/fixtures/hostile", "--format", "json"])
            .current_dir(&root)
            .env("TMPDIR", tmp.path())
            .env("SNIPCHECK_TEST_SECRET_TOKEN", "must-not-leak")
            .output()
            .expect("snipcheck runs");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = serde_json::from_slice(&out.stdout).expect("JSON report");
        Run { report, tmp }
    })
}

fn example<'a>(report: &'a Value, id: &str) -> Result<&'a Value, Failed> {
    report["documents"][0]["examples"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["id"] == id))
        .ok_or_else(|| format!("no example {id} in the report").into())
}

fn check(case: &(&str, &str, &str, &str, Option<u64>)) -> Result<(), Failed> {
    let (slug, status, kind, message, line) = *case;
    let report = &run().report;
    let hostile = example(report, &format!("hostile::{slug}::1"))?;
    let fail = |what: &str| -> Failed { format!("{what}: {hostile:#}").into() };
    if hostile["status"] != status {
        return Err(fail(&format!("status is not {status}")));
    }
    let error = &hostile["error"];
    if kind.is_empty() {
        if !error.is_null() {
            return Err(fail("unexpected error"));
        }
    } else {
        let text = error["message"].as_str().unwrap_or_default();
        if error["type"] != kind || !text.contains(message) || error["line"].as_u64() != line {
            return Err(fail(&format!(
                "expected {kind}: …{message}… at line {line:?}"
            )));
        }
    }
    let canary = example(report, &format!("hostile::{slug}::2"))?;
    let holds = canary["claims"]
        .as_array()
        .is_some_and(|c| !c.is_empty() && c.iter().all(|c| c["verdict"] == "holds"));
    if canary["status"] != "pass" || !holds {
        return Err(format!("the example after it did not run normally: {canary:#}").into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = CASES
        .iter()
        .map(|case| Trial::test(format!("hostile::{}", case.0), move || check(case)))
        .collect();
    trials.push(Trial::test("hostile::nothing-outside-changed", || {
        let run = run();
        let leftovers: Vec<_> = std::fs::read_dir(run.tmp.path())
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        if !leftovers.is_empty() {
            return Err(format!("files left in TMPDIR: {leftovers:?}").into());
        }
        for path in ["/tmp/snipcheck-outside.txt", "/tmp/pwned"] {
            if std::path::Path::new(path).exists() {
                return Err(format!("{path} was written").into());
            }
        }
        Ok(())
    }));
    trials.push(Trial::test("hostile::huge-output-is-cut", || {
        let stdout = example(&run().report, "hostile::huge-output::1")?["stdout"]
            .as_str()
            .unwrap_or_default()
            .len();
        match stdout {
            65536 => Ok(()),
            n => Err(format!("captured {n} bytes, not the 65536 of [run] max_output").into()),
        }
    }));
    libtest_mimic::run(&args, trials).exit();
}
