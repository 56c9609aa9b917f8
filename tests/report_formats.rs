//! Golden tests of every report format on one small document
//! (`tests/fixtures/report-formats/`): a passing example, a drifting
//! trailing claim, a drifting multi-line `# Output:` claim, an example that
//! raises, and a skipped one. The report comes from the real pipeline.
//!
//! Two things change from machine to machine and are redacted: the embedded
//! CPython version (`[PYTHON]`; CI and the reference machine differ in minor
//! as well as patch version) and the run time (`[ELAPSED]`).

use std::path::PathBuf;
use std::sync::OnceLock;

use snipcheck::check::{self, Settings};
use snipcheck::report::{Report, github, json, junit, markdown};
use snipcheck::verdict::Status;

const DOC: &str = "tests/fixtures/report-formats/report-formats.md";

fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let mut settings = Settings::new(PathBuf::from(env!("CARGO_BIN_EXE_snipcheck")));
        settings.snapshots = false;
        std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("package root");
        check::check_documents(&[PathBuf::from(DOC)], &settings).expect("the fixture runs")
    })
}

/// The guide line (1-based) whose text is exactly `text`.
fn line_of(text: &str) -> usize {
    let source = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DOC))
        .expect("fixture");
    source
        .lines()
        .position(|l| l == text)
        .unwrap_or_else(|| panic!("no line {text:?} in the fixture"))
        + 1
}

/// Lines of the fixture the assertions point at.
struct Lines {
    trailing: usize,
    output: usize,
    output_end: usize,
    raises: usize,
}

fn lines() -> Lines {
    Lines {
        trailing: line_of("print(celsius)  # 26"),
        output: line_of("# Output:"),
        output_end: line_of("# Rob"),
        raises: line_of("print(settings[\"b\"])  # 2"),
    }
}

/// Redacts what differs between machines and runs.
fn stable(text: &str) -> String {
    let report = report();
    let text = text
        .replace(&report.run.python, "[PYTHON]")
        .replace(&report.run.sandbox, "[SANDBOX]");
    let elapsed =
        regex::Regex::new(r#"(<testsuites [^>]*time="|"elapsed_seconds": )[0-9.]+("?)"#).unwrap();
    elapsed.replace_all(&text, "${1}[ELAPSED]${2}").into_owned()
}

#[test]
fn the_fixture_has_one_example_of_each_outcome() {
    let report = report();
    assert!(report.run.python.starts_with("3."), "{}", report.run.python);
    let s = report.summary();
    assert_eq!(
        (s.examples, s.pass, s.drift, s.error, s.skipped),
        (5, 1, 2, 1, 1)
    );
    assert!(!report.is_success());
}

#[test]
fn no_format_carries_terminal_colours() {
    let report = report();
    for (name, text) in [
        ("junit", junit::render(report)),
        ("github", github::render(report)),
        ("markdown", markdown::render(report)),
        ("json", json::render(report)),
    ] {
        assert!(!text.contains('\x1b'), "{name} has ANSI escapes:\n{text}");
    }
}

#[test]
fn junit() {
    let xml = junit::render(report());
    let at = lines();
    // The `<testcase …>` element of one example, up to its end.
    let case = |id: &str| {
        let start = xml
            .find(&format!("<testcase name=\"{id}\""))
            .unwrap_or_else(|| panic!("no testcase {id}:\n{xml}"));
        let rest = &xml[start..];
        let open = rest.find('>').unwrap() + 1;
        let end = if rest[..open].ends_with("/>") {
            open
        } else {
            rest.find("</testcase>").unwrap() + "</testcase>".len()
        };
        rest[..end].to_string()
    };
    let trailing = case("report-formats::trailing-drift::1");
    assert!(
        trailing.contains(&format!(
            "<failure message=\"{DOC}:{}\" type=\"drift\">",
            at.trailing
        )),
        "{trailing}"
    );
    assert!(
        trailing.contains(&format!("file=\"{DOC}\" line=\"15\"")),
        "{trailing}"
    );
    let output = case("report-formats::output-drift::1");
    assert!(
        output.contains(&format!("message=\"{DOC}:{}\"", at.output)),
        "{output}"
    );
    let raises = case("report-formats::raises::1");
    assert!(
        raises.contains("<error message=\"KeyError: &apos;b&apos;\" type=\"error\">"),
        "{raises}"
    );
    assert!(case("report-formats::skipped::1").contains("<skipped message=\"needs a GPU\"/>"));
    assert!(case("report-formats::passing::1").ends_with("/>"));
    insta::assert_snapshot!("junit", stable(&xml));
}

#[test]
fn github() {
    let text = github::render(report());
    let at = lines();
    let annotations: Vec<&str> = text.lines().collect();
    assert!(
        annotations
            .iter()
            .all(|l| l.starts_with("::error ") || l.starts_with("::notice::")),
        "one command per line:\n{text}"
    );
    let trailing = format!(
        "::error file={DOC},line={},title=snipcheck drift (report-formats%3A%3Atrailing-drift%3A%3A1)::expected 26, got 25",
        at.trailing
    );
    assert!(annotations.contains(&trailing.as_str()), "{text}");
    let output = format!(
        "::error file={DOC},line={},endLine={},title=snipcheck drift (report-formats%3A%3Aoutput-drift%3A%3A1)::",
        at.output, at.output_end
    );
    assert!(annotations.iter().any(|l| l.starts_with(&output)), "{text}");
    let raises = format!(
        "::error file={DOC},line={},title=snipcheck error (",
        at.raises
    );
    assert!(annotations.iter().any(|l| l.starts_with(&raises)), "{text}");
    assert_eq!(
        annotations.len(),
        4,
        "3 annotations and the summary:\n{text}"
    );
    assert!(
        annotations[3]
            .starts_with("::notice::snipcheck: 5 examples: 1 pass, 2 drift, 1 error, 1 skipped")
    );
    insta::assert_snapshot!("github", stable(&text));
}

#[test]
fn markdown() {
    let text = markdown::render(report());
    let at = lines();
    let row = |id: &str| {
        text.lines()
            .find(|l| l.starts_with('|') && l.contains(&format!("`{id}`")))
            .unwrap_or_else(|| panic!("no row for {id}:\n{text}"))
            .to_string()
    };
    let trailing = row("report-formats::trailing-drift::1");
    assert!(trailing.starts_with("| drift |"), "{trailing}");
    assert!(
        trailing.contains(&format!("`{DOC}:{}`", at.trailing)),
        "{trailing}"
    );
    let output = row("report-formats::output-drift::1");
    assert!(
        output.contains(&format!("`{DOC}:{}`", at.output)),
        "{output}"
    );
    let raises = row("report-formats::raises::1");
    assert!(
        raises.contains(&format!("`{DOC}:{}`", at.raises)),
        "{raises}"
    );
    assert!(
        !text.contains("report-formats::passing::1") && !text.contains("skipped::1"),
        "only the examples that did not pass are listed:\n{text}"
    );
    assert_eq!(text.matches("<details>").count(), 3, "{text}");
    assert!(text.contains("```diff\n"), "{text}");
    insta::assert_snapshot!("markdown", stable(&text));
}

#[test]
fn json() {
    let text = json::render(report());
    let at = lines();
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let examples = value["documents"][0]["examples"].as_array().unwrap();
    let drifting: Vec<(String, u64)> = examples
        .iter()
        .flat_map(|e| e["claims"].as_array().unwrap())
        .filter(|c| c["verdict"] == "drifts")
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        drifting,
        [
            ("trailing".to_string(), at.trailing as u64),
            ("output".to_string(), at.output as u64)
        ]
    );
    insta::assert_snapshot!("json", stable(&text));
}

#[test]
fn markdown_when_everything_passes() {
    let mut report = report().clone();
    for doc in &mut report.documents {
        doc.examples
            .retain(|e| matches!(e.status, Status::Pass | Status::Skipped));
    }
    let text = markdown::render(&report);
    assert!(
        text.starts_with("## snipcheck · 1 example passes, 1 skipped"),
        "{text}"
    );
    assert!(!text.contains("<details>"), "{text}");
    insta::assert_snapshot!("markdown_all_pass", stable(&text));
}
