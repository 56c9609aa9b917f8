//! The parent side: `jobs` worker processes, one document at a time each.
//!
//! A worker forks a sandboxed child per document and streams its
//! [`Event`]s; the parent keeps the clock. When a child dies (a signal,
//! `os._exit`, an abort in C) or an example outlives its time limit even
//! after the watchdog's exceptions (stuck in a C call, so the parent kills
//! it), the parent records that example as `crash` or `timeout` and has the
//! worker fork a fresh child that replays the examples before it (to rebuild
//! the namespace) and carries on after it. Nothing else is lost.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::sandbox::{self, Status};
use super::worker::Job;
use super::{Collector, Event, Resume};
use crate::config::Config;
use crate::error::Error;
use crate::markdown::Document;
use crate::outcome::{DocumentOutcome, Interruption, InterruptionKind};

/// Extra time a stuck example gets after its limit before it is killed.
const GRACE: Duration = Duration::from_secs(1);
/// How long a worker may take to start, or between two examples.
const QUIET_LIMIT: Duration = Duration::from_secs(60);
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
    /// The workers' `PYTHONHASHSEED` (default 0): a second run with another
    /// one shows which claims depend on hash order.
    pub hash_seed: Option<u32>,
}

/// How one child's run of a document ended.
enum Ending {
    /// The document ran to its end.
    Finished,
    /// Example `index` took the child down (or was killed); resume after it.
    Interrupted(usize),
    /// The child died outside any example: nothing to resume.
    Died,
}

impl Pool {
    /// Runs documents in parallel; results come back in input order.
    /// `done` is called as each document finishes (a progress bar).
    pub fn run(
        &self,
        jobs: &[(Document, Config)],
        done: &(dyn Fn() + Sync),
    ) -> Vec<Result<DocumentOutcome, Error>> {
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<DocumentOutcome, Error>>>> =
            Mutex::new((0..jobs.len()).map(|_| None).collect());
        let preload = super::modules_to_preload(jobs.iter().map(|(d, c)| (d, c)));
        std::thread::scope(|scope| {
            for _ in 0..self.jobs.clamp(1, jobs.len().max(1)) {
                scope.spawn(|| {
                    let mut worker = None;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((doc, config)) = jobs.get(i) else {
                            break;
                        };
                        let result = self.run_with(&mut worker, &preload, doc, config);
                        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                        done();
                    }
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Python("document was not run".into()))))
            .collect()
    }

    /// Runs one document with a worker of its own.
    pub fn run_document(&self, doc: &Document, config: &Config) -> Result<DocumentOutcome, Error> {
        let preload = super::modules_to_preload([(doc, config)]);
        self.run_with(&mut None, &preload, doc, config)
    }

    /// Runs one document, in as many children as its crashes require.
    fn run_with(
        &self,
        worker: &mut Option<Worker>,
        preload: &[String],
        doc: &Document,
        config: &Config,
    ) -> Result<DocumentOutcome, Error> {
        let mut collector = Collector::new(doc.examples.len());
        let mut resume = Resume::default();
        for _ in 0..=doc.examples.len() {
            // A fresh directory per child: a replay starts from the fixtures again.
            let workdir = tempfile::Builder::new()
                .prefix("snipcheck-")
                .tempdir()
                .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
            let job = Job {
                workdir: workdir.path().to_path_buf(),
                readable: config.readable_paths(),
                memory_mb: config.sandbox.memory_mb,
                file_size_mb: config.sandbox.file_size_mb,
                sandbox: self.sandbox,
                request: super::request(doc, config, workdir.path(), &resume)?,
            };
            match self.attempt(worker, preload, doc, config, &job, &mut collector)? {
                Ending::Finished | Ending::Died => break,
                Ending::Interrupted(index) => {
                    resume = Resume {
                        from: index + 1,
                        avoid: collector.interrupted(),
                    }
                }
            }
        }
        warn_once_about(&collector);
        Ok(collector.finish())
    }

    /// One child's run: send the job, follow its events, keep the clock.
    fn attempt(
        &self,
        slot: &mut Option<Worker>,
        preload: &[String],
        doc: &Document,
        config: &Config,
        job: &Job,
        collector: &mut Collector,
    ) -> Result<Ending, Error> {
        if !slot.as_mut().is_some_and(Worker::is_alive) {
            *slot = Some(Worker::spawn(
                &self.program,
                self.sandbox,
                preload,
                self.hash_seed,
            )?);
        }
        let worker = slot.as_mut().expect("a worker was just started");
        worker
            .stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        worker.send(job)?;
        collector.child = None;
        let mut last_event = Instant::now();
        let mut killed = false;
        let limit_of = |i: usize| config.timeout_for(&doc.name, &doc.examples[i].id);
        loop {
            let limit = match collector.running {
                Some(i) if !killed => Duration::from_secs_f64(limit_of(i)) + GRACE,
                _ => QUIET_LIMIT,
            };
            match worker
                .events
                .recv_timeout(limit.saturating_sub(last_event.elapsed()))
            {
                Ok(line) => {
                    last_event = Instant::now();
                    let event: Event = serde_json::from_str(&line).map_err(|e| {
                        Error::Python(format!("worker sent a bad event ({e}): {line}"))
                    })?;
                    match event {
                        Event::Fatal {
                            config: bad_config,
                            message,
                        } => {
                            *slot = None;
                            return Err(fatal(bad_config, message, config));
                        }
                        Event::Exit { code, signal } => {
                            if collector.ended {
                                return Ok(Ending::Finished);
                            }
                            let (kind, message) = match collector.running {
                                Some(i) if killed => {
                                    (InterruptionKind::Timeout, stuck(limit_of(i)))
                                }
                                _ => (
                                    InterruptionKind::Crash,
                                    describe_exit(code, signal, &worker.stderr_tail()),
                                ),
                            };
                            return Ok(interrupt(collector, kind, message));
                        }
                        other => collector.apply(other),
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => match collector.child {
                    // Kill the child; the worker then reports its exit.
                    Some(pid) if !killed => {
                        // SAFETY: signalling the child process we were told about.
                        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                        killed = true;
                    }
                    _ => {
                        *slot = None;
                        let message = "the worker stopped answering: killed".to_string();
                        return Ok(interrupt(collector, InterruptionKind::Timeout, message));
                    }
                },
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let tail = worker.stderr_tail();
                    *slot = None;
                    let message = format!(
                        "the worker died: {}",
                        tail.lines().last().unwrap_or("").trim()
                    );
                    return Ok(interrupt(collector, InterruptionKind::Crash, message));
                }
            }
        }
    }
}

/// A `snipcheck __worker` process: interpreter warmed up, forking a child
/// per document.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    events: mpsc::Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Worker {
    fn spawn(
        program: &Path,
        sandbox: bool,
        preload: &[String],
        hash_seed: Option<u32>,
    ) -> Result<Worker, Error> {
        let mut command = Command::new(program);
        command.arg("__worker").args(preload);
        if sandbox {
            command
                .env_clear()
                .envs(sandbox::scrubbed_env(&std::env::temp_dir()));
        }
        if let Some(seed) = hash_seed {
            command.env("PYTHONHASHSEED", seed.to_string());
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(program, e))?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let events = lines_of(child.stdout.take().expect("stdout is piped"));
        let stderr = tail_of(child.stderr.take().expect("stderr is piped"));
        Ok(Worker {
            child,
            stdin,
            events,
            stderr,
        })
    }

    fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn send(&mut self, job: &Job) -> Result<(), Error> {
        let mut line = serde_json::to_string(job).map_err(|e| Error::Python(e.to_string()))?;
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| Error::Python(format!("the worker is gone: {e}")))
    }

    fn stderr_tail(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
        Some(index) => Ending::Interrupted(index),
        None => Ending::Died,
    }
}

fn fatal(bad_config: bool, message: String, config: &Config) -> Error {
    match (&config.origin, bad_config) {
        (Some(origin), true) => Error::file(origin, format!("invalid config: {message}")),
        (None, true) => Error::Config(message),
        _ => Error::Python(message),
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

/// The lines of a pipe, as a channel that closes at end of file.
fn lines_of(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
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

/// Says once per process when the sandbox is not fully in force.
fn warn_once_about(collector: &Collector) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if let Some((status, detail)) = &collector.sandbox {
        if matches!(status, Status::Partial | Status::Unavailable)
            && !WARNED.swap(true, Ordering::Relaxed)
        {
            eprintln!(
                "snipcheck: warning: {detail}; examples run with resource limits and timeouts only"
            );
        }
    }
}
