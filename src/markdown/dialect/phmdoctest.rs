//! phmdoctest: each fence whose info string starts with `python`, `py3`
//! or `python3` is a test function of a generated pytest module, and the
//! next fence, when its info string is empty, is that block's expected
//! stdout (prose in between or not). A fence whose info string starts with
//! `py` and whose code starts with `>>> ` is a doctest session. HTML
//! comments right before a fence steer it: `<!--phmdoctest-skip-->`,
//! `-mark.skip`, `-mark.skipif<3.N`, `-mark.ATTR`, `-label NAME`,
//! `-setup`, `-teardown`, `-share-names`, `-clear-names`; inline
//! `phmdoctest:omit` and `phmdoctest:pass` rewrite code lines.
//!
//! Namespaces, as the generated module has them: a block's assignments
//! are locals of its test function, so blocks are isolated; they all see
//! the module's globals, which the setup block and every `share-names`
//! block add to and a `clear-names` block empties. Sessions are doctests
//! of their own.
//!
//! phmutest, its successor, reads the same directives (and its own
//! `<!--phmutest-...-->` ones) but runs a file as one long example: the
//! code blocks share one namespace and the sessions another; a fence with
//! no info string or `expected-output` is output; no inline commands.

use std::collections::HashMap;

use super::{Dialect, Marks, Pairing, fenced_blocks, leave_alone};
use crate::markdown::info::FenceKind;
use crate::markdown::plan::{AfterRun, Condition, Plan, SharedNames, Tool};

/// The info-string prefixes of the code blocks it runs.
const PYTHON_FLAVORS: &[&str] = &["python", "py3", "python3"];

/// The group holding the module's globals.
const MODULE: &str = "phmdoctest-module";

/// The group of the setup and teardown fixture's locals.
const FIXTURE: &str = "phmdoctest-fixture";

/// The directives' common prefix.
const PREFIX: &str = "<!--phmdoctest-";

/// Which of the two tools reads the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavor {
    Phmdoctest,
    Phmutest,
}

pub(super) struct Phmdoctest {
    flavor: Flavor,
    /// What phmdoctest makes of each fence, by its fence line.
    fences: HashMap<usize, Fence>,
    /// Output fence line → its code block's fence line.
    outputs: HashMap<usize, usize>,
}

/// One fence as phmdoctest reads it.
struct Fence {
    role: Role,
    plan: Plan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Code,
    Session,
    Setup,
    Teardown,
    /// Output, another language, or an empty block: not run.
    Other,
}

/// phmutest's own directives' prefix.
const PHMUTEST_PREFIX: &str = "<!--phmutest-";

/// The flavor whose directives `source` carries, if any (phmutest's own
/// first: it reads phmdoctest's too).
pub(super) fn shows(source: &str) -> Option<Flavor> {
    if !source.contains("<!--phm") {
        return None; // most documents: no parse needed
    }
    let lines: Vec<&str> = super::prose_lines(source).map(str::trim_start).collect();
    if lines.iter().any(|line| line.starts_with(PHMUTEST_PREFIX)) {
        Some(Flavor::Phmutest)
    } else if lines.iter().any(|line| line.starts_with(PREFIX)) {
        Some(Flavor::Phmdoctest)
    } else {
        None
    }
}

impl Phmdoctest {
    pub(super) fn new(flavor: Flavor) -> Phmdoctest {
        Phmdoctest {
            flavor,
            fences: HashMap::new(),
            outputs: HashMap::new(),
        }
    }

    fn tool(&self) -> Tool {
        match self.flavor {
            Flavor::Phmdoctest => Tool::Phmdoctest,
            Flavor::Phmutest => Tool::Phmutest,
        }
    }
}

impl Dialect for Phmdoctest {
    fn prepare(&mut self, source: &str) -> Vec<super::Hidden> {
        let lines: Vec<&str> = source.lines().collect();
        let blocks = fenced_blocks(source);
        let mut roles: Vec<Role> = blocks
            .iter()
            .map(|(_, _, info, code)| role_of(self.flavor, info, code))
            .collect();
        let directives: Vec<Vec<String>> = blocks
            .iter()
            .map(|(line, ..)| directives_before(self.flavor, &lines, *line))
            .collect();
        // A bare fence right after a code block is its output.
        for i in 1..blocks.len() {
            if roles[i - 1] == Role::Code && is_output_info(self.flavor, &blocks[i].2) {
                // An empty or skipped output block is compared with nothing.
                let skipped = directives[i].iter().any(|d| d == "skip");
                if !skipped && !blocks[i].3.is_empty() {
                    self.outputs.insert(blocks[i].0, blocks[i - 1].0);
                }
            }
        }
        // One setup and one teardown block, the first marked.
        for (marker, role) in [("setup", Role::Setup), ("teardown", Role::Teardown)] {
            let marked = (0..blocks.len())
                .find(|&i| roles[i] == Role::Code && directives[i].iter().any(|d| d == marker));
            if let Some(i) = marked {
                roles[i] = role;
                if let Some(next) = blocks.get(i + 1) {
                    self.outputs.remove(&next.0);
                }
            }
        }
        for (i, (line, ..)) in blocks.iter().enumerate() {
            let plan = plan_for(self.flavor, roles[i], *line, &directives[i]);
            self.fences.insert(
                *line,
                Fence {
                    role: roles[i],
                    plan,
                },
            );
        }
        Vec::new()
    }

    fn plan(&mut self, marks: &Marks<'_>, plan: &mut Plan) {
        match self.fences.get(&marks.fence_line) {
            Some(fence) if fence.role != Role::Other => {
                let writer_skip = plan.skip_reason().map(String::from);
                *plan = fence.plan.clone();
                if let Some(reason) = writer_skip {
                    plan.skip(reason, Tool::Snipcheck);
                }
            }
            _ => {
                plan.tool = self.tool();
                let reason = match self.flavor {
                    Flavor::Phmdoctest => {
                        "phmdoctest runs only ```python/```py3 code and ```py* `>>>` sessions"
                    }
                    Flavor::Phmutest => "phmutest runs only Python code and `>>>` sessions",
                };
                leave_alone(plan, reason, self.tool());
            }
        }
    }

    fn pairing(&self, fence_line: usize) -> Option<Pairing> {
        if !self.fences.contains_key(&fence_line) {
            return None;
        }
        Some(match self.outputs.get(&fence_line) {
            Some(&code) => Pairing::OutputOf(code),
            None => Pairing::NotOutput,
        })
    }

    fn kind(&self, marks: &Marks<'_>) -> Option<FenceKind> {
        match self.fences.get(&marks.fence_line)?.role {
            Role::Setup => Some(FenceKind::Setup),
            Role::Teardown => Some(FenceKind::Cleanup),
            _ => None,
        }
    }

    fn rewrite(&self, marks: &Marks<'_>) -> Option<String> {
        let fence = self.fences.get(&marks.fence_line)?;
        let code = matches!(fence.role, Role::Code | Role::Setup | Role::Teardown);
        if !code || self.flavor == Flavor::Phmutest {
            return None;
        }
        apply_inline_commands(marks.code)
    }
}

/// Code, session or neither, by the info string and the code's start.
fn role_of(flavor: Flavor, info: &str, code: &str) -> Role {
    let info = info.trim();
    let python = match flavor {
        Flavor::Phmdoctest => PYTHON_FLAVORS.iter().any(|f| info.starts_with(f)),
        Flavor::Phmutest => PHMUTEST_PYTHON.is_match(info),
    };
    let session_info = match flavor {
        Flavor::Phmdoctest => info.starts_with("py"),
        Flavor::Phmutest => python,
    };
    if code.starts_with(">>> ") && session_info {
        Role::Session
    } else if code.is_empty() || !python {
        Role::Other
    } else {
        Role::Code
    }
}

/// phmutest's `PythonMatcher`, as `re.match` applies it (anchored at the
/// start): a Python name, then a space, a colon or the end.
static PHMUTEST_PYTHON: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:(?:python|py|py3)(?:[ :]|$)|python3(?:[ :]|$)|pycon(?:[ :]|$)|\{.*?\.python.*?\})",
    )
    .expect("valid")
});

/// Is a fence with this info string an output block, after code?
fn is_output_info(flavor: Flavor, info: &str) -> bool {
    let info = info.trim();
    info.is_empty() || (flavor == Flavor::Phmutest && info == "expected-output")
}

/// The directives (`skip`, `label NAME`, `mark.skipif<3.8`) of the HTML
/// comments right before the fence at 1-based `line`, blank lines between
/// them allowed, in file order.
fn directives_before(flavor: Flavor, lines: &[&str], line: usize) -> Vec<String> {
    let mut found = Vec::new();
    for text in lines[..line.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
    {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let Some(body) = text
            .strip_prefix("<!--")
            .and_then(|t| t.strip_suffix("-->"))
        else {
            break;
        };
        if let Some(directive) = directive_of(flavor, text) {
            found.push(directive);
        } else if body.contains("-->") {
            break;
        }
    }
    found.reverse();
    found
}

/// A directive comment's name in phmdoctest's spelling (`skip`,
/// `mark.skipif<3.8`), phmutest's own ones translated.
fn directive_of(flavor: Flavor, comment: &str) -> Option<String> {
    let body = |prefix: &str| {
        comment
            .strip_prefix(prefix)
            .and_then(|t| t.strip_suffix("-->"))
            .map(|t| t.trim().to_string())
    };
    if let Some(directive) = body(PREFIX) {
        return Some(directive);
    }
    let own = body(PHMUTEST_PREFIX).filter(|_| flavor == Flavor::Phmutest)?;
    Some(match own.strip_prefix("skipif<") {
        Some(version) => format!("mark.skipif<{version}"),
        None => own,
    })
}

/// The plan of a block phmdoctest runs.
fn plan_for(flavor: Flavor, role: Role, line: usize, directives: &[String]) -> Plan {
    let mut plan = Plan {
        tool: match flavor {
            Flavor::Phmdoctest => Tool::Phmdoctest,
            Flavor::Phmutest => Tool::Phmutest,
        },
        unnamed: true,
        ..Plan::default()
    };
    if flavor == Flavor::Phmutest {
        plan.groups = vec![match role {
            Role::Session => "phmutest-sessions".into(),
            _ => "phmutest-code".into(),
        }];
        for directive in directives
            .iter()
            .filter(|d| d.starts_with("mark.skip") || *d == "skip")
        {
            apply(directive, &mut plan);
        }
        plan.hoisted = role == Role::Setup;
        return plan;
    }
    match role {
        // The fixture function runs both: teardown sees setup's locals even
        // after a `clear-names`, and setup's names become module globals.
        Role::Setup | Role::Teardown => {
            plan.groups = vec![FIXTURE.into()];
            let after = match role {
                Role::Setup => AfterRun::Share,
                _ => AfterRun::Keep,
            };
            plan.shared = Some(SharedNames {
                group: MODULE.into(),
                after,
            });
            plan.hoisted = role == Role::Setup;
        }
        Role::Session => plan.groups = vec![format!("phmdoctest-session-{line}")],
        Role::Code => {
            plan.groups = vec![format!("phmdoctest-{line}")];
            let has = |d: &str| directives.iter().any(|x| x == d);
            let after = if has("share-names") {
                AfterRun::Share
            } else if has("clear-names") {
                AfterRun::Clear
            } else {
                AfterRun::Keep
            };
            plan.shared = Some(SharedNames {
                group: MODULE.into(),
                after,
            });
        }
        Role::Other => {}
    }
    for directive in directives {
        apply(directive, &mut plan);
    }
    plan
}

/// One directive's effect on the block's plan.
fn apply(directive: &str, plan: &mut Plan) {
    let tool = plan.tool;
    if directive == "skip" {
        plan.skip(format!("<!--{}-skip-->", tool.name()), tool);
    } else if directive == "mark.skip" {
        plan.skip("<!--phmdoctest-mark.skip-->", tool);
    } else if let Some(minor) = directive.strip_prefix("mark.skipif<3.") {
        match minor.trim().parse::<u32>() {
            Ok(minor) => plan.conditions.push(Condition::PyVersion {
                op: ">=".into(),
                version: format!("3.{minor}"),
            }),
            Err(_) => plan.skip(
                format!("<!--phmdoctest-{directive}-->: phmdoctest wants a number after `<3.`"),
                tool,
            ),
        }
    } else if directive == "mark.xfail" {
        plan.expect_exception = true;
    }
    // `label`, `setup`, `teardown`, the names directives and other pytest
    // marks say nothing more about whether or how the block runs.
}

/// phmdoctest's inline commands: a line ending in `phmdoctest:omit` is
/// left out with the lines indented under it, one ending in
/// `phmdoctest:pass` becomes `pass`. Left-out lines stay as blank lines,
/// not commented ones, so no claim is read from code that never runs.
/// `None` when there is none.
pub(super) fn apply_inline_commands(code: &str) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    let mut omitting: Option<usize> = None;
    let mut changed = false;
    for line in code.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(column) = omitting {
            if line.trim().is_empty() || indent > column {
                out.push(String::new());
                continue;
            }
            omitting = None;
        }
        if line.trim_start().starts_with('#') {
            out.push(line.to_string());
        } else if line.ends_with("phmdoctest:pass") {
            out.push(format!("{}pass", &line[..indent]));
            changed = true;
        } else if line.ends_with("phmdoctest:omit") {
            out.push(String::new());
            omitting = Some(indent);
            changed = true;
        } else {
            out.push(line.to_string());
        }
    }
    changed.then(|| out.iter().map(|l| format!("{l}\n")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_the_info_string_and_the_prompt() {
        let phm = |info, code| role_of(Flavor::Phmdoctest, info, code);
        assert_eq!(phm("python", "x = 1\n"), Role::Code);
        assert_eq!(phm("python3 title", "x = 1\n"), Role::Code);
        assert_eq!(phm("py", "x = 1\n"), Role::Other);
        assert_eq!(phm("pycon", ">>> 1\n1\n"), Role::Session);
        assert_eq!(phm("python", ">>> 1\n1\n"), Role::Session);
        assert_eq!(phm("pycon", "# note\n>>> 1\n"), Role::Other);
        assert_eq!(phm("python", ""), Role::Other);
        let phmu = |info, code| role_of(Flavor::Phmutest, info, code);
        assert_eq!(phmu("py", "x = 1\n"), Role::Code);
        assert_eq!(phmu("python title=a", "x = 1\n"), Role::Code);
        assert_eq!(phmu("pythonic", "x = 1\n"), Role::Other);
        assert_eq!(phmu("{.python}", "x = 1\n"), Role::Code);
        assert_eq!(phmu("text pycon", "x = 1\n"), Role::Other);
        assert_eq!(phmu("mypython3", "x = 1\n"), Role::Other);
    }

    #[test]
    fn directives_are_the_comments_right_before() {
        let lines: Vec<&str> =
            "text\n<!--phmdoctest-label a-->\n\n<!--phmdoctest-skip-->\n```python\n"
                .lines()
                .collect();
        assert_eq!(
            directives_before(Flavor::Phmdoctest, &lines, 5),
            ["label a", "skip"]
        );
        let lines: Vec<&str> = "<!--phmdoctest-skip-->\ntext\n```python\n"
            .lines()
            .collect();
        assert!(directives_before(Flavor::Phmdoctest, &lines, 3).is_empty());
        let lines = ["<!--phmutest-skipif<3.99-->", "```python"];
        assert_eq!(
            directives_before(Flavor::Phmutest, &lines, 2),
            ["mark.skipif<3.99"]
        );
        assert!(directives_before(Flavor::Phmdoctest, &lines, 2).is_empty());
    }

    #[test]
    fn inline_commands_keep_the_line_count() {
        let code = "import time\ndef f():\n    time.sleep(9)  # phmdoctest:pass\nf()\nslow()  # phmdoctest:omit\n    more\nprint(1)\n";
        let out = apply_inline_commands(code).unwrap();
        assert_eq!(out, "import time\ndef f():\n    pass\nf()\n\n\nprint(1)\n");
        assert_eq!(out.lines().count(), code.lines().count());
        assert_eq!(apply_inline_commands("# phmdoctest:omit\nx\n"), None);
    }
}
