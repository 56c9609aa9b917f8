//! Finding documents and their config, as rustfmt and ripgrep find files.

use std::process::Command;

mod common;
use common::{assert_exit, root, run_in, text, write};

const USES_HELPER: &str = "```python\nprint(helper())  # 7\n```\n";

#[test]
fn the_nearest_parent_config_applies_up_to_the_repository_root() {
    let outer = tempfile::tempdir().unwrap();
    write(
        outer.path(),
        "snipcheck.toml",
        "[stubs]\nhelper = \"lambda: 0\"\n",
    );
    let repo = outer.path().join("repo");
    write(&repo, ".git/HEAD", "ref: refs/heads/main\n");
    write(&repo, "snipcheck.toml", "[stubs]\nhelper = \"lambda: 7\"\n");
    write(&repo, "docs/deep/doc.md", USES_HELPER);
    let out = run_in(&repo.join("docs/deep"), &["check", "doc.md"]);
    assert_exit(&out, 0);

    std::fs::remove_file(repo.join("snipcheck.toml")).unwrap();
    let out = run_in(&repo.join("docs"), &["check", "deep/doc.md"]);
    assert_exit(&out, 1);
    assert!(
        text(&out.stdout).contains("NameError"),
        "the search stops at the repository root: {}",
        text(&out.stdout)
    );
}

#[test]
fn a_bare_check_at_the_root_checks_what_the_config_names_and_nothing_else() {
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(["check", "--format", "json"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["guide/advanced-python.md"],
        "never the test fixtures"
    );
}

#[test]
fn folders_are_walked_respecting_gitignore_without_following_loops() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(git.status.success());
    write(root, ".gitignore", "built/\n");
    write(root, "docs/a.md", "```python\nprint(1)  # 1\n```\n");
    write(root, "built/copy.md", "```python\nprint(1)  # 2\n```\n");
    write(root, ".hidden/b.md", "```python\nprint(1)  # 3\n```\n");
    std::os::unix::fs::symlink(root, root.join("docs/loop")).unwrap();
    let out = run_in(root, &["check", "."]);
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("1 examples: 1 pass"), "{stdout}");
}
