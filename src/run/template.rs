//! The clean template every document's process is forked from.
//!
//! A worker reads jobs, relays events and keeps buffers: its heap holds
//! earlier documents' code, fixtures and output. A child forked from it
//! could read them. So right after warm-up, before any job, the worker forks
//! this template, which never reads a job, a request or an outcome: it only
//! receives, over a socket, the three descriptors a document's process needs
//! (its event pipe, its output pipe and the pipe its job will come on) and forks.
//!
//! Each fork is a `clone` into fresh user, PID, IPC and mount namespaces
//! (see [`super::identity`]). The first process in the PID namespace is a
//! tiny init that runs no Python: it forks the document's process, waits
//! for it and passes its exit status back, so the document's process is
//! not PID 1 (which the kernel spares from its own default signals) and
//! killing the init ends the whole namespace.

use std::collections::HashMap;
use std::fs::File;
use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use pyo3::prelude::*;
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType,
};

use super::identity::{self, Identity, Lease};

const FORK: u8 = b'F';
const STATUS: u8 = b'S';
const RELEASE: u8 = b'R';

/// The id a document's process has in its own PID namespace, as the
/// init's one fork. A hint only: `seccomp::prepare` checks it.
pub(crate) const DOCUMENT_PID: u64 = 2;

/// Flags of a fork request.
pub(crate) const KEEP_ROOT: u8 = 1;
pub(crate) const PLAIN: u8 = 2;
pub(crate) const MEMORY_CGROUP: u8 = 4;

/// A document's process, as the template forked it.
pub(crate) struct Forked {
    /// The init of its namespace (the document's process's parent).
    pub(crate) pid: i32,
    pub(crate) pidfd: Option<OwnedFd>,
}

/// The descriptors a document's process starts with, in this order.
pub(crate) struct ChildFds {
    pub(crate) events: OwnedFd,
    pub(crate) output: OwnedFd,
    pub(crate) job: OwnedFd,
    /// What identity it was given (see [`Identity`]): the template says so
    /// once the namespace is mapped.
    pub(crate) sync: OwnedFd,
}

/// The worker's handle on its template.
pub(crate) struct Template {
    socket: OwnedFd,
}

impl Template {
    /// Forks the template from this process, which must hold no job yet.
    pub(crate) fn start(child: fn(ChildFds) -> !) -> std::io::Result<Template> {
        let (ours, theirs) = rustix::net::socketpair(
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            SocketFlags::CLOEXEC,
            None,
        )?;
        let pid = Python::attach(|py| {
            py.import("os")
                .and_then(|os| os.call_method0("fork")?.extract::<i32>())
        })
        .map_err(|e| std::io::Error::other(e.to_string()))?;
        if pid == 0 {
            drop(ours);
            serve(theirs, child)
        }
        Ok(Template { socket: ours })
    }

    /// Forks a document's process with these descriptors, its memory
    /// (address space and working directory) capped at `memory_mb` where a
    /// cgroup can do it.
    pub(crate) fn fork(
        &self,
        flags: u8,
        memory_mb: u32,
        fds: [BorrowedFd<'_>; 3],
    ) -> std::io::Result<Forked> {
        let mut message = vec![FORK, flags, 0, 0, 0, 0];
        message.extend_from_slice(&memory_mb.to_le_bytes());
        send(&self.socket, &message, &fds)?;
        let (reply, mut received) = receive(&self.socket)?;
        match reply.split_first() {
            Some((1, pid)) if pid.len() >= 4 => Ok(Forked {
                pid: i32::from_le_bytes(pid[..4].try_into().expect("four bytes")),
                pidfd: received.pop(),
            }),
            Some((_, why)) => Err(std::io::Error::other(
                String::from_utf8_lossy(why).into_owned(),
            )),
            None => Err(std::io::Error::other("the template is gone")),
        }
    }

    /// Waits for the document's process forked as `pid` to end: (exit
    /// code, signal).
    pub(crate) fn status(&self, pid: i32) -> Option<(Option<i32>, Option<i32>)> {
        send(&self.socket, &request(STATUS, pid), &[]).ok()?;
        let (reply, _) = receive(&self.socket).ok()?;
        let word = |i: usize| {
            let n = i32::from_le_bytes(reply.get(i..i + 4)?.try_into().ok()?);
            Some(n).filter(|&n| n >= 0)
        };
        (reply.len() == 8).then(|| (word(0), word(4)))
    }

    /// The process was killed and nobody waits for it: reap it when gone.
    pub(crate) fn release(&self, pid: i32) {
        let _ = send(&self.socket, &request(RELEASE, pid), &[]);
    }
}

fn request(kind: u8, pid: i32) -> [u8; 6] {
    let p = pid.to_le_bytes();
    [kind, 0, p[0], p[1], p[2], p[3]]
}

pub(crate) fn send(socket: &OwnedFd, bytes: &[u8], fds: &[BorrowedFd<'_>]) -> std::io::Result<()> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(3))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() {
        control.push(SendAncillaryMessage::ScmRights(fds));
    }
    rustix::net::sendmsg(
        socket,
        &[IoSlice::new(bytes)],
        &mut control,
        SendFlags::empty(),
    )?;
    Ok(())
}

/// One message and the descriptors that came with it; an empty message
/// when the other side is gone.
pub(crate) fn receive(socket: &OwnedFd) -> std::io::Result<(Vec<u8>, Vec<OwnedFd>)> {
    let mut bytes = vec![0u8; 512];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(3))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let got = loop {
        match rustix::net::recvmsg(
            socket,
            &mut [IoSliceMut::new(&mut bytes)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        ) {
            Err(rustix::io::Errno::INTR) => continue,
            other => break other?,
        }
    };
    bytes.truncate(got.bytes);
    let mut fds = Vec::new();
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(received) = message {
            fds.extend(received);
        }
    }
    Ok((bytes, fds))
}

/// The template's life: fork on request, report how each process ended.
fn serve(socket: OwnedFd, child: fn(ChildFds) -> !) -> ! {
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    let socket = keep_only(&[socket.as_raw_fd()])[0];
    // SAFETY: `keep_only` moved the socket to this number and closed the rest.
    let socket = unsafe { OwnedFd::from_raw_fd(socket) };
    let mut state = State::new();
    loop {
        let Ok((message, fds)) = receive(&socket) else {
            break;
        };
        let pid = word(&message, 2) as i32;
        let reply = match (message.first(), <[OwnedFd; 3]>::try_from(fds)) {
            (None, _) => break,
            (Some(&FORK), Ok(fds)) => match state.fork(message[1], word(&message, 6), fds, child) {
                Ok((pid, pidfd)) => {
                    let mut ok = vec![1u8];
                    ok.extend_from_slice(&pid.to_le_bytes());
                    let fds: Vec<BorrowedFd<'_>> = pidfd.iter().map(|f| f.as_fd()).collect();
                    send(&socket, &ok, &fds)
                }
                Err(why) => send(&socket, format!("\0{why}").as_bytes(), &[]),
            },
            (Some(&STATUS), _) => {
                let (code, signal) = state.wait(pid);
                let mut words = code.unwrap_or(-1).to_le_bytes().to_vec();
                words.extend_from_slice(&signal.unwrap_or(-1).to_le_bytes());
                send(&socket, &words, &[])
            }
            (Some(&RELEASE), _) => {
                state.released.push(pid);
                Ok(())
            }
            _ => Ok(()),
        };
        if reply.is_err() {
            break;
        }
        state.reap_released(false);
    }
    state.reap_released(true);
    for pid in state.live.keys().copied().collect::<Vec<_>>() {
        state.wait(pid);
    }
    for dir in &state.made {
        let _ = std::fs::remove_dir(dir);
    }
    // SAFETY: ends the process at once, which is the point.
    unsafe { libc::_exit(0) }
}

/// The little-endian word at `at` in a message (0 when it is short).
fn word(message: &[u8], at: usize) -> u32 {
    message
        .get(at..at + 4)
        .map_or(0, |w| u32::from_le_bytes(w.try_into().expect("four bytes")))
}

/// A forked namespace's init, and the pipe its exit status comes on.
struct Live {
    uid: Option<u32>,
    status: File,
}

struct State {
    identity: Identity,
    lease: Option<Lease>,
    /// Per-document memory cgroups, or why there are none: found on the
    /// first document that asks (`[sandbox] memory_cgroup`), not at start.
    cgroups: Option<Result<identity::Cgroups, String>>,
    made: Vec<std::path::PathBuf>,
    turn: u32,
    live: HashMap<i32, Live>,
    released: Vec<i32>,
}

impl State {
    fn new() -> State {
        // SAFETY: geteuid cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let lease = root.then(identity::lease).and_then(Result::ok);
        State {
            identity: Identity::Namespaced {
                first_uid: lease.as_ref().map(|l| l.first),
            },
            cgroups: None,
            made: Vec::new(),
            lease,
            turn: 0,
            live: HashMap::new(),
            released: Vec::new(),
        }
    }

    /// A leased uid no live process of this template has.
    fn next_uid(&mut self) -> Option<u32> {
        let first = self.lease.as_ref()?.first;
        for _ in 0..identity::BLOCK {
            self.turn = (self.turn + 1) % identity::BLOCK;
            let uid = first + self.turn;
            if !self.live.values().any(|l| l.uid == Some(uid)) {
                return Some(uid);
            }
        }
        // All held (never with one document at a time): wait for one.
        self.reap_released(true);
        Some(first + self.turn)
    }

    fn fork(
        &mut self,
        flags: u8,
        memory_mb: u32,
        fds: [OwnedFd; 3],
        child: fn(ChildFds) -> !,
    ) -> Result<(i32, Option<OwnedFd>), String> {
        let wanted = if flags & PLAIN != 0 {
            Identity::Shared
        } else if flags & KEEP_ROOT != 0 {
            Identity::RootKept
        } else {
            self.identity
        };
        let uid = match wanted {
            Identity::Namespaced { first_uid: Some(_) } => self.next_uid(),
            _ => None,
        };
        let cgroup = flags & MEMORY_CGROUP != 0;
        let cap = |pid: i32| match cgroup {
            true => self.cap_memory(uid, pid, memory_mb),
            false => "no memory cgroup ([sandbox] memory_cgroup is off)".to_string(),
        };
        let (pid, identity, status) = spawn(wanted, uid, fds, cap, child)?;
        if matches!(self.identity, Identity::Namespaced { .. })
            && identity == Identity::Shared
            && wanted != Identity::Shared
        {
            // The kernel refused namespaces: later forks need not try.
            self.identity = Identity::Shared;
        }
        self.live.insert(pid, Live { uid, status });
        let pidfd = rustix::process::Pid::from_raw(pid).and_then(|p| {
            rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).ok()
        });
        Ok((pid, pidfd))
    }

    /// Puts the namespace's init `pid` into the memory cgroup of its uid;
    /// what to say of it in the report.
    fn cap_memory(&mut self, uid: Option<u32>, pid: i32, memory_mb: u32) -> String {
        let leased = self.lease.is_some();
        let found = self.cgroups.get_or_insert_with(|| match leased {
            true => identity::Cgroups::find(),
            false => Err("no memory cgroup (not root)".to_string()),
        });
        let (Ok(cgroups), Some(uid)) = (&*found, uid) else {
            return match found {
                Err(why) => why.clone(),
                Ok(_) => "no memory cgroup (no leased uid)".to_string(),
            };
        };
        match cgroups.enter(uid, pid, u64::from(memory_mb) << 20) {
            Ok(dir) => {
                if !self.made.contains(&dir) {
                    self.made.push(dir);
                }
                format!("memory cgroup of {memory_mb} MiB")
            }
            Err(e) => format!("no memory cgroup ({e})"),
        }
    }

    /// Waits for `pid`, one of ours; the exit of the document's process
    /// its init passed on, else how the init itself ended.
    fn wait(&mut self, pid: i32) -> (Option<i32>, Option<i32>) {
        let Some(mut live) = self.live.remove(&pid) else {
            return (None, None);
        };
        let init = wait_for(pid);
        let mut words = [0u8; 8];
        match live.status.read_exact(&mut words) {
            Ok(()) => {
                let word = |i: usize| {
                    Some(i32::from_le_bytes(words[i..i + 4].try_into().expect("4")))
                        .filter(|&n| n >= 0)
                };
                (word(0), word(4))
            }
            Err(_) => init,
        }
    }

    fn reap_released(&mut self, block: bool) {
        let mut still = Vec::new();
        for pid in std::mem::take(&mut self.released) {
            let options = if block { 0 } else { libc::WNOHANG };
            let mut status = 0;
            // SAFETY: waits for our own child.
            match unsafe { libc::waitpid(pid, &mut status, options) } {
                0 => still.push(pid),
                _ => {
                    self.live.remove(&pid);
                }
            }
        }
        self.released = still;
    }
}

/// Blocking wait: (exit code, signal).
fn wait_for(pid: i32) -> (Option<i32>, Option<i32>) {
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        if r < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return (None, None);
        }
    }
    if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (Some(libc::WEXITSTATUS(status)), None)
    }
}

/// Clones the namespace's init, maps it, and tells the document's process
/// who it is. Falls back to fewer namespaces where the kernel refuses.
fn spawn(
    wanted: Identity,
    uid: Option<u32>,
    fds: [OwnedFd; 3],
    mut cap_memory: impl FnMut(i32) -> String,
    child: fn(ChildFds) -> !,
) -> Result<(i32, Identity, File), String> {
    let pipe = || rustix::pipe::pipe().map_err(|e| format!("no pipe: {e}"));
    let (status_r, status_w) = pipe()?;
    let (sync_r, sync_w) = pipe()?;
    let namespaces = libc::CLONE_NEWPID | libc::CLONE_NEWIPC | libc::CLONE_NEWNS;
    let attempts: &[(Identity, i32)] = match wanted {
        Identity::Namespaced { .. } => &[
            (wanted, namespaces | libc::CLONE_NEWUSER),
            (Identity::Shared, 0),
        ],
        Identity::RootKept => &[(Identity::RootKept, namespaces), (Identity::Shared, 0)],
        Identity::Shared => &[(Identity::Shared, 0)],
    };
    let [events, output, job] = fds;
    let mut refused = String::new();
    for &(identity, flags) in attempts {
        let init = InitFds {
            status: status_w.as_raw_fd(),
            child: [
                events.as_raw_fd(),
                output.as_raw_fd(),
                job.as_raw_fd(),
                sync_r.as_raw_fd(),
            ],
        };
        match clone_init(flags, &init, child) {
            Ok(pid) => {
                let mut told = tell(identity, uid, pid, &refused);
                if identity != Identity::Shared {
                    told.extend_from_slice(format!("; {}", cap_memory(pid)).as_bytes());
                }
                // The init forks the document's process on `G`; it reads the rest.
                let mut sync = File::from(sync_w);
                let _ = sync.write_all(b"G").and_then(|()| sync.write_all(&told));
                return Ok((pid, identity_after(identity, &told), File::from(status_r)));
            }
            Err(e) => refused = format!("namespaces refused ({e})"),
        }
    }
    Err(refused)
}

/// The identity as told to the process (a failed mapping is told as
/// shared, and the process then makes do without).
fn identity_after(identity: Identity, told: &[u8]) -> Identity {
    match told.first() {
        Some(b'S') => Identity::Shared,
        _ => identity,
    }
}

/// Maps a user namespace and words the identity for the process: a kind
/// byte (`N` own namespaces, `R` root kept, `S` shared), the uid and gid
/// to take (little-endian), then what to say in the report.
fn tell(identity: Identity, uid: Option<u32>, pid: i32, refused: &str) -> Vec<u8> {
    let message = |kind: u8, ids: (u32, u32), note: &str| {
        let mut bytes = vec![kind];
        bytes.extend_from_slice(&ids.0.to_le_bytes());
        bytes.extend_from_slice(&ids.1.to_le_bytes());
        bytes.extend_from_slice(note.as_bytes());
        bytes
    };
    match identity {
        Identity::Namespaced { .. } => {
            // SAFETY: geteuid/getegid cannot fail.
            let (me, my_group) = unsafe { (libc::geteuid(), libc::getegid()) };
            let ids = uid.map_or((me, my_group), |u| (u, u));
            match identity::map(pid, ids.0, ids.1) {
                Ok(()) => {
                    let whose = if uid.is_some() {
                        "leased"
                    } else {
                        "the invoking user's"
                    };
                    let note = format!(
                        "own user, PID, IPC and mount namespaces, uid {} ({whose})",
                        ids.0
                    );
                    message(b'N', ids, &note)
                }
                Err(e) => message(
                    b'S',
                    (0, 0),
                    &format!("the user namespace could not be mapped ({e})"),
                ),
            }
        }
        Identity::RootKept => message(
            b'R',
            (0, 0),
            "own PID, IPC and mount namespaces; root kept: a Python path is not readable by other users",
        ),
        Identity::Shared if refused.is_empty() => message(b'S', (0, 0), "no namespaces"),
        Identity::Shared => message(b'S', (0, 0), refused),
    }
}

struct InitFds {
    status: RawFd,
    child: [RawFd; 4],
}

/// `clone` with `flags` (plus SIGCHLD), done as CPython's `os.fork` does a
/// fork, so the document's process finds the interpreter consistent.
fn clone_init(flags: i32, fds: &InitFds, child: fn(ChildFds) -> !) -> std::io::Result<i32> {
    Python::attach(|_py| {
        // SAFETY: the calls `os.fork` makes around a fork, with the GIL held;
        // the clone child runs no Python until PyOS_AfterFork_Child.
        unsafe {
            pyo3::ffi::PyOS_BeforeFork();
            let pid = libc::syscall(
                libc::SYS_clone,
                (flags | libc::SIGCHLD) as libc::c_ulong,
                0usize,
                0usize,
                0usize,
                0usize,
            );
            if pid == 0 {
                init_main(fds, child)
            }
            let error = std::io::Error::last_os_error();
            pyo3::ffi::PyOS_AfterFork_Parent();
            if pid < 0 { Err(error) } else { Ok(pid as i32) }
        }
    })
}

/// The namespace's init: forks the document's process, passes its exit
/// status on, and exits. Runs no Python.
fn init_main(fds: &InitFds, child: fn(ChildFds) -> !) -> ! {
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    // Mapped and in its cgroup once the template says go.
    let mut go = [0u8; 1];
    // SAFETY: reads one byte from the sync pipe this process holds.
    unsafe { libc::read(fds.child[3], go.as_mut_ptr().cast(), 1) };
    // SAFETY: a plain fork; the child takes over the interpreter below.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: as `os.fork` does in its child.
        unsafe { pyo3::ffi::PyOS_AfterFork_Child() };
        let kept = keep_only(&fds.child);
        // SAFETY: `keep_only` gave each of these its own number.
        let owned = |i: usize| unsafe { OwnedFd::from_raw_fd(kept[i]) };
        child(ChildFds {
            events: owned(0),
            output: owned(1),
            job: owned(2),
            sync: owned(3),
        })
    }
    let status = keep_only(&[fds.status])[0];
    let (code, signal) = if pid < 0 { (None, None) } else { wait_for(pid) };
    let mut words = code.unwrap_or(-1).to_le_bytes().to_vec();
    words.extend_from_slice(&signal.unwrap_or(-1).to_le_bytes());
    // SAFETY: writes to the status pipe this process kept.
    unsafe { libc::write(status, words.as_ptr().cast(), words.len()) };
    unsafe { libc::_exit(0) }
}

/// Keeps `fds` (moved to 3, 4, …, in order) and stdio, and closes every
/// other descriptor: the template's socket, its lease, other processes'
/// pipes are nobody else's.
fn keep_only(fds: &[RawFd]) -> Vec<RawFd> {
    const HIGH: RawFd = 16;
    // SAFETY: dup/close on descriptors of this process; stdio is kept.
    unsafe {
        let high: Vec<RawFd> = fds
            .iter()
            .map(|&fd| libc::fcntl(fd, libc::F_DUPFD, HIGH))
            .collect();
        let mut kept = Vec::with_capacity(fds.len());
        for (i, &fd) in high.iter().enumerate() {
            let target = 3 + i as RawFd;
            libc::dup2(fd, target);
            kept.push(target);
        }
        libc::close_range(3 + fds.len() as u32, u32::MAX, 0);
        kept
    }
}
