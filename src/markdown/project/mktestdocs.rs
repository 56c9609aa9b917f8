//! A test file that runs mktestdocs: `check_md_file(fpath, memory=True,
//! lang="python")`, read as text, never run.

use std::path::{Path, PathBuf};

use super::{Conventions, calls, string_literals};
use crate::markdown::plan::Tool;

/// How `check_md_file` reads a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MktestdocsMode {
    /// `memory=True`: the blocks run as one script, sharing their names;
    /// otherwise each block runs on its own.
    pub memory: bool,
    /// `lang=`: the one info string whose fences run (`""`: every fence).
    pub lang: String,
}

impl Default for MktestdocsMode {
    fn default() -> Self {
        MktestdocsMode {
            memory: false,
            lang: "python".into(),
        }
    }
}

impl MktestdocsMode {
    pub(super) fn apply(&mut self, settings: &crate::config::MktestdocsSettings) {
        if let Some(memory) = settings.memory {
            self.memory = memory;
        }
        if let Some(lang) = &settings.lang {
            self.lang = lang.clone();
        }
    }

    /// The mode one `check_md_file(...)` call's arguments set.
    fn of_call(arguments: &str) -> MktestdocsMode {
        let compact: String = arguments.split_whitespace().collect();
        let lang = compact
            .split_once("lang=")
            .and_then(|(_, rest)| string_literals(rest).into_iter().next());
        MktestdocsMode {
            memory: compact.contains("memory=True"),
            lang: lang.unwrap_or_else(|| "python".into()),
        }
    }
}

/// Reads the test files in `folder` (and its `tests/`) for the document
/// named `name`: a call naming that file wins over a call on any file.
pub(super) fn read(folder: &Path, name: &str, conventions: &mut Conventions) {
    let mut generic = None;
    for file in test_files(folder) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for call in calls(&text, "check_md_file") {
            let first = call.split(',').next().unwrap_or("");
            let named: Vec<String> = string_literals(first)
                .into_iter()
                .filter(|p| p.ends_with(".md") || p.ends_with(".markdown"))
                .collect();
            let mode = MktestdocsMode::of_call(call);
            if named.iter().any(|p| p.rsplit('/').next() == Some(name)) {
                generic = Some((file.clone(), mode));
                break;
            }
            if named.is_empty() && generic.is_none() {
                generic = Some((file.clone(), mode));
            }
        }
    }
    if let Some((file, mode)) = generic {
        conventions.tool = Some(Tool::Mktestdocs);
        conventions.mktestdocs = mode;
        conventions.sources.push(file);
    }
}

/// `*.py` files of `folder` and `folder/tests`, sorted.
fn test_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = [folder.to_path_buf(), folder.join("tests")]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_memory_and_lang_from_the_call() {
        let mode = MktestdocsMode::of_call("fpath, memory = True, lang='py'");
        assert_eq!(
            mode,
            MktestdocsMode {
                memory: true,
                lang: "py".into()
            }
        );
        assert_eq!(MktestdocsMode::of_call("fpath"), MktestdocsMode::default());
    }
}
