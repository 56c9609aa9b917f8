//! The worker process: `snipcheck __worker`, the child side of [`super::pool`].
//!
//! Starting CPython and importing what the harness needs costs far more than
//! running a typical document, so a worker does it once and then *forks* a
//! fresh child per document (a zygote). Each child fences itself in
//! ([`super::sandbox`]) around its own working directory, runs one document
//! and exits; the worker reports how it ended. A child that crashes takes
//! nothing else with it, and nothing one document did can leak into the next.
//!
//! Command line: `snipcheck __worker [MODULE...]`, the modules to preload.
//! Protocol: one [`Job`] per line on stdin; one JSON event per line on a
//! private copy of stdout (file descriptor 1 itself is pointed at stderr, so
//! an example writing to fd 1 from C cannot corrupt the stream).

use std::fs::File;
use std::io::{BufRead, Write};
use std::os::fd::FromRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::sandbox::{self, Limits, Status};
use crate::error::Error;

/// One document for a worker to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The document's fresh working directory: the only writable place.
    pub workdir: PathBuf,
    /// Extra readable paths (config `[sandbox] read`).
    pub readable: Vec<PathBuf>,
    pub memory_mb: u64,
    pub file_size_mb: u64,
    pub sandbox: bool,
    /// The harness request (see `run::request`).
    pub request: String,
}

type Sender = Arc<dyn Fn(String) + Send + Sync>;

/// Runs the worker until stdin closes; never returns (exits without
/// finalising Python, so nothing left behind can hold the process open).
pub fn main(preload: &[String]) -> ! {
    let channel = Mutex::new(protocol_channel());
    let send: Sender = Arc::new(move |line: String| {
        let mut out = channel.lock().unwrap_or_else(|e| e.into_inner());
        // One write per event: atomic on a pipe for all but huge events.
        let _ = out.write_all(format!("{line}\n").as_bytes());
        let _ = out.flush();
    });
    if let Err(e) = super::warm_up(preload) {
        send(fatal(&e));
        exit(3);
    }
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<Job>(&line) {
            Ok(job) => fork_and_run(job, &send),
            Err(e) => send(fatal(&Error::Python(format!("bad job: {e}")))),
        }
    }
    exit(0)
}

/// Forks a child for `job`; the worker waits and reports how it ended.
fn fork_and_run(job: Job, send: &Sender) {
    // Python's own fork keeps the interpreter consistent in the child.
    let pid = Python::attach(|py| {
        py.import("os")
            .and_then(|os| os.call_method0("fork")?.extract::<i32>())
    });
    match pid {
        Ok(0) => {
            let code = match run_child(&job, send) {
                Ok(()) => 0,
                Err(e) => {
                    send(fatal(&e));
                    3
                }
            };
            exit(code)
        }
        Ok(pid) => {
            let mut status = 0;
            // SAFETY: waiting for our own child.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            let (code, signal) = if libc::WIFSIGNALED(status) {
                (None, Some(libc::WTERMSIG(status)))
            } else {
                (Some(libc::WEXITSTATUS(status)), None)
            };
            send(json!({"event": "exit", "code": code, "signal": signal}).to_string());
        }
        Err(e) => send(fatal(&Error::Python(format!("fork failed: {e}")))),
    }
}

fn run_child(job: &Job, send: &Sender) -> Result<(), Error> {
    sandbox::apply_limits(&Limits {
        memory_mb: job.memory_mb,
        file_size_mb: job.file_size_mb,
        ..Limits::default()
    });
    let (status, detail) = if job.sandbox {
        fence(&job.workdir, &job.readable)
    } else {
        (
            Status::Disabled,
            "sandbox disabled (--no-sandbox)".to_string(),
        )
    };
    if job.sandbox {
        home_in(&job.workdir).map_err(|e| Error::Python(e.to_string()))?;
    }
    let pid = std::process::id();
    send(json!({"event": "sandbox", "status": status, "detail": detail, "pid": pid}).to_string());
    let send = Arc::clone(send);
    super::run_request(job.request.clone(), move |line| send(line))
}

/// `HOME` and `TMPDIR` are the document's working directory: `~` holds no
/// secrets. (Python read the environment when the worker started, so it is
/// changed where Python looks.)
fn home_in(workdir: &Path) -> PyResult<()> {
    let workdir = workdir.to_string_lossy();
    Python::attach(|py| {
        let environ = py.import("os")?.getattr("environ")?;
        environ.set_item("HOME", &*workdir)?;
        environ.set_item("TMPDIR", &*workdir)?;
        py.import("tempfile")?.setattr("tempdir", &*workdir)
    })
}

fn fatal(e: &Error) -> String {
    let (config, message) = match e {
        Error::Config(m) => (true, m.clone()),
        other => (false, other.to_string()),
    };
    json!({"event": "fatal", "config": config, "message": message}).to_string()
}

fn exit(code: i32) -> ! {
    // SAFETY: ends the process at once, which is the point.
    unsafe { libc::_exit(code) }
}

/// Landlock, then root dropped where the Python installation allows it.
fn fence(workdir: &Path, readable: &[PathBuf]) -> (Status, String) {
    let python = super::python_paths();
    let all: Vec<PathBuf> = python.iter().chain(readable).cloned().collect();
    let (status, mut detail) = sandbox::restrict(workdir, &all);
    if python.iter().all(|p| world_readable(p)) {
        if let Some(note) = sandbox::drop_root(workdir) {
            detail.push_str("; ");
            detail.push_str(&note);
        }
    }
    (status, detail)
}

/// Could `nobody` read this path (every ancestor searchable by others)?
fn world_readable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .all(|p| match std::fs::metadata(p) {
            Ok(m) => m.permissions().mode() & 0o005 == 0o005,
            Err(_) => true,
        })
}

/// A private duplicate of stdout for events; fd 1 becomes a copy of stderr.
fn protocol_channel() -> File {
    // SAFETY: plain fd syscalls on the standard descriptors.
    unsafe {
        let fd = libc::dup(1);
        libc::dup2(2, 1);
        File::from_raw_fd(fd)
    }
}
