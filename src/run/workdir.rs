//! A document's working directory: fresh for each child, and gone after it,
//! whatever the examples did to it.
//!
//! An example may make a folder it created read-only (`os.chmod("d",
//! 0o500)`) or unreadable. Root ignores that, but for anyone else
//! `tempfile::TempDir` then fails to remove the folder, silently, and it
//! stays in `$TMPDIR` for good: a CI cache or a developer's disk fills with
//! them. So a [`Workdir`] is removed by [`remove`], which gives its folders
//! back their owner's permissions when that is what stands in the way.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::Error;

/// A fresh temporary folder (`$TMPDIR/snipcheck-*`), removed with
/// [`remove`] when dropped.
pub(crate) struct Workdir(tempfile::TempDir);

impl Workdir {
    pub(crate) fn new() -> Result<Workdir, Error> {
        tempfile::Builder::new()
            .prefix("snipcheck-")
            .tempdir()
            .map(Workdir)
            .map_err(|e| Error::io(&std::env::temp_dir(), e))
    }

    pub(crate) fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        // (TempDir's own removal, after this, finds nothing left to do.)
        if let Err(e) = remove(self.path()) {
            let path = self.path().display();
            eprintln!("snipcheck: warning: could not remove the working directory {path}: {e}");
        }
    }
}

/// Removes the folder `path` and everything in it. When permissions stop
/// that, its folders get their owner's read, write and search permissions
/// back, and it is tried once more. Symbolic links are removed, never
/// followed: nothing outside `path` is touched.
pub(crate) fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            open_up(path)?;
            std::fs::remove_dir_all(path)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        done => done,
    }
}

/// Gives `path` and every folder under it `u+rwx`, following no symbolic
/// link. Only ever needed by a user other than root (for whom the first
/// removal succeeds), so a link swapped in between the check and the change
/// could only add permissions its own user has the right to add.
fn open_up(path: &Path) -> std::io::Result<()> {
    let meta = path.symlink_metadata()?;
    if !meta.is_dir() {
        return Ok(());
    }
    let mode = meta.permissions().mode();
    if mode & 0o700 != 0o700 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode | 0o700))?;
    }
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            open_up(&entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// What an example can leave: a read-only folder with a file, an
    /// unreadable one, a read-only working directory, and links out.
    /// (Tests run as root, whom permissions do not stop, so the opening up
    /// is checked on its own; `tests/config_bounds.rs` runs the whole as
    /// `nobody`.)
    #[test]
    fn read_only_folders_are_opened_up_and_removed_but_links_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (work, outside) = (dir.path().join("work"), dir.path().join("outside"));
        for folder in [work.join("d"), work.join("e"), outside.clone()] {
            std::fs::create_dir_all(folder).unwrap();
        }
        std::fs::write(work.join("d/f"), "x").unwrap();
        std::fs::write(outside.join("kept"), "x").unwrap();
        std::os::unix::fs::symlink(&outside, work.join("out")).unwrap();
        std::os::unix::fs::symlink(outside.join("kept"), work.join("d/kept")).unwrap();
        chmod(&outside, 0o500);
        chmod(&work.join("d"), 0o500);
        chmod(&work.join("e"), 0o000);
        chmod(&work, 0o500);

        open_up(&work).unwrap();
        for folder in [&work, &work.join("d"), &work.join("e")] {
            assert_eq!(mode(folder) & 0o700, 0o700, "{}", folder.display());
        }
        assert_eq!(mode(&outside), 0o500, "a link out is not followed");

        remove(&work).unwrap();
        assert!(!work.exists());
        assert!(outside.join("kept").exists(), "nothing outside is removed");
        remove(&work).unwrap();
        chmod(&outside, 0o755);
    }

    #[test]
    fn a_workdir_is_gone_once_dropped() {
        let workdir = Workdir::new().unwrap();
        let path = workdir.path().to_path_buf();
        std::fs::create_dir(path.join("d")).unwrap();
        chmod(&path.join("d"), 0o500);
        drop(workdir);
        assert!(!path.exists());
    }
}
