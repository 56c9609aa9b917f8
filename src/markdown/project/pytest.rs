//! pytest's config: `--doctest-glob`, `--markdown-docs` and
//! `--codeblocks` (pytest-codeblocks collects `*.md`) in `addopts`,
//! `doctest_optionflags`, from pytest.ini, tox.ini, setup.cfg or
//! pyproject.toml's `[tool.pytest.ini_options]`.

use std::path::Path;

use super::{Conventions, flag_names, glob_matches, ini_section};
use crate::markdown::plan::Tool;

/// The files pytest reads its ini options from, with their section.
const INI_FILES: &[(&str, &str)] = &[
    ("pytest.ini", "pytest"),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
];

/// Reads `folder`'s pytest config for the document named `name`.
pub(super) fn read(folder: &Path, name: &str, conventions: &mut Conventions) {
    for (file, section) in INI_FILES {
        let path = folder.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let options = ini_section(&text, section);
        if options.is_empty() {
            continue;
        }
        conventions.sources.push(path);
        let value = |key: &str| {
            options
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        apply(
            value("addopts"),
            value("doctest_optionflags"),
            name,
            conventions,
        );
        return;
    }
    let path = folder.join("pyproject.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let Ok(toml) = text.parse::<toml::Table>() else {
        return;
    };
    let Some(options) = toml
        .get("tool")
        .and_then(|t| t.get("pytest"))
        .and_then(|t| t.get("ini_options"))
    else {
        return;
    };
    conventions.sources.push(path);
    let value = |key: &str| options.get(key).map(words_of);
    apply(
        value("addopts"),
        value("doctest_optionflags"),
        name,
        conventions,
    );
}

/// A TOML string or list of strings as one space-separated value.
fn words_of(value: &toml::Value) -> String {
    match value {
        toml::Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        other => other.as_str().unwrap_or("").to_string(),
    }
}

fn apply(
    addopts: Option<String>,
    flags: Option<String>,
    name: &str,
    conventions: &mut Conventions,
) {
    let addopts = addopts.unwrap_or_default();
    let words: Vec<&str> = addopts.split_whitespace().collect();
    let globs = words.iter().enumerate().filter_map(|(i, w)| {
        let value = match w.strip_prefix("--doctest-glob") {
            Some(rest) if rest.starts_with('=') => &rest[1..],
            Some("") => words.get(i + 1)?,
            _ => return None,
        };
        Some(value.trim_matches(['\'', '"']))
    });
    let globbed = globs.into_iter().any(|g| glob_matches(g, name));
    if conventions.tool.is_none() {
        if globbed {
            conventions.tool = Some(Tool::Doctest);
        } else if words.contains(&"--markdown-docs") {
            conventions.tool = Some(Tool::PytestMarkdownDocs);
        } else if words.contains(&"--codeblocks") && name.ends_with(".md") {
            conventions.tool = Some(Tool::PytestCodeblocks);
        }
    }
    if conventions.tool == Some(Tool::Doctest) && conventions.doctest_flags.is_empty() {
        conventions.doctest_flags = flags.as_deref().map(flag_names).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctest_glob_and_flags_from_an_ini_file() {
        let options = ini_section(
            "[pytest]\naddopts = -q\n  --doctest-glob='*.md'\ndoctest_optionflags = ELLIPSIS NORMALIZE_WHITESPACE\n[other]\nx = 1\n",
            "pytest",
        );
        assert_eq!(options.len(), 2);
        let mut conventions = Conventions::default();
        let value = |k: &str| options.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
        apply(
            value("addopts"),
            value("doctest_optionflags"),
            "guide.md",
            &mut conventions,
        );
        assert_eq!(conventions.tool, Some(Tool::Doctest));
        assert_eq!(
            conventions.doctest_flags,
            ["+ELLIPSIS", "+NORMALIZE_WHITESPACE"]
        );
        let mut other = Conventions::default();
        apply(value("addopts"), None, "guide.rst", &mut other);
        assert_eq!(other.tool, None, "the glob does not match");
    }

    #[test]
    fn codeblocks_in_addopts_reads_markdown_by_its_rules() {
        let mut conventions = Conventions::default();
        apply(
            Some("-q --codeblocks".into()),
            None,
            "README.md",
            &mut conventions,
        );
        assert_eq!(conventions.tool, Some(Tool::PytestCodeblocks));
        let mut other = Conventions::default();
        apply(Some("--codeblocks".into()), None, "notes.rst", &mut other);
        assert_eq!(other.tool, None, "it collects only *.md");
    }

    #[test]
    fn doctest_glob_from_pyproject() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.pytest.ini_options]\naddopts = [\"--doctest-glob\", \"*.md\"]\ndoctest_optionflags = \"NUMBER ELLIPSIS\"\n",
        )
        .unwrap();
        let mut conventions = Conventions::default();
        read(dir.path(), "README.md", &mut conventions);
        assert_eq!(conventions.tool, Some(Tool::Doctest));
        assert_eq!(conventions.doctest_flags, ["+NUMBER", "+ELLIPSIS"]);
    }
}
