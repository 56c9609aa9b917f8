//! Long runs show they are alive: off a terminal (a CI log), one line per
//! finished document on stderr, `[2/2] b.md: 1 drift`; `--quiet` prints
//! none. (On a terminal indicatif draws a bar instead.)

use std::process::{Command, Stdio};

mod common;
use common::text;

fn two_documents() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let doc = |claim: &str| format!("# T\n\n```python\nprint(6 * 7)  # {claim}\n```\n");
    std::fs::write(dir.path().join("a.md"), doc("42")).unwrap();
    std::fs::write(dir.path().join("b.md"), doc("41")).unwrap();
    dir
}

/// The stderr lines of `snipcheck check ARGS .`, stderr piped (no tty).
fn progress_lines(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .arg("check")
        .args(args)
        .arg(".")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with('['))
        .map(str::to_string)
        .collect()
}

#[test]
fn one_line_per_finished_document_when_stderr_is_not_a_terminal() {
    let dir = two_documents();
    let lines = progress_lines(dir.path(), &["--no-cache"]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    // Documents finish in any order; the count goes up all the same.
    assert!(lines[0].starts_with("[1/2] ") && lines[1].starts_with("[2/2] "));
    let mut documents: Vec<String> = lines
        .iter()
        .map(|l| l.split_once("] ").unwrap().1.to_string())
        .collect();
    documents.sort();
    assert_eq!(documents, ["a.md: 1 pass", "b.md: 1 drift"]);
    // A cached run says so.
    progress_lines(dir.path(), &[]);
    let cached = progress_lines(dir.path(), &[]);
    assert!(cached.iter().all(|l| l.ends_with("(cached)")), "{cached:?}");
}

#[test]
fn quiet_prints_no_progress() {
    let dir = two_documents();
    for quiet in ["--quiet", "-q"] {
        let lines = progress_lines(dir.path(), &["--no-cache", quiet]);
        assert!(lines.is_empty(), "{quiet}: {lines:?}");
    }
}
