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
    /// phmutest, phmdoctest's successor (`<!--phmutest-skip-->`, a file as
    /// one example).
    Phmutest,
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
            Tool::Phmutest => "phmutest",
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
    /// The arguments of a `pytest.mark.skipif(...)` mark (`sys.version_info
    /// < (3, 10), reason="..."`), evaluated as pytest evaluates a mark: in a
    /// fresh scope with `sys`, `os` and `platform`, a string condition
    /// evaluated in turn.
    MarkSkipIf(String),
    /// Skipped unless the module imports (pytest-codeblocks'
    /// `importorskip(sympy)`).
    ImportOrSkip(String),
}

/// A namespace blocks draw their names from and may add to: phmdoctest's
/// test module, whose globals every test function sees, each block's own
/// assignments staying local unless it shares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedNames {
    /// The group holding the shared names.
    pub group: String,
    /// What the block does to them once it has run.
    pub after: AfterRun,
}

/// A block's effect on the shared names once it has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterRun {
    /// Its own names stay its own.
    Keep,
    /// Its names are added (phmdoctest's `share-names`).
    Share,
    /// Every shared name is removed (phmdoctest's `clear-names`).
    Clear,
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
    /// An exception is expected, as pytest's non-strict `xfail` expects
    /// one (pytest-codeblocks' `expect-exception`, a `pytest.mark.xfail`
    /// mark): raising is no error, and neither is finishing (pytest's
    /// XPASS passes too). Claims before the raise are still checked.
    pub expect_exception: bool,
    /// Starts from a copy of these shared names (see [`SharedNames`]).
    pub shared: Option<SharedNames>,
    /// Its globals have no `__name__`, so `__name__` is `builtins` and an
    /// `if __name__ == "__main__":` body does not run: the tool execs the
    /// block in a plain dict or a function of a test module, never as
    /// `__main__` (Sphinx doctest, pytest-codeblocks, phmdoctest).
    pub unnamed: bool,
    /// Runs before every other block of the document, wherever it stands
    /// (phmdoctest's setup block, which its module fixture runs).
    pub hoisted: bool,
    /// The output block is compared with all whitespace removed
    /// (pytest-codeblocks' `expected-output-ignore-whitespace`).
    pub output_ignores_whitespace: bool,
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
            shared: None,
            unnamed: false,
            hoisted: false,
            output_ignores_whitespace: false,
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
