//! phmdoctest's own config: a `[tool.phmdoctest]` section in
//! `pyproject.toml` (TOML), `setup.cfg` or `tox.ini` (ini), whose
//! `markdown_globs` minus `exclude_globs`, relative to that folder, are
//! the files it generates tests from.

use std::path::Path;

use super::{Conventions, ini_section, path_matches, relative_to};
use crate::markdown::plan::Tool;

const SECTION: &str = "tool.phmdoctest";

/// What a `phmdoctest FILE ...` command line adds to the directives:
/// `--setup`/`-u`, `--teardown`/`-d` and `--skip`/`-s` name blocks by a
/// piece of their text (or `FIRST`, `SECOND`, `LAST`), `--setup-doctest`
/// shows sessions the setup block's names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhmdoctestOptions {
    pub setup: Option<String>,
    pub teardown: Option<String>,
    pub skips: Vec<String>,
    pub setup_doctest: bool,
}

impl PhmdoctestOptions {
    /// The options among a command's words after `phmdoctest`.
    pub(super) fn parse(words: &[&str]) -> PhmdoctestOptions {
        let mut options = PhmdoctestOptions::default();
        let mut words = words.iter();
        while let Some(word) = words.next() {
            let (name, inline) = match word.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
                _ => (*word, None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| words.next().map(|w| w.to_string()))
            };
            match name {
                "--setup" | "-u" => options.setup = value(),
                "--teardown" | "-d" => options.teardown = value(),
                "--skip" | "-s" => options.skips.extend(value()),
                "--setup-doctest" => options.setup_doctest = true,
                _ => {}
            }
        }
        options
    }
}

/// Reads `folder`'s phmdoctest config for the document at `doc`.
pub(super) fn read(folder: &Path, doc: &Path, conventions: &mut Conventions) {
    let Some(relative) = relative_to(doc, folder) else {
        return;
    };
    for file in ["pyproject.toml", "setup.cfg", "tox.ini"] {
        let path = folder.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Some((globs, excludes)) = globs_in(file, &text) else {
            continue;
        };
        conventions.sources.push(path);
        let matches = |patterns: &[String]| patterns.iter().any(|p| path_matches(p, &relative));
        if matches(&globs) && !matches(&excludes) {
            conventions.tool = Some(Tool::Phmdoctest);
        }
        return;
    }
}

/// (`markdown_globs`, `exclude_globs`) of the file's section, if it has one.
fn globs_in(file: &str, text: &str) -> Option<(Vec<String>, Vec<String>)> {
    if file.ends_with(".toml") {
        let toml = text.parse::<toml::Table>().ok()?;
        let section = toml.get("tool")?.get("phmdoctest")?;
        let list = |key: &str| -> Vec<String> {
            section
                .get(key)
                .and_then(|v| v.as_array())
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        return Some((list("markdown_globs"), list("exclude_globs")));
    }
    let pairs = ini_section(text, SECTION);
    if pairs.is_empty() {
        return None;
    }
    let list = |key: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| text_to_words(v))
            .collect()
    };
    Some((list("markdown_globs"), list("exclude_globs")))
}

/// phmdoctest's `_text_to_words`: per line, `#` and what follows cut,
/// spaces removed, then split at commas.
fn text_to_words(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").replace(' ', ""))
        .flat_map(|line| line.split(',').map(String::from).collect::<Vec<_>>())
        .filter(|word| !word.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_command_line_options() {
        let words = [
            "README.md",
            "--setup",
            "FIRST",
            "-s",
            "LAST",
            "--skip=pip",
            "--outfile",
            "t.py",
            "--setup-doctest",
        ];
        let options = PhmdoctestOptions::parse(&words);
        assert_eq!(options.setup.as_deref(), Some("FIRST"));
        assert_eq!(options.teardown, None);
        assert_eq!(options.skips, ["LAST", "pip"]);
        assert!(options.setup_doctest);
    }

    #[test]
    fn reads_pyproject_and_ini_sections() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("doc")).unwrap();
        for name in ["doc/usage.md", "doc/draft.md"] {
            std::fs::write(root.join(name), "# x\n").unwrap();
        }
        std::fs::write(
            root.join("pyproject.toml"),
            "[tool.phmdoctest]\nmarkdown_globs = [\"doc/*.md\"]\nexclude_globs = [\"doc/draft.md\"]\n",
        )
        .unwrap();
        let tool_of = |name: &str| {
            let mut conventions = Conventions::default();
            read(&root, &root.join(name), &mut conventions);
            conventions.tool
        };
        assert_eq!(tool_of("doc/usage.md"), Some(Tool::Phmdoctest));
        assert_eq!(tool_of("doc/draft.md"), None);
        std::fs::remove_file(root.join("pyproject.toml")).unwrap();
        std::fs::write(
            root.join("setup.cfg"),
            "[tool.phmdoctest]\nmarkdown_globs =\n    doc/usage.md\n",
        )
        .unwrap();
        assert_eq!(tool_of("doc/usage.md"), Some(Tool::Phmdoctest));
        std::fs::write(
            root.join("setup.cfg"),
            "[tool.phmdoctest]\nmarkdown_globs = doc/usage.md, doc/draft.md  # both\n",
        )
        .unwrap();
        assert_eq!(tool_of("doc/usage.md"), Some(Tool::Phmdoctest));
    }
}
