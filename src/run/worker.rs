//! The worker process: `snipcheck __worker`, the child side of [`super::pool`].
//!
//! Starting CPython and importing what the harness needs costs far more than
//! running a typical document, so a worker does it once and then *forks* a
//! fresh child per document (a zygote). Each child fences itself in
//! (`super::sandbox`) around its own working directory, runs one document
//! and exits; the worker reports how it ended. A child that crashes takes
//! nothing else with it, and nothing one document did can leak into the next.
//! The next child is forked while one runs, and waits for its job (see
//! [`Ready`]): a job finds its process started and its filter compiled.
//! A job the parent stages (see `Command::Stage`) goes further while the
//! current document runs: its child reads it and fences itself in, then
//! waits for the worker's go.
//!
//! The worker never runs example code, so it is the one that deals with the
//! child: it knows the child's pid from `fork` itself and kills it when the
//! parent asks (`Command::Kill`); the parent never signals a pid it was
//! told. Each child gets channels of its own, made for it and closed
//! everywhere else: a pipe for its events and one for its stdout and stderr,
//! with `/dev/null` as stdin. The worker relays its events to the parent
//! (in batches, see [`RELAY_EVERY`]), each line marked as the child's (see
//! [`super::protocol`]), so a child cannot read the next job, write into the
//! next document's stream, or speak for the worker. A child dies with its worker (`PR_SET_PDEATHSIG`).
//!
//! Command line: `snipcheck __worker [MODULE...]`, the modules to preload.
//! Protocol: one `Command` per line on stdin; one message per line on a
//! private copy of stdout (file descriptor 1 itself is pointed at stderr).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::prelude::*;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::process::{Pid, Signal, WaitOptions};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::identity;
use super::protocol::{FROM_CHILD, FROM_WORKER};
use super::sandbox::{self, Level, Limits};
use super::template::{self, ChildFds, Forked, Template};
use crate::error::Error;

/// One document for a worker to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Job {
    /// The document's fresh working directory: the only writable place.
    pub(crate) workdir: PathBuf,
    /// Extra readable paths (config `[sandbox] read`).
    pub(crate) readable: Vec<PathBuf>,
    pub(crate) memory_mb: u64,
    pub(crate) file_size_mb: u64,
    /// A memory cgroup per document (`[sandbox] memory_cgroup`).
    #[serde(default)]
    pub(crate) memory_cgroup: bool,
    pub(crate) sandbox: bool,
    /// Rehearse before the go (see `rehearse` in `harness.py`): worth it
    /// only where a core would otherwise idle while the document waits.
    #[serde(default)]
    pub(crate) rehearse: bool,
    /// The harness request (see `run::harness_request`).
    pub(crate) request: String,
}

/// What the parent tells a worker, one per line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub(crate) enum Command {
    /// Run a document in a fresh child.
    Run { job: Job },
    /// Give the next document's job to a fresh child, which reads it and
    /// fences itself in while the current one runs, then waits for `Go`:
    /// the next document starts without those milliseconds. It runs no
    /// document code before its `Go`. A later `Stage` replaces it.
    Stage { job: Job },
    /// Run the staged document now, as `Run` would have.
    Go,
    /// End the staged child: its document will not run here.
    Unstage,
    /// Kill the child running now (its time is up, or it misbehaved).
    /// One that arrives after the child ended does nothing.
    Kill,
}

type Sender = Arc<dyn Fn(String) + Send + Sync>;

/// Runs the worker until stdin closes; never returns (exits without
/// finalising Python, so nothing left behind can hold the process open).
pub fn main(preload: &[String]) -> ! {
    // Descriptors inherited past stdio (a build's jobserver pipe, say) are
    // channels no document should share: closed before anything opens.
    // SAFETY: nothing in this process uses a descriptor above 2 yet.
    unsafe { libc::close_range(3, u32::MAX, 0) };
    let mut out = Output::new();
    if let Err(e) = super::warm_up(preload) {
        out.worker(&worker_fatal(&format!(
            "could not warm up: {}",
            unlabelled(&e)
        )));
        exit(3);
    }
    serve(out)
}

/// `snipcheck __zygote [MODULE...]`: warms up as a worker does, then forks
/// a worker for each request on stdin (a Unix socket from the parent, each
/// request carrying the new worker's stdin, stdout and stderr), so that
/// `--jobs N` costs one interpreter start, not N. It never holds a job:
/// what it forks is as clean as a worker just started. Exits once the
/// parent hangs up and every worker it forked has ended.
pub fn zygote(preload: &[String]) -> ! {
    // SAFETY: as in `main`.
    unsafe { libc::close_range(3, u32::MAX, 0) };
    // One that cannot warm up forks nothing: the parent then starts
    // workers, which say why.
    if super::warm_up(preload).is_err() {
        exit(3);
    }
    python_home();
    // SAFETY: fd 0 is the parent's socket, owned by nothing else here.
    let socket = unsafe { OwnedFd::from_raw_fd(0) };
    while let Ok((message, fds)) = template::receive(&socket) {
        // Started before the documents were read, it learns their modules
        // once they are (see pool::Zygote::preload).
        if let Some(names) = message.strip_prefix(PRELOAD) {
            let names: Vec<String> = String::from_utf8_lossy(names)
                .split('\n')
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect();
            if super::preload_modules(&names).is_err() {
                break;
            }
            continue;
        }
        let Ok(stdio) = <[OwnedFd; 3]>::try_from(fds) else {
            break; // the parent hung up, or sent something else
        };
        let reply = match fork_worker(stdio) {
            Ok(pid) => pid.to_le_bytes().to_vec(),
            Err(e) => format!("\0{e}").into_bytes(),
        };
        if template::send(&socket, &reply, &[]).is_err() {
            break;
        }
        while rustix::process::waitpid(None, WaitOptions::NOHANG).is_ok_and(|s| s.is_some()) {}
    }
    while rustix::process::waitpid(None, WaitOptions::empty()).is_ok_and(|s| s.is_some()) {}
    exit(0)
}

/// A zygote's message that names modules to preload, one a line.
pub(crate) const PRELOAD: &[u8] = b"P";

/// Forks a worker with `stdio` as its stdin, stdout and stderr; in the
/// new worker, serves jobs and never returns.
fn fork_worker(stdio: [OwnedFd; 3]) -> std::io::Result<i32> {
    let pid = Python::attach(|py| {
        py.import("os")
            .and_then(|os| os.call_method0("fork")?.extract::<i32>())
    })
    .map_err(|e| std::io::Error::other(e.to_string()))?;
    if pid != 0 {
        return Ok(pid);
    }
    // The new worker dies with the zygote, which outlives it (see pool).
    let _ = rustix::process::set_parent_process_death_signal(Some(Signal::KILL));
    for (fd, target) in stdio.iter().zip(0..) {
        // SAFETY: puts a descriptor this process owns in place of stdio.
        unsafe { libc::dup2(fd.as_raw_fd(), target) };
    }
    drop(stdio);
    // The zygote's socket (fd 0 before) and the received copies are gone:
    // nothing else is open above stdio.
    // SAFETY: nothing in this process uses a descriptor above 2.
    unsafe { libc::close_range(3, u32::MAX, 0) };
    serve(Output::new())
}

/// A warmed-up worker's life: its template, then jobs until stdin closes.
fn serve(mut out: Output) -> ! {
    python_home();
    super::seccomp::compile_ahead(template::DOCUMENT_PID);
    // Forked before the first job: what it forks from never held one.
    let template = match Template::start(child_main) {
        Ok(t) => t,
        Err(e) => {
            out.worker(&worker_fatal(&format!("no template process: {e}")));
            exit(3);
        }
    };
    // SAFETY: fd 0 is the worker's stdin, owned by nothing else here.
    let mut input = BufReader::new(unsafe { File::from_raw_fd(0) });
    let mut next = Next {
        template: &template,
        ready: None,
        staged: None,
    };
    while let Some(command) = read_command(&mut input) {
        match command {
            Ok(Command::Run { job }) => {
                let child = next.child_for(&job, true);
                run_job(child, &mut next, &mut input, &mut out);
            }
            Ok(Command::Go) => match next.go() {
                Some(child) => run_job(child, &mut next, &mut input, &mut out),
                None => out.worker(&worker_fatal("`go` with no document staged")),
            },
            Ok(Command::Stage { job }) => next.stage(job),
            Ok(Command::Unstage) => next.unstage(),
            Ok(Command::Kill) => {}
            Err(e) => out.worker(&worker_fatal(&format!("bad command: {e}"))),
        }
    }
    next.end_all();
    // The template reaps what it forked, then ends; it is reaped here.
    drop(template);
    while rustix::process::waitpid(None, WaitOptions::empty()).is_ok_and(|s| s.is_some()) {}
    exit(0)
}

/// The next command; `None` when the parent is gone.
fn read_command(input: &mut impl BufRead) -> Option<Result<Command, serde_json::Error>> {
    let mut line = String::new();
    match input.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(serde_json::from_str(&line)),
    }
}

/// The worker's stream to the parent: its own lines and the child's, each
/// marked with where it came from.
struct Output {
    /// `None` in a child, which must not hold it.
    file: Option<File>,
    at_line_start: bool,
    /// The last bytes relayed from the running child (see [`Output::child_ended`]).
    child_tail: Vec<u8>,
}

impl Output {
    /// The worker's stream, on a private copy of stdout.
    fn new() -> Output {
        Output {
            file: Some(protocol_channel()),
            at_line_start: true,
            child_tail: Vec::new(),
        }
    }

    /// A line of the worker's own, on a line of its own.
    fn worker(&mut self, json: &str) {
        let mut line = Vec::with_capacity(json.len() + 4);
        if !self.at_line_start {
            line.push(b'\n');
        }
        line.extend_from_slice(FROM_WORKER);
        line.extend_from_slice(json.as_bytes());
        line.push(b'\n');
        self.write(&line);
        self.at_line_start = true;
    }

    /// Bytes from the child's event pipe, relayed as they come, each line
    /// started with the child's mark.
    fn child(&mut self, mut bytes: &[u8]) {
        // One write for the whole chunk: a syscall per line adds up.
        let mut marked = Vec::with_capacity(bytes.len() + 16);
        while !bytes.is_empty() {
            if self.at_line_start {
                marked.extend_from_slice(FROM_CHILD);
            }
            let end = bytes
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| i + 1);
            marked.extend_from_slice(&bytes[..end]);
            self.at_line_start = bytes[end - 1] == b'\n';
            bytes = &bytes[end..];
        }
        self.write(&marked);
        self.child_tail.extend_from_slice(&marked);
        let excess = self.child_tail.len().saturating_sub(END_EVENT.len());
        self.child_tail.drain(..excess);
    }

    /// Whether the child's last line was the harness's `end`: the document
    /// ran to its end, so how the process exits changes nothing (the parent
    /// reads `end` the same way). A child can forge it, as it can exit 0.
    fn child_ended(&self) -> bool {
        self.child_tail == END_EVENT
    }

    fn write(&mut self, bytes: &[u8]) {
        if let Some(file) = &mut self.file {
            let _ = file.write_all(bytes);
        }
    }
}

/// The harness's last event, as the worker relays it.
const END_EVENT: &[u8] = b"{\"event\": \"end\"}\n";

/// A document's process forked ahead of its job, waiting for it.
///
/// Forking (namespaces, an init, the process itself) and what the process
/// does before it needs its job take a few milliseconds, in wake-ups across
/// four processes. The worker forks the next child while one runs, so that
/// the next job finds its process ready. It comes from the clean template
/// like any other and holds nothing until its job arrives.
struct Ready {
    /// How it was forked: a job forked otherwise does not take it.
    key: ForkKey,
    forked: Forked,
    events: OwnedFd,
    output: OwnedFd,
    /// The write end of the pipe the child reads its job (and its go) from.
    job: File,
}

/// The fork flags and memory cap (MB) of a job (see [`fork_flags`]).
type ForkKey = (u8, u32);

/// What tells a staged child to run its document (see [`Command::Stage`]).
const GO: u8 = b'G';

impl Ready {
    fn fork(template: &Template, key: ForkKey) -> std::io::Result<Ready> {
        let pipe = || rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC);
        let ((events, events_w), (output, output_w)) = (pipe()?, pipe()?);
        let (job_r, job) = pipe()?;
        let forked = template.fork(
            key.0,
            key.1,
            [events_w.as_fd(), output_w.as_fd(), job_r.as_fd()],
        )?;
        Ok(Ready {
            key,
            forked,
            events,
            output,
            job: File::from(job),
        })
    }

    /// Gives the child its job (its length first), and its go with it when
    /// `go`; `None` if it is gone (it is then ended).
    fn hand(mut self, job: &Job, template: &Template, go: bool) -> Option<Handed> {
        // In one write: serde_json writes every token and escape apart.
        let written = serde_json::to_vec(job)
            .map_err(std::io::Error::from)
            .and_then(|json| {
                let mut bytes = Vec::with_capacity(json.len() + 9);
                bytes.extend_from_slice(&(json.len() as u64).to_le_bytes());
                bytes.extend_from_slice(&json);
                bytes.extend(go.then_some(GO));
                self.job.write_all(&bytes)
            });
        match written {
            Ok(()) => Some(Handed {
                key: self.key,
                forked: self.forked,
                events: self.events,
                output: self.output,
                go: (!go).then_some(self.job),
            }),
            Err(_) => {
                end(&self.forked, template);
                None
            }
        }
    }
}

/// A child that has its job: running, or staged and waiting for its go.
struct Handed {
    key: ForkKey,
    forked: Forked,
    events: OwnedFd,
    output: OwnedFd,
    /// Where its go is written, while it waits for one.
    go: Option<File>,
}

impl Handed {
    /// Tells a staged child to run; `None` if it is gone (it is then ended).
    fn go(mut self, template: &Template) -> Option<Handed> {
        let told = match self.go.take() {
            Some(mut pipe) => pipe.write_all(&[GO]).is_ok(),
            None => true,
        };
        if !told {
            end(&self.forked, template);
        }
        told.then_some(self)
    }
}

/// The worker's next children: one forked ahead with no job yet, and one
/// staged with the next document's job.
struct Next<'t> {
    template: &'t Template,
    ready: Option<Ready>,
    staged: Option<Staged>,
}

/// The next document's job, as far as it got (see [`Command::Stage`]).
enum Staged {
    /// Not handed yet: a child takes it on the worker's next quiet tick,
    /// not at once, when the document just started wants the core.
    Job(Job),
    /// Handed to a child, fencing itself in or waiting for its go; `None`
    /// when there was none to be had (`Go` then forks one, as `Run` does).
    Handed(Job, Option<Handed>),
}

impl Next<'_> {
    /// A child with `job` (the one forked ahead, if it fits), told to go
    /// at once or not.
    fn child_for(&mut self, job: &Job, go: bool) -> std::io::Result<Handed> {
        let template = self.template;
        let key = (fork_flags(job), memory_cap_mb(job));
        let waiting = self.ready.take().and_then(|r| match r.key == key {
            true => r.hand(job, template, go),
            false => {
                end(&r.forked, template);
                None
            }
        });
        match waiting {
            Some(child) => Ok(child),
            None => Ready::fork(template, key).and_then(|r| {
                r.hand(job, template, go)
                    .ok_or_else(|| std::io::Error::other("the child ended before its job"))
            }),
        }
    }

    /// Stages `job`, replacing any staged before.
    fn stage(&mut self, job: Job) {
        self.unstage();
        self.staged = Some(Staged::Job(job));
    }

    fn unstage(&mut self) {
        if let Some(Staged::Handed(_, Some(child))) = self.staged.take() {
            end(&child.forked, self.template);
        }
    }

    /// The staged document's child, told to go; a fresh one with its job
    /// if it has none or it is gone (it ran nothing yet). `None` with
    /// nothing staged.
    fn go(&mut self) -> Option<std::io::Result<Handed>> {
        let (job, child) = match self.staged.take()? {
            Staged::Job(job) => (job, None),
            Staged::Handed(job, child) => (job, child),
        };
        match child.and_then(|c| c.go(self.template)) {
            Some(child) => Some(Ok(child)),
            None => Some(self.child_for(&job, true)),
        }
    }

    /// One step ahead on a quiet tick: the staged job handed to its child,
    /// else the next child forked, unless one waits already. Returns
    /// whether a step is left for the next tick.
    fn ahead(&mut self, key: ForkKey) -> bool {
        match self.staged.take() {
            Some(Staged::Job(job)) => {
                let child = self.child_for(&job, false).ok();
                self.staged = Some(Staged::Handed(job, child));
                self.ready.is_none()
            }
            staged => {
                self.staged = staged;
                if self.ready.is_none() {
                    self.ready = Ready::fork(self.template, key).ok();
                }
                false
            }
        }
    }

    fn end_all(&mut self) {
        self.unstage();
        if let Some(ready) = self.ready.take() {
            end(&ready.forked, self.template);
        }
    }
}

/// Kills a forked child that will not run (or no longer runs) a job.
fn end(forked: &Forked, template: &Template) {
    match &forked.pidfd {
        Some(fd) => drop(rustix::process::pidfd_send_signal(fd, Signal::KILL)),
        None => {
            if let Some(pid) = Pid::from_raw(forked.pid) {
                let _ = rustix::process::kill_process(pid, Signal::KILL);
            }
        }
    }
    template.release(forked.pid);
}

/// The worker's word that its child ended: its exit code or the signal
/// that ended it, neither when it was let go after its `end`.
fn exit_event(code: Option<i32>, signal: Option<i32>) -> String {
    json!({"event": "exit", "code": code, "signal": signal}).to_string()
}

/// What the worker does for the parent while a child runs.
enum Between {
    /// A tick passed with nothing to relay: a step ahead (see
    /// [`Next::ahead`]); `true` if one is left.
    Idle,
    /// The parent staged the next document.
    Stage(Job),
}

/// Has `child` run its job, relays what it says, kills it when asked, and
/// reports how it ended; forks the next one ahead meanwhile, and stages
/// what the parent sends.
fn run_job(
    child: std::io::Result<Handed>,
    next: &mut Next<'_>,
    input: &mut BufReader<File>,
    out: &mut Output,
) {
    out.child_tail.clear();
    let child = match child {
        Ok(child) => child,
        Err(e) => return out.worker(&worker_fatal(&format!("fork failed: {e}"))),
    };
    let key = child.key;
    let template = next.template;
    // The next one starts while this one runs, once it is under way (not
    // at its start, where both would want the same core), or when it ends.
    let mut between = |what: Between| match what {
        Between::Idle => next.ahead(key),
        Between::Stage(job) => {
            next.stage(job);
            true
        }
    };
    let Handed {
        forked,
        events,
        output,
        ..
    } = child;
    // Unknown when the child said its `end` and was let go.
    if let Some((code, signal)) =
        supervise(&forked, template, events, output, input, out, &mut between)
    {
        out.worker(&exit_event(code, signal));
    }
    // A staged child that has its job goes next: forking now would only
    // slow its start. Otherwise the next child is made ready now.
    if !matches!(next.staged, Some(Staged::Handed(..))) {
        let _ = next.ahead(key);
    }
}

/// What a document's process may hold in memory in all: its address
/// space, its tmpfs working directory, and room for the kernel's share.
fn memory_cap_mb(job: &Job) -> u32 {
    let workdir_mb = sandbox::workdir_budget(job.file_size_mb) >> 20;
    u32::try_from(job.memory_mb + workdir_mb + 256).unwrap_or(u32::MAX)
}

/// How the template is to fork for `job`: without the sandbox, a plain
/// fork; as root, with root kept when the leased uid could not read the
/// Python files the document needs.
fn fork_flags(job: &Job) -> u8 {
    if !job.sandbox {
        return template::PLAIN;
    }
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let readable = python_home().world_readable && job.readable.iter().all(|p| world_readable(p));
    let keep_root = if root && !readable {
        template::KEEP_ROOT
    } else {
        0
    };
    let cgroup = if job.memory_cgroup {
        template::MEMORY_CGROUP
    } else {
        0
    };
    keep_root | cgroup
}

/// In the child: its own channels in place of the template's, its
/// identity as the template told it, then the job.
fn child_main(fds: ChildFds) -> ! {
    // Die with the namespace's init; if it is already gone, do not start.
    let parent = rustix::process::getppid();
    let orphan = rustix::process::set_parent_process_death_signal(Some(Signal::KILL)).is_err()
        || rustix::process::getppid() != parent
        || parent.is_none();
    let ChildFds {
        events: events_w,
        output: output_w,
        job,
        sync,
    } = fds;
    let events_fd = events_w.as_raw_fd();
    let plumbed = File::open("/dev/null").and_then(|null| {
        rustix::stdio::dup2_stdin(&null)
            .and_then(|()| rustix::stdio::dup2_stdout(&output_w))
            .and_then(|()| rustix::stdio::dup2_stderr(&output_w))
            .map_err(std::io::Error::from)
    });
    drop(output_w);
    let told = read_all(sync);
    let seccomp = super::seccomp::prepare();
    let prepared = super::prepare_child();
    let mut go = File::from(job);
    let job = read_job(&mut go);
    if orphan || plumbed.is_err() {
        exit(3);
    }
    let events = Mutex::new(File::from(events_w));
    let send: Sender = Arc::new(move |line: String| {
        let mut events = events.lock().unwrap_or_else(|e| e.into_inner());
        // One write per event: atomic on a pipe for all but huge events.
        let _ = events.write_all(format!("{line}\n").as_bytes());
    });
    let code = match prepared.and_then(|()| {
        serde_json::from_slice::<Job>(&job)
            .map_err(|e| Error::Worker(format!("unreadable job: {e}")))
    }) {
        Ok(job) => match run_child(&job, &told, &seccomp, &send, go) {
            Ok(()) => 0,
            Err(e) => {
                send(child_fatal(&e));
                3
            }
        },
        Err(e) => {
            send(child_fatal(&e));
            3
        }
    };
    hang_up(events_fd);
    exit(code)
}

/// The job on the child's job pipe: its length (8 bytes, little-endian),
/// then its JSON. What is short of that fails to parse.
fn read_job(pipe: &mut File) -> Vec<u8> {
    let mut length = [0u8; 8];
    if pipe.read_exact(&mut length).is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    let _ = pipe
        .take(u64::from_le_bytes(length))
        .read_to_end(&mut bytes);
    bytes
}

/// Whether the worker said go (see [`Command::Stage`]); `false` when it
/// ended the child's wait instead. The pipe is closed either way.
fn told_to_go(mut pipe: File) -> bool {
    let mut byte = [0u8];
    loop {
        match pipe.read(&mut byte) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Ok(1) => return byte[0] == GO,
            _ => return false,
        }
    }
}

/// Everything in pipe `fd`, until its end.
fn read_all(fd: OwnedFd) -> Vec<u8> {
    let mut file = File::from(fd);
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    bytes
}

/// Closes the child's channels before it exits, so that the worker hears
/// their end now rather than after the kernel has torn the process down
/// (most of two milliseconds a document, see [`supervise`]). Each is
/// pointed at `/dev/null` (fd 0) rather than closed: a thread still writing
/// cannot hit a file opened meanwhile under the same number.
fn hang_up(events: RawFd) {
    for fd in [events, 1, 2] {
        // SAFETY: replaces a descriptor this process owns; nothing reads it after.
        unsafe { libc::dup2(0, fd) };
    }
}

/// How often a running child's events are relayed to the parent.
///
/// Not as they come: a reader blocked on the pipe would be woken by every
/// event, and the child pays for each wake-up (a futex and an IPI, tens of
/// microseconds, more than a small example takes). Batched, a child's
/// writes find no one waiting. The parent's clock allows a second's grace,
/// so a start told 10 ms late changes nothing; how the child ended is told
/// as soon as it has (its pidfd wakes the worker).
const RELAY_EVERY: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 10_000_000,
};

/// The tick while a step ahead is left (see [`Next::ahead`]): the next
/// document's process is made ready early in this one's run, when this
/// one is under way, so that a short document's successor is ready too.
const AHEAD_EVERY: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 1_000_000,
};

/// The worker's side of one child: relays its events and output until it
/// has ended and its pipes are drained, killing it on the parent's word.
/// Returns its exit code or the signal that ended it; `None` when it closed
/// its channels after its `end`: its exit is told then, and it is killed,
/// not waited for, so the next document starts while the kernel tears it
/// down. `between` is told each time a tick passes with nothing to relay,
/// and of each `Stage`.
fn supervise(
    forked: &Forked,
    template: &Template,
    events: OwnedFd,
    output: OwnedFd,
    input: &mut BufReader<File>,
    out: &mut Output,
    between: &mut dyn FnMut(Between) -> bool,
) -> Option<(Option<i32>, Option<i32>)> {
    // A pidfd says when the child ends even if its pipes stay open.
    let pidfd = &forked.pidfd;
    let pid = Pid::from_raw(forked.pid).expect("the template forked a process");
    let wait = || template.status(forked.pid);
    let kill = |pidfd: &Option<OwnedFd>| match pidfd {
        Some(fd) => rustix::process::pidfd_send_signal(fd, Signal::KILL),
        // Not reaped until the template is asked to: the pid cannot be reused.
        None => rustix::process::kill_process(pid, Signal::KILL),
    };
    // Read without waiting: the events are relayed in batches (see RELAY_EVERY).
    let batched = rustix::fs::fcntl_setfl(&events, rustix::fs::OFlags::NONBLOCK).is_ok();
    let mut events = Some(File::from(events));
    let mut output = Some(File::from(output));
    let mut parent_here = true;
    let mut status = None;
    let mut buf = vec![0u8; 1 << 16];
    // A child sending a lot (a huge outcome) is read as it comes, not per tick.
    let mut streaming = false;
    // A step ahead is left (see `Next::ahead`): the next tick comes sooner.
    let mut ahead = true;
    loop {
        if batched {
            streaming = relay_all(&mut events, &mut buf, out) >= buf.len();
        }
        let silent = events.is_none() && output.is_none();
        if status.is_none() && silent && out.child_ended() {
            // Said first: the next document starts while this one goes.
            out.worker(&exit_event(None, None));
            let _ = kill(pidfd);
            template.release(forked.pid);
            return None;
        }
        if status.is_none() && pidfd.is_none() && silent {
            status = wait();
        }
        if status.is_some() && events.is_none() && output.is_none() {
            break;
        }
        if parent_here && !input.buffer().is_empty() {
            parent_here = obey(input, || kill(pidfd), between);
            ahead = true;
            continue;
        }
        let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(4);
        let slots = [
            events
                .as_ref()
                .filter(|_| !batched || streaming)
                .map(|f| PollFd::new(f, PollFlags::IN)),
            output.as_ref().map(|f| PollFd::new(f, PollFlags::IN)),
            pidfd
                .as_ref()
                .filter(|_| status.is_none())
                .map(|fd| PollFd::new(fd, PollFlags::IN)),
            parent_here.then(|| PollFd::new(input.get_ref(), PollFlags::IN)),
        ];
        let present: Vec<usize> = (0..slots.len()).filter(|&i| slots[i].is_some()).collect();
        fds.extend(slots.into_iter().flatten());
        // Once the child has ended, only what is already in the pipes counts.
        let timeout = match (&status, &events) {
            (Some(_), _) => Some(Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            }),
            (None, Some(_)) if ahead => Some(AHEAD_EVERY),
            (None, Some(_)) => Some(RELAY_EVERY),
            (None, None) => None,
        };
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(0) if status.is_some() => {
                if batched {
                    relay_all(&mut events, &mut buf, out);
                }
                events = None;
                output = None;
                continue;
            }
            Ok(0) => {
                ahead = between(Between::Idle);
                continue;
            }
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => break,
        }
        let ready: Vec<usize> = present
            .iter()
            .zip(&fds)
            .filter(|(_, fd)| !fd.revents().is_empty())
            .map(|(&i, _)| i)
            .collect();
        drop(fds);
        for i in ready {
            match i {
                0 if batched => {}
                0 => relay(&mut events, &mut buf, |bytes| out.child(bytes)),
                1 => relay(&mut output, &mut buf, |bytes| {
                    let _ = std::io::stderr().write_all(bytes);
                }),
                2 => status = wait(),
                _ => {
                    parent_here = obey(input, || kill(pidfd), between);
                    ahead = true;
                }
            }
        }
    }
    let status = status.or_else(|| {
        let _ = kill(pidfd);
        wait()
    });
    Some(status.unwrap_or((None, None)))
}

/// Relays all there is in non-blocking `pipe`, in one write; closes it at
/// end of file. Returns how many bytes it relayed.
fn relay_all(pipe: &mut Option<File>, buf: &mut [u8], out: &mut Output) -> usize {
    let mut batch = Vec::new();
    while let Some(file) = pipe {
        match file.read(buf) {
            Ok(0) => *pipe = None,
            Ok(n) => batch.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(_) => *pipe = None,
        }
        // Enough for one write: the rest waits for the next round.
        if batch.len() >= buf.len() {
            break;
        }
    }
    if !batch.is_empty() {
        out.child(&batch);
    }
    batch.len()
}

/// Reads what is there from `pipe` into `sink`; closes it at end of file.
fn relay(pipe: &mut Option<File>, buf: &mut [u8], mut sink: impl FnMut(&[u8])) {
    let Some(file) = pipe else { return };
    match file.read(buf) {
        Ok(0) | Err(_) => *pipe = None,
        Ok(n) => sink(&buf[..n]),
    }
}

/// Follows one command from the parent while a child runs; `false` when
/// the parent is gone (the child is killed then too).
fn obey(
    input: &mut BufReader<File>,
    kill: impl Fn() -> rustix::io::Result<()>,
    between: &mut dyn FnMut(Between) -> bool,
) -> bool {
    match read_command(input) {
        Some(Ok(Command::Kill)) => {
            let _ = kill();
            true
        }
        Some(Ok(Command::Stage { job })) => {
            between(Between::Stage(job));
            true
        }
        None => {
            let _ = kill();
            false
        }
        // Nothing else is sent while a child runs.
        Some(_) => true,
    }
}

/// Fences the child in and loads its document, waits for its go (at
/// once unless staged), then runs it.
fn run_child(
    job: &Job,
    told: &[u8],
    seccomp: &Seccomp,
    send: &Sender,
    go: File,
) -> Result<(), Error> {
    let (status, detail) = if job.sandbox {
        fence(job, told, seccomp)
    } else {
        sandbox::apply_limits(&limits(job));
        (
            Level::Disabled,
            "sandbox disabled (--no-sandbox)".to_string(),
        )
    };
    let events = Arc::clone(send);
    let loaded = super::load_request(job, move |line| events(line));
    if !told_to_go(go) {
        return Ok(());
    }
    send(json!({"event": "sandbox", "status": status, "detail": detail}).to_string());
    loaded?.run()
}

fn limits(job: &Job) -> Limits {
    Limits {
        memory_mb: job.memory_mb,
        file_size_mb: job.file_size_mb,
        ..Limits::default()
    }
}

/// Every layer, in order: the identity the template gave (ids, a tmpfs
/// working directory), limits, Landlock, capabilities gone, seccomp last
/// (so that setting up needed nothing it refuses). Returns the level in
/// force and what each layer said.
fn fence(job: &Job, told: &[u8], seccomp: &Seccomp) -> (Level, String) {
    let Told {
        kind,
        uid,
        gid,
        note,
    } = Told::read(told);
    let mut notes = vec![note];
    let own = kind == b'N' && step(&mut notes, identity::become_mapped(uid, gid));
    let budget = sandbox::workdir_budget(job.file_size_mb);
    let tmpfs = kind != b'S' && step(&mut notes, identity::mount_workdir(&job.workdir, budget));
    let sealed = tmpfs && step(&mut notes, identity::seal_mounts(&job.workdir));
    sandbox::apply_limits(&limits(job));
    let python = python_home();
    let readable: Vec<PathBuf> = python.paths.iter().chain(&job.readable).cloned().collect();
    let (landlock, detail) = sandbox::restrict(&job.workdir, &readable);
    notes.push(detail);
    if kind == b'S' && python.world_readable {
        if let Some(note) = sandbox::drop_root(&job.workdir) {
            notes.push(note);
        }
    }
    // Root kept keeps uid 0 (to read root's files), never its capabilities.
    let caps = (own || kind == b'R') && step(&mut notes, identity::drop_capabilities());
    // Never silent: a process still uid 0 is not a full sandbox.
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if root && kind != b'R' {
        notes.push("root kept".to_string());
    }
    let seccomp = install_seccomp(seccomp);
    notes.push(seccomp.clone().unwrap_or_else(|e| e));
    if !tmpfs {
        notes.push("working directory measured, not capped by the kernel".to_string());
    }
    let identity = own && caps && tmpfs && sealed && !root;
    let level = match (landlock, seccomp.is_ok(), identity) {
        (Level::Full, true, true) => Level::Full,
        (Level::Unavailable, false, _) => Level::Unavailable,
        _ => Level::Partial,
    };
    (level, notes.join("; "))
}

/// What the template told the child of its identity (see `template::tell`).
struct Told {
    kind: u8,
    uid: u32,
    gid: u32,
    note: String,
}

impl Told {
    fn read(bytes: &[u8]) -> Told {
        let word = |i: usize| {
            bytes
                .get(i..i + 4)
                .map_or(0, |w| u32::from_le_bytes(w.try_into().expect("four bytes")))
        };
        match bytes.first() {
            Some(&kind) if bytes.len() >= 9 => Told {
                kind,
                uid: word(1),
                gid: word(5),
                note: String::from_utf8_lossy(&bytes[9..]).into_owned(),
            },
            _ => Told {
                kind: b'S',
                uid: 0,
                gid: 0,
                note: "no identity was given".to_string(),
            },
        }
    }
}

/// Records a setup step's failure in `notes`; whether it succeeded.
fn step(notes: &mut Vec<String>, result: Result<(), String>) -> bool {
    result.map_err(|e| notes.push(e)).is_ok()
}

/// The seccomp filter, compiled (or why not) before the job arrives.
type Seccomp = Result<super::seccomp::Filters, String>;

fn install_seccomp(filters: &Seccomp) -> Result<String, String> {
    let filters = filters.as_ref().map_err(Clone::clone)?;
    filters.install().map(str::to_string)
}

/// The worker's own `fatal`: it could not run a child at all.
fn worker_fatal(message: &str) -> String {
    json!({"event": "fatal", "message": message}).to_string()
}

/// The child's `fatal`: it could not run the document.
fn child_fatal(e: &Error) -> String {
    let config = matches!(e, Error::Config(_));
    json!({"event": "fatal", "config": config, "message": unlabelled(e)}).to_string()
}

/// An error's text for the parent, which labels it again (see `pool`).
fn unlabelled(e: &Error) -> String {
    match e {
        Error::Worker(m) | Error::Harness(m) | Error::Protocol(m) | Error::Config(m) => m.clone(),
        other => other.to_string(),
    }
}

fn exit(code: i32) -> ! {
    // SAFETY: ends the process at once, which is the point.
    unsafe { libc::_exit(code) }
}

/// Where the interpreter's files are, found once in the worker: asking
/// Python in each child costs most of a millisecond.
struct PythonHome {
    paths: Vec<PathBuf>,
    /// Could `nobody` read them all (so dropping root leaves Python working)?
    world_readable: bool,
}

static PYTHON_HOME: OnceLock<PythonHome> = OnceLock::new();

fn python_home() -> &'static PythonHome {
    PYTHON_HOME.get_or_init(|| {
        let paths = super::python_paths();
        let world_readable = paths.iter().all(|p| world_readable(p));
        PythonHome {
            paths,
            world_readable,
        }
    })
}

/// Could `nobody` read this path (every ancestor searchable by others)?
/// Judged on the absolute path: a relative one has no ancestors to see.
fn world_readable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    path.ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .all(|p| match std::fs::metadata(p) {
            Ok(m) => m.permissions().mode() & 0o005 == 0o005,
            Err(_) => true,
        })
}

/// A private duplicate of stdout for the parent; fd 1 becomes a copy of
/// stderr, so that nothing printed from C can corrupt the stream.
fn protocol_channel() -> File {
    let channel = rustix::io::fcntl_dupfd_cloexec(std::io::stdout(), 3)
        .expect("the worker's stdout can be duplicated");
    let _ = rustix::stdio::dup2_stdout(std::io::stderr());
    File::from(channel)
}
