//! Helpers shared by the integration tests that run the `snipcheck` binary.

#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root: tests run the binary from there.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `snipcheck ARGS...` from the repository root.
pub fn snipcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the exit code, showing stderr when it is not the one expected.
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {}",
        text(&out.stderr)
    );
}

/// A copy of the shipped guide and its config in a temporary folder
/// (snapshots belong to the shipped guide, so the copy compares none).
pub fn guide_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("advanced-python.md");
    std::fs::copy(root().join("guide/advanced-python.md"), &doc).unwrap();
    let config = std::fs::read_to_string(root().join("guide/snipcheck.toml")).unwrap();
    let config = config.replace("snapshots = \"../snapshots\"", "");
    std::fs::write(dir.path().join("snipcheck.toml"), config).unwrap();
    (dir, doc)
}

/// A copy of the guide with one claim broken: `from` (which must occur)
/// becomes `to`.
pub fn guide_copy_with(from: &str, to: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, doc) = guide_copy();
    let guide = std::fs::read_to_string(&doc).unwrap();
    assert!(guide.contains(from), "{from}");
    std::fs::write(&doc, guide.replacen(from, to, 1)).unwrap();
    (dir, doc)
}

/// How the guide read before this project corrected it: (text now, text
/// then), each occurring once. The original's report (tests/cli.rs) must keep
/// finding these drifts, and deriving it here keeps one copy of the guide.
pub const ORIGINAL_GUIDE_EDITS: &[(&str, &str)] = &[
    (
        "        Creating temp.txt\n        14\n        Cleaning up temp.txt\n",
        "",
    ),
    (
        "        Data processing started\n        Data processing took ... seconds\n",
        "        Data processing took 2.34 seconds\n",
    ),
    (
        "print(sys.getsizeof(squares_gen))   # ~200 bytes",
        "print(sys.getsizeof(squares_gen))   # 112 bytes",
    ),
    ("        Fetching https://api.example.com/users\n", ""),
    (
        "        Fetching https://api.example.com/1\n        Fetching https://api.example.com/2\n",
        "",
    ),
    (
        "        0\n        1\n        2\n        3\n        4\n",
        "",
    ),
    (
        "print(sys.getsizeof(regular.__dict__))  # ~296 bytes",
        "print(sys.getsizeof(regular.__dict__))  # 112 bytes",
    ),
];

/// The guide as it was before its claims were corrected, derived from
/// `guide/` (see [`ORIGINAL_GUIDE_EDITS`]).
pub fn original_guide() -> String {
    let mut text = std::fs::read_to_string(root().join("guide/advanced-python.md")).unwrap();
    for (now, then) in ORIGINAL_GUIDE_EDITS {
        assert_eq!(text.matches(now).count(), 1, "{now}");
        text = text.replacen(now, then, 1);
    }
    text
}

/// Writes `content` to `dir/name`, creating folders.
pub fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// Runs `snipcheck ARGS...` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}
