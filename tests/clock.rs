//! The virtual clock keeps the real `datetime` types: the module behaves
//! with the clock installed as it does without, and documents that check
//! types (as dirty-equals, pydantic or arrow do) are judged on their values.

use pyo3::prelude::*;

mod common;
use common::{assert_exit, snipcheck, text};

/// `tests/python/clock_differential.py`'s fingerprints of the real module,
/// then of the module once the harness (and so the clock) is loaded, in this
/// one interpreter: the two must agree on every call.
#[test]
fn datetime_behaves_as_the_real_module_with_the_clock_installed() {
    snipcheck::run::prepare_process();
    let source = include_str!("python/clock_differential.py");
    Python::attach(|py| {
        let code = std::ffi::CString::new(source).unwrap();
        let module = pyo3::types::PyModule::from_code(
            py,
            &code,
            c"clock_differential.py",
            c"clock_differential",
        )
        .expect("the differential test compiles");
        let run = || -> std::collections::BTreeMap<String, String> {
            let prints = module.call_method0("fingerprints").unwrap();
            prints.extract().unwrap()
        };
        let real = run();
        snipcheck::run::load_harness(py).expect("the harness loads");
        let clocked = run();
        assert!(real.len() > 100_000, "only {} calls compared", real.len());
        let differ: Vec<String> = real
            .iter()
            .filter(|(label, print)| clocked.get(*label) != Some(print))
            .map(|(label, print)| {
                let got = clocked.get(label).map_or("(no such call)", String::as_str);
                format!("{label}\n  real:    {print}\n  clocked: {got}")
            })
            .collect();
        let (shown, total) = (differ.iter().take(15).cloned(), differ.len());
        assert!(
            differ.is_empty() && clocked.len() == real.len(),
            "{total} of {} calls differ:\n{}",
            real.len(),
            shown.collect::<Vec<_>>().join("\n")
        );
    });
}

/// `id → status` of every example in a JSON report.
fn statuses(out: &std::process::Output) -> Vec<(String, String)> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    let examples = report["documents"].as_array().unwrap().iter();
    examples
        .flat_map(|d| d["examples"].as_array().unwrap())
        .map(|e| {
            let id = e["id"].as_str().unwrap();
            let short = id.trim_start_matches("clock::").to_string();
            (short, e["status"].as_str().unwrap().to_string())
        })
        .collect()
}

/// Holding examples pass and drifting ones drift: a type check never turns a
/// right value into an error, and a wrong value is always reported.
#[test]
fn fixtures_pass_where_the_values_hold_and_drift_where_they_do_not() {
    let out = snipcheck(&[
        "check",
        "tests/fixtures/clock/",
        "--no-cache",
        "--format",
        "json",
    ]);
    assert_exit(&out, 1);
    let got = statuses(&out);
    let want = [
        ("holds-type-relations::1", "pass"),
        ("holds-library-type-check::1", "pass"),
        ("holds-c-level-checks::1", "pass"),
        ("drift-library-type-check::1", "drift"),
        ("drift-made-by-c::1", "drift"),
        ("drift-pickle-and-zones::1", "drift"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(id, status)| (id.to_string(), status.to_string()))
        .collect();
    assert_eq!(got, want, "{}", text(&out.stdout));
}
