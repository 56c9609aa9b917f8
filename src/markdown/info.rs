//! A fence's info string → what the block is to snipcheck.
//!
//! Docs written for other tools mark their examples in that tool's dialect:
//! plain CommonMark (```` ```python title="a.py" hl_lines="2" ````), pandoc
//! attributes (```` ```{.python .annotate} ````), and MyST/Sphinx directives
//! (```` ```{doctest} ````, ```` ```{testsetup} * ````,
//! ```` ```{code-block} python ````). Reading them all here keeps the walker
//! in `markdown.rs` about structure only.

use super::plan::{DEFAULT_GROUP, Plan, Tool};

/// Languages whose blocks are run as a script (or as a `>>>` session when
/// the code starts with a prompt).
const SCRIPT_LANGUAGES: &[&str] = &[
    "python", "py", "python3", "py3", "ipython", "ipython3", "ipython2",
];

/// Languages that are always an interactive session.
const SESSION_LANGUAGES: &[&str] = &["pycon", "pycon3", "python-console", "pytb-console"];

/// MyST/Sphinx directives that show code in the language of their argument.
const CODE_DIRECTIVES: &[&str] = &[
    "code-block",
    "code",
    "sourcecode",
    "code-cell",
    "jupyter-execute",
];

/// Info strings of a block that shows an example's output.
const OUTPUT_LANGUAGES: &[&str] = &[
    "",
    "output",
    "text",
    "console",
    "stdout",
    "none",
    "expected-output",
];

/// What a fenced block is, as far as running goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FenceKind {
    /// Python code run top to bottom; its comments may claim output.
    Script,
    /// An interactive `>>>` session, run by doctest.
    Session,
    /// Run before the examples of its groups, never checked (`{testsetup}`).
    Setup,
    /// Run after the examples of its groups, never checked (`{testcleanup}`).
    Cleanup,
    /// The expected output of the `{testcode}` before it (`{testoutput}`).
    TestOutput,
    /// Possibly the output of the example before it (```` ```text ````, bare).
    Output,
    /// Anything else: another language, a diagram, a toctree.
    Other,
}

/// A parsed info string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceInfo {
    pub kind: FenceKind,
    /// What the info string alone says: Sphinx doctest groups (`{doctest}
    /// ctx`, `{testsetup} *`), a skip (`test="skip"`), the tool.
    pub plan: Plan,
}

impl FenceInfo {
    pub fn parse(info: &str) -> FenceInfo {
        let info = info.trim();
        let (language, rest) = match directive(info) {
            Some((name, argument)) => match sphinx_doctest(name, argument) {
                Some(parsed) => return parsed,
                None if CODE_DIRECTIVES.iter().any(|d| d.eq_ignore_ascii_case(name)) => {
                    match argument.split_whitespace().next() {
                        Some(language) => (language, argument),
                        None => return FenceInfo::other(),
                    }
                }
                None => return FenceInfo::other(),
            },
            None => language_and_rest(info),
        };
        let kind = classify_language(language);
        let mut plan = Plan::default();
        if let Some(reason) = (kind != FenceKind::Other)
            .then(|| skip_attribute(rest))
            .flatten()
        {
            plan.skip(reason, Tool::Snipcheck);
        }
        FenceInfo { kind, plan }
    }

    fn other() -> FenceInfo {
        FenceInfo {
            kind: FenceKind::Other,
            plan: Plan {
                groups: Vec::new(),
                ..Plan::default()
            },
        }
    }

    /// Is this block run as an example (a script or a session)?
    pub fn is_example(&self) -> bool {
        matches!(self.kind, FenceKind::Script | FenceKind::Session)
    }

    /// Is it run at all (examples, setup and cleanup)?
    pub fn is_runnable(&self) -> bool {
        self.is_example() || matches!(self.kind, FenceKind::Setup | FenceKind::Cleanup)
    }
}

/// `{name} argument` (MyST) → (name, argument). Pandoc attribute blocks
/// (`{.python .numberLines}`) are not directives.
fn directive(info: &str) -> Option<(&str, &str)> {
    let inner = info.strip_prefix('{')?;
    let close = inner.find('}')?;
    let name = inner[..close].trim();
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':');
    plain.then(|| (name, inner[close + 1..].trim()))
}

/// `{doctest}`, `{testcode}`, `{testoutput}`, `{testsetup}`, `{testcleanup}`:
/// Sphinx's doctest extension, as its builder runs them.
fn sphinx_doctest(name: &str, argument: &str) -> Option<FenceInfo> {
    let kind = match name.to_ascii_lowercase().as_str() {
        "doctest" => FenceKind::Session,
        "testcode" => FenceKind::Script,
        "testoutput" => FenceKind::TestOutput,
        "testsetup" => FenceKind::Setup,
        "testcleanup" => FenceKind::Cleanup,
        _ => return None,
    };
    let mut groups: Vec<String> = argument
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(String::from)
        .collect();
    if groups.is_empty() {
        groups.push(DEFAULT_GROUP.to_string());
    }
    Some(FenceInfo {
        kind,
        plan: Plan {
            tool: Tool::Sphinx,
            groups,
            ..Plan::default()
        },
    })
}

/// The language word of a plain or pandoc-style info string, and the rest.
fn language_and_rest(info: &str) -> (&str, &str) {
    let start = info.trim_start_matches(['{', ' ', '\t']);
    let end = start
        .find(|c: char| c.is_whitespace() || c == ',' || c == '}' || c == '{')
        .unwrap_or(start.len());
    (start[..end].trim_start_matches('.'), &start[end..])
}

fn classify_language(language: &str) -> FenceKind {
    let is = |list: &[&str]| list.iter().any(|l| l.eq_ignore_ascii_case(language));
    if is(SESSION_LANGUAGES) {
        FenceKind::Session
    } else if is(SCRIPT_LANGUAGES) {
        FenceKind::Script
    } else if is(OUTPUT_LANGUAGES) {
        FenceKind::Output
    } else {
        FenceKind::Other
    }
}

/// `test="skip"` (mkdocs/pytest-markdown-docs style), with or without quotes.
fn skip_attribute(rest: &str) -> Option<String> {
    let wants_skip = attributes(rest)
        .any(|(k, v)| k.eq_ignore_ascii_case("test") && v.eq_ignore_ascii_case("skip"));
    wants_skip.then(|| "test=\"skip\" in the fence's info string".to_string())
}

/// `key=value` and `key="a value"` pairs of an info string.
fn attributes(rest: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut pairs = Vec::new();
    let mut tail = rest;
    while let Some(eq) = tail.find('=') {
        let key = tail[..eq]
            .rsplit(|c: char| c.is_whitespace() || c == ',' || c == '{')
            .next()
            .unwrap_or("")
            .trim();
        let after = &tail[eq + 1..];
        let (value, next) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &after[1..];
                let end = body.find(q).unwrap_or(body.len());
                (&body[..end], &body[(end + 1).min(body.len())..])
            }
            _ => {
                let end = after
                    .find(|c: char| c.is_whitespace() || c == ',' || c == '}')
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        pairs.push((key, value));
        tail = next;
    }
    pairs.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(info: &str) -> FenceKind {
        FenceInfo::parse(info).kind
    }

    #[test]
    fn plain_languages_with_attributes() {
        for info in [
            "python",
            "PY",
            "python3 title=\"a.py\"",
            "{.python}",
            "{.python .annotate}",
            "Python,linenums",
            "py hl_lines=\"2 3\" linenums=\"1\"",
            "ipython3",
        ] {
            assert_eq!(kind(info), FenceKind::Script, "{info}");
        }
        for info in ["pycon", "pycon3", "python-console"] {
            assert_eq!(kind(info), FenceKind::Session, "{info}");
        }
        for info in [
            "pycon-ish",
            "rust",
            "pythonx",
            "{mermaid}",
            "{toctree}",
            "json",
        ] {
            assert_eq!(kind(info), FenceKind::Other, "{info}");
        }
        for info in ["", "text", "output", "console"] {
            assert_eq!(kind(info), FenceKind::Output, "{info}");
        }
    }

    #[test]
    fn myst_code_directives_take_the_language_argument() {
        assert_eq!(kind("{code-block} python"), FenceKind::Script);
        assert_eq!(kind("{code-cell} ipython3"), FenceKind::Script);
        assert_eq!(kind("{code-block} pycon"), FenceKind::Session);
        assert_eq!(kind("{code-block} bash"), FenceKind::Other);
        assert_eq!(kind("{code-block}"), FenceKind::Other);
    }

    #[test]
    fn sphinx_doctest_directives_and_groups() {
        let parsed = FenceInfo::parse("{doctest}");
        assert_eq!(parsed.kind, FenceKind::Session);
        assert_eq!(parsed.plan.groups, [DEFAULT_GROUP]);
        let parsed = FenceInfo::parse("{testsetup} *");
        assert_eq!(
            (parsed.kind, parsed.plan.groups),
            (FenceKind::Setup, vec!["*".into()])
        );
        let parsed = FenceInfo::parse("{doctest} ctx, other");
        assert_eq!(parsed.plan.groups, ["ctx", "other"]);
        assert_eq!(kind("{testcleanup}"), FenceKind::Cleanup);
        assert_eq!(kind("{testcode}"), FenceKind::Script);
        assert_eq!(kind("{testoutput}"), FenceKind::TestOutput);
    }

    #[test]
    fn test_skip_attribute_opts_out() {
        let parsed = FenceInfo::parse("python test=\"skip\" title=\"x.py\"");
        assert_eq!(parsed.kind, FenceKind::Script);
        assert!(parsed.plan.skip_reason().unwrap().contains("test=\"skip\""));
        assert!(
            FenceInfo::parse("py test=skip")
                .plan
                .skip_reason()
                .is_some()
        );
        assert!(
            FenceInfo::parse("{.python test='skip'}")
                .plan
                .skip_reason()
                .is_some()
        );
        assert!(
            FenceInfo::parse("python title=\"test=skip\"")
                .plan
                .skip_reason()
                .is_none()
        );
        assert!(FenceInfo::parse("python").plan.skip_reason().is_none());
    }
}
