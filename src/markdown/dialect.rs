//! Other doc-test tools' dialects: the marks each one reads around a fence.
//!
//! A document is read by one tool's rules, the one whose markers it shows
//! (or its project's config names). That tool's [`Dialect`] sees every
//! block with the HTML comments right before it and turns its marks into
//! the block's [`Plan`]: skip it, continue the previous block's namespace,
//! expect an exception.

mod sphinx;

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
    conventions.tool.unwrap_or(Tool::Snipcheck)
}

/// The dialect that reads a document written for `tool`.
pub(super) fn for_tool(tool: Tool, conventions: &Conventions) -> Box<dyn Dialect> {
    let _ = conventions;
    match tool {
        Tool::Sphinx => Box::new(sphinx::Sphinx),
        _ => Box::new(Plain),
    }
}
