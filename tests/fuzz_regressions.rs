//! Inputs the fuzzer (`fuzz/`) found, kept as regression tests: extraction
//! and claim parsing never panic and keep their line invariants on them.

use std::path::PathBuf;

use snipcheck::claim;
use snipcheck::expect::{self, Shape};
use snipcheck::markdown::Document;

#[test]
fn fuzz_findings_stay_fixed() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let doc = Document::parse(&path, String::from_utf8_lossy(&bytes).into_owned());
        let guide: Vec<&str> = doc.source.lines().collect();
        for example in &doc.examples {
            for (line, text) in example.lines() {
                let shown = guide.get(line - 1).copied().unwrap_or_default();
                let rewritten = text.trim() == "pass" && shown.ends_with("phmdoctest:pass");
                assert!(
                    rewritten || shown.ends_with(text),
                    "{}: line {line} is {shown:?}, not {text:?}",
                    path.display()
                );
            }
            for c in claim::parse(example) {
                assert!(
                    c.lines.iter().all(|l| *l >= 1 && *l <= guide.len()),
                    "{}: {c:?}",
                    path.display()
                );
                let _ = expect::evaluate(&c.expected, &c.expected, Shape::default());
                assert!(
                    expect::ellipsis_match(&c.expected, &c.expected) || c.expected.contains("...")
                );
            }
        }
        seen += 1;
    }
    assert!(seen >= 3, "the regression inputs are there");
}
