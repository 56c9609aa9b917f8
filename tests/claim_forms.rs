//! Every claim form on one test document (`tests/fixtures/claim-forms/`):
//! section titles say what each claim must come to, and this checks it,
//! claim by claim, plus the numbers the forms must reach.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn report() -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(["check", "tests/fixtures/claim-forms", "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("snipcheck runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the document has drifts and errors on purpose"
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn section(example: &Value) -> String {
    example["id"]
        .as_str()
        .unwrap()
        .split("::")
        .nth(1)
        .unwrap()
        .to_string()
}

fn verdicts(example: &Value) -> Vec<(u64, String, String)> {
    example["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (c["line"].as_u64().unwrap(), s("kind"), s("verdict"))
        })
        .collect()
}

#[test]
fn every_claim_comes_to_what_its_section_says() {
    let report = report();
    let mut tally: BTreeMap<(String, String), usize> = BTreeMap::new();
    for example in report["documents"][0]["examples"].as_array().unwrap() {
        let section = section(example);
        let claims = verdicts(example);
        for (_, kind, verdict) in &claims {
            // `#>` is the arrow form's other spelling.
            let form = if kind == "chevron" { "arrow" } else { kind };
            *tally
                .entry((form.to_string(), verdict.clone()))
                .or_default() += 1;
        }
        let all = |verdict: &str| claims.iter().all(|(_, _, v)| v == verdict);
        if section.ends_with("-that-hold") {
            assert!(!claims.is_empty() && all("holds"), "{section}: {claims:?}");
            assert_eq!(example["status"], "pass", "{section}");
        } else if section.ends_with("-that-drift") {
            assert!(!claims.is_empty() && all("drifts"), "{section}: {claims:?}");
            assert_eq!(example["status"], "drift", "{section}");
        } else if section.ends_with("-that-vary") {
            assert!(!claims.is_empty() && all("varies"), "{section}: {claims:?}");
            assert_eq!(example["status"], "pass", "varying is not a failure");
            for claim in example["claims"].as_array().unwrap() {
                let rule = claim["rule"].as_str().unwrap_or("");
                assert!(
                    rule.len() > "varies: ".len() && rule.starts_with("varies: "),
                    "{rule}"
                );
                // A line that shows its source names that one alone.
                let expected = claim["expected"].as_str().unwrap_or("");
                if expected.starts_with("0.8444") {
                    assert_eq!(rule, "varies: random");
                } else if expected.starts_with("1700000000") {
                    assert_eq!(rule, "varies: the clock");
                } else if expected.starts_with("1400000") {
                    assert_eq!(rule, "varies: id()");
                }
            }
        } else if section.contains("prose") {
            assert!(
                all("unchecked"),
                "prose is never a claim that holds or drifts: {claims:?}"
            );
            assert_eq!(example["status"], "pass", "{section}");
        }
    }
    for form in ["value", "doctest", "docstring", "output_block", "arrow"] {
        for verdict in ["holds", "drifts"] {
            let n = tally
                .get(&(form.to_string(), verdict.to_string()))
                .copied()
                .unwrap_or(0);
            assert!(n >= 5, "{form} {verdict}: only {n} ({tally:?})");
        }
    }
}

#[test]
fn skips_placeholders_and_errors() {
    let report = report();
    let examples = report["documents"][0]["examples"].as_array().unwrap();
    let by_section = |name: &str| examples.iter().find(|e| section(e) == name).unwrap();

    let skips = verdicts(by_section("session-skips"));
    assert_eq!(skips.last().unwrap().2, "skipped", "+SKIP is honoured");

    let placeholder = by_section("docstrings-with-a-placeholder");
    assert_eq!(placeholder["status"], "error");
    assert_eq!(placeholder["error"]["type"], "NameError");
    assert_eq!(
        verdicts(placeholder),
        [(179, "docstring".into(), "error".into())]
    );

    let after_error = by_section("claims-after-an-error-are-not-reached");
    assert_eq!(
        verdicts(after_error),
        [
            (357, "trailing".into(), "holds".into()),
            (359, "trailing".into(), "not_reached".into())
        ]
    );
}

#[test]
fn the_prose_sections_hold_at_least_ten_comments() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claim-forms/claim-forms.md");
    let doc = snipcheck::markdown::Document::load(&path).unwrap();
    let comments: usize = doc
        .examples
        .iter()
        .filter(|e| e.section.contains("prose"))
        .map(|e| {
            snipcheck::pysource::lines(&e.code)
                .iter()
                .filter(|l| l.comment.is_some())
                .count()
        })
        .sum();
    assert!(comments >= 10, "{comments} prose comments");
}

/// Issue #11: every matching rule has a section of at least three claims
/// that hold (each naming that rule in `rule`) and three that drift.
#[test]
fn each_rule_holds_three_times_by_name_and_drifts_three_times() {
    let report = report();
    let mut counts: BTreeMap<(String, bool), usize> = BTreeMap::new();
    for example in report["documents"][0]["examples"].as_array().unwrap() {
        let section = section(example);
        let Some(rest) = section.strip_prefix("rule-") else {
            continue;
        };
        let (rule, holds) = match rest.strip_suffix("-that-hold") {
            Some(rule) => (rule, true),
            None => (rest.strip_suffix("-that-drift").unwrap(), false),
        };
        for claim in example["claims"].as_array().unwrap() {
            if holds && claim["kind"] != "doctest" {
                let named = claim["rule"].as_str().unwrap_or("");
                assert!(
                    named.split('+').any(|r| r == rule),
                    "{section}: line {} held by {named:?}",
                    claim["line"]
                );
            }
            *counts.entry((rule.to_string(), holds)).or_default() += 1;
        }
    }
    let rules = [
        "normalize_whitespace",
        "literal",
        "quoted",
        "labelled_value",
        "address",
        "commentary",
        "label",
    ];
    for rule in rules {
        for holds in [true, false] {
            let n = counts.get(&(rule.to_string(), holds)).copied().unwrap_or(0);
            assert!(n >= 3, "{rule} holds={holds}: {n} cases");
        }
    }
}

/// Comments that are not claims make none: bindings, annotation markers.
#[test]
fn comments_on_bindings_and_annotations_make_no_claim() {
    let report = report();
    for example in report["documents"][0]["examples"].as_array().unwrap() {
        let section = section(example);
        if [
            "comments-on-bindings-are-prose",
            "annotation-markers-are-prose",
        ]
        .contains(&section.as_str())
        {
            assert_eq!(example["claims"].as_array().unwrap().len(), 0, "{section}");
        }
    }
}

/// Issue #11 §6: the summary counts claims by verdict, and the JSON lists
/// each comment read as prose.
#[test]
fn summary_counts_claims_and_json_lists_prose() {
    let report = report();
    let examples = report["documents"][0]["examples"].as_array().unwrap();
    let by_section = |name: &str| examples.iter().find(|e| section(e) == name).unwrap();
    let prose: Vec<String> = by_section("comments-on-bindings-are-prose")["prose"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap().to_string())
        .collect();
    for text in [
        ". matches any character",
        "int",
        "the count",
        "True",
        "loud",
        "a container",
        "defaults",
    ] {
        assert!(prose.iter().any(|p| p == text), "{text} in {prose:?}");
    }
    let word_like = by_section("word-like-prose-beside-a-sentence")["prose"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(word_like, 3, "unchecked claims are listed as prose");

    let c = &report["summary"]["claims"];
    let n = |k: &str| c[k].as_u64().unwrap();
    let claims: usize = examples
        .iter()
        .map(|e| e["claims"].as_array().unwrap().len())
        .sum();
    let unchecked = examples
        .iter()
        .flat_map(|e| e["claims"].as_array().unwrap())
        .filter(|c| c["verdict"] == "unchecked")
        .count();
    let prose_total: usize = examples
        .iter()
        .map(|e| e["prose"].as_array().unwrap().len())
        .sum();
    assert_eq!(n("prose") as usize, prose_total);
    assert_eq!(
        n("total") as usize,
        claims - unchecked + prose_total,
        "every claim and prose comment counted once"
    );
    assert!(n("hold") > 80 && n("drift") > 70, "{c}");
    assert_eq!(n("vary"), 4, "{c}");
    assert_eq!(report["summary"]["second_run_documents"], 1);
}
