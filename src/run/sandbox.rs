//! What a worker process may touch.
//!
//! A CI gate runs whatever a doc edit puts in a fence, so the worker that runs
//! a document is fenced in, in layers, each one cheap:
//!
//! - resource limits: address space, file size, process count, no core dumps;
//! - Landlock (Linux ≥ 5.13): write only inside the document's temporary
//!   working directory, read only the Python installation and declared paths,
//!   no TCP connect or bind (ABI ≥ 4), no abstract Unix sockets or signals
//!   outside the child (ABI ≥ 6);
//! - a kernel identity of its own: user, PID, IPC and mount namespaces, a
//!   leased uid as root, a tmpfs working directory, every other mount
//!   read-only (`super::identity`);
//! - no root: without namespaces, a worker started as root drops to `nobody`;
//! - seccomp-bpf ([`super::seccomp`]): no processes, exec, network or
//!   signals to others, whatever the example calls;
//! - a byte budget for the working directory as a whole
//!   ([`workdir_budget`]), kept by the parent;
//! - a scrubbed environment: no tokens, no `HOME` secrets.
//!
//! Every report says which layers were in force. The harness adds its own
//! Python-level layer (stubbed network, no subprocesses), which is about
//! determinism and clear messages more than security. The threat model is
//! in SECURITY.md.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How much of the sandbox is in force in a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Every layer is in force: Landlock fully enforced and seccomp.
    Full,
    /// The kernel enforces only part of it (an older Landlock ABI, or no
    /// seccomp filter).
    Partial,
    /// Neither Landlock nor seccomp: only limits and the Python layer apply.
    Unavailable,
    /// `--no-sandbox`.
    Disabled,
}

/// The report header's words for the sandbox a run had: `full (…)` when
/// every layer was in force, else what the kernel allowed.
pub(crate) fn summary(layers: Option<(Level, String)>) -> String {
    match layers {
        None => "not used (no document ran)".to_string(),
        Some((Level::Full, _)) => "full (namespaces, Landlock, seccomp, limits)".to_string(),
        Some((Level::Disabled, _)) => "disabled (--no-sandbox)".to_string(),
        Some((Level::Partial, detail)) => format!("partial ({detail})"),
        Some((Level::Unavailable, detail)) => format!("limits only ({detail})"),
    }
}

/// Resource limits of a worker.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) memory_mb: u64,
    pub(crate) file_size_mb: u64,
    /// Threads, counted per user: with a uid (or user namespace) of its
    /// own, the document's alone.
    pub(crate) processes: u64,
    /// Descriptors: each pipe or socket pair holds kernel buffers no
    /// address-space limit counts.
    pub(crate) open_files: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mb: 2048,
            file_size_mb: 256,
            processes: 256,
            open_files: 256,
        }
    }
}

/// Sets the worker's resource limits. A file past the size limit fails with
/// `EFBIG` (an `OSError` in Python) instead of killing the worker.
pub(crate) fn apply_limits(limits: &Limits) {
    let mib = 1024 * 1024;
    set_limit(libc::RLIMIT_AS, limits.memory_mb.saturating_mul(mib));
    set_limit(libc::RLIMIT_FSIZE, limits.file_size_mb.saturating_mul(mib));
    set_limit(libc::RLIMIT_NPROC, limits.processes);
    set_limit(libc::RLIMIT_NOFILE, limits.open_files);
    set_limit(libc::RLIMIT_MEMLOCK, 64 * 1024);
    set_limit(libc::RLIMIT_MSGQUEUE, 0);
    set_limit(libc::RLIMIT_CORE, 0);
    // SAFETY: setting a signal to ignored is always sound.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
}

fn set_limit(resource: libc::__rlimit_resource_t, value: u64) {
    let limit = libc::rlimit {
        rlim_cur: value as libc::rlim_t,
        rlim_max: value as libc::rlim_t,
    };
    // SAFETY: plain syscall on a valid struct; failure leaves the old limit.
    unsafe { libc::setrlimit(resource, &limit) };
}

/// The environment a worker starts with: enough for CPython, nothing else.
pub(crate) fn scrubbed_env(workdir: &Path) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("LC_ALL".into(), "C.UTF-8".into()),
        // Nothing before the fence reads a home; each child gets its own.
        ("HOME".into(), "/nonexistent".into()),
        ("TMPDIR".into(), workdir.into()),
        ("PYTHONHASHSEED".into(), "0".into()),
        ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
        ("PYTHONIOENCODING".into(), "utf-8".into()),
        // Isolated, as `-I`: no user site (a `.pth` there would run before
        // the fence). `PYTHONPATH` reaches the documents' processes only,
        // through `[python] paths` (see `Environment`).
        ("PYTHONNOUSERSITE".into(), "1".into()),
    ];
    // Needed to find the interpreter itself in some installations.
    for name in ["PYTHONHOME", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"] {
        if let Some(value) = std::env::var_os(name) {
            env.push((name.into(), value));
        }
    }
    env
}

/// System paths CPython and its extension modules read at run time.
const SYSTEM_READ: &[&str] = &[
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/lib",
    "/lib64",
    "/usr/share/zoneinfo",
    "/etc/localtime",
    "/dev/urandom",
];

/// Closes the file system and the network around `workdir`. Applies to the
/// calling thread and every thread it starts afterwards, so call it on the
/// thread that will run Python, before any other thread exists.
#[cfg(target_os = "linux")]
pub(crate) fn restrict(workdir: &Path, readable: &[PathBuf]) -> (Level, String) {
    use landlock::{
        ABI, Access, AccessFs, AccessNet, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
        Scope, path_beneath_rules,
    };
    let abi = ABI::V6;
    let read: Vec<PathBuf> = SYSTEM_READ
        .iter()
        .map(PathBuf::from)
        .chain(readable.iter().cloned())
        .collect();
    let result = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.handle_access(AccessNet::from_all(abi)))
        .and_then(|r| r.scope(Scope::from_all(abi)))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(&read, AccessFs::from_read(abi))))
        .and_then(|r| {
            r.add_rules(path_beneath_rules(
                [workdir, Path::new("/dev/null")],
                AccessFs::from_all(abi),
            ))
        })
        .and_then(|r| r.restrict_self());
    match result {
        Ok(status) => match status.ruleset {
            RulesetStatus::FullyEnforced => (Level::Full, "landlock: fully enforced".into()),
            RulesetStatus::PartiallyEnforced => (
                Level::Partial,
                "landlock: partially enforced (older kernel ABI: TCP, abstract sockets or signals may be open)".into(),
            ),
            RulesetStatus::NotEnforced => (
                Level::Unavailable,
                "landlock is not supported by this kernel".into(),
            ),
        },
        Err(e) => (
            Level::Unavailable,
            format!("landlock could not be applied: {e}"),
        ),
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn restrict(_workdir: &Path, _readable: &[PathBuf]) -> (Level, String) {
    (Level::Unavailable, "landlock exists only on Linux".into())
}

/// A worker started as root gives root up: run as `nobody`, owning only its
/// working directory. Returns a note when it could not.
pub(crate) fn drop_root(workdir: &Path) -> Option<String> {
    // SAFETY: plain syscalls; each failure is checked.
    unsafe {
        if libc::geteuid() != 0 {
            return None;
        }
        let nobody: libc::uid_t = 65534;
        let path = std::ffi::CString::new(workdir.as_os_str().as_encoded_bytes()).ok()?;
        let ok = libc::chown(path.as_ptr(), nobody, nobody) == 0
            && libc::setgroups(0, std::ptr::null()) == 0
            && libc::setgid(nobody) == 0
            && libc::setuid(nobody) == 0;
        (!ok).then(|| "could not drop root privileges".to_string())
    }
}

/// Bytes the working directory may hold in all, whatever the number of
/// files: four times the per-file limit. The parent measures it while the
/// document runs and kills a child that goes past it (see `pool`).
pub(crate) fn workdir_budget(file_size_mb: u64) -> u64 {
    file_size_mb.saturating_mul(4).saturating_mul(1024 * 1024)
}

/// Bytes under `dir` (files' sizes, without following symbolic links),
/// counting stops once past `cap`; 4 KiB per entry so that a million empty
/// files count too.
pub(crate) fn bytes_under(dir: &Path, cap: u64) -> u64 {
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            total = total.saturating_add(meta.len()).saturating_add(4096);
            if meta.is_dir() {
                pending.push(entry.path());
            }
            if total > cap {
                return total;
            }
        }
    }
    total
}
