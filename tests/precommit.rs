//! The pre-commit hook (`.pre-commit-hooks.yaml`) checks the staged
//! Markdown files alone, as pre-commit runs it: its `entry`, then the staged
//! names its `files` pattern matches (`git diff --cached --name-only
//! --diff-filter=ACM`). A drift fails the commit (exit 1); fixed, it passes.

use std::path::Path;
use std::process::{Command, Output};

use yaml_rust2::{Yaml, YamlLoader};

mod common;
use common::{root, text, write};

fn hook() -> Yaml {
    let path = root().join(".pre-commit-hooks.yaml");
    let text = std::fs::read_to_string(path).expect("the hooks file exists");
    let mut docs = YamlLoader::load_from_str(&text).expect("valid YAML");
    let hooks = docs.remove(0);
    let hooks = hooks.as_vec().expect("a list of hooks");
    assert_eq!(hooks.len(), 1, "one hook");
    hooks[0].clone()
}

#[test]
fn the_hook_is_declared_as_pre_commit_reads_it() {
    let hook = hook();
    assert_eq!(hook["id"].as_str(), Some("snipcheck"));
    assert_eq!(hook["language"].as_str(), Some("rust"));
    assert_eq!(hook["entry"].as_str(), Some("snipcheck check"));
    assert_eq!(hook["pass_filenames"].as_bool(), Some(true));
    assert!(hook["name"].as_str().is_some());
    let files = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
    for (name, matched) in [
        ("README.md", true),
        ("docs/guide.markdown", true),
        ("src/app.py", false),
        ("docs/readme.md.orig", false),
    ] {
        assert_eq!(files.is_match(name), matched, "{name}");
    }
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    out
}

/// Runs the hook as pre-commit would in `repo`: the entry (its program
/// being this build's snipcheck) with the staged files it matches.
fn run_hook(repo: &Path) -> (i32, Vec<String>) {
    let hook = hook();
    let files = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
    let staged = git(
        repo,
        &["diff", "--cached", "--name-only", "--diff-filter=ACM"],
    );
    let staged: Vec<String> = text(&staged.stdout)
        .lines()
        .filter(|name| files.is_match(name))
        .map(str::to_string)
        .collect();
    let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(entry[0], "snipcheck");
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(&entry[1..])
        .args(&staged)
        .current_dir(repo)
        .output()
        .unwrap();
    (out.status.code().unwrap(), staged)
}

#[test]
fn the_hook_fails_on_a_staged_drift_and_passes_once_fixed() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "-q"]);
    let example = |claim: &str| format!("# Guide\n\n```python\nprint(6 * 7)  # {claim}\n```\n");
    write(dir, "docs/guide.md", &example("41"));
    write(dir, "app.py", "print('not Markdown')\n");
    // Drifts too, but is not staged: the hook never sees it.
    write(dir, "notes.md", &example("40"));
    git(dir, &["add", "docs/guide.md", "app.py"]);

    let (code, checked) = run_hook(dir);
    assert_eq!(checked, ["docs/guide.md"]);
    assert_eq!(code, 1, "a staged drift fails the commit");

    write(dir, "docs/guide.md", &example("42"));
    git(dir, &["add", "docs/guide.md"]);
    let (code, checked) = run_hook(dir);
    assert_eq!(checked, ["docs/guide.md"]);
    assert_eq!(code, 0, "fixed, it passes");

    // The result cache it left is git-ignored: nothing new to commit.
    let status = git(dir, &["status", "--porcelain", "--untracked-files=all"]);
    let status = text(&status.stdout);
    assert!(!status.contains(".snipcheck"), "{status}");
}
