//! Sphinx's doctest builder (`sphinx.ext.doctest`), as it reads MyST.
//!
//! It runs only its own directives (`{doctest}`, `{testcode}`, …) and
//! leaves every plain fence alone; their options (`:options: +SKIP`,
//! `:skipif:`, `:pyversion:`) decide whether and how a block is checked.

use super::super::myst::DirectiveOption;
use super::super::plan::{Condition, Plan, Tool};
use super::{Dialect, Marks};

/// Directives of the doctest extension, as a fence's info string opens.
const DIRECTIVES: &[&str] = &[
    "doctest",
    "testcode",
    "testoutput",
    "testsetup",
    "testcleanup",
];

/// doctest's option flags (`doctest.OPTIONFLAGS_BY_NAME`): any other name
/// in `:options:` is one Sphinx warns about and ignores.
pub(crate) const FLAGS: &[&str] = &[
    "DONT_ACCEPT_TRUE_FOR_1",
    "DONT_ACCEPT_BLANKLINE",
    "NORMALIZE_WHITESPACE",
    "ELLIPSIS",
    "SKIP",
    "IGNORE_EXCEPTION_DETAIL",
    "COMPARISON_FLAGS",
    "REPORT_UDIFF",
    "REPORT_CDIFF",
    "REPORT_NDIFF",
    "REPORT_ONLY_FIRST_FAILURE",
    "REPORTING_FLAGS",
    "FAIL_FAST",
];

pub(super) struct Sphinx;

impl Dialect for Sphinx {
    fn plan(&mut self, marks: &Marks<'_>, plan: &mut Plan) {
        if plan.tool != Tool::Sphinx {
            if plan.skip_reason().is_none() {
                plan.decision = super::super::plan::Decision::Unrun {
                    reason: "not run by Sphinx doctest".into(),
                    by: Tool::Sphinx,
                };
            }
            return;
        }
        apply(marks.options, plan, false);
    }
}

/// Does `source` use the doctest extension's directives, at the top or
/// inside directives whose body is Markdown (not in a code block that
/// shows them)?
pub(super) fn is_written_for(source: &str) -> bool {
    uses_directives(source, 0)
}

fn uses_directives(markdown: &str, depth: usize) -> bool {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
    let mut block: Option<(String, String)> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                if is_directive(&info) {
                    return true;
                }
                block = Some((info.to_string(), String::new()));
            }
            Event::Text(text) => {
                if let Some((_, body)) = &mut block {
                    body.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((info, body)) = block.take() {
                    let nested = depth < super::super::MAX_NESTING
                        && super::super::myst::holds_markdown(&info);
                    if nested && uses_directives(&body, depth + 1) {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// `{doctest}`, `{testcode} group`, …
fn is_directive(info: &str) -> bool {
    info.trim().strip_prefix('{').is_some_and(|rest| {
        DIRECTIVES.iter().any(|d| {
            rest.get(..d.len())
                .is_some_and(|n| n.eq_ignore_ascii_case(d))
                && rest[d.len()..].trim_start().starts_with('}')
        })
    })
}

/// A `{testoutput}`'s options, applied to its `{testcode}`: Sphinx checks
/// the pair as one doctest example with the output's options.
pub(in crate::markdown) fn apply_output_options(options: &[DirectiveOption], plan: &mut Plan) {
    apply(options, plan, true);
}

/// `output`: the options are a `{testoutput}`'s, where `:skipif:` skips the
/// comparison only.
fn apply(options: &[DirectiveOption], plan: &mut Plan, output: bool) {
    for option in options {
        match option.key.as_str() {
            "options" => flags(&option.value, plan),
            "skipif" if !option.value.is_empty() => {
                let expression = option.value.clone();
                plan.conditions.push(if output {
                    Condition::OutputSkipIf(expression)
                } else {
                    Condition::SkipIf(expression)
                });
            }
            "pyversion" => plan.conditions.extend(pyversion(&option.value)),
            // `:hide:`, `:trim-doctest-flags:`: how it renders, not how it runs.
            _ => {}
        }
    }
}

/// `+SKIP, +ELLIPSIS -NORMALIZE_WHITESPACE`, as Sphinx splits them.
fn flags(value: &str, plan: &mut Plan) {
    for flag in value.replace(',', " ").split_whitespace() {
        let (sign, name) = flag.split_at(flag.chars().next().map_or(0, char::len_utf8));
        if !matches!(sign, "+" | "-") || !FLAGS.contains(&name) {
            continue;
        }
        if name == "SKIP" && sign == "+" {
            plan.skip(":options: +SKIP", Tool::Sphinx);
        } else {
            plan.flags.push(flag.to_string());
        }
    }
}

/// `> 3.12`, `>=3.9, <3.13` (a specifier set, as Sphinx reads it): one
/// condition per part; a part it cannot read is ignored, as Sphinx does.
fn pyversion(value: &str) -> Vec<Condition> {
    value
        .split(',')
        .filter_map(|part| {
            let part: String = part.chars().filter(|c| !c.is_whitespace()).collect();
            let at = part.find(|c: char| c.is_ascii_digit())?;
            let (op, version) = part.split_at(at);
            let known = ["<", "<=", ">", ">=", "==", "!="].contains(&op);
            let numeric = version
                .split('.')
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            (known && numeric).then(|| Condition::PyVersion {
                op: op.to_string(),
                version: version.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(key: &str, value: &str) -> DirectiveOption {
        DirectiveOption {
            key: key.into(),
            value: value.into(),
            line: 1,
        }
    }

    fn sphinx_plan(options: &[DirectiveOption]) -> Plan {
        let mut plan = Plan {
            tool: Tool::Sphinx,
            ..Plan::default()
        };
        apply(options, &mut plan, false);
        plan
    }

    #[test]
    fn skip_and_flags() {
        let plan = sphinx_plan(&[option(
            "options",
            "+SKIP, +ELLIPSIS -NORMALIZE_WHITESPACE +BOGUS",
        )]);
        assert_eq!(plan.skip_reason(), Some(":options: +SKIP"));
        assert_eq!(plan.flags, ["+ELLIPSIS", "-NORMALIZE_WHITESPACE"]);
        assert_eq!(
            sphinx_plan(&[option("options", "-SKIP")]).skip_reason(),
            None
        );
    }

    #[test]
    fn pyversion_and_skipif() {
        let plan = sphinx_plan(&[option("pyversion", ">= 3.9, <3.13"), option("skipif", "x")]);
        assert_eq!(
            plan.conditions,
            [
                Condition::PyVersion {
                    op: ">=".into(),
                    version: "3.9".into()
                },
                Condition::PyVersion {
                    op: "<".into(),
                    version: "3.13".into()
                },
                Condition::SkipIf("x".into()),
            ]
        );
        assert!(
            sphinx_plan(&[option("pyversion", "~ 3")])
                .conditions
                .is_empty()
        );
    }

    #[test]
    fn written_for_sphinx() {
        assert!(is_written_for("# A\n\n```{doctest}\n>>> 1\n1\n```\n"));
        assert!(is_written_for("````{testcode} grp\nx\n````\n"));
        assert!(!is_written_for("```python\nx\n```\n{doctest} in prose\n"));
        assert!(!is_written_for("```{doctests}\n```\n"));
        assert!(is_written_for(
            "````{note}\n```{doctest}\n>>> 1\n1\n```\n````\n"
        ));
        assert!(
            !is_written_for("````markdown\n```{doctest}\n>>> 1\n```\n````\n"),
            "shown in a code block, not used"
        );
    }
}
