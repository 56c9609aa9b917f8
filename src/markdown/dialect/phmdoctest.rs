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
use crate::markdown::project::PhmdoctestOptions;

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
    /// What the command that runs phmdoctest on the document adds.
    options: PhmdoctestOptions,
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
    pub(super) fn new(flavor: Flavor, options: PhmdoctestOptions) -> Phmdoctest {
        Phmdoctest {
            flavor,
            options,
            fences: HashMap::new(),
            outputs: HashMap::new(),
        }
    }

    /// The command line's `--skip`, `--setup` and `--teardown`, as the
    /// directives they stand for on the blocks they name (phmdoctest's
    /// `findall`: `FIRST`, `SECOND`, `LAST`, else every code block or
    /// session holding the text; setup and teardown only when one does).
    fn apply_command_line(
        &self,
        blocks: &[(usize, usize, String, String)],
        roles: &[Role],
        directives: &mut [Vec<String>],
    ) {
        let candidates: Vec<usize> = (0..blocks.len())
            .filter(|&i| matches!(roles[i], Role::Code | Role::Session))
            .collect();
        let find = |pattern: &str| -> Vec<usize> {
            match pattern {
                "FIRST" => candidates.first().copied().into_iter().collect(),
                "SECOND" => candidates.get(1).copied().into_iter().collect(),
                "LAST" => candidates.last().copied().into_iter().collect(),
                _ => candidates
                    .iter()
                    .copied()
                    .filter(|&i| blocks[i].3.contains(pattern))
                    .collect(),
            }
        };
        for pattern in &self.options.skips {
            for i in find(pattern) {
                directives[i].push("skip".into());
            }
        }
        for (pattern, marker) in [
            (&self.options.setup, "setup"),
            (&self.options.teardown, "teardown"),
        ] {
            let Some(pattern) = pattern else { continue };
            if let [only] = find(pattern)[..] {
                directives[only].push(marker.into());
            }
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
        // phmdoctest reads the HTML blocks that are the fence's previous
        // siblings in commonmark's tree; phmutest reads raw lines.
        let mut html = match self.flavor {
            Flavor::Phmdoctest => html_before_fences(source),
            Flavor::Phmutest => HashMap::new(),
        };
        let mut directives: Vec<Vec<String>> = blocks
            .iter()
            .map(|(line, ..)| match self.flavor {
                Flavor::Phmdoctest => html
                    .remove(line)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|literal| phmdoctest_directive(literal))
                    .collect(),
                Flavor::Phmutest => directives_before(self.flavor, &lines, *line),
            })
            .collect();
        self.apply_command_line(&blocks, &roles, &mut directives);
        // A bare fence right after a code block is its output.
        for i in 1..blocks.len() {
            if roles[i - 1] == Role::Code && is_output_info(self.flavor, &blocks[i].2) {
                // An empty or skipped output block is compared with nothing.
                // (phmutest compares an empty one with what the code printed.)
                let skipped = directives[i].iter().any(|d| d == "skip");
                let empty = self.flavor == Flavor::Phmdoctest && blocks[i].3.is_empty();
                if !skipped && !empty {
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
            let mut plan = plan_for(self.flavor, roles[i], *line, &directives[i]);
            if self.options.setup_doctest && roles[i] == Role::Session {
                plan.shared = Some(SharedNames {
                    group: MODULE.into(),
                    after: AfterRun::Keep,
                });
            }
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
    } else if !python || (flavor == Flavor::Phmdoctest && code.is_empty()) {
        // phmdoctest deletes an empty block (`del-code`); phmutest runs it
        // as `pass`, and pairs it with the bare fence after it.
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

/// phmutest's directives (`skip`, `label NAME`, `mark.skipif<3.8`) of
/// the HTML comments right before the fence at 1-based `line`, in file
/// order, as its line reader links them: comment lines (at most 3 spaces
/// in) and blank lines, two blank lines in a row ending the run; a
/// comment that is no directive does not end it.
fn directives_before(flavor: Flavor, lines: &[&str], line: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut previous_blank = false;
    for text in lines[..line.saturating_sub(1).min(lines.len())]
        .iter()
        .rev()
    {
        if text.chars().all(|c| c == ' ' || c == '\t') {
            if previous_blank {
                break;
            }
            previous_blank = true;
            continue;
        }
        previous_blank = false;
        let indent = text.len() - text.trim_start_matches(' ').len();
        let comment = &text[indent..];
        if indent > 3 || !comment.starts_with("<!--") || !comment.ends_with("-->") {
            break;
        }
        if let Some(directive) = directive_of(flavor, comment) {
            found.push(directive);
        }
    }
    found.reverse();
    found
}

/// A phmutest directive comment in phmdoctest's spelling (`skip`,
/// `mark.skipif<3.8`), matched exactly as phmutest's `directive_finders`
/// match the whole comment.
fn directive_of(flavor: Flavor, comment: &str) -> Option<String> {
    let body = |prefix: &str| comment.strip_prefix(prefix)?.strip_suffix("-->");
    let minor = |v: &str| {
        let ok = v.starts_with(|c: char| ('1'..='9').contains(&c))
            && v.chars().all(|c| c.is_ascii_digit());
        ok.then(|| format!("mark.skipif<3.{v}"))
    };
    if let Some(body) = body(PREFIX) {
        return match body {
            "skip" | "mark.skip" => Some("skip".into()),
            "setup" | "teardown" => Some(body.into()),
            _ => body
                .strip_prefix("mark.skipif<3.")
                .and_then(minor)
                .or_else(|| body.strip_prefix("label ").map(|v| format!("label {v}"))),
        };
    }
    let body = body(PHMUTEST_PREFIX).filter(|_| flavor == Flavor::Phmutest)?;
    match body {
        "skip" | "setup" | "teardown" => Some(body.into()),
        _ => body
            .strip_prefix("skipif<3.")
            .and_then(minor)
            .or_else(|| body.strip_prefix("label ").map(|v| format!("label {v}"))),
    }
}

/// The HTML blocks right before each fenced block, by its fence line, as
/// phmdoctest's `get_directives` walks commonmark's `node.prv`: siblings
/// in the same container with only HTML blocks between (blank lines are
/// no nodes). Each is the block's literal: its raw lines, indentation
/// kept, trailing newlines cut.
fn html_before_fences(source: &str) -> HashMap<usize, Vec<String>> {
    use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
    let starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset);
    let mut out = HashMap::new();
    // The run of HTML blocks just read, one per open container.
    let mut runs: Vec<Vec<String>> = vec![Vec::new()];
    let mut html: Option<String> = None;
    for (event, range) in Parser::new_ext(source, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(Tag::HtmlBlock) => {
                // The walker drops the first line's indentation; commonmark
                // keeps it (after a `>` marker, less its optional space).
                let start = source[..range.start].rfind('\n').map_or(0, |i| i + 1);
                let before = &source[start..range.start];
                let marker = before.trim_end_matches(' ');
                let spaces = before.len() - marker.len();
                let spaces = match marker.chars().last() {
                    None => spaces,
                    Some('>') => spaces.saturating_sub(1),
                    Some(_) => 0,
                };
                html = Some(" ".repeat(spaces));
            }
            Event::Html(text) => {
                if let Some(html) = &mut html {
                    html.push_str(&text);
                }
            }
            Event::End(TagEnd::HtmlBlock) => {
                let literal = html.take().unwrap_or_default();
                if let Some(run) = runs.last_mut() {
                    run.push(chop_trailing_newlines(&literal).to_string());
                }
            }
            Event::Start(tag) => {
                let run = runs.last_mut().map(std::mem::take).unwrap_or_default();
                if let Tag::CodeBlock(CodeBlockKind::Fenced(_)) = tag {
                    out.insert(line_of(range.start), run);
                }
                runs.push(Vec::new());
            }
            Event::End(_) => {
                runs.pop();
                if runs.is_empty() {
                    runs.push(Vec::new());
                }
            }
            Event::Rule => {
                if let Some(run) = runs.last_mut() {
                    run.clear();
                }
            }
            _ => {}
        }
    }
    out
}

/// commonmark's `re.sub(r"(\n *)+$", "", literal)` (CR LF read as LF).
fn chop_trailing_newlines(mut text: &str) -> &str {
    loop {
        let t = text.trim_end_matches(' ');
        match t.strip_suffix('\n') {
            Some(rest) => text = rest.strip_suffix('\r').unwrap_or(rest),
            None => return text,
        }
    }
}

/// phmdoctest's `find_one_directive`: the simple markers match the whole
/// literal; `label `, `mark.skipif<3.` and `mark.` are prefixes whose
/// value is the rest, `-->` removed, stripped.
fn phmdoctest_directive(literal: &str) -> Option<String> {
    let body = literal.strip_prefix(PREFIX)?;
    if let Some(name) = body.strip_suffix("-->") {
        if matches!(
            name,
            "skip" | "mark.skip" | "setup" | "teardown" | "share-names" | "clear-names"
        ) {
            return Some(name.into());
        }
    }
    let value = |prefix: &str| {
        body.strip_prefix(prefix)
            .map(|rest| rest.replace("-->", "").trim().to_string())
    };
    if let Some(label) = value("label ") {
        return Some(format!("label {label}"));
    }
    if let Some(minor) = value("mark.skipif<3.") {
        return Some(format!("mark.skipif<3.{minor}"));
    }
    value("mark.").map(|attribute| format!("mark.{attribute}"))
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
    // Sessions are docstrings and setup/teardown run in the module
    // fixture: no `@pytest.mark` decorator reaches them, only `skip`.
    for directive in directives {
        if role == Role::Code || directive == "skip" {
            apply(directive, &mut plan);
        }
    }
    plan
}

/// One directive's effect on the block's plan.
fn apply(directive: &str, plan: &mut Plan) {
    let tool = plan.tool;
    if directive == "skip" {
        plan.skip(format!("<!--{}-skip-->", tool.name()), tool);
    } else if directive == "mark.skip" || directive == "mark.skipif" {
        // A bare `@pytest.mark.skipif`, with no condition, skips.
        plan.skip(format!("<!--phmdoctest-{directive}-->"), tool);
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
        // `num_indented`: the leading whitespace, in characters.
        let indent = line.chars().take_while(|c| c.is_whitespace()).count();
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
            // `" " * colno + "pass  # ..."`: spaces, whatever indented it.
            out.push(format!("{}pass", " ".repeat(indent)));
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

#[cfg(test)]
mod real_tool_tests {
    use super::*;

    fn directives(md: &str) -> Vec<Vec<String>> {
        let html = html_before_fences(md);
        fenced_blocks(md)
            .iter()
            .map(|(line, ..)| {
                html.get(line)
                    .into_iter()
                    .flatten()
                    .filter_map(|l| phmdoctest_directive(l))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn phmdoctest_reads_sibling_html_blocks_exactly() {
        let md = "<!--phmdoctest-skip -->\n```python\n1\n```\n\n   <!--phmdoctest-skip-->\n```python\n2\n```\n\n<!--phmdoctest-skip-->\n> ```python\n> 3\n> ```\n\n> <!--phmdoctest-skip-->\n> ```python\n> 4\n> ```\n\n<!--phmdoctest-skip-->\n<!--\nnote\n-->\n```python\n5\n```\n\n<!--phmdoctest-skip-->\n<!-- note --> trailing\n```python\n6\n```\n\n<!--phmdoctest-label a-->\n\n<!--phmdoctest-mark.skipif<3.8-->\n```python\n7\n```\n";
        let d = directives(md);
        let none: Vec<String> = Vec::new();
        assert_eq!(d[0], none);
        assert_eq!(d[1], none);
        assert_eq!(d[2], none);
        assert_eq!(d[3], ["skip"]);
        assert_eq!(d[4], ["skip"]);
        assert_eq!(d[5], ["skip"]);
        assert_eq!(d[6], ["label a", "mark.skipif<3.8"]);
    }

    #[test]
    fn marks_reach_only_code_blocks() {
        let marks = vec!["mark.skip".to_string()];
        assert!(
            plan_for(Flavor::Phmdoctest, Role::Session, 1, &marks)
                .skip_reason()
                .is_none()
        );
        assert!(
            plan_for(Flavor::Phmdoctest, Role::Setup, 1, &marks)
                .skip_reason()
                .is_none()
        );
        assert!(
            plan_for(Flavor::Phmdoctest, Role::Code, 1, &marks)
                .skip_reason()
                .is_some()
        );
        let bare = vec!["mark.skipif".to_string()];
        assert!(
            plan_for(Flavor::Phmdoctest, Role::Code, 1, &bare)
                .skip_reason()
                .is_some()
        );
    }

    #[test]
    fn inline_pass_indents_with_spaces() {
        let out =
            apply_inline_commands("def f():\n\tg()  # phmdoctest:pass\n\treturn 1\n").unwrap();
        assert_eq!(out, "def f():\n pass\n\treturn 1\n");
    }

    #[test]
    fn phmutest_links_at_most_one_blank_line_and_matches_exactly() {
        let lines: Vec<&str> = "<!--phmutest-skip-->\n\n\n```python".lines().collect();
        assert!(directives_before(Flavor::Phmutest, &lines, 4).is_empty());
        let lines = ["<!--phmutest-skip -->", "```python"];
        assert!(directives_before(Flavor::Phmutest, &lines, 2).is_empty());
        let lines = ["<!--phmutest-skip-->", "<!-- note -->", "```python"];
        assert_eq!(directives_before(Flavor::Phmutest, &lines, 3), ["skip"]);
        assert_eq!(role_of(Flavor::Phmutest, "python", ""), Role::Code);
    }
}
