//! Examples' stdout against insta snapshots.
//!
//! Claims check what the guide *says*; snapshots pin everything else an
//! example prints. The files are plain insta `.snap` files in the project's
//! `snapshots/` folder, so `cargo insta review` accepts changes. Names come
//! from the example id (`doc__section__n.snap`) and so survive edits in other
//! sections.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use insta::internals::SnapshotContents;
use insta::{Snapshot, TextSnapshotKind};
use regex::Regex;

/// How an example's stdout compared with its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotCheck {
    /// The document has no snapshot folder configured.
    Disabled,
    /// Not compared (the example raised or was skipped).
    NotApplicable,
    Matches,
    /// No snapshot yet: `cargo test` writes one for review.
    Missing,
    Differs {
        path: PathBuf,
        expected: String,
    },
}

impl SnapshotCheck {
    pub fn differs(&self) -> bool {
        matches!(self, SnapshotCheck::Differs { .. })
    }
}

/// The snapshot folder of one document.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    pub dir: PathBuf,
}

impl SnapshotStore {
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.snap"))
    }

    /// Compares normalised stdout with the stored snapshot.
    pub fn check(&self, name: &str, stdout: &str) -> SnapshotCheck {
        let path = self.path_of(name);
        if !path.is_file() {
            return SnapshotCheck::Missing;
        }
        let stored = match Snapshot::from_file(&path) {
            Ok(s) => s,
            Err(_) => return SnapshotCheck::Missing,
        };
        let SnapshotContents::Text(stored) = stored.contents() else {
            return SnapshotCheck::Missing;
        };
        let actual =
            insta::internals::TextSnapshotContents::new(stdout.to_string(), TextSnapshotKind::File);
        if stored.matches_latest(&actual) {
            SnapshotCheck::Matches
        } else {
            SnapshotCheck::Differs {
                path,
                expected: stored.to_string(),
            }
        }
    }
}

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bat 0x[0-9a-fA-F]+").unwrap());

/// Normalisations applied to stdout before it is snapshotted, so a snapshot
/// only changes when the output does:
///
/// - `[WORKDIR]`: the temporary working directory the document ran in;
/// - `at 0x[ADDR]`: object addresses in default reprs (`<Foo object at 0x7f…>`).
pub fn normalize(stdout: &str, workdir: &str) -> String {
    let text = if workdir.is_empty() {
        stdout.to_string()
    } else {
        stdout.replace(workdir, "[WORKDIR]")
    };
    ADDRESS.replace_all(&text, "at 0x[ADDR]").into_owned()
}

/// A snapshot store for documents whose config names a folder.
pub fn store_for(dir: Option<&Path>) -> Option<SnapshotStore> {
    dir.map(|d| SnapshotStore {
        dir: d.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_workdir_and_addresses() {
        let out = "cwd /tmp/snipcheck-x/a\n<Foo object at 0x7f12ab>\n";
        assert_eq!(
            normalize(out, "/tmp/snipcheck-x"),
            "cwd [WORKDIR]/a\n<Foo object at 0x[ADDR]>\n"
        );
    }

    #[test]
    fn missing_matching_and_differing_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let store = SnapshotStore {
            dir: dir.path().to_path_buf(),
        };
        assert_eq!(store.check("a", "x\n"), SnapshotCheck::Missing);
        std::fs::write(
            store.path_of("a"),
            "---\nsource: tests/guide.rs\n---\nhello\n",
        )
        .unwrap();
        assert_eq!(store.check("a", "hello\n"), SnapshotCheck::Matches);
        assert!(store.check("a", "bye\n").differs());
    }
}
