//! The worker process: `snipcheck __worker`, the child side of [`super::pool`].
//!
//! It reads one harness request on stdin, fences itself in
//! ([`super::sandbox`]), runs the document and writes one JSON event per
//! line. Events go to a private copy of stdout; file descriptor 1 itself is
//! pointed at stderr, so an example writing to fd 1 from C cannot corrupt the
//! stream.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::json;

use super::sandbox::{self, Limits, Status};
use crate::error::Error;

/// What the parent tells a worker on its command line.
#[derive(Debug, Clone)]
pub struct WorkerArgs {
    pub workdir: PathBuf,
    pub limits: Limits,
    pub sandbox: bool,
    pub readable: Vec<PathBuf>,
}

/// Runs the worker; never returns (exits without finalising Python, so a
/// thread an example left behind cannot hold the process open).
pub fn main(args: WorkerArgs) -> ! {
    let channel = Arc::new(Mutex::new(protocol_channel()));
    let send = {
        let channel = Arc::clone(&channel);
        move |line: String| {
            let mut out = channel.lock().unwrap_or_else(|e| e.into_inner());
            let _ = out.write_all(line.as_bytes());
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
    };
    let code = match serve(&args, &send) {
        Ok(()) => 0,
        Err(e) => {
            let config = matches!(e, Error::Config(_));
            let message = match e {
                Error::Config(m) => m,
                other => other.to_string(),
            };
            send(json!({"event": "fatal", "config": config, "message": message}).to_string());
            3
        }
    };
    // SAFETY: ends the process at once, which is the point.
    unsafe { libc::_exit(code) }
}

fn serve(
    args: &WorkerArgs,
    send: &(impl Fn(String) + Clone + Send + Sync + 'static),
) -> Result<(), Error> {
    sandbox::apply_limits(&args.limits);
    super::warm_up()?;
    let (status, detail) = if args.sandbox {
        fence(&args.workdir, &args.readable)
    } else {
        (
            Status::Disabled,
            "sandbox disabled (--no-sandbox)".to_string(),
        )
    };
    send(json!({"event": "sandbox", "status": status, "detail": detail}).to_string());
    let mut request = String::new();
    std::io::stdin()
        .read_to_string(&mut request)
        .map_err(|e| Error::io(Path::new("<stdin>"), e))?;
    super::run_request(request, send.clone())
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
