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
        require_full: false,
        hash_seed: None,
        warm: Default::default(),
    };
    let doc = Document::parse(Path::new("a.md"), "```python\nprint(1)\n```\n".into());
    pool.run_document(&doc, &Config::default())
        .expect_err("the stand-in worker never runs the document")
}

/// What the error must be.
type Expected = fn(&Error) -> bool;

#[test]
fn each_internal_failure_is_its_own_variant_and_exits_3() {
    let cases: [(&str, Expected); 4] = [
        (
            r#"W {"event":"fatal","message":"no fork"}"#,
            |e| matches!(e, Error::Worker(m) if m == "no fork"),
        ),
        (
            r#"C {"event":"fatal","config":false,"message":"Traceback"}"#,
            |e| matches!(e, Error::Harness(m) if m == "Traceback"),
        ),
        // The worker's own lines are not the example's to forge.
        (r#"W {"event":"nonsense"}"#, |e| {
            matches!(e, Error::Protocol(_))
        }),
        ("no prefix", |e| matches!(e, Error::Protocol(_))),
    ];
    for (reply, expected) in cases {
        let error = run_with_worker_saying(reply);
        assert!(expected(&error), "{reply}: {error:?}");
        assert_eq!(error.exit_code(), 3, "{reply}");
    }
}
