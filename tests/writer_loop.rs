//! The writer's loop has no surprises: each case is a bug a new user met
//! (issue 22), run through the real binary.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{assert_exit, text};

fn snipcheck_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .output()
        .expect("the binary runs")
}

/// Two documents with an example on the same lines.
fn two_documents() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        std::fs::write(
            dir.path().join(format!("{name}.md")),
            format!("# {name}\n\n```python\nprint('{name}')  # {name}\n```\n"),
        )
        .unwrap();
    }
    dir
}

#[test]
fn example_file_line_as_reports_print_it_selects_that_documents_example() {
    let dir = two_documents();
    for place in ["a.md:3", "./a.md:4", "a.md:4:16"] {
        let out = snipcheck_in(dir.path(), &["check", "--no-cache", "--example", place]);
        assert_exit(&out, 0);
        let stdout = text(&out.stdout);
        assert!(stdout.contains("PASS    a::a::1"), "{place}: {stdout}");
        assert!(!stdout.contains("b::b::1"), "{place}: {stdout}");
    }
    let out = snipcheck_in(dir.path(), &["check", "--no-cache", "--example", "3"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("a::a::1") && stdout.contains("b::b::1"),
        "a bare line: {stdout}"
    );
    let out = snipcheck_in(dir.path(), &["check", "--example", "c.md:3"]);
    assert_exit(&out, 2);
}

#[test]
fn jobs_zero_says_what_jobs_means() {
    let dir = two_documents();
    let out = snipcheck_in(dir.path(), &["check", "--jobs", "0"]);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("must be at least 1"), "{stderr}");
    assert!(!stderr.contains("non-zero type"), "{stderr}");
}

#[test]
fn a_path_reads_the_same_however_it_was_found() {
    let dir = two_documents();
    let walked = text(&snipcheck_in(dir.path(), &["check", "--no-cache", "."]).stdout);
    let named = text(&snipcheck_in(dir.path(), &["check", "--no-cache", "./a.md", "b.md"]).stdout);
    let places = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with("PASS"))
            .map(|l| l.split_whitespace().last().unwrap().to_string())
            .collect()
    };
    assert_eq!(places(&walked), ["a.md:3", "b.md:3"], "{walked}");
    assert_eq!(places(&named), places(&walked), "{named}");
}

#[test]
fn scripts_check_takes_paths_relative_to_where_it_is_called() {
    let dir = two_documents();
    let out = Command::new(common::root().join("scripts/check"))
        .arg("a.md")
        .arg("--no-cache")
        .current_dir(dir.path())
        .env("SNIPCHECK", env!("CARGO_BIN_EXE_snipcheck"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("PASS    a::a::1"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn record_that_cannot_reach_the_network_is_not_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("doc.md"),
        "# Fetch\n\n```python\nimport urllib.request\n\
         print(urllib.request.urlopen('http://snipcheck-test.invalid/x').status)  # 200\n```\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("snipcheck.toml"), "").unwrap();
    let out = snipcheck_in(dir.path(), &["record", "--allow-network", "doc.md"]);
    assert_exit(&out, 4);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("network failure"), "{stderr}");
}

#[test]
fn update_rewrites_the_claims_before_a_raising_line_and_says_so_of_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("doc.md");
    let before =
        "# U\n\n```python\nprint(len(\"abc\"))  # 4\nd = {}\nd[\"k\"]\nprint(2)  # 3\n```\n";
    std::fs::write(&doc, before).unwrap();
    let out = snipcheck_in(dir.path(), &["update", "--no-cache", "doc.md"]);
    assert_exit(&out, 1);
    let after = std::fs::read_to_string(&doc).unwrap();
    assert_eq!(
        after,
        before.replace("# 4", "# 3"),
        "the claim before the error is updated"
    );
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("doc.md:4: left as is"),
        "the updated claim is not left: {stderr}"
    );
    assert!(
        stderr.contains("doc.md:7: left as is: the claim was not reached"),
        "{stderr}"
    );
    assert!(
        stderr.contains("doc.md:6: example doc::u::1 raised KeyError"),
        "{stderr}"
    );
}

#[test]
fn a_varying_claim_names_only_the_source_that_differed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("doc.md"),
        "# Dice\n\n```python\nimport random, time\nprint(random.randint(1, 6))  # 4\n```\n\n\
         # Clock\n\n```python\nprint(int(time.time()) % 7)  # 3\n```\n",
    )
    .unwrap();
    let out = snipcheck_in(
        dir.path(),
        &["check", "--no-cache", "--format", "json", "doc.md"],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = report["documents"][0]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["claims"].as_array().unwrap())
        .filter(|c| c["verdict"] == "varies")
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["varies: random", "varies: the clock"], "{report}");
}

#[test]
fn snipcheck_python_names_both_the_cpython_built_against_and_the_one_that_runs() {
    let out = snipcheck_in(&common::root(), &["python"]);
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    let version = |prefix: &str| -> String {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{stdout}"));
        let v = line[prefix.len()..].split_whitespace().next().unwrap();
        v.split('.').take(2).collect::<Vec<_>>().join(".")
    };
    assert_eq!(
        version("CPython "),
        version("built against CPython "),
        "{stdout}"
    );
}
