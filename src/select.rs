//! Which documents and examples a run reports on.
//!
//! Selection never changes how a document runs: examples share a namespace,
//! so an example is always run after the ones before it. It decides which
//! documents are run at all (`--changed-since`, `--partition`) and which
//! examples are reported (`--example`, `--section`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use crate::error::Error;
use crate::markdown::Example;

/// Selection flags, shared by `check` and `update`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Selection {
    /// Only this example: its id (or part of it), a line of it (in every
    /// document), or FILE:LINE as reports print it. Repeatable.
    #[arg(long, value_name = "ID|LINE|FILE:LINE")]
    pub example: Vec<String>,
    /// Only examples under a heading containing TEXT (any case).
    #[arg(long, value_name = "TEXT")]
    pub section: Option<String>,
    /// Only documents changed since this git ref: the document, its config,
    /// a fixture file or its cassette (committed, staged, unstaged or untracked).
    #[arg(long, value_name = "GIT_REF")]
    pub changed_since: Option<String>,
    /// Only partition K of N, e.g. `1/3`: documents are assigned by a hash
    /// of their path, so adding one moves no other.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<Partition>,
}

/// `K/N`: this is shard K (1-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub index: u64,
    pub count: u64,
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not K/N with 1 <= K <= N (e.g. 2/3)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            k.trim().parse::<u64>().map_err(|_| bad())?,
            n.trim().parse::<u64>().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Partition { index, count })
    }
}

impl Partition {
    /// Stable by path: FNV-1a of the path as given.
    pub fn contains(&self, path: &Path) -> bool {
        let hash = path
            .to_string_lossy()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        hash % self.count == self.index - 1
    }
}

impl Selection {
    /// Narrows the documents to run. `inputs(doc)` lists the other files a
    /// document's verdicts depend on (its config, fixture files, cassette).
    pub fn documents(
        &self,
        paths: Vec<PathBuf>,
        inputs: impl Fn(&Path) -> Result<Vec<PathBuf>, Error>,
    ) -> Result<Vec<PathBuf>, Error> {
        let mut paths: Vec<PathBuf> = match &self.partition {
            Some(p) => paths.into_iter().filter(|d| p.contains(d)).collect(),
            None => paths,
        };
        if let Some(base) = &self.changed_since {
            let changed = changed_files(base)?;
            let is_changed = |p: &Path| p.canonicalize().is_ok_and(|p| changed.contains(&p));
            let mut kept = Vec::new();
            for doc in paths {
                if is_changed(&doc) || inputs(&doc)?.iter().any(|p| is_changed(p)) {
                    kept.push(doc);
                }
            }
            paths = kept;
        }
        Ok(paths)
    }

    /// Whether an example of the document at `path` is reported.
    pub fn keeps(&self, path: &Path, example: &Example) -> bool {
        let by_example = self.example.is_empty()
            || self
                .example
                .iter()
                .any(|wanted| Wanted::parse(wanted).matches(path, example));
        let by_section = self.section.as_ref().is_none_or(|text| {
            let text = text.to_lowercase();
            example
                .heading
                .iter()
                .any(|h| h.to_lowercase().contains(&text))
                || example.section.contains(&text)
        });
        by_example && by_section
    }

    /// Why `documents` kept none: only the document filters can leave none,
    /// and both may rightly do so.
    pub fn why_no_document(&self) -> String {
        match (&self.changed_since, &self.partition) {
            (Some(base), _) => format!("no document changed since {base}"),
            (None, Some(p)) => format!("partition {}/{} holds no document", p.index, p.count),
            (None, None) => "no document selected".to_string(),
        }
    }

    /// The example filters, as the user wrote them.
    pub fn describe_filters(&self) -> String {
        let mut parts: Vec<String> = self
            .example
            .iter()
            .map(|e| format!("--example {e}"))
            .collect();
        parts.extend(self.section.iter().map(|s| format!("--section {s:?}")));
        parts.join(" ")
    }

    /// Whether any example-level filter is on.
    pub fn filters_examples(&self) -> bool {
        !self.example.is_empty() || self.section.is_some()
    }
}

/// Files changed since `base` (committed, staged, unstaged or untracked,
/// anywhere in the repository), canonical paths. Git runs at the top of the
/// work tree, so every name is relative to it, whatever the current folder.
fn changed_files(base: &str) -> Result<Vec<PathBuf>, Error> {
    let root = PathBuf::from(git(None, &["rev-parse", "--show-toplevel"])?.trim_end());
    let mut names = git(Some(&root), &["diff", "--name-only", "-z", base, "--"])?;
    names.push_str(&git(
        Some(&root),
        &["ls-files", "--others", "--exclude-standard", "-z"],
    )?);
    Ok(names
        .split('\0')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let path = root.join(l);
            path.canonicalize().unwrap_or(path)
        })
        .collect())
}

fn git(dir: Option<&Path>, args: &[&str]) -> Result<String, Error> {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let out = command
        .args(args)
        .output()
        .map_err(|e| Error::io(Path::new("git"), e))?;
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(Error::file(
            Path::new("--changed-since"),
            format!("git {}: {message}", args.join(" ")),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One `--example`: a line (`31`), a place as reports print it
/// (`guide/a.md:31`, also with a column: `guide/a.md:31:7`), or part of an id.
enum Wanted<'a> {
    Line(usize),
    Place(&'a Path, usize),
    Id(&'a str),
}

impl<'a> Wanted<'a> {
    fn parse(text: &'a str) -> Wanted<'a> {
        if let Ok(line) = text.parse() {
            return Wanted::Line(line);
        }
        // Ids are `doc::section::N`: never a place.
        if text.contains("::") {
            return Wanted::Id(text);
        }
        let number = |s: &str| s.parse::<usize>().ok();
        let place = text.rsplit_once(':').and_then(|(rest, last)| {
            let last = number(last)?;
            match rest.rsplit_once(':') {
                Some((file, line)) if number(line).is_some() && !file.is_empty() => {
                    Some((file, number(line)?))
                }
                _ if !rest.is_empty() => Some((rest, last)),
                _ => None,
            }
        });
        match place {
            Some((file, line)) => Wanted::Place(Path::new(file), line),
            None => Wanted::Id(text),
        }
    }

    fn matches(&self, path: &Path, example: &Example) -> bool {
        let on =
            |line: usize| example.fence_line == line || example.lines().any(|(l, _)| l == line);
        match self {
            Wanted::Line(line) => on(*line),
            Wanted::Place(file, line) => same_document(file, path) && on(*line),
            Wanted::Id(part) => example.id.contains(part),
        }
    }
}

/// Whether `file`, as the user wrote it, names the document at `path`: the
/// same file, or (when either is not there to resolve) the same trailing
/// path components (`a.md` and `./docs/a.md` agree with `docs/a.md`).
fn same_document(file: &Path, path: &Path) -> bool {
    match (file.canonicalize(), path.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => {
            let parts = |p: &Path| -> Vec<std::ffi::OsString> {
                p.components()
                    .filter(|c| !matches!(c, std::path::Component::CurDir))
                    .map(|c| c.as_os_str().to_os_string())
                    .collect()
            };
            let (file, path) = (parts(file), parts(path));
            !file.is_empty() && path.ends_with(&file)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse_and_cover_everything_once() {
        assert!("0/3".parse::<Partition>().is_err());
        assert!("4/3".parse::<Partition>().is_err());
        assert!("a/3".parse::<Partition>().is_err());
        let shards: Vec<Partition> = (1..=3).map(|k| format!("{k}/3").parse().unwrap()).collect();
        for i in 0..50 {
            let path = PathBuf::from(format!("guide/doc-{i}.md"));
            assert_eq!(shards.iter().filter(|p| p.contains(&path)).count(), 1);
        }
    }

    #[test]
    fn examples_by_id_line_and_section() {
        let doc = crate::markdown::Document::parse(
            Path::new("d.md"),
            "# Top\n## Async Things\n```python\nx = 1\n```\n## Other\n```python\ny = 2\n```\n"
                .into(),
        );
        let pick = |s: Selection| {
            doc.examples
                .iter()
                .filter(|e| s.keeps(Path::new("d.md"), e))
                .map(|e| e.id.clone())
                .collect::<Vec<_>>()
        };
        let by = |example: &[&str], section: Option<&str>| Selection {
            example: example.iter().map(|s| s.to_string()).collect(),
            section: section.map(str::to_string),
            ..Selection::default()
        };
        assert_eq!(pick(by(&["other"], None)), ["d::other::1"]);
        assert_eq!(
            pick(by(&["4"], None)),
            ["d::async-things::1"],
            "a code line selects its example"
        );
        assert_eq!(pick(by(&["d.md:4"], None)), ["d::async-things::1"]);
        assert_eq!(pick(by(&["d::other::1"], None)), ["d::other::1"], "an id");
        assert_eq!(
            pick(by(&["./d.md:8:3"], None)),
            ["d::other::1"],
            "a diagnostic's place"
        );
        assert!(pick(by(&["e.md:4"], None)).is_empty(), "another file");
        assert_eq!(pick(by(&[], Some("async"))), ["d::async-things::1"]);
        assert_eq!(pick(by(&[], None)).len(), 2);
    }
}
