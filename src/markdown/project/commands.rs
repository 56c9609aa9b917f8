//! The commands a project runs its doc-test tool with, where no config
//! section names it: `pytest --codeblocks` or `phmdoctest README.md
//! --outfile ...` in `tox.ini`, `noxfile.py`, a `Makefile` or a GitHub
//! workflow. Read as words, never run.

use std::path::{Path, PathBuf};

use super::{Conventions, path_matches, relative_to};
use crate::markdown::plan::Tool;

/// Task-runner files, beside the document or in a folder above it.
const FILES: &[&str] = &["tox.ini", "noxfile.py", "Makefile", "justfile"];

/// Reads `folder`'s task files and workflows for the document at `doc`.
pub(super) fn read(folder: &Path, doc: &Path, conventions: &mut Conventions) {
    let Some(relative) = relative_to(doc, folder) else {
        return;
    };
    for file in files(folder) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let found = text
            .lines()
            .find_map(|line| Some((line, tool_of(line, &relative)?)));
        if let Some((line, tool)) = found {
            if tool == Tool::Phmdoctest {
                conventions.phmdoctest = phmdoctest_options(line);
            }
            conventions.sources.push(file);
            conventions.tool = Some(tool);
            return;
        }
    }
}

fn files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = FILES.iter().map(|f| folder.join(f)).collect();
    if let Ok(entries) = std::fs::read_dir(folder.join(".github/workflows")) {
        let mut workflows: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .collect();
        workflows.sort();
        files.extend(workflows);
    }
    files
}

/// A command line's words, as a shell or a Python call spells them.
fn words(line: &str) -> Vec<&str> {
    line.split(|c: char| c.is_whitespace() || "\"'(),[]".contains(c))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The options after `phmdoctest` on a command line.
fn phmdoctest_options(line: &str) -> super::PhmdoctestOptions {
    let words = words(line);
    let at = words
        .iter()
        .position(|w| w.rsplit('/').next() == Some("phmdoctest"));
    super::PhmdoctestOptions::parse(&words[at.map_or(words.len(), |at| at + 1)..])
}

/// The tool one command line runs on the document at `relative`, if any.
fn tool_of(line: &str, relative: &str) -> Option<Tool> {
    let words = words(line);
    let runs = |name: &str| {
        words
            .iter()
            .position(|w| w.rsplit('/').next() == Some(name))
    };
    if let Some(at) = runs("pytest") {
        // pytest collects only under the paths it is given; none given:
        // the rootdir (or `testpaths`). Option values are no paths unless
        // they look like one.
        let paths: Vec<&str> = words[at + 1..]
            .iter()
            .filter(|w| {
                !w.starts_with('-') && (w.ends_with(".md") || w.contains('/') || **w == ".")
            })
            .map(|w| w.trim_start_matches("./").trim_end_matches('/'))
            .collect();
        let collects = paths.is_empty()
            || paths.iter().any(|p| {
                p.is_empty()
                    || *p == "."
                    || path_matches(p, relative)
                    || relative.starts_with(&format!("{p}/"))
            });
        if words.contains(&"--codeblocks") && relative.ends_with(".md") && collects {
            return Some(Tool::PytestCodeblocks);
        }
    }
    for (name, tool) in [
        ("phmdoctest", Tool::Phmdoctest),
        ("phmutest", Tool::Phmutest),
    ] {
        let Some(at) = runs(name) else { continue };
        // Its files: the words after it that are no option (nor an
        // option's value: `--outfile x.py` names no Markdown).
        let named = words[at + 1..]
            .iter()
            .filter(|w| w.ends_with(".md") && !w.starts_with('-'))
            .any(|w| path_matches(w.trim_start_matches("./"), relative));
        if named {
            return Some(tool);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tool_a_command_runs_on_the_file() {
        assert_eq!(
            tool_of("    pytest --codeblocks README.md", "README.md"),
            Some(Tool::PytestCodeblocks)
        );
        assert_eq!(
            tool_of("session.run(\"pytest\", \"--codeblocks\")", "docs/a.md"),
            Some(Tool::PytestCodeblocks)
        );
        assert_eq!(
            tool_of(
                "  phmdoctest README.md --outfile tests/test_readme.py",
                "README.md"
            ),
            Some(Tool::Phmdoctest)
        );
        assert_eq!(
            tool_of("python -m phmdoctest doc/usage.md --report", "doc/usage.md"),
            Some(Tool::Phmdoctest)
        );
        assert_eq!(tool_of("phmdoctest README.md", "doc/usage.md"), None);
        assert_eq!(
            tool_of("run: phmutest docs/*.md --log", "docs/guide.md"),
            Some(Tool::Phmutest)
        );
        assert_eq!(tool_of("pytest tests/", "README.md"), None);
        assert_eq!(
            tool_of("pytest --codeblocks README.md", "docs/guide.md"),
            None
        );
        assert_eq!(
            tool_of("pytest --codeblocks docs/ -k slow", "docs/guide.md"),
            Some(Tool::PytestCodeblocks)
        );
        assert_eq!(
            tool_of("pytest --codeblocks ./", "docs/guide.md"),
            Some(Tool::PytestCodeblocks)
        );
        assert_eq!(tool_of("echo phmdoctest", "README.md"), None);
    }

    #[test]
    fn a_phmdoctest_command_brings_its_options() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(
            root.join("Makefile"),
            "docs:\n\tphmdoctest README.md --setup FIRST --outfile tests/test_readme.py\n",
        )
        .unwrap();
        std::fs::write(root.join("README.md"), "# x\n").unwrap();
        let mut conventions = Conventions::default();
        read(&root, &root.join("README.md"), &mut conventions);
        assert_eq!(conventions.tool, Some(Tool::Phmdoctest));
        assert_eq!(conventions.phmdoctest.setup.as_deref(), Some("FIRST"));
    }

    #[test]
    fn finds_a_workflow_step() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join(".github/workflows")).unwrap();
        std::fs::write(
            root.join(".github/workflows/ci.yml"),
            "jobs:\n  docs:\n    steps:\n      - run: phmutest README.md --log\n",
        )
        .unwrap();
        std::fs::write(root.join("README.md"), "# x\n").unwrap();
        let mut conventions = Conventions::default();
        read(&root, &root.join("README.md"), &mut conventions);
        assert_eq!(conventions.tool, Some(Tool::Phmutest));
        assert!(conventions.sources[0].ends_with("ci.yml"));
    }
}
