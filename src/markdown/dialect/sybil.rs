//! Sybil's Markdown parsers (`sybil.parsers.markdown`), as its lexers read
//! the raw text: a fence whose info string is exactly `python` runs (as
//! doctest examples when its code opens with `>>>`); `<!--
//! invisible-code-block: python ... -->` runs too, unseen; `<!-- skip: next
//! -->`, `<!-- skip: start -->` … `<!-- skip: end -->` (each with an
//! optional reason or `if(condition, reason="...")`) and `<!--
//! clear-namespace -->` steer them. All of a document's examples share one
//! namespace. With the whole-text `DocTestParser` configured, every `>>>`
//! in the document is an example as well.

use std::collections::HashMap;

use super::doctest_glob::{is_session, loose_sessions};
use super::{Dialect, Hidden, Marks, fenced_blocks, leave_alone, raw_line};
use crate::markdown::info::FenceKind;
use crate::markdown::plan::{Condition, DEFAULT_GROUP, Decision, Plan, Tool};
use crate::markdown::project::Conventions;

pub(super) struct Sybil {
    flags: Vec<String>,
    doctest_everywhere: bool,
    /// The plan of each fence Sybil runs, by its fence line.
    fences: HashMap<usize, Plan>,
}

/// A `<!-- skip: ... -->` or `<!-- clear-namespace -->` at a line.
#[derive(Debug, Clone, PartialEq)]
enum Directive {
    Skip { action: String, reason: String },
    Clear,
}

/// What Sybil evaluates, in document order.
enum Region {
    Directive(Directive),
    /// A fence (by its line) or hidden code that runs as an example.
    Fence(usize),
    Hidden(Hidden),
}

/// A skip in force: always, or when a condition holds at run time.
#[derive(Clone)]
enum Skip {
    Always(String),
    If(String),
}

impl Sybil {
    pub(super) fn new(conventions: &Conventions) -> Sybil {
        Sybil {
            flags: conventions.doctest_flags.clone(),
            doctest_everywhere: conventions.sybil_doctest_everywhere,
            fences: HashMap::new(),
        }
    }

    fn plan_for(&self, group: usize) -> Plan {
        Plan {
            tool: Tool::Sybil,
            groups: vec![if group == 0 {
                DEFAULT_GROUP.to_string()
            } else {
                format!("sybil-{group}")
            }],
            flags: self.flags.clone(),
            ..Plan::default()
        }
    }

    /// The document's regions, in order of their lines.
    fn regions(&self, source: &str) -> Vec<(usize, Region)> {
        let mut regions = directives(source);
        let lines: Vec<&str> = source.lines().collect();
        for (line, _, _, code) in fenced_blocks(source) {
            let python = info_of(raw_line(&lines, line)) == "python";
            let session = crate::markdown::looks_like_session(&code);
            if python || (self.doctest_everywhere && session) {
                regions.push((line, Region::Fence(line)));
            }
        }
        if self.doctest_everywhere {
            let loose = loose_sessions(source, &Plan::default());
            regions.extend(loose.into_iter().map(|h| (h.line, Region::Hidden(h))));
        }
        regions.sort_by_key(|(line, _)| *line);
        regions
    }
}

impl Dialect for Sybil {
    fn prepare(&mut self, source: &str) -> Vec<Hidden> {
        let mut hidden = Vec::new();
        let (mut group, mut next, mut range): (usize, Option<Skip>, Option<Skip>) = (0, None, None);
        for (_, region) in self.regions(source) {
            let mut plan = self.plan_for(group);
            match region {
                Region::Directive(Directive::Clear) => {
                    group += 1;
                    continue;
                }
                Region::Directive(Directive::Skip { action, reason }) => {
                    let skip = skip_of(&reason);
                    match action.as_str() {
                        "next" => next = Some(skip),
                        "start" => range = Some(skip),
                        _ => range = None,
                    }
                    continue;
                }
                Region::Fence(line) => {
                    apply(next.take().or_else(|| range.clone()), &mut plan);
                    self.fences.insert(line, plan);
                }
                Region::Hidden(mut code) => {
                    apply(next.take().or_else(|| range.clone()), &mut plan);
                    if let Decision::Skip { reason, by } = &code.plan.decision {
                        plan.skip(reason.clone(), *by);
                    }
                    code.plan = plan;
                    hidden.push(code);
                }
            }
        }
        hidden
    }

    fn plan(&mut self, marks: &Marks<'_>, plan: &mut Plan) {
        match self.fences.get(&marks.fence_line) {
            Some(sybil) => {
                let decision = std::mem::replace(&mut plan.decision, Decision::Run);
                *plan = Plan {
                    decision: match decision {
                        Decision::Run => sybil.decision.clone(),
                        other => other,
                    },
                    ..sybil.clone()
                };
                if !is_session(marks) {
                    plan.flags.clear();
                }
            }
            None => {
                plan.tool = Tool::Sybil;
                leave_alone(
                    plan,
                    "Sybil's PythonCodeBlockParser runs only fences whose info string is exactly `python`",
                    Tool::Sybil,
                );
            }
        }
    }
}

fn apply(skip: Option<Skip>, plan: &mut Plan) {
    match skip {
        Some(Skip::Always(reason)) => plan.skip(reason, Tool::Sybil),
        Some(Skip::If(condition)) => plan.conditions.push(Condition::SkipIf(condition)),
        None => {}
    }
}

/// A skip's argument: nothing, a reason (`"needs a GPU"`), `if(condition,
/// reason="...")`, or any other expression (true at run time: skipped).
fn skip_of(argument: &str) -> Skip {
    let argument = argument.trim();
    if argument.is_empty() {
        return Skip::Always("`<!-- skip -->` (Sybil)".into());
    }
    if let Some(inner) = argument
        .strip_prefix("if")
        .map(str::trim_start)
        .and_then(|a| a.strip_prefix('('))
        .and_then(|a| a.trim_end().strip_suffix(')'))
    {
        let condition = first_argument(inner);
        return Skip::If(condition.trim().to_string());
    }
    let quoted = ['"', '\''].iter().find_map(|q| {
        argument
            .strip_prefix(*q)
            .and_then(|a| a.strip_suffix(*q))
            .filter(|a| !a.contains(*q))
    });
    match quoted {
        Some(reason) => Skip::Always(reason.to_string()),
        None => Skip::If(argument.to_string()),
    }
}

/// The text of a call's first argument, up to its top-level comma.
fn first_argument(arguments: &str) -> &str {
    let mut depth = 0i32;
    let mut quote = None;
    for (i, c) in arguments.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => return &arguments[..i],
            _ => {}
        }
    }
    arguments
}

/// The info string as Sybil's fence lexer reads it: the rest of the opening
/// line after the fence characters, untrimmed.
fn info_of(line: &str) -> &str {
    let line = line.trim_start_matches([' ', '\t', '>', '-', '*', '+']);
    let line = line.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ')');
    let line = line.trim_start_matches([' ', '\t']);
    line.trim_start_matches('`').trim_start_matches('~')
}

/// Sybil's directives in HTML comments, and its invisible code blocks, with
/// their lines (`DirectiveInHTMLCommentLexer`: `<!--` at a line's start,
/// the directive, its arguments; the source runs to the next `-->`).
fn directives(source: &str) -> Vec<(usize, Region)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = i + 1;
        let Some(body) = lines[i]
            .trim_start_matches([' ', '\t'])
            .strip_prefix("<!--")
        else {
            i += 1;
            continue;
        };
        let body = body.trim_start_matches('-').trim_start();
        let body = body.strip_prefix(';').map(str::trim_start).unwrap_or(body);
        let head = body
            .split("-->")
            .next()
            .unwrap_or(body)
            .trim_end_matches('-');
        let (name, arguments) = head
            .split_once(|c: char| c.is_whitespace() || c == ':')
            .unwrap_or((head, ""));
        let arguments = arguments.trim_start_matches(':').trim();
        match name {
            "skip" => {
                let (action, reason) = arguments
                    .split_once(char::is_whitespace)
                    .unwrap_or((arguments, ""));
                if ["next", "start", "end"].contains(&action) {
                    let directive = Directive::Skip {
                        action: action.into(),
                        reason: reason.trim().into(),
                    };
                    out.push((line, Region::Directive(directive)));
                }
            }
            "clear-namespace" => out.push((line, Region::Directive(Directive::Clear))),
            "invisible-code-block" | "invisible-code" | "code-block" | "code"
                if arguments == "python" && !body.contains("-->") =>
            {
                let end = (i + 1..lines.len())
                    .find(|&j| lines[j].contains("-->"))
                    .unwrap_or(lines.len());
                let mut code: String = lines[i + 1..end.min(lines.len())]
                    .iter()
                    .map(|l| format!("{l}\n"))
                    .collect();
                if let Some(last) = lines.get(end) {
                    let before = last.split("-->").next().unwrap_or("").trim_end_matches('-');
                    if !before.trim().is_empty() {
                        code.push_str(before);
                        code.push('\n');
                    }
                }
                let mut plan = Plan::default();
                if end == lines.len() {
                    let reason = format!(
                        "the invisible code block at line {line} has no closing `-->` (Sybil fails to read the document)"
                    );
                    plan.skip(reason, Tool::Sybil);
                }
                let code = dedent(&code);
                let hidden = Hidden {
                    line,
                    code,
                    kind: FenceKind::Setup,
                    plan,
                };
                out.push((line, Region::Hidden(hidden)));
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// `textwrap.dedent`: the common leading whitespace of non-blank lines off.
fn dedent(code: &str) -> String {
    let indent = code
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    code.lines()
        .map(|l| format!("{}\n", l.get(indent..).unwrap_or("").trim_end_matches(' ')))
        .collect()
}

/// Does `source` carry Sybil's Markdown markers?
pub(super) fn shows(source: &str) -> bool {
    directives(source).iter().any(|(_, region)| match region {
        Region::Directive(Directive::Clear) | Region::Hidden(_) => true,
        Region::Directive(Directive::Skip { .. }) => true,
        Region::Fence(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_directives_and_invisible_code() {
        let md = "<!-- skip: next -->\n\n<!-- skip: start if(sys.platform == 'win32', reason=\"posix\") -->\n<!--- clear-namespace --->\n<!-- invisible-code-block: python\n  x = 1\n  y = 2\n-->\n";
        let found = directives(md);
        assert_eq!(found.len(), 4);
        match &found[3].1 {
            Region::Hidden(h) => assert_eq!((h.line, h.code.as_str()), (5, "x = 1\ny = 2\n")),
            _ => panic!("not hidden code"),
        }
        assert!(
            matches!(skip_of("if(sys.platform == 'win32', reason=\"posix\")"), Skip::If(c) if c == "sys.platform == 'win32'")
        );
        assert!(matches!(skip_of("\"needs a GPU\""), Skip::Always(r) if r == "needs a GPU"));
        let open = directives("<!-- invisible-code-block: python\nx = 1\n");
        match &open[0].1 {
            Region::Hidden(h) => assert!(h.plan.skip_reason().unwrap().contains("line 1")),
            _ => panic!("not hidden code"),
        }
        assert_eq!(info_of("```python"), "python");
        assert_eq!(info_of("- ```python "), "python ");
    }
}
