//! Other doc-test tools' dialects: the marks each one reads around a fence.
//!
//! A document is read by one tool's rules, the one whose markers it shows
//! (or its project's config names). That tool's [`Dialect`] sees every
//! block with the HTML comments right before it and turns its marks into
//! the block's [`Plan`]: skip it, continue the previous block's namespace,
//! expect an exception.

use super::info::FenceKind;
use super::plan::{Plan, Tool};
use super::project::Conventions;

mod doctest_glob;
mod markdown_docs;
mod mktestdocs;
mod sybil;

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
    if sybil::shows(source) {
        return Tool::Sybil;
    }
    if markdown_docs::shows(source) {
        return Tool::PytestMarkdownDocs;
    }
    conventions.tool.unwrap_or(Tool::Snipcheck)
}

/// The dialect that reads a document written for `tool`.
pub(super) fn for_tool(tool: Tool, conventions: &Conventions) -> Box<dyn Dialect> {
    match tool {
        Tool::PytestMarkdownDocs => Box::new(markdown_docs::MarkdownDocs::new(conventions)),
        Tool::Mktestdocs => Box::new(mktestdocs::Mktestdocs::new(conventions)),
        Tool::Sybil => Box::new(sybil::Sybil::new(conventions)),
        Tool::Doctest => Box::new(doctest_glob::DoctestGlob::new(conventions)),
        _ => Box::new(Plain),
    }
}

/// The raw text of 1-based `line` of `source` (a fence's own line, which
/// some tools read character by character).
fn raw_line(source: &str, line: usize) -> &str {
    source.lines().nth(line.saturating_sub(1)).unwrap_or("")
}
