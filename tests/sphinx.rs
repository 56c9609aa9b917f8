//! Docs written for Sphinx's doctest builder (MyST), run as it runs them:
//! directive options, `conf.py`, groups and plain fences, nested directives.

mod common;
use common::{assert_exit, snipcheck, text};

/// `(id without the document, status, fence line, skip reason)` of every
/// example of a JSON report.
type Row = (String, String, u64, Option<String>);

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr));
    })
}

fn rows(report: &serde_json::Value) -> Vec<Row> {
    report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["examples"].as_array().unwrap())
        .map(|e| {
            let id = e["id"].as_str().unwrap();
            let short = id.split_once("::").map_or(id, |(_, rest)| rest);
            (
                short.to_string(),
                e["status"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
                e["skip_reason"].as_str().map(String::from),
            )
        })
        .collect()
}

fn check(args: &[&str]) -> (serde_json::Value, Vec<Row>) {
    let mut all = vec!["check", "--no-snapshots", "--format", "json"];
    all.extend_from_slice(args);
    let out = snipcheck(&all);
    assert_exit(&out, 1);
    let report = json(&out);
    let rows = rows(&report);
    (report, rows)
}

/// `(short id suffix, status)`: every example, in order.
fn statuses(rows: &[Row]) -> Vec<(&str, &str)> {
    rows.iter()
        .map(|(id, status, ..)| (id.as_str(), status.as_str()))
        .collect()
}

fn reason_of<'a>(rows: &'a [Row], id: &str) -> &'a str {
    rows.iter()
        .find(|r| r.0 == id)
        .and_then(|r| r.3.as_deref())
        .unwrap_or_else(|| panic!("{id} has no skip reason: {rows:?}"))
}

#[test]
fn options_skip_and_flags_are_honoured() {
    let (_, rows) = check(&["tests/fixtures/sphinx/options/"]);
    assert_eq!(
        statuses(&rows),
        [
            ("skipped-by-its-options::1", "skipped"),
            ("skipped-yaml-options::1", "skipped"),
            ("skipped-among-other-flags::1", "skipped"),
            ("whitespace-normalised::1", "pass"),
            ("whitespace-normalised-yaml::1", "pass"),
            ("ellipsis-turned-back-on-inline::1", "pass"),
            ("hidden-but-run::1", "pass"),
            ("drifts-ellipsis-turned-off::1", "drift"),
            ("drifts-whitespace-not-normalised::1", "drift"),
            ("drifts-hidden-blocks-run-too::1", "drift"),
            ("drifts-skip-turned-off::1", "drift"),
            ("output-with-an-ellipsis-option::1", "pass"),
            ("output-whose-options-skip-the-pair::1", "skipped"),
            ("output-with-yaml-options::1", "pass"),
            ("drifts-output-under-options::1", "drift"),
            ("drifts-hidden-testcode-runs::1", "drift"),
            ("drifts-yaml-optioned-output::1", "drift"),
            ("output-normalised-across-lines::1", "pass"),
            ("drifts-one-line-without-the-option::1", "drift"),
        ]
    );
    assert_eq!(
        reason_of(&rows, "skipped-yaml-options::1"),
        ":options: +SKIP"
    );
}

#[test]
fn option_lines_keep_the_guide_lines() {
    let out = snipcheck(&[
        "check",
        "--no-snapshots",
        "tests/fixtures/sphinx/options/testoutput.md",
    ]);
    let stdout = text(&out.stdout);
    // The drifting `41` is guide line 49, under two option lines.
    assert!(
        stdout.contains("testoutput.md:49:1") && stdout.contains("49 | 41"),
        "{stdout}"
    );
}

#[test]
fn skipif_and_pyversion_are_evaluated_as_sphinx_does() {
    let (_, rows) = check(&["tests/fixtures/sphinx/conditions/"]);
    assert_eq!(
        statuses(&rows),
        [
            ("skipped-when-the-condition-holds::1", "skipped"),
            ("skipped-by-a-name-the-expression-imports::1", "skipped"),
            ("skipped-on-a-future-python::1", "skipped"),
            ("skipped-testcode::1", "skipped"),
            ("the-outputs-skipif-skips-only-the-comparison::1", "pass"),
            ("runs-on-this-python::1", "pass"),
            ("runs-when-the-condition-is-false::1", "pass"),
            ("drifts-false-condition-runs-it::1", "drift"),
            ("drifts-the-version-matches::1", "drift"),
            (
                "drifts-output-compared-when-the-outputs-skipif-is-false::1",
                "drift"
            ),
            ("drifts-a-yaml-skipif-that-is-false::1", "drift"),
        ]
    );
    assert_eq!(
        reason_of(&rows, "skipped-on-a-future-python::1"),
        "needs Python > 3.99"
    );
    assert_eq!(
        reason_of(&rows, "skipped-when-the-condition-holds::1"),
        ":skipif: True"
    );
}

#[test]
fn plain_fences_are_not_run_by_sphinx_and_strict_runs_them_apart() {
    let expected = |plain: &'static str| {
        [
            ("a-plain-fence-is-not-run::1", plain),
            ("nor-is-a-plain-session::1", plain),
            ("a-group-sees-its-setup::1", "pass"),
            ("every-group-sees-the-star-setup::1", "pass"),
            ("a-block-in-two-groups::1", "pass"),
            ("a-star-block-runs-in-every-group::1", "pass"),
            ("groups-keep-their-own-names::1", "pass"),
            ("drifts-a-groups-value::1", "drift"),
            ("drifts-the-star-setup-in-a-new-group::1", "drift"),
            ("drifts-testcode-in-a-group::1", "drift"),
        ]
    };
    let (report, rows) = check(&["tests/fixtures/sphinx/plain/"]);
    assert_eq!(statuses(&rows), expected("skipped"));
    assert_eq!(
        reason_of(&rows, "a-plain-fence-is-not-run::1"),
        "not run by Sphinx doctest"
    );
    let unrun = &report["summary"]["not_run_by"][0];
    assert_eq!(
        (unrun["tool"].as_str(), unrun["blocks"].as_u64()),
        (Some("Sphinx doctest"), Some(2))
    );

    let strict = "tests/fixtures/sphinx/plain/strict.toml";
    let (report, rows) = check(&["--config", strict, "tests/fixtures/sphinx/plain/"]);
    // Run, they fail: the names they use are a group's, which they cannot see.
    assert_eq!(statuses(&rows), expected("error"));
    let unrun = &report["summary"]["not_run_by"][0];
    assert_eq!(
        (unrun["ran"].as_u64(), unrun["failed"].as_u64()),
        (Some(2), Some(2))
    );
}

#[test]
fn nested_directives_run_at_their_guide_lines() {
    let (_, rows) = check(&["tests/fixtures/sphinx/nested/"]);
    let got: Vec<(&str, &str, u64)> = rows
        .iter()
        .map(|(id, status, line, _)| (id.as_str(), status.as_str(), *line))
        .collect();
    assert_eq!(
        got,
        [
            ("in-a-note::1", "pass", 11),
            ("in-an-admonition-with-options::1", "pass", 22),
            ("three-deep::1", "pass", 36),
            ("in-a-colon-fence::1", "pass", 47),
            ("in-nested-colon-fences::1", "pass", 59),
            ("drifts-in-a-note::1", "drift", 72),
            ("drifts-three-deep::1", "drift", 85),
            ("drifts-in-a-colon-fence::1", "drift", 96),
        ],
        "a code block's fences are its text, not examples"
    );
}

#[test]
fn conf_py_is_read_never_run() {
    let (report, rows) = check(&["tests/fixtures/sphinx/project/"]);
    assert_eq!(
        statuses(&rows),
        [
            ("global-setup-in-the-default-group::1", "pass"),
            ("global-setup-in-a-named-group::1", "pass"),
            ("default-flags-normalise-whitespace::1", "pass"),
            ("a-plain-fence-is-left-alone::1", "skipped"),
            ("drifts-a-value-from-the-global-setup::1", "drift"),
            (
                "drifts-exception-details-count-without-ignore_exception_detail::1",
                "drift"
            ),
            ("drifts-testcode-sees-the-global-setup::1", "drift"),
            ("prose-with-plain-fences::1", "skipped"),
            ("prose-with-plain-fences::2", "skipped"),
            ("prose-with-plain-fences::3", "skipped"),
        ],
        "a document without directives is Sphinx's when its conf.py enables the doctest extension"
    );
    let conventions = report["conventions"].as_array().unwrap();
    assert_eq!(
        conventions[0],
        "tests/fixtures/sphinx/project/docs/conf.py (Sphinx doctest)"
    );
    assert!(
        conventions[1]
            .as_str()
            .unwrap()
            .contains("conf.py:10: `myst_enable_extensions`"),
        "what it cannot read is named, with its line: {conventions:?}"
    );
    let out = snipcheck(&["check", "--no-snapshots", "tests/fixtures/sphinx/project/"]);
    assert!(
        text(&out.stdout)
            .contains("conventions: tests/fixtures/sphinx/project/docs/conf.py (Sphinx doctest)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn sphinx_settings_in_snipcheck_toml_win_over_conf_py() {
    let (_, rows) = check(&["tests/fixtures/sphinx/override/"]);
    assert_eq!(
        statuses(&rows),
        [
            ("the-configs-global-setup::1", "pass"),
            ("its-default-flags::1", "pass"),
            ("the-run-setup-with-it::1", "pass"),
            ("drifts-confpys-setup-is-not-used::1", "drift"),
            ("drifts-whitespace-is-not-normalised::1", "drift"),
            ("drifts-no-ignore_exception_detail::1", "drift"),
        ]
    );
}

#[test]
fn an_unknown_default_flag_is_bad_input_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("doc.md"), "```{doctest}\n>>> 1\n1\n```\n").unwrap();
    let toml = dir.path().join("snipcheck.toml");
    std::fs::write(&toml, "[sphinx]\n\ndefault_flags = [\"ELIPSIS\"]\n").unwrap();
    let out = snipcheck(&["check", dir.path().to_str().unwrap()]);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("snipcheck.toml:3:") && stderr.contains("`ELIPSIS` is not a doctest flag"),
        "{stderr}"
    );
}
