//! How paths are printed: one way in every run and every report.
//!
//! A document found by walking `.` and the same one named on the command
//! line must read the same (`a.md`, not `./a.md` in one run and `a.md` in
//! the next), and a snapshot folder resolved through `../snapshots` must
//! not turn absolute in one message and relative in another.

use std::path::{Component, Path, PathBuf};

/// `path` relative to the current folder when it lies inside it, without
/// `./` parts; elsewhere as it is.
pub fn shown(path: &Path) -> PathBuf {
    let path: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if path.is_absolute() {
        if let Some(inside) = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        {
            if !inside.as_os_str().is_empty() {
                return inside;
            }
        }
    }
    if path.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_per_path() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(shown(Path::new("./a.md")), Path::new("a.md"));
        assert_eq!(shown(Path::new("a.md")), Path::new("a.md"));
        assert_eq!(shown(Path::new("./docs/./a.md")), Path::new("docs/a.md"));
        assert_eq!(shown(&cwd.join("docs/a.md")), Path::new("docs/a.md"));
        assert_eq!(
            shown(Path::new("/elsewhere/a.md")),
            Path::new("/elsewhere/a.md")
        );
        assert_eq!(shown(Path::new("../b/a.md")), Path::new("../b/a.md"));
        assert_eq!(shown(Path::new(".")), Path::new("."));
    }
}
