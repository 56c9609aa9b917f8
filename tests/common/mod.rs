//! Helpers shared by the integration tests that run the `snipcheck` binary.

#![allow(dead_code)] // each test crate uses its own subset

use std::path::PathBuf;
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
