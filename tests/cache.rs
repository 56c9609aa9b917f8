//! The result cache and `snipcheck watch`, through the binary.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{assert_exit, text};

/// `snipcheck check --format json ARGS` run in `dir` (where the cache
/// lives): the exit code and, per document name, whether it was cached.
fn check_json(dir: &Path, args: &[&str]) -> (i32, Vec<(String, bool)>) {
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(["check", "--format", "json", "."])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let documents = report["documents"].as_array().unwrap();
    let cached = documents
        .iter()
        .map(|d| {
            let path = d["path"].as_str().unwrap();
            let name = Path::new(path).file_name().unwrap().to_string_lossy();
            (name.into_owned(), d["cached"].as_bool().unwrap())
        })
        .collect();
    (out.status.code().unwrap(), cached)
}

fn two_documents() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let doc = |claim: &str| format!("# T\n\n```python\nx = 6 * 7\nprint(x)  # {claim}\n```\n");
    std::fs::write(dir.path().join("a.md"), doc("42")).unwrap();
    std::fs::write(dir.path().join("b.md"), doc("41")).unwrap();
    dir
}

fn pairs(a: bool, b: bool) -> Vec<(String, bool)> {
    vec![("a.md".into(), a), ("b.md".into(), b)]
}

#[test]
fn unchanged_documents_come_from_the_cache_with_the_same_verdicts() {
    let dir = two_documents();
    // b.md drifts: a cached run must still say so.
    assert_eq!(check_json(dir.path(), &[]), (1, pairs(false, false)));
    assert_eq!(check_json(dir.path(), &[]), (1, pairs(true, true)));
    // Beside the config, or in the current folder: a Python project has no
    // target/. Its own .gitignore keeps it out of commits.
    let cache = dir.path().join(".snipcheck/cache");
    assert_eq!(
        std::fs::read_to_string(cache.join(".gitignore")).unwrap(),
        "*\n"
    );
    assert!(!dir.path().join("target").exists());

    // Fixing b.md runs b.md alone.
    let b = dir.path().join("b.md");
    let fixed = std::fs::read_to_string(&b).unwrap().replace("# 41", "# 42");
    std::fs::write(&b, fixed).unwrap();
    assert_eq!(check_json(dir.path(), &[]), (0, pairs(true, false)));
    assert_eq!(check_json(dir.path(), &[]), (0, pairs(true, true)));

    // A config change is a change to every document it applies to.
    std::fs::write(dir.path().join("snipcheck.toml"), "[run]\nseed = 7\n").unwrap();
    assert_eq!(check_json(dir.path(), &[]), (0, pairs(false, false)));

    assert_eq!(
        check_json(dir.path(), &["--no-cache"]),
        (0, pairs(false, false))
    );
}

#[test]
fn the_cache_sits_beside_the_nearest_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/snipcheck.toml"), "[run]\nseed = 0\n").unwrap();
    std::fs::write(
        dir.path().join("docs/a.md"),
        "```python\nprint(42)  # 42\n```\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(["check", "docs"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(
        dir.path()
            .join("docs/.snipcheck/cache/.gitignore")
            .is_file()
    );
    assert!(!dir.path().join(".snipcheck").exists());
}

#[test]
fn the_human_report_says_how_many_documents_came_from_the_cache() {
    let dir = two_documents();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_snipcheck"))
            .args(["check", "."])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let first = run();
    assert_exit(&first, 1);
    assert!(!text(&first.stdout).contains("from the cache"));
    let second = run();
    assert_exit(&second, 1);
    assert!(
        text(&second.stdout).contains("2 of 2 documents from the cache"),
        "{}",
        text(&second.stdout)
    );
}

/// Lines of a child's pipe, as they come.
fn lines_of(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for the next `watch:` line of stderr; everything on stdout before it.
fn next_round(stderr: &mpsc::Receiver<String>, stdout: &mpsc::Receiver<String>) -> String {
    loop {
        let line = stderr
            .recv_timeout(Duration::from_secs(60))
            .expect("the watch reports each check");
        if line.starts_with("watch: ") {
            break;
        }
    }
    // stdout is written before the stderr line: give its reader a moment.
    std::thread::sleep(Duration::from_millis(100));
    stdout.try_iter().collect::<Vec<_>>().join("\n")
}

#[test]
fn watch_checks_again_when_a_document_is_saved() {
    let dir = two_documents();
    let mut child = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(["watch", "--color", "never", "."])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = lines_of(child.stdout.take().unwrap());
    let stderr = lines_of(child.stderr.take().unwrap());
    let first = next_round(&stderr, &stdout);
    assert!(first.contains("DRIFT"), "{first}");

    // Saved the way editors do: a new file renamed over the old one.
    let b = dir.path().join("b.md");
    let fixed = std::fs::read_to_string(&b).unwrap().replace("# 41", "# 42");
    std::fs::write(dir.path().join(".b.md.tmp"), fixed).unwrap();
    std::fs::rename(dir.path().join(".b.md.tmp"), &b).unwrap();
    let second = next_round(&stderr, &stdout);
    assert!(
        second.contains("changed:") && second.contains("b.md"),
        "{second}"
    );
    assert!(!second.contains("DRIFT"), "{second}");
    assert!(
        second.contains("1 of 2 documents from the cache"),
        "{second}"
    );

    let _ = child.kill();
    let _ = child.wait();
}
