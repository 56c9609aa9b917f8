//! The parent side: one worker process per document, `jobs` at a time.
//!
//! A worker streams [`Event`]s; the parent keeps the clock. When a worker
//! dies (a signal, `os._exit`, an abort in C) or an example outlives its time
//! limit even after the watchdog's exceptions (stuck in a C call), the parent
//! records that example as `crash` or `timeout`, starts a fresh worker that
//! replays the examples before it (to rebuild the namespace) and carries on
//! after it. Nothing else is lost.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use super::sandbox::{self, Limits, Status};
use super::{Collector, Event};
use crate::config::Config;
use crate::error::Error;
use crate::markdown::Document;
use crate::outcome::{DocumentOutcome, Interruption, InterruptionKind};

/// Extra time a stuck example gets after its limit before the worker is killed.
const GRACE: Duration = Duration::from_secs(1);
/// How long a worker may take to start, or between two examples.
const QUIET_LIMIT: Duration = Duration::from_secs(60);
/// How much of a dead worker's stderr goes into the report.
const STDERR_TAIL: usize = 2000;

/// How documents are run.
#[derive(Debug, Clone)]
pub struct Pool {
    /// The `snipcheck` binary, started as `snipcheck __worker`.
    pub program: PathBuf,
    /// Documents run at once.
    pub jobs: usize,
    /// Landlock, root dropped, environment scrubbed.
    pub sandbox: bool,
}

/// The outcome of one worker's life.
enum Ending {
    /// The document ran to its end.
    Finished,
    /// Example `index` took the worker down (or was killed); resume after it.
    Interrupted(usize),
    /// The worker died outside any example: nothing to resume.
    Died,
}

impl Pool {
    /// Runs documents in parallel; results come back in input order.
    pub fn run(&self, jobs: &[(Document, Config)]) -> Vec<Result<DocumentOutcome, Error>> {
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<DocumentOutcome, Error>>>> =
            Mutex::new((0..jobs.len()).map(|_| None).collect());
        std::thread::scope(|scope| {
            for _ in 0..self.jobs.clamp(1, jobs.len().max(1)) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((doc, config)) = jobs.get(i) else {
                            break;
                        };
                        let result = self.run_document(doc, config);
                        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
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

    /// Runs one document, in as many workers as its crashes require.
    pub fn run_document(&self, doc: &Document, config: &Config) -> Result<DocumentOutcome, Error> {
        let mut collector = Collector::new(doc.examples.len());
        let mut resume = super::Resume::default();
        for _ in 0..=doc.examples.len() {
            // A fresh directory per worker: a replay starts from the fixtures again.
            let workdir = tempfile::Builder::new()
                .prefix("snipcheck-")
                .tempdir()
                .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
            let request = super::request(doc, config, workdir.path(), &resume)?;
            match self.attempt(doc, config, workdir.path(), request, &mut collector)? {
                Ending::Finished | Ending::Died => break,
                Ending::Interrupted(index) => {
                    resume = super::Resume {
                        from: index + 1,
                        avoid: collector.interrupted(),
                    }
                }
            }
        }
        warn_once_about(&collector);
        Ok(collector.finish())
    }

    fn spawn(&self, workdir: &Path, config: &Config) -> Result<Child, Error> {
        let mut command = Command::new(&self.program);
        command
            .arg("__worker")
            .arg("--workdir")
            .arg(workdir)
            .arg("--memory-mb")
            .arg(config.sandbox.memory_mb.to_string());
        for path in config.readable_paths() {
            command.arg("--read").arg(path);
        }
        if self.sandbox {
            command.env_clear().envs(sandbox::scrubbed_env(workdir));
        } else {
            command.arg("--no-sandbox");
        }
        command
            .current_dir(workdir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(&self.program, e))
    }

    fn attempt(
        &self,
        doc: &Document,
        config: &Config,
        workdir: &Path,
        request: String,
        collector: &mut Collector,
    ) -> Result<Ending, Error> {
        let mut child = self.spawn(workdir, config)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // The request may be large: write it from a thread, as the worker
        // starts streaming events before it has read all of it.
        let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
        let events = lines_of(child.stdout.take().expect("stdout is piped"));
        let stderr = tail_of(child.stderr.take().expect("stderr is piped"));
        let mut started = Instant::now();
        let ending = loop {
            let limit = match collector.running {
                Some(i) => {
                    Duration::from_secs_f64(config.timeout_for(&doc.name, &doc.examples[i].id))
                        + GRACE
                }
                None => QUIET_LIMIT,
            };
            let wait = limit.saturating_sub(started.elapsed());
            match events.recv_timeout(wait) {
                Ok(line) => {
                    let event: Event = serde_json::from_str(&line).map_err(|e| {
                        Error::Python(format!("worker sent a bad event ({e}): {line}"))
                    })?;
                    if let Event::Fatal {
                        config: bad_config,
                        message,
                    } = event
                    {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(fatal(bad_config, message, config));
                    }
                    started = Instant::now();
                    collector.apply(event);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let message = match collector.running {
                        Some(i) => format!(
                            "ran past its {} s time limit and could not be interrupted (stuck in a C call?): worker killed",
                            config.timeout_for(&doc.name, &doc.examples[i].id)
                        ),
                        None => "the worker stopped answering: killed".to_string(),
                    };
                    break interrupt(collector, InterruptionKind::Timeout, message);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().map_err(|e| Error::io(&self.program, e))?;
                    if collector.ended {
                        break Ending::Finished;
                    }
                    let tail = stderr.join().unwrap_or_default();
                    let message = describe_exit(status, &tail);
                    break interrupt(collector, InterruptionKind::Crash, message);
                }
            }
        };
        let _ = writer.join();
        Ok(ending)
    }
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
/// worker said last on stderr (e.g. CPython's fatal error report).
fn describe_exit(status: ExitStatus, stderr: &str) -> String {
    use std::os::unix::process::ExitStatusExt;
    let mut message = match (status.signal(), status.code()) {
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

/// The last few KB of a pipe, read to its end in the background.
fn tail_of(pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut tail: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        let mut pipe = pipe;
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > 2 * STDERR_TAIL {
                tail.drain(..tail.len() - STDERR_TAIL);
            }
        }
        String::from_utf8_lossy(&tail).into_owned()
    })
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

/// Parses `__worker` arguments (internal; the parent writes them).
pub fn worker_args(args: &[String]) -> Result<super::worker::WorkerArgs, String> {
    let mut workdir = None;
    let mut limits = Limits::default();
    let mut sandbox = true;
    let mut readable = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--workdir" => workdir = it.next().map(PathBuf::from),
            "--memory-mb" => {
                limits.memory_mb = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("bad --memory-mb")?
            }
            "--read" => readable.extend(it.next().map(PathBuf::from)),
            "--no-sandbox" => sandbox = false,
            other => return Err(format!("unknown worker argument {other}")),
        }
    }
    Ok(super::worker::WorkerArgs {
        workdir: workdir.ok_or("missing --workdir")?,
        limits,
        sandbox,
        readable,
    })
}
