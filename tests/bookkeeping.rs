//! Verdict bookkeeping: what counts as an example, what is an error rather
//! than a drift, what is skipped for want of a newer CPython, what runs
//! without the sandbox, and what `init` proposes.

use std::path::Path;

mod common;
use common::{assert_exit, root, run_in, snipcheck, text};

const FIXTURES: &str = "tests/fixtures/bookkeeping";

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr));
    })
}

/// `check FIXTURE --format json` (no cache: each run is judged afresh).
fn check(fixture: &str, extra: &[&str]) -> (std::process::Output, serde_json::Value) {
    let path = format!("{FIXTURES}/{fixture}");
    let mut args = vec!["check", &path, "--format", "json", "--no-cache"];
    args.extend(extra);
    let out = snipcheck(&args);
    let report = json(&out);
    (out, report)
}

fn examples(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["examples"].as_array().unwrap().clone())
        .collect()
}

/// `short id → status` (the id without its document).
fn statuses(report: &serde_json::Value) -> Vec<(String, String)> {
    examples(report)
        .iter()
        .map(|e| {
            let id = e["id"].as_str().unwrap();
            let short = id.split_once("::").map_or(id, |(_, rest)| rest);
            (short.to_string(), e["status"].as_str().unwrap().to_string())
        })
        .collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn field<'a>(report: &'a serde_json::Value, short_id: &str, key: &str) -> &'a str {
    let all = report["documents"].as_array().unwrap();
    all.iter()
        .flat_map(|d| d["examples"].as_array().unwrap())
        .find(|e| e["id"].as_str().unwrap().ends_with(short_id))
        .and_then(|e| e.pointer(key))
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("{short_id} has no {key}: {report:#}"))
}

#[test]
fn without_the_sandbox_an_example_starts_its_processes_with_it_they_are_refused() {
    let (out, free) = check("processes", &["--no-sandbox"]);
    assert_exit(&out, 0);
    let passing = [
        ("starting-processes::1", "pass"),
        ("starting-processes::2", "pass"),
        ("starting-processes::3", "pass"),
    ];
    assert_eq!(statuses(&free), owned(&passing), "{free:#}");

    let (out, fenced) = check("processes", &[]);
    assert_exit(&out, 1);
    for e in examples(&fenced) {
        assert_eq!(e["status"], "error", "{e:#}");
        assert_eq!(e["error"]["type"], "PermissionError", "{e:#}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(message.contains("sandbox refused"), "{message}");
    }
}

#[test]
fn without_the_sandbox_sys_executable_is_the_venvs_python() {
    // A venv of the embedded CPython, as the README says to make one.
    let found = snipcheck(&["python", "--executable"]);
    assert_exit(&found, 0);
    let python = text(&found.stdout).trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new(&python)
        .args(["-m", "venv", "--without-pip", ".venv"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(made.success(), "{python} -m venv");
    common::write(dir.path(), "snipcheck.toml", "[python]\nvenv = \".venv\"\n");
    let doc = "# Venv\n\n```python\nimport subprocess, sys\n\n\
               code = \"import sys; print(sys.prefix != sys.base_prefix)\"\n\
               print(subprocess.check_output([sys.executable, \"-c\", code], text=True).strip())  # True\n```\n";
    common::write(dir.path(), "venv.md", doc);
    let out = run_in(
        dir.path(),
        &["check", "venv.md", "--no-sandbox", "--no-cache"],
    );
    assert_exit(&out, 0);
}

#[test]
fn setup_code_is_no_example_but_a_failed_setup_is_an_error_and_stops_its_group() {
    let (out, report) = check("setup", &[]);
    assert_exit(&out, 1);
    let want = [
        ("setup-is-bookkeeping::2", "pass"),
        ("setup-is-bookkeeping::3", "pass"),
        ("a-setup-that-fails::1", "error"),
        ("a-setup-that-fails::2", "error"),
        ("a-setup-that-fails::3", "error"),
    ];
    assert_eq!(statuses(&report), owned(&want), "{report:#}");
    // The failed setup is the error on its own line; what depended on it
    // says so, and never passes.
    assert_eq!(
        field(&report, "a-setup-that-fails::1", "/error/message"),
        "the fixture server is down"
    );
    let line = report["documents"][0]["examples"][2]["error"]["line"].as_u64();
    assert_eq!(line, Some(24), "{report:#}");
    for dependent in ["a-setup-that-fails::2", "a-setup-that-fails::3"] {
        let message = field(&report, dependent, "/error/message");
        assert!(message.contains("setup code (line 23) failed"), "{message}");
    }
    let s = &report["summary"];
    assert_eq!(
        (s["examples"].as_u64(), s["pass"].as_u64()),
        (Some(5), Some(2))
    );
    assert_eq!(
        (s["error"].as_u64(), s["setup"].as_u64()),
        (Some(3), Some(2))
    );
    let setup = report["documents"][0]["setup"].as_array().unwrap();
    assert_eq!(
        setup.len(),
        2,
        "the {{testsetup}} and {{testcleanup}} that ran"
    );

    // Every format counts the same examples.
    let human = snipcheck(&["check", &format!("{FIXTURES}/setup"), "--no-cache"]);
    let human = text(&human.stdout);
    assert!(
        human.contains("5 examples: 2 pass, 0 drift, 3 error"),
        "{human}"
    );
    assert!(
        human.contains("2 setup/cleanup block(s), not counted"),
        "{human}"
    );
    let junit = snipcheck(&[
        "check",
        &format!("{FIXTURES}/setup"),
        "--no-cache",
        "--format",
        "junit",
    ]);
    let junit = text(&junit.stdout);
    assert!(junit.contains("tests=\"5\""), "{junit}");
    assert!(junit.contains("errors=\"3\""), "{junit}");
}

#[test]
fn a_name_error_where_another_exception_was_expected_is_an_error_not_a_drift() {
    let (out, report) = check("nameerror", &[]);
    assert_exit(&out, 1);
    let want = [
        ("a-name-from-elsewhere::1", "error"),
        ("the-same-by-its-module-path::1", "error"),
        ("a-script-that-says-it-raises::1", "error"),
        ("nameerror-on-purpose::1", "pass"),
        ("a-real-drift-stays-a-drift::1", "drift"),
        ("a-real-hold::1", "pass"),
    ];
    assert_eq!(statuses(&report), owned(&want), "{report:#}");
    for (id, name) in [
        ("a-name-from-elsewhere::1", "raw_value"),
        ("the-same-by-its-module-path::1", "parse"),
        ("a-script-that-says-it-raises::1", "missing_number"),
    ] {
        assert_eq!(field(&report, id, "/error/type"), "NameError");
        let message = field(&report, id, "/error/message");
        assert_eq!(message, format!("name '{name}' is not defined"));
    }
}

/// The embedded CPython's `(major, minor)`, from a report.
fn running(report: &serde_json::Value) -> (u32, u32) {
    let version = report["python"].as_str().unwrap();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

#[test]
fn syntax_of_a_newer_python_is_skipped_naming_the_version_and_line() {
    let (out, report) = check("newer", &[]);
    assert_exit(&out, 1);
    let newer = [
        (
            "generic-classes::1",
            (3, 12),
            "type parameters (PEP 695), line 4",
        ),
        (
            "generic-functions::1",
            (3, 12),
            "type parameters (PEP 695), line 15",
        ),
        (
            "type-aliases::1",
            (3, 12),
            "a `type` alias (PEP 695), line 25",
        ),
        (
            "nested-quotes-in-f-strings::1",
            (3, 12),
            "an f-string reusing its quotes",
        ),
        (
            "type-parameter-defaults::1",
            (3, 13),
            "type parameter defaults (PEP 696), line 40",
        ),
    ];
    let here = running(&report);
    for (id, (major, minor), what) in newer.into_iter().filter(|(_, v, _)| *v > here) {
        assert_eq!(field(&report, id, "/status"), "skipped", "{id}");
        let reason = field(&report, id, "/skip_reason");
        let want = format!("needs Python {major}.{minor}: {what}");
        assert!(reason.starts_with(&want), "{id}: {reason}");
    }
    // A syntax error of no Python is still an error; what this one reads runs.
    assert_eq!(field(&report, "a-real-syntax-error::1", "/status"), "error");
    assert_eq!(
        field(&report, "code-this-cpython-reads::1", "/status"),
        "pass"
    );
}

#[test]
fn python_min_skips_the_documents_it_covers_under_an_older_cpython() {
    let (out, report) = check("min", &[]);
    assert_exit(&out, 0);
    let runs = field(&report, "runs-anywhere::1", "/status");
    assert_eq!(runs, "pass");
    let ids = ["written-for-312::1", "written-for-312::2"];
    if running(&report) >= (3, 12) {
        assert!(ids.iter().all(|id| field(&report, id, "/status") == "pass"));
        return;
    }
    for id in ids {
        assert_eq!(field(&report, id, "/status"), "skipped", "{report:#}");
        let reason = field(&report, id, "/skip_reason");
        assert!(
            reason.starts_with("needs Python 3.12 ([python] min)"),
            "{reason}"
        );
    }
    // A version that is none is a config error naming the file and line.
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "doc.md", "# A\n\n```python\nx = 1\n```\n");
    common::write(dir.path(), "snipcheck.toml", "[python]\nmin = \"three\"\n");
    let out = run_in(dir.path(), &["check", "doc.md"]);
    assert_exit(&out, 2);
    let said = text(&out.stderr);
    assert!(
        said.contains("snipcheck.toml:2") && said.contains("`three`"),
        "{said}"
    );
}

/// Copies `from` (files only, recursively) into `to`.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn init_imports_a_name_the_project_exports_and_stubs_only_what_nothing_exports() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join(FIXTURES).join("init"), dir.path());
    let out = run_in(dir.path(), &["init", "guide.md"]);
    assert_exit(&out, 0);
    let config = std::fs::read_to_string(dir.path().join("snipcheck.toml")).unwrap();
    let parsed: toml::Value = toml::from_str(&config).unwrap();
    let setup = parsed["run"]["setup"].as_str().unwrap_or_default();
    assert!(setup.contains("from unitconv import Converter"), "{config}");
    assert!(setup.contains("from typing import Any"), "{config}");
    assert!(
        !setup.contains("import T"),
        "typing has no public T: {config}"
    );
    let stubs = parsed["stubs"].as_table().unwrap();
    assert!(!stubs.contains_key("Converter"), "{config}");
    assert!(stubs.contains_key("make_widget"), "{config}");
    let out = run_in(dir.path(), &["check", "guide.md", "--no-cache"]);
    assert_exit(&out, 0);
}
