//! pytest-codeblocks, as its line reader sees the raw text: every line
//! that opens with ```` ``` ```` starts a block (also inside an HTML
//! comment, which is how its users hide setup code), and a block whose
//! info string is exactly `python` runs, `exec`'d in a fresh dict. HTML
//! comments steer the next block, prose in between or not:
//! `<!--pytest.mark.skip-->`, `<!--pytest.mark.skipif(...)-->`,
//! `<!--pytest.mark.xfail-->`, and its own `<!--pytest-codeblocks:skip-->`,
//! `skipif(...)`, `importorskip(module)`, `expect-exception`, `cont` (the
//! block continues the one before, in its namespace), `expected-output`
//! and `expected-output-ignore-whitespace` (the next block is the stdout of
//! the one before); `skipfile` on the first line skips the file.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::{Dialect, Hidden, Marks, Pairing, leave_alone};
use crate::markdown::info::FenceKind;
use crate::markdown::plan::{Condition, Plan, Tool};

static OWN_MARK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^<!--[-\s]*pytest-codeblocks:(.*)-->").expect("valid"));
static PYTEST_MARK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^<!--[-\s]*(pytest\.mark\..*)-->").expect("valid"));

#[derive(Default)]
pub(super) struct Codeblocks {
    /// The plan of each fence it runs, by fence line.
    runs: HashMap<usize, Plan>,
    /// Every fence it reads, by fence line: output of which block, if any.
    pairings: HashMap<usize, Pairing>,
}

/// Does `source` carry its marks?
pub(super) fn shows(source: &str) -> bool {
    if !source.contains("pytest") {
        return false; // most documents: no parse needed
    }
    super::prose_lines(source).any(|line| {
        let line = line.trim();
        OWN_MARK.is_match(line) || PYTEST_MARK.is_match(line)
    })
}

/// A mark waiting for the next block.
#[derive(Debug, Clone, PartialEq)]
enum Mark {
    Skip(String),
    SkipIf(String),
    Xfail,
    ImportOrSkip(String),
}

/// What the line after a mark-free stretch opens.
enum Next {
    /// A block of its own.
    New,
    /// More of the block at this index (`cont`).
    Continues(usize),
    /// The stdout of the block at this index (`expected-output`), whitespace
    /// ignored or not.
    OutputOf(usize, bool),
}

/// A block as its reader collects it: the fence line, the info string
/// after the backticks, the code.
struct Block {
    line: usize,
    syntax: String,
    code: String,
}

/// A test: its first block, the blocks that continue it, its plan.
struct Test {
    blocks: Vec<Block>,
    /// (output fence line, fence line of the block it is the stdout of).
    outputs: Vec<(usize, usize)>,
    plan: Plan,
}

impl Dialect for Codeblocks {
    fn prepare(&mut self, source: &str) -> Vec<Hidden> {
        let lines: Vec<&str> = source.lines().collect();
        let skip_file =
            lines.first().map(|l| l.trim()) == Some("<!--pytest-codeblocks:skipfile-->");
        let tests = read(&lines);
        // A fence the walker reads is no hidden code, even one nested in a
        // directive that pytest-codeblocks' line reader sees as plain lines.
        let fences: HashSet<usize> = super::walked_fence_lines(source).into_iter().collect();
        let mut hidden = Vec::new();
        for test in tests {
            let python = test.blocks[0].syntax == "python";
            for &(output, of) in &test.outputs {
                let pairing = match python {
                    true => Pairing::OutputOf(of),
                    false => Pairing::NotOutput,
                };
                self.pairings.insert(output, pairing);
            }
            for block in &test.blocks {
                self.pairings.insert(block.line, Pairing::NotOutput);
                if !python {
                    continue;
                }
                let mut plan = test.plan.clone();
                if skip_file {
                    plan.skip("<!--pytest-codeblocks:skipfile-->", Tool::PytestCodeblocks);
                }
                if fences.contains(&block.line) {
                    self.runs.insert(block.line, plan);
                } else {
                    hidden.push(Hidden {
                        line: block.line,
                        code: block.code.clone(),
                        kind: FenceKind::Script,
                        plan,
                    });
                }
            }
        }
        hidden
    }

    fn plan(&mut self, marks: &Marks<'_>, plan: &mut Plan) {
        match self.runs.get(&marks.fence_line) {
            Some(own) => {
                let writer_skip = plan.skip_reason().map(String::from);
                *plan = own.clone();
                if let Some(reason) = writer_skip {
                    plan.skip(reason, Tool::Snipcheck);
                }
            }
            None => {
                plan.tool = Tool::PytestCodeblocks;
                leave_alone(
                    plan,
                    "pytest-codeblocks runs only ```python fences (info string exactly `python`)",
                    Tool::PytestCodeblocks,
                );
            }
        }
    }

    fn pairing(&self, fence_line: usize) -> Option<Pairing> {
        self.pairings.get(&fence_line).copied()
    }
}

/// The tests of the document, as `extract_from_buffer` reads the lines;
/// the output blocks' pairings go to `self` as they are met.
fn read(lines: &[&str]) -> Vec<Test> {
    let mut tests: Vec<Test> = Vec::new();
    let mut marks: Vec<Mark> = Vec::new();
    let mut next = Next::New;
    let mut k = 0;
    while k < lines.len() {
        let line = lines[k].trim();
        k += 1;
        if line.is_empty() {
            continue;
        }
        if let Some(keyword) = OWN_MARK.captures(line).map(|c| c[1].to_string()) {
            let keyword = keyword.trim_matches(['-', ' ']);
            match keyword {
                "cont" if !tests.is_empty() => next = Next::Continues(tests.len() - 1),
                "expected-output" | "expected-output-ignore-whitespace" if !tests.is_empty() => {
                    let ignore = keyword.ends_with("whitespace");
                    next = Next::OutputOf(tests.len() - 1, ignore)
                }
                other => marks.extend(own_mark(other)),
            }
            continue;
        }
        if let Some(mark) = PYTEST_MARK.captures(line).map(|c| c[1].to_string()) {
            marks.extend(pytest_mark(&mark));
            continue;
        }
        if !lines[k - 1].trim_start().starts_with("```") {
            continue;
        }
        let Some((block, end)) = block_at(lines, k - 1) else {
            break; // unterminated: pytest-codeblocks fails the file
        };
        k = end;
        match std::mem::replace(&mut next, Next::New) {
            Next::Continues(i) => tests[i].blocks.push(block),
            // Compared with what the whole test printed; snipcheck compares
            // it with the block just before, the one a reader pairs it with.
            Next::OutputOf(i, ignore) => {
                let test = &mut tests[i];
                test.plan.output_ignores_whitespace = ignore;
                let last = test.blocks.last().map_or(block.line, |b| b.line);
                test.outputs.push((block.line, last));
            }
            Next::New => {
                let plan = plan_for(block.line, std::mem::take(&mut marks));
                tests.push(Test {
                    blocks: vec![block],
                    outputs: Vec::new(),
                    plan,
                });
            }
        }
    }
    tests
}

/// The block whose fence opens at 0-based `start`, and the index of the
/// line after its closing fence; `None` when no line closes it.
fn block_at(lines: &[&str], start: usize) -> Option<(Block, usize)> {
    let opening = lines[start];
    let stripped = opening.trim_start();
    let ticks = stripped.len() - stripped.trim_start_matches('`').len();
    let indent = opening.chars().count() - stripped.chars().count();
    let syntax = opening.trim()[ticks..].to_string();
    let mut code = String::new();
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        let rest = line.trim_start();
        if rest.starts_with(&"`".repeat(ticks)) {
            let block = Block {
                line: start + 1,
                syntax,
                code,
            };
            return Some((block, i + 1));
        }
        // At most the opening fence's indent, in characters, as Python cuts.
        let leading = line.chars().count() - rest.chars().count();
        let cut = indent.min(leading);
        code.extend(line.chars().skip(cut));
        code.push('\n');
    }
    None
}

/// `skip`, `skipif(...)`, `importorskip(...)`, `expect-exception`.
fn own_mark(keyword: &str) -> Option<Mark> {
    let argument = |name: &str| {
        keyword
            .strip_prefix(name)
            .and_then(|r| r.trim().strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
            .map(str::to_string)
    };
    match keyword {
        "skip" => Some(Mark::Skip("<!--pytest-codeblocks:skip-->".into())),
        "expect-exception" | "expect-error" => Some(Mark::Xfail),
        _ => argument("skipif")
            .map(Mark::SkipIf)
            .or_else(|| argument("importorskip").map(|m| Mark::ImportOrSkip(m.trim().into()))),
    }
}

/// `pytest.mark.skip`, `.skipif(...)`, `.xfail`; other marks change
/// nothing about running the block.
fn pytest_mark(mark: &str) -> Option<Mark> {
    let mark = mark.trim();
    let name = mark.strip_prefix("pytest.mark.")?;
    let (name, arguments) = match name.split_once('(') {
        Some((name, rest)) => (name.trim(), rest.trim_end().strip_suffix(')')),
        None => (name.trim(), None),
    };
    match name {
        "skip" => Some(Mark::Skip(format!("<!--{mark}-->"))),
        "skipif" => arguments.map(|a| Mark::SkipIf(a.to_string())),
        "xfail" => Some(Mark::Xfail),
        _ => None,
    }
}

fn plan_for(line: usize, marks: Vec<Mark>) -> Plan {
    let mut plan = Plan {
        tool: Tool::PytestCodeblocks,
        groups: vec![format!("codeblocks-{line}")],
        unnamed: true,
        ..Plan::default()
    };
    for mark in marks {
        match mark {
            Mark::Skip(reason) => plan.skip(reason, Tool::PytestCodeblocks),
            Mark::SkipIf(arguments) => plan.conditions.push(Condition::MarkSkipIf(arguments)),
            Mark::ImportOrSkip(module) => plan.conditions.push(Condition::ImportOrSkip(module)),
            Mark::Xfail => plan.expect_exception = true,
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tests_of(md: &str) -> Vec<Test> {
        read(&md.lines().collect::<Vec<_>>())
    }

    #[test]
    fn marks_wait_for_the_next_block_and_cont_joins_it() {
        let md = "<!--pytest.mark.skip-->\n\nprose\n\n```python\na = 1\n```\n<!--pytest-codeblocks:cont-->\n```python\nb = a\n```\n```sh\nls\n```\n";
        let tests = tests_of(md);
        assert_eq!(tests.len(), 2);
        assert!(tests[0].plan.skip_reason().is_some());
        assert_eq!(tests[0].blocks.len(), 2);
        assert_eq!(tests[0].blocks[1].line, 9);
        assert_eq!(tests[1].blocks[0].syntax, "sh");
        assert!(tests[1].plan.skip_reason().is_none());
    }

    #[test]
    fn indents_are_cut_in_characters() {
        let lines = [" ```python", "\u{3000}x = 1", "  y", " ```"];
        let (block, end) = block_at(&lines, 0).unwrap();
        assert_eq!(block.code, "x = 1\n y\n");
        assert_eq!(end, 4);
    }

    #[test]
    fn marks_a_fence_shows_are_text() {
        assert!(shows("<!--pytest.mark.skip-->\n```python\nx\n```\n"));
        assert!(!shows(
            "````markdown\n<!--pytest.mark.skip-->\n```python\nx\n```\n````\n"
        ));
        assert!(super::super::phmdoctest::shows("~~~md\n<!--phmdoctest-skip-->\n~~~\n").is_none());
    }

    #[test]
    fn reads_marks_and_their_arguments() {
        assert_eq!(
            pytest_mark("pytest.mark.skipif(sys.version_info < (3, 9), reason=\"old\")"),
            Some(Mark::SkipIf(
                "sys.version_info < (3, 9), reason=\"old\"".into()
            ))
        );
        assert_eq!(
            pytest_mark("pytest.mark.xfail(strict=False)"),
            Some(Mark::Xfail)
        );
        assert_eq!(pytest_mark("pytest.mark.slow"), None);
        assert_eq!(
            own_mark("importorskip(sympy)"),
            Some(Mark::ImportOrSkip("sympy".into()))
        );
        assert_eq!(own_mark("expect-exception"), Some(Mark::Xfail));
    }

    #[test]
    fn a_fence_in_a_comment_is_a_block_and_info_must_be_exactly_python() {
        let md = "<!--\n```python\nhidden = 1\n```\n-->\n\n``` python\nx\n```\n```python\ny\n```\n";
        let tests = tests_of(md);
        assert_eq!(tests.len(), 3);
        assert_eq!(tests[0].blocks[0].code, "hidden = 1\n");
        assert_eq!(tests[1].blocks[0].syntax, " python");
        assert_eq!(tests[2].blocks[0].syntax, "python");
    }
}
