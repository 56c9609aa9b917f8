//! The snapshot workflow of the CLI, as insta's: a missing or changed
//! snapshot is proposed as `.snap.new`, fails under CI, and is accepted or
//! rejected with `snipcheck review` (or `cargo insta review`).

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{assert_exit, text};

fn snipcheck_with_ci(ci: Option<&str>, dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_snipcheck"));
    command.args(args).current_dir(dir).env_remove("CI");
    if let Some(ci) = ci {
        command.env("CI", ci);
    }
    command.output().unwrap()
}

fn project(print: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("doc.md"),
        format!("# Doc\n\n```python\nprint({print})\n```\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("snipcheck.toml"), "snapshots = \"snaps\"\n").unwrap();
    dir
}

const SNAP: &str = "snaps/doc__doc__1.snap";

#[test]
fn a_missing_snapshot_is_proposed_not_passed_silently_and_fails_under_ci() {
    let dir = project("'hello'");
    let out = snipcheck_with_ci(Some("true"), dir.path(), &["check", "doc.md"]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "snapshot missing: {SNAP} (nothing is written under CI=true"
        )),
        "names the missing .snap, not a .snap.new that was never written: {stdout}"
    );
    assert!(!stdout.contains(".snap.new"), "{stdout}");
    assert!(
        stdout.contains("0 drift, 0 vary, 0 prose; 1 snapshot missing"),
        "the summary says why the example failed: {stdout}"
    );
    assert!(!dir.path().join("snaps").exists(), "CI writes nothing");

    let out = snipcheck_with_ci(None, dir.path(), &["check", "doc.md"]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("new snapshot: "),
        "{}",
        text(&out.stdout)
    );
    assert!(dir.path().join(format!("{SNAP}.new")).is_file());
}

#[test]
fn review_accepts_and_rejects_proposals() {
    let dir = project("'hello'");
    snipcheck_with_ci(None, dir.path(), &["check", "doc.md"]);
    let out = snipcheck_with_ci(None, dir.path(), &["review"]);
    assert_exit(&out, 1);
    assert!(text(&out.stderr).contains("1 pending, 0 accepted, 0 rejected, 1 left"));
    let out = snipcheck_with_ci(None, dir.path(), &["review", "--accept"]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("+ actual:   hello"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        std::fs::read_to_string(dir.path().join(SNAP))
            .unwrap()
            .ends_with("---\nhello\n")
    );
    assert_exit(
        &snipcheck_with_ci(Some("true"), dir.path(), &["check", "doc.md"]),
        0,
    );

    std::fs::write(
        dir.path().join("doc.md"),
        "# Doc\n\n```python\nprint('a\\nb')\n```\n",
    )
    .unwrap();
    let out = snipcheck_with_ci(None, dir.path(), &["check", "doc.md"]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("--- expected (snapshot)"), "{stdout}");
    assert!(stdout.contains("snipcheck review"), "{stdout}");
    let out = snipcheck_with_ci(None, dir.path(), &["review", "--reject"]);
    assert_exit(&out, 0);
    assert!(!dir.path().join(format!("{SNAP}.new")).exists());
    assert!(
        std::fs::read_to_string(dir.path().join(SNAP))
            .unwrap()
            .ends_with("hello\n")
    );
}
