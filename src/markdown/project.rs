//! What a project's own config files say about how its docs are tested.
//!
//! A project that already runs a doc-test tool says so in `conf.py`
//! (`sphinx.ext.doctest`, `doctest_global_setup`), `pyproject.toml`
//! (`[tool.phmdoctest]`), `setup.cfg` or `pytest.ini` (`--doctest-glob`).
//! They are read statically, never run, once per project; the walker then
//! reads each document by that tool's rules.

use std::path::{Path, PathBuf};

use super::plan::Tool;

mod commands;
mod mktestdocs;
mod phmdoctest;
mod pytest;
mod sphinx_conf;
mod sybil;

pub use mktestdocs::MktestdocsMode;
pub use phmdoctest::PhmdoctestOptions;
pub use sphinx_conf::SphinxConf;

/// The conventions a document is read by, from its project's files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conventions {
    /// The tool the project's config files name, if they name one; a
    /// document's own markers can still say otherwise.
    pub tool: Option<Tool>,
    /// The files that were read, for the report's header.
    pub sources: Vec<PathBuf>,
    /// The Sphinx `conf.py` found, if one was.
    pub sphinx: Option<SphinxConf>,
    /// doctest option flags the project's pytest or Sybil config turns on
    /// (`+ELLIPSIS`), for every `>>>` example.
    pub doctest_flags: Vec<String>,
    /// How the project's test file calls mktestdocs on its docs.
    pub mktestdocs: MktestdocsMode,
    /// Sybil's parsers include the whole-text `DocTestParser`: every `>>>`
    /// in the document is an example, not only those in ```` ```python ````.
    pub sybil_doctest_everywhere: bool,
    /// Names `[stubs]` defines: the pytest fixtures a block may ask for.
    pub stubs: Vec<String>,
    /// The options of the command that runs phmdoctest on the document.
    pub phmdoctest: PhmdoctestOptions,
}

impl Conventions {
    /// Reads the config files in the folders from `doc`'s up to `root`
    /// (the project's root, where the search stops).
    pub fn discover(doc: &Path, root: &Path) -> Conventions {
        let mut conventions = Conventions::default();
        if let Some(conf) = sphinx_conf::find(doc, root) {
            let sphinx = sphinx_conf::read(&conf);
            if sphinx.doctest {
                conventions.tool = Some(Tool::Sphinx);
            }
            conventions.sources.push(conf);
            conventions.sphinx = Some(sphinx);
        }
        let name = doc.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        for folder in folders(doc, root) {
            // The nearest folder that names a tool decides.
            if conventions.tool.is_none() {
                sybil::read(&folder, &name, &mut conventions);
            }
            if conventions.tool.is_none() || conventions.doctest_flags.is_empty() {
                pytest::read(&folder, &name, &mut conventions);
            }
            if conventions.tool.is_none() {
                mktestdocs::read(&folder, &name, &mut conventions);
            }
            if conventions.tool.is_none() {
                phmdoctest::read(&folder, doc, &mut conventions);
            }
            if conventions.tool.is_none() {
                commands::read(&folder, doc, &mut conventions);
            }
        }
        conventions
    }

    /// For the report's header: `docs/conf.py (Sphinx doctest)`.
    pub fn describe(&self) -> Vec<String> {
        self.sources
            .iter()
            .map(|source| match self.tool {
                Some(tool) => format!("{} ({})", source.display(), tool.name()),
                None => source.display().to_string(),
            })
            .collect()
    }

    /// What a config file said that could not be read.
    pub fn notes(&self) -> &[String] {
        self.sphinx.as_ref().map_or(&[], |s| &s.notes)
    }

    /// What snipcheck.toml says on top: `[mktestdocs]` (the mode a test file
    /// sets, when it cannot be read statically) and the `[stubs]` names.
    pub fn with_config(mut self, config: &crate::config::Config) -> Conventions {
        if let Some(settings) = &config.mktestdocs {
            self.tool = Some(Tool::Mktestdocs);
            self.mktestdocs.apply(settings);
        }
        self.stubs = config.stubs.keys().cloned().collect();
        self
    }
}

/// `doc`'s folder and its parents up to `root` (only `doc`'s own when it
/// lies outside `root`), nearest first.
fn folders(doc: &Path, root: &Path) -> Vec<PathBuf> {
    let start = match doc.parent() {
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        Some(p) => p,
        None => return Vec::new(),
    };
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    let root = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if !start.starts_with(&root) {
        return vec![start];
    }
    start
        .ancestors()
        .take_while(|a| a.starts_with(&root))
        .map(Path::to_path_buf)
        .collect()
}

/// fnmatch-style `*`, `?` and `**/` against a file name, as pytest's
/// `--doctest-glob` and Sybil's `patterns` match one.
fn glob_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.rsplit('/').next().unwrap_or(pattern);
    fn go(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// `key = value` pairs of one `[section]` of an ini file; indented lines
/// continue the value before them.
fn ini_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            inside = header.trim() == section;
            continue;
        }
        if !inside || trimmed.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = pairs.last_mut() {
                value.push(' ');
                value.push_str(trimmed);
            }
        } else if let Some((key, value)) = trimmed.split_once(['=', ':']) {
            pairs.push((key.trim().to_string(), value.trim().to_string()));
        }
    }
    pairs
}

/// `doc` as a `/`-separated path below `folder`.
fn relative_to(doc: &Path, folder: &Path) -> Option<String> {
    let doc = doc.canonicalize().ok()?;
    let relative = doc.strip_prefix(folder).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// pathlib's `Path.glob` patterns: `*` and `?` within a part, `**` any
/// number of folders.
fn path_matches(pattern: &str, path: &str) -> bool {
    fn go(pattern: &[&str], path: &[&str]) -> bool {
        match (pattern.first(), path.first()) {
            (None, None) => true,
            (Some(&"**"), _) => {
                go(&pattern[1..], path) || (!path.is_empty() && go(pattern, &path[1..]))
            }
            (Some(p), Some(part)) => glob_matches(p, part) && go(&pattern[1..], &path[1..]),
            _ => false,
        }
    }
    let pattern: Vec<&str> = pattern.trim_start_matches("./").split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    go(&pattern, &path)
}

/// The string literals in a stretch of Python (`['*.md', "*.rst"]`).
fn string_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['"', '\'']) {
        let quote = &rest[open..open + 1];
        let body = &rest[open + 1..];
        let Some(end) = body.find(quote) else { break };
        out.push(body[..end].to_string());
        rest = &body[end + 1..];
    }
    out
}

/// The text of the call `name(` … `)` starting at each occurrence, with
/// nested brackets, as written (read, never run).
fn calls<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!("{name}(");
    let mut out = Vec::new();
    for (start, _) in text.match_indices(&needle) {
        let body = &text[start + needle.len()..];
        let mut depth = 1;
        let end = body.char_indices().find_map(|(i, c)| {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(i)
        });
        out.push(&body[..end.unwrap_or(body.len())]);
    }
    out
}

/// Option flag names in a Python or ini value (`ELLIPSIS |
/// doctest.NORMALIZE_WHITESPACE`, `ELLIPSIS NORMALIZE_WHITESPACE`) as
/// `+NAME`.
fn flag_names(value: &str) -> Vec<String> {
    value
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .map(|w| format!("+{w}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_paths_below_the_config() {
        assert!(path_matches("README.md", "README.md"));
        assert!(path_matches("doc/*.md", "doc/usage.md"));
        assert!(!path_matches("doc/*.md", "other/usage.md"));
        assert!(path_matches("**/*.md", "a/b/c.md"));
        assert!(path_matches("**/*.md", "c.md"));
    }

    #[test]
    fn globs_and_literals() {
        assert!(glob_matches("*.md", "README.md"));
        assert!(glob_matches("docs/**/*.md", "a.md"));
        assert!(!glob_matches("*.rst", "a.md"));
        assert!(glob_matches("READ?E.md", "README.md"));
        assert_eq!(string_literals("['*.md', \"x\"]"), ["*.md", "x"]);
        assert_eq!(calls("f(a, g(b)) f(c)", "f"), ["a, g(b)", "c"]);
        assert_eq!(
            flag_names("doctest.ELLIPSIS | NORMALIZE_WHITESPACE"),
            ["+ELLIPSIS", "+NORMALIZE_WHITESPACE"]
        );
    }
}
