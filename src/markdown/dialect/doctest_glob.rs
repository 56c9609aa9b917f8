//! `pytest --doctest-glob='*.md'` and `python -m doctest file.md`: the whole
//! file is one doctest. Every `>>>` line is an example wherever it stands
//! (a fence of any language, a paragraph, an HTML comment), its expected
//! output the non-blank lines under it; all share one namespace; the
//! project's `doctest_optionflags` apply. A Python fence without `>>>` is
//! prose to doctest: not run.

use super::{Dialect, Hidden, Marks, fenced_blocks, leave_alone};
use crate::markdown::info::{FenceInfo, FenceKind};
use crate::markdown::looks_like_session;
use crate::markdown::plan::{Plan, Tool};
use crate::markdown::project::Conventions;

pub(super) struct DoctestGlob {
    flags: Vec<String>,
}

impl DoctestGlob {
    pub(super) fn new(conventions: &Conventions) -> DoctestGlob {
        DoctestGlob {
            flags: conventions.doctest_flags.clone(),
        }
    }
}

impl Dialect for DoctestGlob {
    fn prepare(&mut self, source: &str) -> Vec<Hidden> {
        let plan = Plan {
            tool: Tool::Doctest,
            flags: self.flags.clone(),
            ..Plan::default()
        };
        loose_sessions(source, &plan)
    }

    fn plan(&mut self, marks: &Marks<'_>, plan: &mut Plan) {
        plan.tool = Tool::Doctest;
        if is_session(marks) {
            plan.flags.extend(self.flags.iter().cloned());
        } else {
            leave_alone(
                plan,
                "doctest runs only `>>>` examples; this block has none",
                Tool::Doctest,
            );
        }
    }
}

/// A `>>>` block as snipcheck reads one (```pycon, or code opening with a prompt).
pub(super) fn is_session(marks: &Marks<'_>) -> bool {
    *marks.kind == FenceKind::Session
        || (*marks.kind == FenceKind::Script && looks_like_session(marks.code))
}

/// For each 1-based line (index 0 unused): is it part of a fence snipcheck
/// runs as a block?
fn in_runnable_fences(source: &str) -> Vec<bool> {
    let mut marked = vec![false; source.lines().count() + 2];
    for (first, last, info, _) in fenced_blocks(source) {
        if FenceInfo::parse(&info).is_runnable() {
            for line in first..=last.min(marked.len() - 1) {
                marked[line] = true;
            }
        }
    }
    marked
}

/// doctest's examples outside the runnable fences, as doctest's parser
/// reads them (`_EXAMPLE_RE`): a `>>>` line, its `...` lines, then every
/// line up to a blank one or the next prompt. Examples with no blank line
/// between them make one session.
pub(super) fn loose_sessions(source: &str, plan: &Plan) -> Vec<Hidden> {
    let fenced = in_runnable_fences(source);
    let in_fence = |line: usize| fenced.get(line).copied().unwrap_or(false);
    let prompt = |text: &str| text.trim_start_matches(' ').starts_with(">>>");
    let mut sessions = Vec::new();
    let mut current: Option<Hidden> = None;
    for (i, text) in source.lines().enumerate() {
        let line = i + 1;
        let ends = in_fence(line) || text.trim().is_empty();
        match &mut current {
            _ if ends => sessions.extend(current.take()),
            Some(session) => {
                session.code.push_str(text);
                session.code.push('\n');
            }
            None if prompt(text) => {
                current = Some(Hidden {
                    line: line - 1,
                    code: format!("{text}\n"),
                    kind: FenceKind::Session,
                    plan: plan.clone(),
                })
            }
            None => {}
        }
    }
    sessions.extend(current);
    sessions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_prompts_in_prose_and_text_fences_but_not_in_python_fences() {
        let md = "Intro\n\n>>> 1 + 1\n2\n\nProse.\n\n```text\n>>> x = 3\n>>> x\n3\n\n```\n\n```pycon\n>>> 4\n4\n```\n";
        let found = loose_sessions(md, &Plan::default());
        let found: Vec<_> = found.iter().map(|h| (h.line, h.code.as_str())).collect();
        assert_eq!(found, [(2, ">>> 1 + 1\n2\n"), (8, ">>> x = 3\n>>> x\n3\n")]);
    }
}
