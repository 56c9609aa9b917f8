//! Markdown → [`Example`]s.
//!
//! A real CommonMark parser (pulldown-cmark) finds the fenced Python blocks,
//! so fences inside list items, block quotes and `~~~` fences behave exactly as
//! a renderer shows them. Every example keeps the 1-based line of its opening
//! fence and of each code line, which is what lets a traceback, a claim and a
//! diff point at the guide itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::error::Error;

mod dialect;
mod info;
mod myst;
mod plan;
mod project;
pub(crate) use dialect::DOCTEST_FLAGS;
pub use info::{FenceInfo, FenceKind};
pub use plan::{AfterRun, Condition, DEFAULT_GROUP, Decision, Plan, SharedNames, Tool};
pub use project::{Conventions, SphinxConf};

/// The HTML comment a writer puts right before a fence to opt it out.
/// It renders as nothing, so the guide reads the same.
const SKIP_MARKER: &str = "snipcheck: skip";

/// A Markdown file and the Python examples found in it.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: PathBuf,
    /// File stem, the first part of every example id (`advanced-python`).
    pub name: String,
    /// The whole file, BOM removed; line numbers are unaffected by that.
    /// Shared with the reports that show its lines.
    pub source: Arc<str>,
    /// Shared with the verdicts that name them.
    pub examples: Vec<Arc<Example>>,
    /// What its project's config files say (Sphinx's `conf.py`).
    pub conventions: Conventions,
}

/// One fenced Python block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// `document::section-slug::ordinal`, stable across edits elsewhere.
    pub id: String,
    /// Script, session, or Sphinx setup/cleanup code (run, never checked).
    pub kind: FenceKind,
    /// Run or skip, namespaces, comparison: what the document's
    /// conventions say about this block.
    pub plan: Plan,
    /// Slug of the nearest heading above (`intro` before any heading).
    pub section: String,
    /// 1-based position among the examples of that section.
    pub ordinal: usize,
    /// Heading texts from the top level down to the nearest heading.
    pub heading: Vec<String>,
    /// 1-based line of the opening fence.
    pub fence_line: usize,
    /// The code, `\n`-terminated lines; line `i` (0-based) is guide line
    /// `fence_line + 1 + i`. As the document's tool runs it: phmdoctest's
    /// inline commands leave a line blank or `pass`, never add or drop one.
    pub code: String,
    /// An `output` / `text` / bare fence right after the example: its stdout.
    pub output_block: Option<OutputBlock>,
}

/// The expected stdout of an example, shown as a block of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputBlock {
    /// Guide line of the block's first content line.
    pub line: usize,
    pub text: String,
    /// Marked as output (an `output` info string, a `{testoutput}`, an
    /// `Output:` paragraph) rather than only placed after the example.
    pub explicit: bool,
}

impl Example {
    /// Guide line of the first code line.
    pub fn first_line(&self) -> usize {
        self.fence_line + 1
    }

    /// Why the example is not run, if it is not.
    pub fn skip_reason(&self) -> Option<&str> {
        self.plan.skip_reason()
    }

    /// Is it left unrun under `mode`? Strict mode runs what the document's
    /// tool leaves alone, never what a writer opted out.
    pub fn is_skipped_under(&self, mode: crate::config::RunMode) -> bool {
        match self.plan.decision {
            Decision::Run => false,
            Decision::Skip { .. } => true,
            Decision::Unrun { .. } => mode != crate::config::RunMode::Strict,
        }
    }

    /// The tool that does not run this block, if one does not.
    pub fn unrun_by(&self) -> Option<Tool> {
        match self.plan.decision {
            Decision::Unrun { by, .. } => Some(by),
            _ => None,
        }
    }

    /// Code lines with their 1-based guide line numbers.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &str)> {
        self.code
            .lines()
            .enumerate()
            .map(move |(i, l)| (self.first_line() + i, l))
    }

    /// A `>>>` session (```pycon, `{doctest}`, or code that starts with
    /// `>>>`), run by doctest rather than as a script.
    pub fn is_session(&self) -> bool {
        match self.kind {
            FenceKind::Session => true,
            FenceKind::Script => looks_like_session(&self.code),
            _ => false,
        }
    }

    /// Are its claims checked? Setup and cleanup code only runs.
    pub fn is_checked(&self) -> bool {
        matches!(self.kind, FenceKind::Script | FenceKind::Session)
    }

    /// Snapshot file stem: the id with `::` made file-system friendly.
    pub fn snapshot_name(&self) -> String {
        self.id.replace("::", "__")
    }
}

impl Document {
    /// Reads and parses a Markdown file. Invalid UTF-8 is an error naming the
    /// byte offset and line, not a lossy decode that would shift the guide.
    pub fn load(path: &Path) -> Result<Document, Error> {
        Document::load_with(path, &Conventions::default())
    }

    /// [`Document::load`], read by a project's conventions.
    pub fn load_with(path: &Path, conventions: &Conventions) -> Result<Document, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let source = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let line = 1 + e.as_bytes()[..offset]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                return Err(Error::input(
                    path,
                    line,
                    format!("invalid UTF-8 at byte offset {offset}; save the file as UTF-8"),
                ));
            }
        };
        Ok(Document::parse_with(path, source, conventions))
    }

    /// Parses Markdown text already in memory.
    pub fn parse(path: &Path, source: String) -> Document {
        Document::parse_with(path, source, &Conventions::default())
    }

    /// [`Document::parse`], read by a project's conventions.
    pub fn parse_with(path: &Path, source: String, conventions: &Conventions) -> Document {
        let source = source.strip_prefix('\u{feff}').unwrap_or(&source);
        // CPython ends a line at a lone CR too: so must the line numbers.
        let source = source.replace("\r\n", "\n").replace('\r', "\n");
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "document".into());
        let examples = extract(&name, &source, conventions);
        Document {
            path: path.to_path_buf(),
            name,
            source: source.into(),
            examples: examples.into_iter().map(Arc::new).collect(),
            conventions: conventions.clone(),
        }
    }
}

/// GitHub-style heading slug: lowercase, punctuation dropped, spaces to `-`.
pub fn slugify(text: &str) -> String {
    text.trim()
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() => Some(c.to_lowercase().next().unwrap_or(c)),
            ' ' | '-' => Some('-'),
            '_' => Some('_'),
            _ => None,
        })
        .collect()
}

/// Walks the event stream once, tracking headings, skip markers and output
/// blocks.
fn extract(doc_name: &str, source: &str, conventions: &Conventions) -> Vec<Example> {
    let tool = dialect::detect(source, conventions);
    let mut dialect = dialect::for_tool(tool, conventions);
    let hidden = dialect.prepare(source);
    let mut walker = Walker {
        lines: LineIndex::new(source),
        line_count: source.lines().count(),
        dialect: Some(dialect),
        hidden: hidden.into(),
        ..Walker::default()
    };
    walker.walk(doc_name, source);
    walker.reveal(doc_name, usize::MAX);
    walker.examples
}

/// How deep directives nest before their bodies are no longer read.
const MAX_NESTING: usize = 8;

/// What a fenced block being read will become.
enum BlockKind {
    Example(FenceInfo, bool),
    /// The expected output of example `n` (an `output`/`text` fence after
    /// it, or the `{testoutput}` of a `{testcode}`), and whether the info
    /// string says it is output.
    OutputOf(usize, bool),
    /// A Python fence after an "Output:" paragraph: the output of example
    /// `n`, unless it holds a `>>>` transcript (then it is an example).
    OutputOrExample(usize, FenceInfo),
    Other,
}

#[derive(Default)]
struct Walker {
    lines: LineIndex,
    line_count: usize,
    sections: Sections,
    examples: Vec<Example>,
    pending_skip: Option<String>,
    /// The document's doc-test tool, which reads each block's marks.
    dialect: Option<Box<dyn dialect::Dialect>>,
    /// Code that tool runs outside any runnable fence, not yet reached.
    hidden: std::collections::VecDeque<dialect::Hidden>,
    /// HTML comments since the last paragraph or block: marks for the next fence.
    comments: Vec<String>,
    /// Info string of the fenced block being read.
    info: String,
    heading: Option<(HeadingLevel, String)>,
    /// (kind, fence line, text) of the fenced block being read.
    block: Option<(BlockKind, usize, String)>,
    /// Text of the paragraph being read, when it may introduce an output block.
    paragraph: Option<String>,
    /// The example an output block may still follow.
    awaiting_output: Option<usize>,
    /// The last `{testcode}`: Sphinx pairs a `{testoutput}` with it, prose
    /// in between or not.
    last_testcode: Option<usize>,
    /// A prose paragraph came between that example and now.
    prose_since_example: bool,
    /// An `Output:` paragraph introduced the block to come.
    introduced: bool,
    /// Guide line before the text being walked (a directive's body).
    line_base: usize,
    /// Directives the text being walked is nested in.
    depth: usize,
}

impl Walker {
    fn walk(&mut self, doc_name: &str, text: &str) {
        for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
            // Hidden code sits between the document's own blocks.
            if self.depth == 0 {
                self.reveal(doc_name, self.lines.line_of(range.start));
            }
            self.event(doc_name, event, range.start);
        }
    }

    /// The body of a ```` ````{note} ```` fence is Markdown to Sphinx, and
    /// its fences run: walked as the guide's lines after `fence_line`.
    fn walk_nested(&mut self, doc_name: &str, fence_line: usize, body: &str) {
        if self.depth >= MAX_NESTING {
            return;
        }
        let (_, body, _) = myst::split_options(body);
        let outer = std::mem::replace(&mut self.lines, LineIndex::new(&body));
        let base = std::mem::replace(&mut self.line_base, fence_line);
        self.depth += 1;
        self.interrupt();
        self.walk(doc_name, &body);
        self.interrupt();
        self.depth -= 1;
        self.lines = outer;
        self.line_base = base;
    }

    fn event(&mut self, doc_name: &str, event: Event<'_>, offset: usize) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                self.interrupt();
                self.heading = Some((level, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text)) = self.heading.take() {
                    self.sections.enter(level, text);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let line = self.line_base + self.lines.line_of(offset);
                let kind = match kind {
                    CodeBlockKind::Fenced(info) => {
                        self.info = info.to_string();
                        self.block_kind(&info, line)
                    }
                    CodeBlockKind::Indented => BlockKind::Other,
                };
                self.awaiting_output = None;
                self.block = Some((kind, line, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => self.end_block(doc_name),
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, _, code)) = &mut self.block {
                    code.push_str(&text);
                } else if let Some((_, heading)) = &mut self.heading {
                    heading.push_str(&text);
                } else if let Some(paragraph) = &mut self.paragraph {
                    paragraph.push_str(&text);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                self.comments.push(html.to_string());
                if let Some(reason) = skip_reason(&html) {
                    self.pending_skip = Some(reason);
                }
            }
            Event::Start(Tag::Paragraph) => {
                self.pending_skip = None;
                self.comments.clear();
                self.paragraph = self.awaiting_output.map(|_| String::new());
            }
            // "Output:" between an example and its output block is fine, and
            // so is one paragraph of prose ("Here is what it prints."); a
            // `>>>` session carries its own output, so prose ends its wait.
            Event::End(TagEnd::Paragraph) => {
                let introduces = self.paragraph.take().is_some_and(|p| introduces_output(&p));
                let session = self
                    .awaiting_output
                    .is_some_and(|i| self.examples[i].is_session());
                if !introduces && (session || self.prose_since_example) {
                    self.awaiting_output = None;
                }
                self.prose_since_example |= !introduces;
                self.introduced |= introduces;
            }
            Event::Start(Tag::Table(_) | Tag::BlockQuote(_) | Tag::List(_)) | Event::Rule => {
                self.interrupt()
            }
            _ => {}
        }
    }

    fn block_kind(&self, info: &str, line: usize) -> BlockKind {
        let parsed = FenceInfo::parse(info);
        if let Some(pairing) = self.dialect.as_ref().and_then(|d| d.pairing(line)) {
            return self.paired_by_tool(pairing, parsed, info);
        }
        let directive = info.trim_start().starts_with('{');
        // "**Output:**" then a fence: its output, whatever language the
        // writer gave the fence for highlighting (```` ```py ````).
        if let (Some(i), true, FenceKind::Script) =
            (self.awaiting_output, self.introduced, &parsed.kind)
        {
            if !directive {
                return BlockKind::OutputOrExample(i, parsed);
            }
        }
        if parsed.is_runnable() {
            return BlockKind::Example(parsed, directive);
        }
        match (&parsed.kind, self.awaiting_output, self.last_testcode) {
            (FenceKind::TestOutput, _, Some(i)) => BlockKind::OutputOf(i, true),
            (FenceKind::Output, Some(i), _) => {
                let word = info.split_whitespace().next().unwrap_or("");
                let says = ["output", "stdout", "expected-output"]
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case(word));
                BlockKind::OutputOf(i, says)
            }
            _ => BlockKind::Other,
        }
    }

    /// A fence the document's tool says is, or is not, some example's output.
    fn paired_by_tool(
        &self,
        pairing: dialect::Pairing,
        parsed: FenceInfo,
        info: &str,
    ) -> BlockKind {
        let of = match pairing {
            dialect::Pairing::OutputOf(code_line) => self
                .examples
                .iter()
                .rposition(|e| e.fence_line == code_line),
            dialect::Pairing::NotOutput => None,
        };
        match of {
            Some(i) => BlockKind::OutputOf(i, true),
            None if parsed.is_runnable() => {
                BlockKind::Example(parsed, info.trim_start().starts_with('{'))
            }
            None => BlockKind::Other,
        }
    }

    /// The hidden code that starts before `line`, as examples in its place.
    fn reveal(&mut self, doc_name: &str, line: usize) {
        while self.hidden.front().is_some_and(|h| h.line < line) {
            let Some(hidden) = self.hidden.pop_front() else {
                break;
            };
            let info = FenceInfo {
                kind: hidden.kind,
                plan: hidden.plan,
            };
            let example = self
                .sections
                .example(doc_name, hidden.line, hidden.code, None, info);
            self.examples.push(example);
            self.awaiting_output = None;
        }
    }

    /// A block that is neither an example nor its output: forget both.
    fn interrupt(&mut self) {
        self.pending_skip = None;
        self.comments.clear();
        self.awaiting_output = None;
    }

    fn end_block(&mut self, doc_name: &str) {
        let skip = self.pending_skip.take();
        let comments = std::mem::take(&mut self.comments);
        let block = self.block.take().map(|(kind, line, text)| match kind {
            BlockKind::OutputOrExample(_, info) if looks_like_session(&text) => {
                (BlockKind::Example(info, false), line, text)
            }
            BlockKind::OutputOrExample(i, _) => (BlockKind::OutputOf(i, true), line, text),
            kind => (kind, line, text),
        });
        let info_string = std::mem::take(&mut self.info);
        match block {
            Some((BlockKind::Example(info, directive), fence_line, code)) => {
                let (options, code, _) = if directive {
                    myst::split_options(&code)
                } else {
                    (Vec::new(), code, 0)
                };
                let mut info = info;
                let mut code = code;
                if let Some(dialect) = &mut self.dialect {
                    let marks = dialect::Marks {
                        comments: &comments,
                        info: &info_string,
                        code: &code,
                        fence_line,
                        kind: &info.kind,
                        options: &options,
                    };
                    dialect.plan(&marks, &mut info.plan);
                    let kind = dialect.kind(&marks);
                    let rewritten = dialect.rewrite(&marks);
                    info.kind = kind.unwrap_or(info.kind);
                    code = rewritten.unwrap_or(code);
                }
                let testcode = info.kind == FenceKind::Script && directive;
                let checked = matches!(info.kind, FenceKind::Script | FenceKind::Session);
                let example = self
                    .sections
                    .example(doc_name, fence_line, code, skip, info);
                self.examples.push(example);
                let index = self.examples.len() - 1;
                if checked {
                    self.awaiting_output = Some(index);
                    self.prose_since_example = false;
                    self.introduced = false;
                }
                if testcode {
                    self.last_testcode = Some(index);
                }
            }
            // An empty fence cut off by the end of the file shows nothing.
            // A `>>>` transcript in a plain fence is a session, not output.
            Some((BlockKind::OutputOf(i, info_says), fence_line, text))
                if (fence_line < self.line_count || !text.is_empty())
                    && !text.trim_start().starts_with(">>>") =>
            {
                let (text, skipped) = self.output_options(i, &info_string, text);
                let line = fence_line + 1 + skipped;
                // Options that run to the end of the file leave no line of output.
                if text.is_empty() && line > self.line_count {
                    return;
                }
                self.examples[i].output_block = Some(OutputBlock {
                    line,
                    text,
                    explicit: info_says || self.introduced,
                });
            }
            Some((BlockKind::Other, fence_line, body)) if myst::holds_markdown(&info_string) => {
                self.walk_nested(doc_name, fence_line, &body)
            }
            _ => {}
        }
    }
}

impl Walker {
    /// A `{testoutput}`'s options go to its `{testcode}`'s plan; the output
    /// is what follows them (and how many lines they took).
    fn output_options(&mut self, example: usize, info: &str, text: String) -> (String, usize) {
        if FenceInfo::parse(info).kind != FenceKind::TestOutput {
            return (text, 0);
        }
        let (options, _, count) = myst::split_options(&text);
        dialect::apply_output_options(&options, &mut self.examples[example].plan);
        let rest = text.split_inclusive('\n').skip(count).collect();
        (rest, count)
    }
}

/// A `>>>` transcript: its first line that is not blank or a comment (a
/// caption such as `# Python 3.8+`) is a prompt.
fn looks_like_session(code: &str) -> bool {
    code.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with(">>>"))
}

/// `Output:`, `**Output:**`, `Prints:`, `Result` as a paragraph of its own,
/// also with a parenthetical: `Output (Python 3.8+):`.
fn introduces_output(paragraph: &str) -> bool {
    let text = paragraph.trim().trim_end_matches(':').trim();
    let text = match text.split_once('(') {
        Some((before, after)) if after.trim_end().ends_with(')') => before,
        _ => text,
    };
    let word = text.trim().to_ascii_lowercase();
    [
        "output",
        "outputs",
        "prints",
        "result",
        "results",
        "expected output",
    ]
    .contains(&word.as_str())
}

/// `<!-- snipcheck: skip [reason] -->` → the reason (or a default).
fn skip_reason(html: &str) -> Option<String> {
    let body = html
        .trim()
        .strip_prefix("<!--")?
        .trim_end()
        .strip_suffix("-->")?
        .trim();
    let rest = body.strip_prefix(SKIP_MARKER)?;
    let reason = rest.trim().trim_start_matches([':', '-']).trim();
    Some(if reason.is_empty() {
        "skipped by the writer".to_string()
    } else {
        reason.to_string()
    })
}

/// Byte offset → 1-based line, by binary search over line starts.
#[derive(Default)]
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(source: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

/// The heading path and the per-section example counters.
#[derive(Default)]
struct Sections {
    path: Vec<(HeadingLevel, String)>,
    slug: Option<String>,
    seen_slugs: std::collections::HashMap<String, usize>,
    ordinals: std::collections::HashMap<String, usize>,
}

impl Sections {
    fn enter(&mut self, level: HeadingLevel, text: String) {
        self.path.retain(|(l, _)| *l < level);
        let base = slugify(&text);
        // Repeated headings get `-1`, `-2`, … as on GitHub, so ids stay unique.
        let n = self.seen_slugs.entry(base.clone()).or_insert(0);
        let slug = if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        *n += 1;
        self.slug = Some(slug);
        self.path.push((level, text));
    }

    fn example(
        &mut self,
        doc: &str,
        fence_line: usize,
        code: String,
        skip: Option<String>,
        info: FenceInfo,
    ) -> Example {
        let section = self.slug.clone().unwrap_or_else(|| "intro".into());
        let mut plan = info.plan;
        if let Some(reason) = skip {
            plan.skip(reason, Tool::Snipcheck);
        }
        let ordinal = self.ordinals.entry(section.clone()).or_insert(0);
        *ordinal += 1;
        Example {
            id: format!("{doc}::{section}::{ordinal}"),
            kind: info.kind,
            plan,
            section,
            ordinal: *ordinal,
            heading: self.path.iter().map(|(_, t)| t.clone()).collect(),
            fence_line,
            code,
            output_block: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(md: &str) -> Vec<Arc<Example>> {
        Document::parse(Path::new("doc.md"), md.to_string()).examples
    }

    #[test]
    fn finds_python_fences_with_lines_and_headings() {
        let md = "# Top\n\n## Sub Part\n\n```python\nx = 1\nprint(x)\n```\n\n```rust\nfn main(){}\n```\n";
        let ex = examples(md);
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].fence_line, 5);
        assert_eq!(ex[0].id, "doc::sub-part::1");
        assert_eq!(ex[0].heading, vec!["Top", "Sub Part"]);
        let lines: Vec<_> = ex[0].lines().collect();
        assert_eq!(lines, vec![(6, "x = 1"), (7, "print(x)")]);
    }

    #[test]
    fn tilde_fences_lists_and_quotes() {
        let md = "Intro\n\n~~~py\na = 1\n~~~\n\n- item\n\n  ```python\n  b = 2\n  ```\n\n> ```python\n> c = 3\n> ```\n";
        let ex = examples(md);
        assert_eq!(ex.len(), 3);
        assert_eq!((ex[0].fence_line, ex[0].code.as_str()), (3, "a = 1\n"));
        assert_eq!((ex[1].fence_line, ex[1].code.as_str()), (9, "b = 2\n"));
        assert_eq!((ex[2].fence_line, ex[2].code.as_str()), (13, "c = 3\n"));
        assert_eq!(ex[0].id, "doc::intro::1");
    }

    #[test]
    fn ordinals_are_per_section_and_repeated_headings_stay_unique() {
        let md = "## A\n```python\n1\n```\n```python\n2\n```\n## B\n```python\n3\n```\n## A\n```python\n4\n```\n";
        let ids: Vec<_> = examples(md).into_iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids, ["doc::a::1", "doc::a::2", "doc::b::1", "doc::a-1::1"]);
    }

    #[test]
    fn skip_marker_right_before_fence() {
        let md = "<!-- snipcheck: skip needs a GPU -->\n```python\nx\n```\n\n<!-- snipcheck: skip -->\n\nText.\n\n```python\ny\n```\n";
        let ex = examples(md);
        assert_eq!(ex[0].skip_reason(), Some("needs a GPU"));
        assert_eq!(
            ex[1].skip_reason(),
            None,
            "a paragraph between marker and fence cancels it"
        );
    }

    #[test]
    fn crlf_bom_unterminated_and_empty() {
        let ex = examples("\u{feff}# T\r\n\r\n```python\r\nx = 1\r\n```\r\n");
        assert_eq!((ex[0].fence_line, ex[0].code.as_str()), (3, "x = 1\n"));
        let ex = examples("```python\nx = 1\n");
        assert_eq!(
            ex[0].code, "x = 1\n",
            "an unterminated fence runs to the end, as CommonMark says"
        );
        assert!(examples("").is_empty());
    }

    #[test]
    fn output_blocks_attach_to_the_example_before() {
        let md = "```python\nprint(1)\n```\n\nOutput:\n\n```text\n1\n```\n\n```python\nx\n```\n\nSome prose.\n\n```\nnot output\n```\n\n```py\ny\n```\n```\n2\n```\n";
        let ex = examples(md);
        assert_eq!(
            ex[0].output_block,
            Some(OutputBlock {
                line: 8,
                text: "1\n".into(),
                explicit: true,
            })
        );
        assert_eq!(
            ex[1].output_block.as_ref().map(|o| o.text.as_str()),
            Some("not output\n"),
            "one prose paragraph in between keeps the link"
        );
        assert_eq!(ex[2].output_block.as_ref().map(|o| o.line), Some(25));
    }

    #[test]
    fn prose_between_links_an_output_block_once() {
        let md = "```python\nprint(1)\n```\n\nHere is what it prints.\n\n```\n1\n```\n\n\
                  ```python\nprint(2)\n```\n\nOne.\n\nTwo.\n\n```\n2\n```\n\n\
                  ```pycon\n>>> 3\n3\n```\n\nProse.\n\n```\n3\n```\n\n\
                  ```python\nprint(4)\n```\n\n```bash\nls\n```\n\n```\n4\n```\n";
        let ex = examples(md);
        assert_eq!(
            ex[0].output_block.as_ref().map(|o| o.text.as_str()),
            Some("1\n")
        );
        assert_eq!(ex[1].output_block, None, "two paragraphs break the link");
        assert_eq!(ex[2].output_block, None, "a session carries its own output");
        assert_eq!(ex[3].output_block, None, "another fence in between");
    }

    #[test]
    fn a_session_may_open_with_comment_lines() {
        let ex = examples(
            "```py\n# Python 3.8+\n\n>>> 1 + 1\n2\n```\n```python\n# a comment\nx = 1\n```\n",
        );
        assert!(ex[0].is_session());
        assert!(!ex[1].is_session());
    }

    #[test]
    fn a_transcript_after_an_output_paragraph_is_a_session_to_run() {
        let md = "```py\nd = {}\n```\n\n**Output:**\n\n```py\n>>> len(d)\n0\n```\n";
        let ex = examples(md);
        assert_eq!(ex.len(), 2, "{ex:?}");
        assert!(ex[1].is_session());
        assert_eq!(ex[0].output_block, None);
    }

    #[test]
    fn an_output_paragraph_makes_the_next_fence_output_whatever_its_language() {
        let md = "```py\nprint(5)\n```\n\n**Output (> 3.8):**\n\n```py\n5\n```\n\nProse.\n\n```py\nprint(6)\n```\n\n```py\nprint(7)\n```\n";
        let ex = examples(md);
        assert_eq!(ex.len(), 3, "the output fence is not an example");
        assert_eq!(
            ex[0].output_block.as_ref().map(|o| o.text.as_str()),
            Some("5\n")
        );
        assert_eq!(
            ex[1].output_block, None,
            "without an Output: paragraph, a py fence is code"
        );
    }

    #[test]
    fn a_fence_in_a_directive_is_one_example_to_pytest_codeblocks_too() {
        let ex = examples("<!--pytest.mark.skip-->\n~~~{note}\n```python\nx = 1\n```\n~~~\n");
        assert_eq!(ex.len(), 1, "{ex:?}");
        assert_eq!(ex[0].skip_reason(), Some("<!--pytest.mark.skip-->"));
    }

    #[test]
    fn sessions_are_recognised() {
        let ex = examples("```pycon\n>>> 1 + 1\n2\n```\n```python\nx = 1\n```\n");
        assert!(ex[0].is_session());
        assert!(!ex[1].is_session());
    }

    #[test]
    fn slugs_match_github() {
        assert_eq!(
            slugify("Async/Await and Concurrency"),
            "asyncawait-and-concurrency"
        );
        assert_eq!(
            slugify("Property Decorator (Syntactic Sugar for Descriptors)"),
            "property-decorator-syntactic-sugar-for-descriptors"
        );
        assert_eq!(slugify("Slots for __slots__"), "slots-for-__slots__");
    }
}
