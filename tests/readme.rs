//! The README's sample output is a real run: each `$ snipcheck …` sample in
//! it runs again here and must match, trycmd style (`...` stands for any
//! lines; the time, the CPython version and the sandbox layers, which
//! depend on the machine, are normalised).

use std::path::Path;
use std::process::Command;

mod common;
use common::{guide_copy_with, root, text};

/// Each ```text block of the README that starts with `$ `: (command, output).
fn samples() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    readme
        .split("```text\n")
        .skip(1)
        .filter_map(|block| {
            let block = block.split("\n```").next()?;
            let mut lines = block.lines();
            let command = lines.next()?.strip_prefix("$ ")?.to_string();
            Some((command, lines.map(str::to_string).collect()))
        })
        .collect()
}

fn normalise(line: &str) -> String {
    let time = regex::Regex::new(r" in \d+\.\d+ s(\)?)$").unwrap();
    let python = regex::Regex::new(r"CPython \d+\.\d+\.\d+").unwrap();
    let sandbox = regex::Regex::new(r" · sandbox: .*$").unwrap();
    let line = time.replace(line, " in [TIME] s$1");
    let line = sandbox.replace(&line, " · sandbox: [LAYERS]");
    python.replace(&line, "CPython [VERSION]").into_owned()
}

/// Does `actual` match `expected`, where a `...` line matches any lines?
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(a, tail)| normalise(a) == normalise(first) && matches(rest, tail)),
    }
}

fn run(dir: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    text(&out.stdout).lines().map(str::to_string).collect()
}

fn sample(command: &str) -> Vec<String> {
    samples()
        .into_iter()
        .find(|(c, _)| c == command)
        .unwrap_or_else(|| panic!("README has no sample of `{command}`"))
        .1
}

fn assert_sample(expected: &[String], actual: &[String]) {
    assert!(
        matches(expected, actual),
        "README sample differs from a real run; the real output is:\n{}",
        actual.join("\n")
    );
}

#[test]
fn the_shipped_guide_sample_is_a_real_run() {
    let expected = sample("cargo run --release -- check guide/");
    // The README shows a first run: none of it from the result cache.
    assert_sample(&expected, &run(&root(), &["check", "guide/", "--no-cache"]));
}

#[test]
fn the_drift_sample_is_a_real_run() {
    let expected = sample("snipcheck check advanced-python.md");
    let (dir, _doc) = guide_copy_with(
        "print(temp.fahrenheit)  # 77.0",
        "print(temp.fahrenheit)  # 78.0",
    );
    assert_sample(
        &expected,
        &run(dir.path(), &["check", "advanced-python.md"]),
    );
}

#[test]
fn the_matcher_can_fail() {
    let lines = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    assert!(matches(&lines("a\n...\nz"), &lines("a\nb\nc\nz")));
    assert!(!matches(&lines("a\n...\nz"), &lines("a\nb\nc")));
    assert!(!matches(&lines("a\nb"), &lines("a\nc")));
    assert!(matches(&lines("x in 0.45 s"), &lines("x in 1.20 s")));
}
