//! A kernel identity of its own for each document's process.
//!
//! Every document's process is created in fresh user, PID, IPC and mount
//! namespaces (see [`super::template`]). Run as root, snipcheck maps each
//! one to a uid (and gid) of its own, leased from a range no other run on
//! the host holds ([`Lease`]): per-user limits (threads, pipe buffers),
//! `prlimit64`, `setpriority` and signals then cannot reach another
//! document, another run or any host process, whatever the filter allows.
//! Run unprivileged, the process keeps the invoking uid (the kernel allows
//! no other mapping), and the PID namespace and the filter keep it from
//! naming anyone else's processes.
//!
//! Inside, the process mounts a size-capped tmpfs over its working
//! directory: a disk budget the kernel enforces, counting files that are
//! unlinked while open, gone with the namespace. Every other mount becomes
//! read-only ([`seal_mounts`]). Then it gives up every capability it holds.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Where leases are kept: root's, and not a folder others can write to.
const LEASES: &str = "/run/snipcheck/uids";
/// The leased range: far above login and system users, subordinate ranges
/// (`/etc/subuid` starts at 100000) and systemd's dynamic users.
const FIRST_UID: u32 = 1_600_000_000;
/// Uids one worker holds: a document's process is killed before its uid
/// comes round again.
pub(crate) const BLOCK: u32 = 64;
const BLOCKS: u32 = 4096;

/// How a document's process is created, as its template decides once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identity {
    /// Own namespaces, and as root a leased uid: `uid` is its first.
    Namespaced { first_uid: Option<u32> },
    /// Own namespaces but no user namespace: a root run whose Python files
    /// only root may read (see `keep_root`).
    RootKept,
    /// No namespaces could be made: a plain fork.
    Shared,
}

/// A block of [`BLOCK`] uids held by this process while it lives (a lock
/// on a file under [`LEASES`]; the kernel drops it when the holder dies).
#[derive(Debug)]
pub(crate) struct Lease {
    pub(crate) first: u32,
    _lock: File,
}

/// Leases a free block, skipping any whose uids a live process runs as.
pub(crate) fn lease() -> std::io::Result<Lease> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(LEASES)?;
    let in_use = uids_in_use();
    for block in 0..BLOCKS {
        let first = FIRST_UID + block * BLOCK;
        if in_use
            .iter()
            .any(|uid| (first..first + BLOCK).contains(uid))
        {
            continue;
        }
        let lock = File::create(Path::new(LEASES).join(block.to_string()))?;
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(Lease { first, _lock: lock });
        }
    }
    Err(std::io::Error::other("every block of uids is leased"))
}

/// The real uids of the host's processes now.
fn uids_in_use() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
        .filter_map(|status| {
            let line = status.lines().find(|l| l.starts_with("Uid:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .collect()
}

/// Maps `pid`'s fresh user namespace: `uid` inside and out (a leased one
/// as root, the invoker's own otherwise). Written by its parent, which
/// alone may map another uid.
pub(crate) fn map(pid: i32, uid: u32, gid: u32) -> std::io::Result<()> {
    let proc = format!("/proc/{pid}");
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        // Unprivileged: a gid map needs setgroups denied first.
        write_proc(&proc, "setgroups", "deny")?;
    }
    write_proc(&proc, "uid_map", &format!("{uid} {uid} 1\n"))?;
    write_proc(&proc, "gid_map", &format!("{gid} {gid} 1\n"))
}

fn write_proc(proc: &str, file: &str, text: &str) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(format!("{proc}/{file}"))?
        .write_all(text.as_bytes())
}

/// In the document's process, once mapped: no supplementary groups (the
/// worker's would still open files), and the mapped ids taken, which moves
/// the process to the uid its namespace maps (its creator's until then).
pub(crate) fn become_mapped(uid: u32, gid: u32) -> Result<(), String> {
    // SAFETY: plain syscalls; each result is checked.
    unsafe {
        // Fails where setgroups is denied (unprivileged): then the groups
        // are the invoker's own, which opens nothing new.
        libc::setgroups(0, std::ptr::null());
        if libc::setresgid(gid, gid, gid) != 0 || libc::setresuid(uid, uid, uid) != 0 {
            return Err(format!(
                "could not take the mapped ids: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// Mounts are private to the namespace, then a tmpfs of `bytes` becomes
/// the working directory, owned by the process.
pub(crate) fn mount_workdir(workdir: &Path, bytes: u64) -> Result<(), String> {
    use std::ffi::CString;
    let target = CString::new(workdir.as_os_str().as_encoded_bytes())
        .map_err(|_| "the working directory's path holds a NUL".to_string())?;
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let options = CString::new(format!(
        "size={bytes},nr_inodes=65536,mode=0700,uid={uid},gid={gid}"
    ))
    .expect("no NUL in numbers");
    // SAFETY: valid NUL-terminated strings; results checked.
    unsafe {
        let none = std::ptr::null();
        if libc::mount(
            none,
            c"/".as_ptr(),
            none,
            libc::MS_REC | libc::MS_PRIVATE,
            none.cast(),
        ) != 0
        {
            return Err(format!(
                "mounts could not be made private: {}",
                std::io::Error::last_os_error()
            ));
        }
        if libc::mount(
            c"snipcheck".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            options.as_ptr().cast(),
        ) != 0
        {
            return Err(format!(
                "no tmpfs for the working directory: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// Every mount but the working directory's tmpfs becomes read-only in the
/// document's own mount namespace. Landlock fences contents, not metadata:
/// `chmod`, `chown`, `utime` and extended attributes outside the working
/// directory would still reach files the process owns (unprivileged, the
/// invoker's; the folder above the working directory; the cache). On a
/// read-only mount the kernel refuses them all (`EROFS`). Devices such as
/// `/dev/null` stay writable: a mount's flag is about its inodes.
/// Says which mount points it could not seal.
pub(crate) fn seal_mounts(workdir: &Path) -> Result<(), String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("mounts could not be listed: {e}"))?;
    let unsealed: Vec<String> = info
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(unescape)
        .filter(|point| Path::new(point) != workdir)
        .filter(|point| remount_read_only(point).is_err())
        .collect();
    if unsealed.is_empty() {
        Ok(())
    } else {
        Err(format!("mounts left writable: {}", unsealed.join(", ")))
    }
}

/// Mount points as mountinfo writes them: space, tab, newline and
/// backslash as octal escapes.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest
            .get(i + 1..i + 4)
            .and_then(|o| u8::from_str_radix(o, 8).ok());
        match code {
            Some(byte) => {
                out.push(byte as char);
                rest = &rest[i + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A bind remount adding `MS_RDONLY`, keeping the flags a less privileged
/// namespace may not change (nosuid, nodev, noexec, the atime mode).
fn remount_read_only(point: &str) -> Result<(), ()> {
    let path = std::ffi::CString::new(point).map_err(|_| ())?;
    // SAFETY: statvfs and mount on a valid path; results checked.
    unsafe {
        let mut stat: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(path.as_ptr(), &mut stat) != 0 {
            return Err(());
        }
        if stat.f_flag & libc::ST_RDONLY != 0 {
            return Ok(());
        }
        let kept = [
            (libc::ST_NOSUID, libc::MS_NOSUID),
            (libc::ST_NODEV, libc::MS_NODEV),
            (libc::ST_NOEXEC, libc::MS_NOEXEC),
            (libc::ST_NOATIME, libc::MS_NOATIME),
            (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
            (libc::ST_RELATIME, libc::MS_RELATIME),
        ];
        let mut flags = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY;
        for (st, ms) in kept {
            if stat.f_flag & st != 0 {
                flags |= ms;
            }
        }
        if stat.f_flag & (libc::ST_NOATIME | libc::ST_RELATIME) == 0 {
            flags |= libc::MS_STRICTATIME;
        }
        let none = std::ptr::null();
        if libc::mount(none, path.as_ptr(), none, flags, none.cast()) == 0 {
            Ok(())
        } else {
            Err(())
        }
    }
}

/// Gives up every capability: the process has them all in its own user
/// namespace, and needs none to run examples.
pub(crate) fn drop_capabilities() -> Result<(), String> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let header = Header {
        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
        pid: 0,
    };
    let data = [Data {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: the kernel reads a v3 header and two data words.
    unsafe {
        for cap in 0..64 {
            libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
        if libc::syscall(libc::SYS_capset, &header, data.as_ptr()) != 0 {
            return Err(format!(
                "capabilities could not be dropped: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// Where per-document memory cgroups go: under this process's own v1
/// memory cgroup, when it may make them (root, v1 mounted).
#[derive(Debug)]
pub(crate) struct Cgroups {
    root: std::path::PathBuf,
}

impl Cgroups {
    /// The place for them, or why there is none (said in the report).
    pub(crate) fn find() -> Result<Cgroups, String> {
        let own = std::fs::read_to_string("/proc/self/cgroup")
            .map_err(|e| format!("no memory cgroup (/proc/self/cgroup: {e})"))?;
        let path = own
            .lines()
            .find_map(|l| l.split_once(":memory:").map(|(_, p)| p.to_string()))
            .ok_or("no memory cgroup (the v1 memory controller is not mounted)")?;
        let root = Path::new("/sys/fs/cgroup/memory").join(path.trim_start_matches('/'));
        let probe = root.join("snipcheck-probe");
        std::fs::create_dir_all(&probe)
            .and_then(|()| std::fs::remove_dir(&probe))
            .map_err(|e| format!("no memory cgroup (cannot make one: {e})"))?;
        Ok(Cgroups { root })
    }

    /// Puts `pid` (before it forks the document's process) into the cgroup
    /// of `uid`, capped at `bytes`: anonymous memory, the tmpfs and kernel
    /// memory together. Returns the cgroup's folder.
    pub(crate) fn enter(
        &self,
        uid: u32,
        pid: i32,
        bytes: u64,
    ) -> std::io::Result<std::path::PathBuf> {
        let dir = self.root.join(format!("snipcheck-{uid}"));
        match std::fs::create_dir(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
        std::fs::write(dir.join("memory.limit_in_bytes"), bytes.to_string())?;
        // The memory+swap limit, where swap accounting exists.
        let _ = std::fs::write(dir.join("memory.memsw.limit_in_bytes"), bytes.to_string());
        std::fs::write(dir.join("cgroup.procs"), pid.to_string())?;
        Ok(dir)
    }
}
