//! Exit codes are a CI gate's interface: 0 every claim holds, 1 drift or
//! error, 2 usage, input or config (a run that checks nothing included),
//! 3 internal failure. A gate that checked nothing must not pass.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{assert_exit, run_in, snipcheck, text, write};

fn says(out: &Output, what: &str) {
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(all.contains(what), "expected `{what}` in:\n{all}");
}

#[test]
fn a_folder_without_markdown_checks_nothing_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = snipcheck(&["check", dir.path().to_str().unwrap()]);
    assert_exit(&out, 2);
    says(&out, "nothing to check: no Markdown file");
}

#[test]
fn a_mistyped_path_fails() {
    let out = snipcheck(&["check", "guide/no-such-guide.md"]);
    assert_exit(&out, 2);
    says(&out, "no such file or folder");
}

#[test]
fn markdown_without_python_checks_nothing_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.md",
        "# Prose\n\n```rust\nfn main() {}\n```\n",
    );
    let out = snipcheck(&["check", dir.path().to_str().unwrap()]);
    assert_exit(&out, 2);
    says(&out, "no Python example in 1 Markdown file(s)");
}

#[test]
fn only_skipped_examples_check_nothing_and_fail() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.md",
        "<!-- snipcheck: skip later -->\n```python\nprint(1)  # 1\n```\n",
    );
    let out = snipcheck(&["check", dir.path().to_str().unwrap()]);
    assert_exit(&out, 2);
    says(&out, "all 1 examples are skipped");
}

#[test]
fn an_example_filter_that_matches_nothing_fails() {
    let out = snipcheck(&["check", "guide/", "--example", "no-such-example"]);
    assert_exit(&out, 2);
    says(&out, "--example no-such-example matched no example");
}

#[test]
fn zero_jobs_is_refused() {
    let out = snipcheck(&["check", "guide/", "--jobs", "0"]);
    assert_exit(&out, 2);
    says(&out, "--jobs");
}

#[test]
fn update_dry_run_exits_1_when_it_would_change_something() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.md", "```python\nprint(6 * 7)  # 41\n```\n");
    let doc = dir.path().join("a.md");
    let out = snipcheck(&["update", "--dry-run", doc.to_str().unwrap()]);
    assert_exit(&out, 1);
    says(&out, "+print(6 * 7)  # 42");
    assert!(
        std::fs::read_to_string(&doc).unwrap().contains("# 41"),
        "dry run writes nothing"
    );
    assert_exit(&snipcheck(&["update", doc.to_str().unwrap()]), 0);
    assert_exit(
        &snipcheck(&["update", "--dry-run", doc.to_str().unwrap()]),
        0,
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

/// A repository with two documents: `docs/a/a.md` reads a fixture file its
/// config copies; `docs/b/b.md` has no config.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "docs/a/a.md",
        "```python\nprint(open('d.txt').read())  # A\n```\n",
    );
    write(root, "docs/b/b.md", "```python\nprint(2)  # 2\n```\n");
    write(
        root,
        "docs/a/snipcheck.toml",
        "[fixtures]\n\"d.txt\" = { file = \"data/d.txt\" }\n",
    );
    write(root, "docs/a/data/d.txt", "A");
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "docs"]);
    dir
}

#[test]
fn changed_since_with_nothing_changed_is_the_one_legitimate_nothing_to_do() {
    let repo = repository();
    let out = run_in(repo.path(), &["check", "docs/", "--changed-since", "HEAD"]);
    assert_exit(&out, 0);
    says(&out, "nothing to do: no document changed since HEAD");
}

#[test]
fn changed_since_rechecks_a_document_whose_fixture_file_changed() {
    let repo = repository();
    write(repo.path(), "docs/a/data/d.txt", "B");
    let out = run_in(repo.path(), &["check", "docs/", "--changed-since", "HEAD"]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("DRIFT   a::"), "{stdout}");
    assert!(
        !stdout.contains("b::intro"),
        "b.md did not change: {stdout}"
    );
}

#[test]
fn changed_since_sees_untracked_files_from_a_subfolder() {
    let repo = repository();
    write(
        repo.path(),
        "docs/new/c.md",
        "```python\nprint(3)  # 3\n```\n",
    );
    let out = run_in(
        &repo.path().join("docs/a/data"),
        &["check", "../..", "--changed-since", "HEAD"],
    );
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("c::intro::1"), "{stdout}");
    assert!(stdout.contains("1 examples: 1 pass"), "{stdout}");
}
