//! Examples' stdout against insta snapshots.
//!
//! Claims check what the guide *says*; snapshots pin everything else an
//! example prints. The files are plain insta `.snap` files in the project's
//! `snapshots/` folder, so `cargo insta review` accepts changes. Names come
//! from the example id (`doc__section__n.snap`) and so survive edits in other
//! sections.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

/// How an example's stdout compared with its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotCheck {
    /// The document has no snapshot folder configured.
    Disabled,
    /// Not compared (the example raised or was skipped).
    NotApplicable,
    Matches,
    /// No snapshot at `path` yet: `pending` (a `.snap.new`) holds the
    /// proposed one, except under CI, where nothing is written and the
    /// missing snapshot is a failure, as with insta.
    New {
        path: PathBuf,
        pending: Option<PathBuf>,
        in_ci: bool,
    },
    /// The stored snapshot differs; `pending` (a `.snap.new`) holds the new
    /// output for `snipcheck review` or `cargo insta review`.
    Differs {
        path: PathBuf,
        expected: String,
        pending: Option<PathBuf>,
    },
}

impl SnapshotCheck {
    /// Does this fail the example?
    pub fn fails(&self) -> bool {
        match self {
            SnapshotCheck::Differs { .. } => true,
            SnapshotCheck::New { in_ci, .. } => *in_ci,
            _ => false,
        }
    }
}

/// The snapshot folder of one document.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    pub dir: PathBuf,
    /// Under CI (`CI` set and not `false`/`0`) nothing is written and a
    /// missing snapshot fails, as insta does.
    pub in_ci: bool,
}

impl SnapshotStore {
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.snap"))
    }

    /// Compares redacted stdout with the stored snapshot; a missing or
    /// differing one gets a `.snap.new` beside it for review (outside CI).
    pub fn check(&self, name: &str, stdout: &str) -> SnapshotCheck {
        let path = self.path_of(name);
        let stored = std::fs::read_to_string(&path).ok().map(|text| body(&text));
        if stored.as_deref().map(comparable) == Some(comparable(stdout)) {
            let _ = std::fs::remove_file(pending_path(&path));
            return SnapshotCheck::Matches;
        }
        let pending = (!self.in_ci)
            .then(|| write_pending(&path, stdout).ok())
            .flatten();
        match stored {
            None => SnapshotCheck::New {
                path,
                pending,
                in_ci: self.in_ci,
            },
            Some(expected) => SnapshotCheck::Differs {
                path,
                expected,
                pending,
            },
        }
    }
}

/// The contents of a `.snap` file: what follows its `---` header.
fn body(file: &str) -> String {
    let file = file.replace("\r\n", "\n");
    let rest = file.strip_prefix("---\n").unwrap_or(&file);
    match rest.find("\n---\n") {
        Some(end) if file.starts_with("---\n") => rest[end + 5..].to_string(),
        _ => file.to_string(),
    }
}

/// Snapshots compare as insta compares text: line endings and trailing
/// newlines aside.
fn comparable(text: &str) -> String {
    text.replace("\r\n", "\n")
        .trim_end_matches('\n')
        .to_string()
}

fn pending_path(snap: &Path) -> PathBuf {
    let mut name = snap.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Writes `<name>.snap.new` in insta's format, atomically.
fn write_pending(snap: &Path, stdout: &str) -> Result<PathBuf, crate::Error> {
    let path = pending_path(snap);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
    let text = format!(
        "---\nsource: snipcheck\nexpression: stdout\n---\n{}\n",
        comparable(stdout)
    );
    crate::atomic::write(&path, text.as_bytes())?;
    Ok(path)
}

/// A snapshot waiting for review: the proposed file and the one it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub new: PathBuf,
    pub snap: PathBuf,
}

impl Pending {
    /// What is stored now (empty for a new snapshot) and what is proposed.
    pub fn contents(&self) -> (String, String) {
        let read = |p: &Path| {
            std::fs::read_to_string(p)
                .map(|t| body(&t))
                .unwrap_or_default()
        };
        (read(&self.snap), read(&self.new))
    }

    pub fn accept(&self) -> std::io::Result<()> {
        std::fs::rename(&self.new, &self.snap)
    }

    pub fn reject(&self) -> std::io::Result<()> {
        std::fs::remove_file(&self.new)
    }
}

/// Every `.snap.new` in `dir`, sorted.
pub fn pending_in(dir: &Path) -> Vec<Pending> {
    let mut found: Vec<Pending> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let new = entry.ok()?.path();
            let snap = new.to_str()?.strip_suffix(".new")?.to_string();
            snap.ends_with(".snap").then(|| Pending {
                new: new.clone(),
                snap: PathBuf::from(snap),
            })
        })
        .collect();
    found.sort_by(|a, b| a.new.cmp(&b.new));
    found
}

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bat 0x[0-9a-fA-F]+").unwrap());

/// The one place stdout is redacted before it meets a snapshot, for the CLI
/// and `cargo test` alike, so a snapshot only changes when the output does:
///
/// - `[WORKDIR]`: the temporary working directory the document ran in;
/// - `[DOCUMENT]`: the document's own path (tracebacks name it);
/// - `at 0x[ADDR]`: object addresses in default reprs (`<Foo object at 0x7f…>`).
///
/// `document` is made absolute first: tracebacks name it that way.
pub fn redact(stdout: &str, workdir: &str, document: &Path) -> String {
    let document = std::path::absolute(document).unwrap_or_else(|_| document.to_path_buf());
    let document = document.to_string_lossy();
    let mut text = stdout.to_string();
    for (value, mark) in [(workdir, "[WORKDIR]"), (&*document, "[DOCUMENT]")] {
        if !value.is_empty() {
            text = text.replace(value, mark);
        }
    }
    ADDRESS.replace_all(&text, "at 0x[ADDR]").into_owned()
}

/// Whether this process runs under CI, as insta decides it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A snapshot store for documents whose config names a folder.
pub fn store_for(dir: Option<&Path>) -> Option<SnapshotStore> {
    dir.map(|d| SnapshotStore {
        dir: d.to_path_buf(),
        in_ci: in_ci(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, in_ci: bool) -> SnapshotStore {
        SnapshotStore {
            dir: dir.to_path_buf(),
            in_ci,
        }
    }

    #[test]
    fn redacts_workdir_document_and_addresses() {
        let out = "cwd /tmp/snipcheck-x/a\n<Foo object at 0x7f12ab>\n  File \"/r/g.md\", line 3\n";
        assert_eq!(
            redact(out, "/tmp/snipcheck-x", Path::new("/r/g.md")),
            "cwd [WORKDIR]/a\n<Foo object at 0x[ADDR]>\n  File \"[DOCUMENT]\", line 3\n"
        );
    }

    #[test]
    fn a_missing_snapshot_is_proposed_for_review_and_fails_only_in_ci() {
        let dir = tempfile::tempdir().unwrap();
        let check = store(dir.path(), false).check("a", "x\n");
        let SnapshotCheck::New {
            path,
            pending: Some(proposed),
            in_ci,
        } = &check
        else {
            panic!("{check:?}")
        };
        assert!(!in_ci && !check.fails());
        assert!(path.ends_with("a.snap") && proposed.ends_with("a.snap.new"));
        assert!(
            std::fs::read_to_string(proposed)
                .unwrap()
                .ends_with("---\nx\n")
        );
        let pending = pending_in(dir.path());
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].contents(), (String::new(), "x\n".to_string()));
        pending[0].accept().unwrap();
        assert_eq!(
            store(dir.path(), false).check("a", "x\n"),
            SnapshotCheck::Matches
        );
        let dir = tempfile::tempdir().unwrap();
        let check = store(dir.path(), true).check("a", "x\n");
        assert!(check.fails(), "under CI a missing snapshot fails");
        assert!(pending_in(dir.path()).is_empty(), "and nothing is written");
    }

    #[test]
    fn matching_and_differing_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path(), false);
        std::fs::write(
            store.path_of("a"),
            "---\nsource: tests/guide.rs\n---\nhello\n",
        )
        .unwrap();
        assert_eq!(store.check("a", "hello\n"), SnapshotCheck::Matches);
        let check = store.check("a", "bye\n");
        assert!(check.fails());
        let SnapshotCheck::Differs {
            expected, pending, ..
        } = check
        else {
            unreachable!()
        };
        assert_eq!(expected, "hello\n");
        assert!(pending.unwrap().is_file());
        assert_eq!(store.check("a", "hello\n"), SnapshotCheck::Matches);
        assert!(
            pending_in(dir.path()).is_empty(),
            "a match clears the stale proposal"
        );
    }
}
