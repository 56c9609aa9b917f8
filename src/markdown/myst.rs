//! MyST directive syntax that is not about any one tool: a directive's
//! options at the top of its body, and directives whose body is Markdown.
//!
//! ```` ```{doctest} ```` then `:options: +SKIP` (or a `---` YAML block)
//! configures the directive; it is not code. A ```` ````{note} ```` fence
//! holds Markdown, with fences of its own that Sphinx runs.

/// Directives whose body is not Markdown (code, math, rST, a file list):
/// never read for nested fences.
const NOT_MARKDOWN: &[&str] = &[
    "code-block",
    "code",
    "sourcecode",
    "code-cell",
    "jupyter-execute",
    "eval-rst",
    "raw",
    "math",
    "mermaid",
    "graphviz",
    "literalinclude",
    "toctree",
    "csv-table",
    "parsed-literal",
    "highlight",
    "doctest",
    "testcode",
    "testoutput",
    "testsetup",
    "testcleanup",
];

/// One `:key: value` option (or `key: value` of a YAML block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DirectiveOption {
    pub key: String,
    pub value: String,
    /// 1-based line within the body.
    pub line: usize,
}

/// A directive body's options, the body with their lines blanked (so that
/// line numbers stay the guide's), and how many lines they took.
pub(super) fn split_options(body: &str) -> (Vec<DirectiveOption>, String, usize) {
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    let yaml_end = (lines.first().map(|l| l.trim()) == Some("---"))
        .then(|| lines.iter().skip(1).position(|l| l.trim() == "---"))
        .flatten()
        .map(|i| i + 2);
    let (count, options) = match yaml_end {
        Some(end) => (end, parse_lines(&lines[1..end - 1], 2, yaml_pair)),
        None => {
            let count = lines.iter().take_while(|l| colon_pair(l).is_some()).count();
            (count, parse_lines(&lines[..count], 1, colon_pair))
        }
    };
    let blanked = lines
        .iter()
        .enumerate()
        .map(|(i, l)| if i < count { "\n" } else { l })
        .collect();
    (options, blanked, count)
}

fn parse_lines(
    lines: &[&str],
    first: usize,
    pair: fn(&str) -> Option<(&str, &str)>,
) -> Vec<DirectiveOption> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let (key, value) = pair(l)?;
            Some(DirectiveOption {
                key: key.to_ascii_lowercase(),
                value: unquote(value.trim()).to_string(),
                line: first + i,
            })
        })
        .collect()
}

/// `:options: +SKIP` → (`options`, `+SKIP`); `:hide:` → (`hide`, ``).
fn colon_pair(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim().strip_prefix(':')?;
    let (key, value) = rest.split_once(':')?;
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plain.then_some((key, value))
}

/// `options: +SKIP` in a `---` block (the YAML MyST accepts for options).
fn yaml_pair(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.trim().split_once(':')?;
    let key = key.trim();
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plain.then_some((key, value))
}

fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

/// Is a fence with this info string a MyST directive whose body is
/// Markdown (`{note}`, `{tip}`, `{admonition} Title`, `{dropdown}`)?
pub(super) fn holds_markdown(info: &str) -> bool {
    let Some(inner) = info.trim().strip_prefix('{') else {
        return false;
    };
    let Some((name, _)) = inner.split_once('}') else {
        return false;
    };
    let name = name.trim();
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':')
        && !NOT_MARKDOWN.iter().any(|n| n.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colon_options_are_read_and_blanked() {
        let (options, body, _) = split_options(":options: +SKIP, +ELLIPSIS\n:hide:\n>>> 1\n1\n");
        assert_eq!(body, "\n\n>>> 1\n1\n");
        assert_eq!(options.len(), 2);
        assert_eq!(
            (options[0].key.as_str(), options[0].value.as_str()),
            ("options", "+SKIP, +ELLIPSIS")
        );
        assert_eq!((options[1].key.as_str(), options[1].line), ("hide", 2));
    }

    #[test]
    fn yaml_options_are_read_and_blanked() {
        let (options, body, count) = split_options("---\nskipif: \"True\"\n---\nx = 1\n");
        assert_eq!(body, "\n\n\nx = 1\n");
        assert_eq!(options[0].value, "True");
        assert_eq!((options[0].line, count), (2, 3));
    }

    #[test]
    fn code_is_not_an_option() {
        let (options, body, _) = split_options(">>> d = {'a': 1}\n");
        assert!(options.is_empty());
        assert_eq!(body, ">>> d = {'a': 1}\n");
        assert!(split_options("::\n").0.is_empty());
    }

    #[test]
    fn admonitions_hold_markdown_code_does_not() {
        for info in ["{note}", "{tip}", "{admonition} A title", "{dropdown}"] {
            assert!(holds_markdown(info), "{info}");
        }
        for info in [
            "{code-block} python",
            "{doctest}",
            "python",
            "{.python}",
            "{eval-rst}",
        ] {
            assert!(!holds_markdown(info), "{info}");
        }
    }
}
