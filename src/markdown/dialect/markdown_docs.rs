//! pytest-markdown-docs: ```` ```python ````, ```` ```py ```` and
//! ```` ```python3 ```` fences run, each in a fresh namespace; words after
//! the language are options: `notest` (not run), `continuation` (the
//! previous run block's code runs first, so its names are there),
//! `fixture:NAME` (a pytest fixture injected as a global), `runner:NAME`
//! (a custom runner). Superfences' `{.python continuation}` reads the same.

use super::{Dialect, Marks, leave_alone};
use crate::markdown::plan::{Plan, Tool};
use crate::markdown::project::Conventions;

/// The languages its collector runs (`extract_fence_tests`).
const LANGUAGES: &[&str] = &["py", "python", "python3"];

/// The options that show a document is written for it.
const OPTIONS: &[&str] = &["notest", "continuation"];
const PREFIXES: &[&str] = &["fixture:", "runner:", "retry:"];

pub(super) struct MarkdownDocs {
    /// Each run block not continuing the one before opens namespace `n`.
    namespace: usize,
    /// `[stubs]` names: fixtures snipcheck can give.
    stubs: Vec<String>,
}

impl MarkdownDocs {
    pub(super) fn new(conventions: &Conventions) -> MarkdownDocs {
        MarkdownDocs {
            namespace: 0,
            stubs: conventions.stubs.clone(),
        }
    }
}

/// The language and the options of an info string, plain or superfences.
fn words(info: &str) -> (String, Vec<String>) {
    let info = info.trim();
    let mut words: Vec<String> = info
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split_whitespace()
        .map(String::from)
        .collect();
    if info.starts_with('{') {
        if let Some(i) = words.iter().position(|w| w.starts_with('.')) {
            let language = words.remove(i);
            words.insert(0, language[1..].to_string());
        }
    }
    let language = if words.is_empty() {
        String::new()
    } else {
        words.remove(0)
    };
    (language, words)
}

/// Does `source` use its info-string options on a Python fence?
pub(super) fn shows(source: &str) -> bool {
    source.lines().any(|line| {
        let line = line.trim_start();
        let Some(info) = line
            .strip_prefix("```")
            .or_else(|| line.strip_prefix("~~~"))
        else {
            return false;
        };
        let (language, options) = words(info.trim_start_matches(['`', '~']));
        LANGUAGES.contains(&language.as_str())
            && options
                .iter()
                .any(|o| OPTIONS.contains(&o.as_str()) || PREFIXES.iter().any(|p| o.starts_with(p)))
    })
}

impl Dialect for MarkdownDocs {
    fn plan(&mut self, marks: &Marks<'_>, plan: &mut Plan) {
        plan.tool = Tool::PytestMarkdownDocs;
        let (language, options) = words(marks.info);
        if !LANGUAGES.contains(&language.as_str()) {
            leave_alone(
                plan,
                "pytest-markdown-docs runs only ```python, ```py and ```python3 fences",
                Tool::PytestMarkdownDocs,
            );
            return;
        }
        if options.iter().any(|o| o == "notest") {
            plan.skip(
                "`notest` in the fence's info string",
                Tool::PytestMarkdownDocs,
            );
            return;
        }
        if !options.iter().any(|o| o == "continuation") {
            self.namespace += 1;
        }
        plan.groups = vec![format!("markdown-docs-{}", self.namespace)];
        let option = |prefix: &'static str| {
            options
                .iter()
                .filter_map(move |o| o.strip_prefix(prefix).map(String::from))
        };
        if let Some(fixture) = option("fixture:").find(|f| !self.stubs.contains(f)) {
            plan.skip(
                format!(
                    "needs the pytest fixture `{fixture}` (define `{fixture}` under [stubs] to run it)"
                ),
                Tool::PytestMarkdownDocs,
            );
        }
        if let Some(runner) = option("runner:").next() {
            plan.skip(
                format!("runs with the custom runner `{runner}`, which snipcheck does not have"),
                Tool::PytestMarkdownDocs,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_superfences_info_strings() {
        assert_eq!(
            words("python continuation fixture:tmp_path"),
            (
                "python".into(),
                vec!["continuation".into(), "fixture:tmp_path".into()]
            )
        );
        assert_eq!(
            words("{.python notest}"),
            ("python".into(), vec!["notest".into()])
        );
        assert!(shows("```python notest\nx\n```\n"));
        assert!(!shows("```python\nx\n```\n```bash notest\n```\n"));
    }
}
