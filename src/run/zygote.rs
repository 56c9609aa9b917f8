//! The parent's side of `snipcheck __zygote` (see [`super::worker::zygote`]):
//! one warmed-up interpreter that forks the workers of a run, so that
//! `--jobs N` starts CPython once, not N times.
//!
//! A forked worker is what a started one is: it forks its own clean
//! template before it reads a job, and its zygote never holds one. It dies
//! with its zygote, so the zygote outlives every worker it forked: each
//! holds it ([`Forked::zygote`]), and it is stopped when the last goes.

use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread::JoinHandle;

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::process::{Pid, PidfdFlags};

use super::template;
use super::worker::PRELOAD;

/// How long a process told to stop (its stdin closed) may take to end
/// before it is killed.
pub(crate) const STOP_WAIT: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 100_000_000,
};

/// A worker the zygote forked: its stdio, and a handle on it.
pub(crate) struct Forked {
    pub(crate) stdin: File,
    pub(crate) stdout: File,
    pub(crate) stderr: File,
    pub(crate) pidfd: OwnedFd,
    /// Kept alive while the worker is.
    pub(crate) zygote: Arc<Zygote>,
}

/// A running `snipcheck __zygote`.
pub(crate) struct Zygote {
    /// Fork requests and replies, one at a time.
    socket: Mutex<Option<OwnedFd>>,
    /// Tells the keeper how to end the process: dropped, stop it (see
    /// [`stop_child`]); sent `true`, kill it at once (it forked nothing).
    stop: Option<mpsc::Sender<bool>>,
    keeper: Option<JoinHandle<()>>,
    forked: AtomicBool,
}

impl Zygote {
    /// Starts `command` (a `snipcheck __zygote`, with its environment) on
    /// a thread of its own that lives as long as the zygote: a process
    /// that dies with its parent dies with the thread that started it.
    pub(crate) fn start(mut command: Command) -> std::io::Result<Zygote> {
        let (ours, theirs) = rustix::net::socketpair(
            rustix::net::AddressFamily::UNIX,
            rustix::net::SocketType::SEQPACKET,
            rustix::net::SocketFlags::CLOEXEC,
            None,
        )?;
        command
            .stdin(Stdio::from(theirs))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let (started, spawned) = mpsc::channel();
        let (stop, stopped) = mpsc::channel::<bool>();
        let keeper = std::thread::spawn(move || {
            let child = command.spawn();
            let ok = child.is_ok();
            let _ = started.send(child.as_ref().map(|_| ()).map_err(|e| e.kind()));
            if let (true, Ok(mut child)) = (ok, child) {
                if stopped.recv() == Ok(true) {
                    let _ = child.kill();
                }
                stop_child(&mut child);
            }
        });
        spawned
            .recv()
            .unwrap_or(Err(std::io::ErrorKind::Other))
            .map_err(std::io::Error::from)?;
        Ok(Zygote {
            socket: Mutex::new(Some(ours)),
            stop: Some(stop),
            keeper: Some(keeper),
            forked: AtomicBool::new(false),
        })
    }

    /// Has the zygote import `modules` before it forks (one started before
    /// the documents were read learns them so).
    pub(crate) fn preload(&self, modules: &[String]) {
        let socket = self.socket.lock().unwrap_or_else(|e| e.into_inner());
        let Some(socket) = socket.as_ref() else {
            return;
        };
        // Messages the zygote reads whole (see template::receive).
        let mut message = PRELOAD.to_vec();
        for name in modules {
            if message.len() + name.len() + 1 > 500 {
                let _ = template::send(socket, &message, &[]);
                message.truncate(PRELOAD.len());
            }
            message.extend_from_slice(name.as_bytes());
            message.push(b'\n');
        }
        if message.len() > PRELOAD.len() {
            let _ = template::send(socket, &message, &[]);
        }
    }

    /// Has the zygote fork a worker; an error once it is gone (it could not
    /// warm up, say).
    pub(crate) fn fork(self: &Arc<Self>) -> std::io::Result<Forked> {
        self.forked.store(true, Ordering::Relaxed);
        let pipe = || rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC);
        let (stdin_r, stdin_w) = pipe()?;
        let (stdout_r, stdout_w) = pipe()?;
        let (stderr_r, stderr_w) = pipe()?;
        let socket = self.socket.lock().unwrap_or_else(|e| e.into_inner());
        let socket = socket
            .as_ref()
            .ok_or_else(|| std::io::Error::other("the zygote was stopped"))?;
        let theirs = [stdin_r.as_fd(), stdout_w.as_fd(), stderr_w.as_fd()];
        template::send(socket, b"F", &theirs)?;
        let (reply, _) = template::receive(socket)?;
        let pid = match <[u8; 4]>::try_from(reply.as_slice()) {
            Ok(word) => i32::from_le_bytes(word),
            Err(_) if reply.is_empty() => return Err(std::io::Error::other("the zygote is gone")),
            Err(_) => {
                let why = String::from_utf8_lossy(&reply[1..]).into_owned();
                return Err(std::io::Error::other(why));
            }
        };
        // Not reaped before the zygote's next request, which waits for this lock.
        let pid = Pid::from_raw(pid).ok_or_else(|| std::io::Error::other("no pid"))?;
        let pidfd = rustix::process::pidfd_open(pid, PidfdFlags::empty())?;
        Ok(Forked {
            stdin: File::from(stdin_w),
            stdout: File::from(stdout_r),
            stderr: File::from(stderr_r),
            pidfd,
            zygote: Arc::clone(self),
        })
    }
}

impl Drop for Zygote {
    /// Hung up on, the zygote waits for the workers it forked (all gone
    /// by now: each held it) and exits.
    fn drop(&mut self) {
        drop(self.socket.lock().unwrap_or_else(|e| e.into_inner()).take());
        // One that forked nothing has nothing to reap: no need to wait.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(!self.forked.load(Ordering::Relaxed));
        }
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
        }
    }
}

/// The zygote of one pool's workers in a run, started when a worker is
/// first needed; none when the run has one runner (a fork would only add
/// to one start).
#[derive(Clone, Default)]
pub(crate) struct Zygotes(Option<Arc<OnceLock<Option<Arc<Zygote>>>>>);

impl Zygotes {
    pub(crate) fn lazy() -> Zygotes {
        Zygotes(Some(Arc::default()))
    }

    /// One already started (see [`crate::schedule::Early`]).
    pub(crate) fn started(zygote: Zygote) -> Zygotes {
        Zygotes(Some(Arc::new(OnceLock::from(Some(Arc::new(zygote))))))
    }

    /// The zygote, started by `start` on first use; `None` without one.
    pub(crate) fn get(&self, start: impl FnOnce() -> Option<Zygote>) -> Option<Arc<Zygote>> {
        let cell = self.0.as_ref()?;
        cell.get_or_init(|| start().map(Arc::new)).clone()
    }
}

/// Whether the process of `pidfd` ended within `timeout`.
pub(crate) fn ended_within(pidfd: &OwnedFd, timeout: &Timespec) -> bool {
    let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
    matches!(rustix::event::poll(&mut fds, Some(timeout)), Ok(n) if n > 0)
}

/// Stops a process this one started and told to stop (its stdin closed):
/// waits [`STOP_WAIT`] for it to end, kills it if it did not, reaps it.
pub(crate) fn stop_child(child: &mut Child) {
    let pidfd = Pid::from_raw(child.id() as i32)
        .and_then(|pid| rustix::process::pidfd_open(pid, PidfdFlags::empty()).ok());
    if let Some(pidfd) = &pidfd {
        ended_within(pidfd, &STOP_WAIT);
    }
    if !matches!(child.try_wait(), Ok(Some(_))) {
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// The command that starts a worker or a zygote (`verb`): the sandbox's
/// scrubbed environment, the hash seed, and death with the thread that
/// starts it.
pub(crate) fn command(
    program: &Path,
    verb: &str,
    sandbox: bool,
    preload: &[String],
    hash_seed: Option<u32>,
) -> Command {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(program);
    command.arg(verb).args(preload);
    if sandbox {
        command
            .env_clear()
            .envs(super::sandbox::scrubbed_env(&std::env::temp_dir()));
    }
    // SAFETY: only an async-signal-safe prctl between fork and exec.
    unsafe {
        command.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                .map_err(std::io::Error::from)
        })
    };
    if let Some(seed) = hash_seed {
        command.env("PYTHONHASHSEED", seed.to_string());
    }
    command
}
