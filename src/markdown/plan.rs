//! What a document's conventions say about each block, read once.
//!
//! Docs written for another doc-test tool (Sphinx's doctest builder,
//! phmdoctest, pytest-codeblocks, …) mark their blocks in that tool's
//! dialect: skip this one, continue that one's namespace, expect an
//! exception. The walker in `markdown.rs` turns those marks into a
//! [`Plan`] per block, so every later stage (run, verdict, report) reads
//! the plan and never a marker.

/// The doc-test tool whose rule decided something about a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tool {
    /// snipcheck's own rules and markers (`<!-- snipcheck: skip -->`).
    Snipcheck,
    /// Sphinx's `sphinx.ext.doctest` builder (`{doctest}`, `{testcode}`, …).
    Sphinx,
    /// phmdoctest (`<!--phmdoctest-skip-->`, `-share-names`, …).
    Phmdoctest,
    /// pytest-codeblocks (`<!--pytest-codeblocks:cont-->`, …).
    PytestCodeblocks,
    /// pytest-markdown-docs (```` ```python notest ````, `continuation`).
    PytestMarkdownDocs,
    /// mktestdocs (`check_md_file`, its `memory` mode).
    Mktestdocs,
    /// Sybil's Markdown parsers (`<!-- skip: next -->`, `<!-- invisible-code-block -->`).
    Sybil,
    /// `pytest --doctest-glob` / `python -m doctest` on the file.
    Doctest,
}

impl Tool {
    /// The tool as a writer knows it, for reports ("not run by Sphinx doctest").
    pub fn name(self) -> &'static str {
        match self {
            Tool::Snipcheck => "snipcheck",
            Tool::Sphinx => "Sphinx doctest",
            Tool::Phmdoctest => "phmdoctest",
            Tool::PytestCodeblocks => "pytest-codeblocks",
            Tool::PytestMarkdownDocs => "pytest-markdown-docs",
            Tool::Mktestdocs => "mktestdocs",
            Tool::Sybil => "Sybil",
            Tool::Doctest => "doctest",
        }
    }
}

/// Is the block run, and if not, who said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Run,
    /// The writer opted it out (a skip marker, `+SKIP`, `test="skip"`):
    /// never run, counted as skipped with the reason.
    Skip {
        reason: String,
        by: Tool,
    },
    /// The document's tool leaves it alone without being asked (a plain
    /// fence in a Sphinx doctest document). Not run by default; `[run]
    /// mode = "strict"` runs it and reports it apart.
    Unrun {
        reason: String,
        by: Tool,
    },
}

/// A condition checked in the example's own process, just before it runs
/// (Sphinx's `:skipif:` and `:pyversion:`): false means skipped, with the
/// reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// A Python expression; true means skip (`:skipif: sys.platform == "win32"`).
    SkipIf(String),
    /// A version requirement on the running CPython (`> 3.12`, `>= 3.9`).
    PyVersion { op: String, version: String },
    /// True means the block runs but its output is not compared (`:skipif:`
    /// on a `{testoutput}`).
    OutputSkipIf(String),
}

/// Everything later stages need to know about one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The tool whose conventions the block is read by.
    pub tool: Tool,
    pub decision: Decision,
    /// Named namespaces the block runs in, in order. Blocks that share a
    /// name share their globals; a tool that isolates blocks gives each
    /// its own name. `*` (Sphinx's `{testsetup} *`) is every group.
    pub groups: Vec<String>,
    /// doctest option flags for the block's comparison (`+ELLIPSIS`,
    /// `-NORMALIZE_WHITESPACE`), on top of the tool's defaults.
    pub flags: Vec<String>,
    /// The block is expected to end in an exception (pytest-codeblocks'
    /// `expect-exception`): raising passes, finishing does not.
    pub expect_exception: bool,
    /// Checked in the child before the block runs.
    pub conditions: Vec<Condition>,
}

/// The group every block without one belongs to.
pub const DEFAULT_GROUP: &str = "default";

impl Default for Plan {
    fn default() -> Self {
        Plan {
            tool: Tool::Snipcheck,
            decision: Decision::Run,
            groups: vec![DEFAULT_GROUP.to_string()],
            flags: Vec::new(),
            expect_exception: false,
            conditions: Vec::new(),
        }
    }
}

impl Plan {
    /// Why the block is not run, if it is not.
    pub fn skip_reason(&self) -> Option<&str> {
        match &self.decision {
            Decision::Run => None,
            Decision::Skip { reason, .. } | Decision::Unrun { reason, .. } => Some(reason),
        }
    }

    /// Run as Sphinx's doctest builder runs it (its default flags, globals
    /// without `__name__`).
    pub fn is_sphinx(&self) -> bool {
        self.tool == Tool::Sphinx
    }

    /// Opts the block out, keeping the first reason given.
    pub fn skip(&mut self, reason: impl Into<String>, by: Tool) {
        if matches!(self.decision, Decision::Run | Decision::Unrun { .. }) {
            self.decision = Decision::Skip {
                reason: reason.into(),
                by,
            };
        }
    }
}
