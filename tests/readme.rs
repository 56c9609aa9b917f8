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

/// The fenced blocks of `language` in the README section whose heading
/// starts with `heading`.
fn section_blocks(heading: &str, language: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find(&format!("\n## {heading}"))
        .unwrap_or_else(|| panic!("README has a section `{heading}`"));
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let fence = format!("```{language}\n");
    section
        .split(&fence)
        .skip(1)
        .map(|block| block.split("\n```").next().unwrap().to_string())
        .collect()
}

/// A small project: docs/index.md and README.md, one passing example each.
fn tiny_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let doc = "# Intro\n\n```python\nprint(6 * 7)  # 42\n```\n";
    common::write(dir.path(), "docs/index.md", doc);
    common::write(dir.path(), "README.md", doc);
    dir
}

const COMING_FROM: &str = "Coming from pytest-examples";

/// Every command the section gives runs, with the flags it names, on a
/// small project and passes (a flag that does not exist would exit 2).
#[test]
fn the_coming_from_commands_exist_and_run() {
    let blocks = section_blocks(COMING_FROM, "sh");
    assert!(!blocks.is_empty());
    let mut commands = 0;
    for line in blocks.iter().flat_map(|b| b.lines()) {
        let command = line.split(" #").next().unwrap().trim();
        if command.is_empty() {
            continue;
        }
        let words: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(words[0], "snipcheck", "{line}");
        let dir = tiny_project();
        succeeds_in(dir.path(), &words[1..], &format!("`{command}`"));
        commands += 1;
    }
    assert!(commands >= 3, "{commands}");
}

/// Runs `snipcheck ARGS` in `dir` and asserts it exits 0.
fn succeeds_in(dir: &std::path::Path, args: &[&str], what: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Every config the section shows is one snipcheck loads (unknown keys and
/// wrong types are config errors, exit 2) and runs a small project with.
#[test]
fn the_coming_from_configs_are_valid_snipcheck_configs() {
    let blocks = section_blocks(COMING_FROM, "toml");
    assert!(!blocks.is_empty());
    for config in blocks {
        let dir = tiny_project();
        common::write(dir.path(), "snipcheck.toml", &config);
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        for args in [&["check", "docs/"][..], &["check"]] {
            succeeds_in(dir.path(), args, &format!("{config}\n`snipcheck {args:?}`"));
        }
    }
}

/// The section names each tool, and says what is not supported.
#[test]
fn the_coming_from_section_covers_each_tool() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find(&format!("## {COMING_FROM}")).unwrap();
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").unwrap()];
    for tool in [
        "| pytest-examples |",
        "| Sybil |",
        "| phmdoctest |",
        "| mktestdocs |",
        "| Sphinx doctest |",
    ] {
        let row = section
            .lines()
            .find(|l| l.starts_with(tool))
            .unwrap_or_else(|| panic!("a row for {tool}"));
        assert_eq!(row.matches(" | ").count(), 3, "four cells: {row}");
    }
}
