//! snipcheck's own failures are told apart and exit 3: a worker that fails,
//! a harness that raises, a worker that breaks the protocol. A stand-in
//! worker (a shell script) says each.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use snipcheck::Error;
use snipcheck::config::Config;
use snipcheck::markdown::Document;
use snipcheck::run::pool::Pool;

/// Runs a one-example document with a worker that answers its first
/// command with `reply`.
fn run_with_worker_saying(reply: &str) -> Error {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("worker");
    std::fs::write(
        &program,
        format!("#!/bin/sh\nread command\nprintf '%s\\n' '{reply}'\nsleep 5\n"),
    )
    .unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let pool = Pool {
        program,
        jobs: 1,
        sandbox: false,
        hash_seed: None,
    };
    let doc = Document::parse(Path::new("a.md"), "```python\nprint(1)\n```\n".into());
    pool.run_document(&doc, &Config::default())
        .expect_err("the stand-in worker never runs the document")
}

#[test]
fn a_worker_that_cannot_run_a_child_is_a_worker_failure() {
    let error = run_with_worker_saying(r#"W {"event":"fatal","message":"no fork"}"#);
    assert!(
        matches!(&error, Error::Worker(m) if m == "no fork"),
        "{error:?}"
    );
    assert_eq!(error.exit_code(), 3);
}

#[test]
fn a_child_whose_harness_raises_is_a_harness_failure() {
    let error =
        run_with_worker_saying(r#"C {"event":"fatal","config":false,"message":"Traceback"}"#);
    assert!(
        matches!(&error, Error::Harness(m) if m == "Traceback"),
        "{error:?}"
    );
    assert_eq!(error.exit_code(), 3);
}

#[test]
fn a_worker_line_that_does_not_decode_is_a_protocol_failure() {
    for reply in [r#"W {"event":"nonsense"}"#, "no prefix"] {
        let error = run_with_worker_saying(reply);
        assert!(matches!(error, Error::Protocol(_)), "{reply}: {error:?}");
        assert_eq!(error.exit_code(), 3);
    }
}
