//! The parent side: `jobs` worker processes, one document at a time each.
//!
//! A worker forks a sandboxed child per document and streams its
//! [`Event`]s; the parent keeps the clock. When a child dies (a signal,
//! `os._exit`, an abort in C) or an example outlives its time limit even
//! after the watchdog's exceptions (stuck in a C call, so the parent kills
//! it), the parent records that example as `crash` or `timeout` and has the
//! worker fork a fresh child that replays the examples before it (to rebuild
//! the namespace) and carries on after it, as long as the document's replays
//! take no longer than its first-hand run (see [`Replays`]).
//!
//! The job a runner will run next is staged as soon as the runner has it
//! (see `Command::Stage` in [`super::worker`]): its process fences itself in and loads
//! while the current document runs, and is told to go the moment that one
//! ended with its `end`. A replay is sent as a `Run` and goes first; the
//! staged job waits.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rustix::event::Timespec;

use super::budget::{self, Replays};
use super::protocol::{self, Line, LineReader, Message, Received, WorkerEvent};
use super::sandbox::{self, Level};
use super::workdir::Workdir;
use super::worker::{Command as WorkerCommand, Job};
use super::zygote;
pub(crate) use super::zygote::{Zygote, Zygotes};
use super::{Collector, Event, Resume};
use crate::config::Config;
use crate::error::Error;
use crate::markdown::Document;
use crate::run::outcome::{DocumentOutcome, Interruption, InterruptionKind};

/// Extra time a stuck example gets after its limit before it is killed.
const GRACE: Duration = Duration::from_secs(1);
/// How long a worker may take to start, or between two examples.
const QUIET_LIMIT: Duration = Duration::from_secs(60);
/// How long a worker may take to confirm a kill before it is killed too.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How often the parent measures a running document's working directory.
const MEASURE_EVERY: Duration = Duration::from_millis(100);
/// How much of a dead child's stderr goes into the report.
const STDERR_TAIL: usize = 2000;

/// How documents are run.
#[derive(Debug, Clone)]
pub struct Pool {
    /// The `snipcheck` binary, started as `snipcheck __worker`.
    pub program: PathBuf,
    /// Documents run at once, each by its own worker.
    pub jobs: usize,
    /// Landlock, root dropped, environment scrubbed.
    pub sandbox: bool,
    /// `--require-sandbox=full`: a document whose process had less is a
    /// config error (exit 2), not a run.
    pub require_full: bool,
    /// The workers' `PYTHONHASHSEED` (default 0): a second run with another
    /// one shows which claims depend on hash order.
    pub hash_seed: Option<u32>,
    /// Workers kept between runs (`snipcheck watch`): the next run skips
    /// their start-up. Shared by the clones of a pool.
    pub warm: Warm,
}

/// The cores this process may run on. With as many workers, a document's
/// process has no idle core to rehearse on while it waits for its go
/// (see [`Job::rehearse`]).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Idle workers, started ahead of the next run. A worker never runs
/// document code itself, so one that served a run is as clean as a new one.
#[derive(Clone, Default)]
pub struct Warm(Option<Arc<Mutex<Vec<Worker>>>>);

impl std::fmt::Debug for Warm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Warm(kept)"
        } else {
            "Warm(none)"
        })
    }
}

impl Warm {
    /// Keep workers between runs (off by default: a one-shot check would
    /// only leave them idle).
    pub fn kept() -> Warm {
        Warm(Some(Arc::default()))
    }

    fn take(&self) -> Option<Worker> {
        let mut idle = self.0.as_ref()?.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(mut worker) = idle.pop() {
            if worker.is_alive() {
                return Some(worker);
            }
        }
        None
    }

    fn keep(&self, worker: Option<Worker>) {
        if let (Some(idle), Some(worker)) = (&self.0, worker) {
            idle.lock().unwrap_or_else(|e| e.into_inner()).push(worker);
        }
    }

    /// How many live workers wait.
    fn idle(&self) -> usize {
        let Some(idle) = &self.0 else { return 0 };
        let mut idle = idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.retain_mut(Worker::is_alive);
        idle.len()
    }
}

/// A child's job, ready to send, and its working directory (removed when
/// dropped).
pub(crate) struct Prepared {
    workdir: Workdir,
    job: Job,
}

impl Prepared {
    /// Its job, to stage (see [`WorkerCommand::Stage`]).
    pub(crate) fn job(&self) -> Job {
        self.job.clone()
    }
}

/// A runner's worker (see [`Pool::slot`]), and the zygote that forks the
/// next one when it has none.
#[derive(Default)]
pub(crate) struct Slot {
    worker: Option<Worker>,
    zygote: Zygotes,
    /// The last child's working directory, removed once the next job is
    /// on its way: removing it (its tmpfs gone with the child's namespace)
    /// takes most of a millisecond, better spent while a child runs.
    spent: Option<Workdir>,
    /// The job its worker holds staged (see [`WorkerCommand::Stage`]).
    staged: Option<Staged>,
}

/// A staged job, by its working directory.
enum Staged {
    /// Waiting for its `Go`, which it gets instead of a `Run`.
    Waiting(PathBuf),
    /// Told to go the moment the document before it ended.
    Going(PathBuf),
}

/// How one child's run of a document ended.
enum Ending {
    /// The document ran to its end.
    Finished,
    /// An example took the child down (or was killed); resume after it.
    Interrupted,
    /// The child died outside any example: nothing to resume.
    Died,
}

impl Pool {
    /// A runner's hold on a worker: the warm one kept for this pool, if
    /// any, else none until its first document starts one.
    pub(crate) fn slot(&self, zygote: &Zygotes) -> Slot {
        Slot {
            worker: self.warm.take(),
            zygote: zygote.clone(),
            spent: None,
            staged: None,
        }
    }

    /// Gives a runner's worker back: kept when this pool keeps workers,
    /// else stopped.
    pub(crate) fn release(&self, mut slot: Slot) {
        match (&mut slot.worker, slot.staged.take()) {
            (Some(worker), Some(Staged::Waiting(_))) => {
                let _ = worker.send(&WorkerCommand::Unstage);
            }
            // It runs a document nobody follows: stopped, not kept.
            (worker, Some(Staged::Going(_))) => *worker = None,
            _ => {}
        }
        self.warm.keep(slot.worker);
    }

    /// A document's first child's job, made ahead of its run (see
    /// [`crate::schedule`]: preparing is off the runners' path).
    pub(crate) fn prepare_job(&self, doc: &Document, config: &Config) -> Result<Prepared, Error> {
        self.job_for(doc, config, &Resume::default())
    }

    /// Starts workers until `workers` of them (at most `jobs`) wait in
    /// [`Warm`], preloading `modules`: the next run starts at once. Without
    /// kept workers, does nothing.
    pub fn prepare(&self, workers: usize, modules: &[String]) -> Result<(), Error> {
        if self.warm.0.is_none() {
            return Ok(());
        }
        while self.warm.idle() < workers.min(self.jobs) {
            let worker = Worker::spawn(&self.program, self.sandbox, modules, self.hash_seed)?;
            self.warm.keep(Some(worker));
        }
        Ok(())
    }

    /// Whether workers are kept between runs (`snipcheck watch`): the next
    /// run needs no zygote started ahead.
    pub(crate) fn keeps_workers(&self) -> bool {
        self.warm.0.is_some()
    }

    /// A zygote for this pool's workers, if one can be started.
    pub(crate) fn zygote(&self, preload: &[String]) -> Option<Zygote> {
        let command = zygote::command(
            &self.program,
            "__zygote",
            self.sandbox,
            preload,
            self.hash_seed,
        );
        Zygote::start(command).ok()
    }

    /// Runs one document with a worker of its own.
    pub fn run_document(&self, doc: &Document, config: &Config) -> Result<DocumentOutcome, Error> {
        let preload = super::modules_to_preload([(doc, config)]);
        let first = self.job_for(doc, config, &Resume::default());
        self.run_prepared(
            &mut Slot::default(),
            &preload,
            doc,
            config,
            first,
            &mut || None,
        )
    }

    /// Runs one document, prepared with [`Pool::prepare_job`], with the
    /// worker of `slot` (started if it has none or it died), in as many
    /// children as its crashes require. `then` gives the job the runner
    /// will run next, if it has one yet: it is staged (see
    /// [`WorkerCommand::Stage`]) as soon as there is one.
    pub(crate) fn run_prepared(
        &self,
        worker: &mut Slot,
        preload: &[String],
        doc: &Document,
        config: &Config,
        first: Result<Prepared, Error>,
        then: &mut dyn FnMut() -> Option<Job>,
    ) -> Result<DocumentOutcome, Error> {
        let mut collector = Collector::new(doc.examples.len(), doc.source.lines().count())
            .with_max_output(config.run.max_output);
        let mut replays = Replays::for_examples(doc.examples.len());
        let mut resume = Resume::default();
        let mut first = Some(first);
        for _ in 0..=doc.examples.len() {
            let Prepared { workdir, job } = match first.take() {
                Some(prepared) => prepared?,
                None => self.job_for(doc, config, &resume)?,
            };
            collector.new_child(!resume.replay.is_empty());
            let ending = self.attempt(worker, preload, (doc, config), job, then, &mut collector);
            worker.spent = Some(workdir);
            let ending = ending?;
            match ending {
                Ending::Finished | Ending::Died => break,
                Ending::Interrupted => match resumption(&mut collector, &mut replays) {
                    Some(next) => resume = next,
                    None => break,
                },
            }
        }
        remember_layers(&collector);
        self.check_required(&collector)?;
        Ok(collector.finish())
    }

    /// Under `--require-sandbox=full`, the layers a child reported must
    /// all be in force.
    fn check_required(&self, collector: &Collector) -> Result<(), Error> {
        match &collector.sandbox {
            Some((level, detail)) if self.require_full && *level != Level::Full => {
                Err(Error::Config(format!(
                    "--require-sandbox=full, but the sandbox here is {}; run where every layer is \
                     available, or drop --require-sandbox",
                    sandbox::summary(Some((*level, detail.clone())))
                )))
            }
            _ => Ok(()),
        }
    }

    /// A child's job for `doc`, with a fresh working directory: a replay
    /// starts from the fixtures again.
    fn job_for(&self, doc: &Document, config: &Config, resume: &Resume) -> Result<Prepared, Error> {
        let workdir = Workdir::new()?;
        let job = Job {
            workdir: workdir.path().to_path_buf(),
            readable: config.readable_paths(),
            memory_mb: config.sandbox.memory_mb,
            file_size_mb: config.sandbox.file_size_mb,
            memory_cgroup: config.sandbox.memory_cgroup,
            sandbox: self.sandbox,
            rehearse: self.jobs < cores(),
            request: super::harness_request(doc, config, workdir.path(), resume)?,
        };
        Ok(Prepared { workdir, job })
    }

    /// One child's run: send the job, follow its events, keep the clock.
    ///
    /// The clock is the parent's alone: an example's limit counts from its
    /// `start` (examples start once each, in order), and the whole child
    /// has a budget of every limit plus grace, so no stream of events,
    /// forged or not, keeps a child alive. When time is up, the child
    /// misbehaves or its working directory outgrows its budget, the parent
    /// asks the worker to kill it and waits for the worker's word that it
    /// ended.
    fn attempt(
        &self,
        slot: &mut Slot,
        preload: &[String],
        (doc, config): (&Document, &Config),
        job: Job,
        then: &mut dyn FnMut() -> Option<Job>,
        collector: &mut Collector,
    ) -> Result<Ending, Error> {
        if matches!(&slot.staged, Some(Staged::Going(path)) if *path != job.workdir) {
            slot.worker = None; // it runs another job than this one: never the case
        }
        if !slot.worker.as_mut().is_some_and(Worker::is_alive) {
            let zygote = slot.zygote.get(|| self.zygote(preload));
            slot.worker = Some(Worker::fork_or_spawn(self, zygote, preload)?);
            slot.staged = None;
        }
        let spent = slot.spent.take();
        let staged = &mut slot.staged;
        let slot = &mut slot.worker;
        let worker = slot.as_mut().expect("a worker was just started");
        let max_line = protocol::max_line(config.run.max_output);
        let workdir = job.workdir.clone();
        let budget = sandbox::workdir_budget(job.file_size_mb);
        match staged.take() {
            Some(Staged::Going(_)) => {}
            Some(Staged::Waiting(path)) if path == workdir => worker.start(WorkerCommand::Go)?,
            other => {
                *staged = other;
                worker.start(WorkerCommand::Run { job })?;
            }
        }
        worker.stage(staged, then);
        drop(spent);
        let limit_of = |i: usize| config.timeout_for(&doc.name, &doc.examples[i].id);
        let whole: f64 = (0..doc.examples.len()).map(limit_of).sum();
        let began = Instant::now();
        let mut clock = Clock {
            deadline: began + QUIET_LIMIT + Duration::from_secs_f64(whole.min(1e6)),
            example: None,
            quiet_since: began,
            measured: began,
        };
        // Why the parent had the child killed, once it did.
        let mut stop: Option<(InterruptionKind, String, Instant)> = None;
        loop {
            let due = match &stop {
                Some((.., asked)) => *asked + KILL_WAIT,
                None => clock.due(collector.running, limit_of),
            };
            let now = Instant::now();
            let received = worker.events.next_line_within(
                max_line,
                due.saturating_duration_since(now).min(MEASURE_EVERY),
            );
            let reason = match received {
                Received::Line(Line::TooLong) => Some(format!(
                    "the document's process sent an event line longer than {max_line} bytes"
                )),
                Received::Line(Line::Complete(bytes)) => match protocol::decode(&bytes) {
                    // A child's lines are the example's to forge; the worker's own are not.
                    Err(reason) if !bytes.starts_with(protocol::FROM_CHILD) => {
                        *slot = None;
                        return Err(Error::Protocol(reason));
                    }
                    Err(reason) => Some(reason),
                    Ok(Message::Worker(WorkerEvent::Fatal { message })) => {
                        *slot = None;
                        return Err(Error::Worker(message));
                    }
                    Ok(Message::Worker(WorkerEvent::Exit { code, signal })) => {
                        let (kind, message) = match stop {
                            Some((kind, message, _)) => (kind, message),
                            None if collector.ended => {
                                // The runner runs the staged job next: it
                                // need not wait for this one's outcome.
                                if let Some(Staged::Waiting(path)) = staged.take() {
                                    *staged = worker
                                        .start(WorkerCommand::Go)
                                        .ok()
                                        .map(|()| Staged::Going(path));
                                }
                                return Ok(Ending::Finished);
                            }
                            None => (
                                InterruptionKind::Crash,
                                describe_exit(code, signal, &worker.stderr_tail()),
                            ),
                        };
                        return Ok(interrupt(collector, kind, message));
                    }
                    // Once it is being killed, nothing it says counts.
                    Ok(Message::Child(_)) if stop.is_some() => None,
                    // An example that ends past the budget is the one to blame.
                    Ok(Message::Child(event @ Event::Done { .. }))
                        if sandbox::bytes_under(&workdir, budget) > budget =>
                    {
                        drop(event);
                        Some(over_budget(budget))
                    }
                    Ok(Message::Child(event)) => match collector
                        .receive(bytes.len())
                        .and_then(|()| collector.apply(event))
                    {
                        Ok(None) => {
                            clock.heard(collector.running);
                            worker.stage(staged, then);
                            None
                        }
                        Ok(Some((bad_config, message))) => {
                            *slot = None;
                            return Err(fatal(bad_config, message, config));
                        }
                        Err(reason) => Some(reason),
                    },
                },
                Received::Quiet if stop.is_some() => {
                    if Instant::now() < due {
                        continue;
                    }
                    *slot = None;
                    let message = "the worker stopped answering: killed".to_string();
                    return Ok(interrupt(collector, InterruptionKind::Timeout, message));
                }
                Received::Quiet => {
                    if clock.measure_due() && sandbox::bytes_under(&workdir, budget) > budget {
                        stop = Some((
                            InterruptionKind::Crash,
                            format!("{}: killed", over_budget(budget)),
                            Instant::now(),
                        ));
                        worker.kill_child();
                    } else if Instant::now() >= due {
                        let message = match collector.running {
                            Some(i) => stuck(limit_of(i)),
                            None => "the document's process stopped answering: killed".to_string(),
                        };
                        stop = Some((InterruptionKind::Timeout, message, Instant::now()));
                        worker.kill_child();
                    }
                    None
                }
                Received::Closed => {
                    let tail = worker.stderr_tail();
                    *slot = None;
                    let message = format!(
                        "the worker died: {}",
                        tail.lines().last().unwrap_or("").trim()
                    );
                    return Ok(interrupt(collector, InterruptionKind::Crash, message));
                }
            };
            if let Some(reason) = reason.filter(|_| stop.is_none()) {
                stop = Some((
                    InterruptionKind::Crash,
                    format!("{reason}: killed"),
                    Instant::now(),
                ));
                worker.kill_child();
            }
        }
    }
}

/// The parent's clock for one child.
struct Clock {
    /// The child's whole budget: every example's limit, and quiet time.
    deadline: Instant,
    /// The running example and when it started.
    example: Option<(usize, Instant)>,
    /// When the child last said something while no example ran.
    quiet_since: Instant,
    /// When the working directory was last measured.
    measured: Instant,
}

impl Clock {
    /// Notes an event: an example that started now, or quiet time restarting.
    fn heard(&mut self, running: Option<usize>) {
        let now = Instant::now();
        match running {
            Some(i) if self.example.is_none_or(|(j, _)| j != i) => self.example = Some((i, now)),
            Some(_) => {}
            None => {
                self.example = None;
                self.quiet_since = now;
            }
        }
    }

    /// When the child is out of time, given the example running.
    fn due(&self, running: Option<usize>, limit_of: impl Fn(usize) -> f64) -> Instant {
        let due = match (running, self.example) {
            (Some(i), Some((j, since))) if i == j => {
                since + Duration::from_secs_f64(limit_of(i)) + GRACE
            }
            _ => self.quiet_since + QUIET_LIMIT,
        };
        due.min(self.deadline)
    }

    /// Whether it is time to measure the working directory again.
    fn measure_due(&mut self) -> bool {
        let due = self.measured.elapsed() >= MEASURE_EVERY;
        if due {
            self.measured = Instant::now();
        }
        due
    }
}

/// A `snipcheck __worker` process: interpreter warmed up, forking a child
/// per document.
struct Worker {
    process: Process,
    /// `None` once the worker was told to stop.
    stdin: Option<File>,
    /// Its stdout, read in the thread that keeps its clock.
    events: LineReader<File>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// How a worker came to be, and so how it is stopped.
enum Process {
    /// Started here: reaped here.
    Started(Child),
    /// Forked by a zygote, which reaps it and lives as long.
    Forked {
        pidfd: OwnedFd,
        _zygote: Arc<Zygote>,
    },
}

impl Worker {
    fn spawn(
        program: &Path,
        sandbox: bool,
        preload: &[String],
        hash_seed: Option<u32>,
    ) -> Result<Worker, Error> {
        let mut child = zygote::command(program, "__worker", sandbox, preload, hash_seed)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(program, e))?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        Ok(Worker {
            process: Process::Started(child),
            stdin: Some(File::from(OwnedFd::from(stdin))),
            events: LineReader::new(File::from(OwnedFd::from(stdout))),
            stderr: tail_of(stderr),
        })
    }

    /// A worker forked by `zygote`, else (it is gone) one started.
    fn fork_or_spawn(
        pool: &Pool,
        zygote: Option<Arc<Zygote>>,
        preload: &[String],
    ) -> Result<Worker, Error> {
        match zygote.map(|z| z.fork()) {
            Some(Ok(forked)) => Ok(Worker {
                process: Process::Forked {
                    pidfd: forked.pidfd,
                    _zygote: forked.zygote,
                },
                stdin: Some(forked.stdin),
                events: LineReader::new(forked.stdout),
                stderr: tail_of(forked.stderr),
            }),
            _ => Worker::spawn(&pool.program, pool.sandbox, preload, pool.hash_seed),
        }
    }

    fn is_alive(&mut self) -> bool {
        match &mut self.process {
            Process::Started(child) => matches!(child.try_wait(), Ok(None)),
            Process::Forked { pidfd, .. } => !zygote::ended_within(pidfd, &Timespec::default()),
        }
    }

    fn send(&mut self, command: &WorkerCommand) -> Result<(), Error> {
        let mut line = serde_json::to_string(command)
            .map_err(|e| Error::Protocol(format!("cannot encode a command: {e}")))?;
        line.push('\n');
        let Some(stdin) = &mut self.stdin else {
            return Err(Error::Worker("the worker was stopped".into()));
        };
        stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|e| Error::Worker(format!("the worker is gone: {e}")))
    }

    /// Stages the job `then` gives, unless one is staged already. A worker
    /// gone is found by the run it has (its stdout closes).
    fn stage(&mut self, staged: &mut Option<Staged>, then: &mut dyn FnMut() -> Option<Job>) {
        if staged.is_none() {
            if let Some(job) = then() {
                let workdir = job.workdir.clone();
                if self.send(&WorkerCommand::Stage { job }).is_ok() {
                    *staged = Some(Staged::Waiting(workdir));
                }
            }
        }
    }

    /// Has the worker start a child (`Run` or `Go`), whose stderr alone
    /// is the tail kept from then on.
    fn start(&mut self, command: WorkerCommand) -> Result<(), Error> {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.send(&command)
    }

    /// Asks the worker to kill the child it runs; if the worker is gone,
    /// so is the child (it dies with its worker).
    fn kill_child(&mut self) {
        let _ = self.send(&WorkerCommand::Kill);
    }

    fn stderr_tail(&self) -> String {
        escape_bytes(&self.stderr.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Drop for Worker {
    /// Told to stop (its stdin closed), a worker reaps its last child and
    /// exits; killed outright, it would leave that child to an init that
    /// may never reap it. One that does not stop in time is killed.
    fn drop(&mut self) {
        drop(self.stdin.take());
        match &mut self.process {
            Process::Started(child) => zygote::stop_child(child),
            Process::Forked { pidfd, .. } => {
                if !zygote::ended_within(pidfd, &zygote::STOP_WAIT) {
                    let _ =
                        rustix::process::pidfd_send_signal(&*pidfd, rustix::process::Signal::KILL);
                }
            }
        }
    }
}

fn over_budget(budget: u64) -> String {
    format!(
        "wrote more than {} MiB under its working directory",
        budget >> 20
    )
}

fn stuck(limit: f64) -> String {
    format!(
        "ran past its {limit} s time limit and could not be interrupted (stuck in a C call?): killed"
    )
}

fn interrupt(collector: &mut Collector, kind: InterruptionKind, message: String) -> Ending {
    let interruption = Interruption {
        kind,
        message,
        line: None,
    };
    match collector.interrupt(interruption) {
        Some(_) => Ending::Interrupted,
        None => Ending::Died,
    }
}

/// Where a fresh child picks up after an interruption, if one should: not
/// when every example has its outcome, nor once the document's output
/// budget is spent or the replay would not fit its replay budget; the
/// examples left are then recorded as not run, with the reason.
fn resumption(collector: &mut Collector, replays: &mut Replays) -> Option<Resume> {
    if collector.complete() {
        return None;
    }
    if let Some(why) = collector.output_spent() {
        let why = format!("not run: {why}");
        collector.not_run(&why);
        return None;
    }
    let resume = collector.resume();
    let (cost, first_hand) = collector.replay_cost(&resume);
    if !replays.afford(cost, first_hand) {
        collector.not_run(&budget::no_replay(cost, first_hand));
        return None;
    }
    Some(resume)
}

fn fatal(bad_config: bool, message: String, config: &Config) -> Error {
    match (&config.origin, bad_config) {
        (Some(origin), true) => Error::file(origin, format!("invalid config: {message}")),
        (None, true) => Error::Config(message),
        _ => Error::Harness(message),
    }
}

/// `killed by signal 11 (SIGSEGV)` or `exited with code 3`, plus what the
/// child said last on stderr (e.g. CPython's fatal error report).
fn describe_exit(code: Option<i32>, signal: Option<i32>, stderr: &str) -> String {
    let mut message = match (signal, code) {
        (Some(signal), _) => format!(
            "the worker was killed by signal {signal} ({})",
            signal_name(signal)
        ),
        (None, Some(code)) => format!("the worker exited with code {code}"),
        _ => "the worker ended".to_string(),
    };
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
    if let Some(last) = last {
        message.push_str(": ");
        message.push_str(last.trim());
    }
    message
}

/// A table: rustix's `Signal` names differ from POSIX's (`ABORT`, `ALARM`),
/// and glibc's `sigabbrev_np` is in neither the libc crate nor musl.
fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGALRM => "SIGALRM",
        libc::SIGXCPU => "SIGXCPU",
        _ => "signal",
    }
}

/// Text of bytes a child wrote: valid UTF-8 as it is, anything else as
/// `\xNN`, so odd output is shown rather than lost or mangled.
pub(crate) fn escape_bytes(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// The last few KB of a pipe, kept up to date in the background.
fn tail_of(pipe: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let tail = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&tail);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let mut pipe = pipe;
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut tail = sink.lock().unwrap_or_else(|e| e.into_inner());
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > 2 * STDERR_TAIL {
                let cut = tail.len() - STDERR_TAIL;
                tail.drain(..cut);
            }
        }
    });
    tail
}

/// The sandbox layers the last child reported, for the report's header.
static LAYERS: Mutex<Option<(Level, String)>> = Mutex::new(None);

/// Keeps what the sandbox of a document's child was, and says once per
/// process when it is not fully in force.
fn remember_layers(collector: &Collector) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    let Some((status, detail)) = &collector.sandbox else {
        return;
    };
    let mut seen = LAYERS.lock().unwrap_or_else(|e| e.into_inner());
    // The weakest sandbox seen is the one to report.
    if seen.as_ref().is_none_or(|(s, _)| *s == Level::Full) {
        *seen = Some((*status, detail.clone()));
    }
    if matches!(status, Level::Partial | Level::Unavailable)
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        eprintln!("snipcheck: warning: sandbox not fully in force: {detail}");
    }
}

/// The sandbox as the documents' children reported it (the weakest one,
/// when they differ); `None` before any document ran.
pub(crate) fn layers() -> Option<(Level, String)> {
    LAYERS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}
