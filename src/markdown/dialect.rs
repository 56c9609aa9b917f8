//! Other doc-test tools' dialects: the marks each one reads around a fence.
//!
//! A document is read by one tool's rules, the one whose markers it shows
//! (or its project's config names). That tool's [`Dialect`] sees every
//! block with the HTML comments right before it and turns its marks into
//! the block's [`Plan`]: skip it, continue the previous block's namespace,
//! expect an exception.

mod codeblocks;
mod doctest_glob;
mod markdown_docs;
mod mktestdocs;
mod phmdoctest;
mod sphinx;
mod sybil;

pub(crate) use sphinx::FLAGS as DOCTEST_FLAGS;
pub(super) use sphinx::apply_output_options;

use super::info::FenceKind;
use super::myst::DirectiveOption;
use super::plan::{Plan, Tool};
use super::project::Conventions;

/// What surrounds one fenced block in the Markdown.
#[allow(dead_code)] // until every field has a dialect that reads it
pub(super) struct Marks<'a> {
    /// HTML comments between the previous paragraph or block and the fence,
    /// in order, each whole (`<!--phmdoctest-skip-->`).
    pub comments: &'a [String],
    /// The fence's info string (`python notest`).
    pub info: &'a str,
    pub code: &'a str,
    pub fence_line: usize,
    pub kind: &'a FenceKind,
    /// A MyST directive's options (`:options: +SKIP`), read off its body.
    pub options: &'a [DirectiveOption],
}

/// One tool's reading of a document, block by block, in order (a dialect
/// may keep state: a namespace that later blocks continue).
pub(super) trait Dialect {
    fn plan(&mut self, marks: &Marks<'_>, plan: &mut Plan);

    /// Reads the whole document once, before its blocks: code the tool runs
    /// that is no fenced block (Sybil's invisible code, doctest's `>>>` in
    /// prose), in document order.
    fn prepare(&mut self, _source: &str) -> Vec<Hidden> {
        Vec::new()
    }

    /// Which example the fence at `fence_line` holds the expected output
    /// of, for a tool that pairs them by its own rule (phmdoctest: the next
    /// fence, if bare; pytest-codeblocks: the fence after an
    /// `expected-output` mark). `None` leaves it to snipcheck's reading.
    fn pairing(&self, _fence_line: usize) -> Option<Pairing> {
        None
    }

    /// What the block is to the tool, where that is not what its info
    /// string says (phmdoctest's setup and teardown blocks).
    fn kind(&self, _marks: &Marks<'_>) -> Option<FenceKind> {
        None
    }

    /// The code as the tool runs it, where it rewrites it (phmdoctest's
    /// inline `phmdoctest:omit`); the same number of lines.
    fn rewrite(&self, _marks: &Marks<'_>) -> Option<String> {
        None
    }
}

/// A tool's own answer to "is this fence some example's output?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pairing {
    /// The expected stdout of the example whose fence opens at that line.
    OutputOf(usize),
    /// No example's output, whatever snipcheck's reading would say.
    NotOutput,
}

/// Code a tool runs that the Markdown shows in no runnable fence.
pub(super) struct Hidden {
    /// The line before its first code line (where a fence would open).
    pub line: usize,
    pub code: String,
    /// `Setup` (runs, never checked) or `Session` (`>>>` examples).
    pub kind: FenceKind,
    pub plan: Plan,
}

/// snipcheck's own reading: every Python block runs, in one namespace.
struct Plain;

impl Dialect for Plain {
    fn plan(&mut self, _: &Marks<'_>, _: &mut Plan) {}
}

/// The tool `source` is written for: its own markers first, then what its
/// project's config files say.
pub(super) fn detect(source: &str, conventions: &Conventions) -> Tool {
    if sphinx::is_written_for(source) {
        return Tool::Sphinx;
    }
    if sybil::shows(source) {
        return Tool::Sybil;
    }
    if markdown_docs::shows(source) {
        return Tool::PytestMarkdownDocs;
    }
    match phmdoctest::shows(source) {
        Some(phmdoctest::Flavor::Phmdoctest) => return Tool::Phmdoctest,
        Some(phmdoctest::Flavor::Phmutest) => return Tool::Phmutest,
        None => {}
    }
    if codeblocks::shows(source) {
        return Tool::PytestCodeblocks;
    }
    conventions.tool.unwrap_or(Tool::Snipcheck)
}

/// The dialect that reads a document written for `tool`.
pub(super) fn for_tool(tool: Tool, conventions: &Conventions) -> Box<dyn Dialect> {
    match tool {
        Tool::Sphinx => Box::new(sphinx::Sphinx),
        Tool::PytestMarkdownDocs => Box::new(markdown_docs::MarkdownDocs::new(conventions)),
        Tool::Mktestdocs => Box::new(mktestdocs::Mktestdocs::new(conventions)),
        Tool::Sybil => Box::new(sybil::Sybil::new(conventions)),
        Tool::Doctest => Box::new(doctest_glob::DoctestGlob::new(conventions)),
        Tool::Phmdoctest => Box::new(phmdoctest::Phmdoctest::new(
            phmdoctest::Flavor::Phmdoctest,
            conventions.phmdoctest.clone(),
        )),
        Tool::Phmutest => Box::new(phmdoctest::Phmdoctest::new(
            phmdoctest::Flavor::Phmutest,
            Default::default(),
        )),
        Tool::PytestCodeblocks => Box::new(codeblocks::Codeblocks::default()),
        _ => Box::new(Plain),
    }
}

/// The block is one `by` does not run (not run by default, run in strict
/// mode), unless the writer opted it out already.
fn leave_alone(plan: &mut Plan, reason: impl Into<String>, by: Tool) {
    if plan.decision == super::plan::Decision::Run {
        plan.decision = super::plan::Decision::Unrun {
            reason: reason.into(),
            by,
        };
    }
}

/// The raw text of 1-based `line` of `lines` (a fence's own line, which
/// some tools read character by character).
fn raw_line<'a>(lines: &[&'a str], line: usize) -> &'a str {
    lines.get(line.wrapping_sub(1)).copied().unwrap_or("")
}

/// The lines of `source` outside its fenced blocks: where a tool's marks
/// are marks, not text a fence shows (a doc about the tool).
fn prose_lines(source: &str) -> impl Iterator<Item = &str> {
    let fences: Vec<(usize, usize)> = fenced_blocks(source)
        .into_iter()
        .map(|(first, last, ..)| (first, last))
        .collect();
    source.lines().enumerate().filter_map(move |(i, line)| {
        let line_number = i + 1;
        let inside = fences
            .iter()
            .any(|&(first, last)| first <= line_number && line_number <= last);
        (!inside).then_some(line)
    })
}

/// The fence lines of every block the walker reads, those in the bodies
/// of directives that hold Markdown (`~~~{note}`) too, numbered as it
/// numbers them.
fn walked_fence_lines(source: &str) -> Vec<usize> {
    fn collect(text: &str, base: usize, depth: usize, out: &mut Vec<usize>) {
        for (first, _, info, code) in fenced_blocks(text) {
            out.push(base + first);
            if depth < super::MAX_NESTING && super::myst::holds_markdown(&info) {
                let (_, body, _) = super::myst::split_options(&code);
                collect(&body, base + first, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    collect(source, 0, 0, &mut out);
    out
}

/// (fence line, last line, info string, code) of every fenced block, as
/// the walker's parser reads them; 1-based lines.
fn fenced_blocks(source: &str) -> Vec<(usize, usize, String, String)> {
    use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
    let starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset);
    let mut out = Vec::new();
    let mut current: Option<(usize, usize, String, String)> = None;
    for (event, range) in Parser::new_ext(source, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let last = line_of(range.end.saturating_sub(1));
                current = Some((line_of(range.start), last, info.to_string(), String::new()))
            }
            Event::Text(text) => {
                if let Some((.., code)) = &mut current {
                    code.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => out.extend(current.take()),
            _ => {}
        }
    }
    out
}
