//! Files are replaced whole or not at all.
//!
//! A guide, a config, a report or a snapshot written half-way (a full disk,
//! a killed process) is worse than none, so every write goes to a temporary
//! file beside the target, is synced (except a cache entry's), then renamed
//! over it. A new file gets
//! the mode the user's umask gives (`0666 & !umask`, as `>` in a shell), not
//! a temporary file's 0600; a replaced file keeps its own.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::Error;

pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    replace(path, bytes, true)
}

/// Whole or not at all, but not synced: for a cache, where a write lost to
/// a crash is only a miss, and a sync per entry would cost more than it saves.
pub fn write_unsynced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    replace(path, bytes, false)
}

fn replace(path: &Path, bytes: &[u8], sync: bool) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".snipcheck-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    temp.write_all(bytes)
        .and_then(|()| {
            if sync {
                temp.as_file().sync_all()
            } else {
                Ok(())
            }
        })
        .map_err(|e| Error::io(path, e))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = temp.as_file().set_permissions(meta.permissions());
    }
    temp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_honour_the_umask_and_replaced_ones_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.xml");
        // SAFETY: reading the umask means setting it; restored at once.
        let umask = unsafe {
            let old = libc::umask(0o022);
            libc::umask(old);
            old
        };
        write(&path, b"one").unwrap();
        assert_eq!(mode(&path), 0o666 & !(umask as u32));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }
}
