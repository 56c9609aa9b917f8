//! [`Document`] → [`DocumentOutcome`]: the examples run in embedded CPython.
//!
//! One interpreter per process, started once; each document gets a fresh
//! namespace and a fresh temporary working directory holding its fixtures, so
//! nothing an example writes lands in the repository. The Python side lives
//! in `harness.py`, compiled into the binary.

use std::ffi::CString;
use std::path::Path;
use std::sync::{Once, OnceLock};

use pyo3::prelude::*;
use pyo3::types::PyModule;
use serde_json::json;

use crate::config::Config;
use crate::error::Error;
use crate::markdown::Document;
use crate::outcome::DocumentOutcome;

const HARNESS: &str = include_str!("harness.py");

/// Fixes the process environment the interpreter will read at start-up.
///
/// `PYTHONHASHSEED` must be set before CPython starts for set and dict
/// ordering of strings to be reproducible. Call this first thing in `main`,
/// before any thread exists; later calls do nothing.
pub fn prepare_process() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("PYTHONHASHSEED").is_none() {
            // SAFETY: called from `main` before threads are spawned (and at
            // worst, before the interpreter exists and reads it).
            unsafe { std::env::set_var("PYTHONHASHSEED", "0") };
        }
        // SAFETY: as above.
        unsafe { std::env::set_var("PYTHONDONTWRITEBYTECODE", "1") };
    });
}

fn harness(py: Python<'_>) -> Result<&Bound<'_, PyModule>, Error> {
    static MODULE: OnceLock<Result<Py<PyModule>, String>> = OnceLock::new();
    let module = MODULE.get_or_init(|| {
        let code = CString::new(HARNESS).map_err(|e| e.to_string())?;
        PyModule::from_code(py, &code, c"snipcheck_harness.py", c"snipcheck_harness")
            .map(Bound::unbind)
            .map_err(|e| describe(py, e))
    });
    match module {
        Ok(m) => Ok(m.bind(py)),
        Err(e) => Err(Error::Python(e.clone())),
    }
}

fn describe(py: Python<'_>, err: PyErr) -> String {
    let tb = err
        .traceback(py)
        .and_then(|tb| tb.format().ok())
        .unwrap_or_default();
    format!("{tb}{err}")
}

/// Runs every example of `doc`, in order, in one namespace.
pub fn run_document(doc: &Document, config: &Config) -> Result<DocumentOutcome, Error> {
    prepare_process();
    let workdir = tempfile::Builder::new()
        .prefix("snipcheck-")
        .tempdir()
        .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
    config.write_fixtures(workdir.path())?;
    let request = request(doc, config, workdir.path());
    let reply = Python::attach(|py| -> Result<String, Error> {
        let harness = harness(py)?;
        harness
            .call_method1("run_document", (request,))
            .and_then(|r| r.extract::<String>())
            .map_err(|e| harness_error(py, e, config))
    })?;
    serde_json::from_str(&reply).map_err(|e| Error::Python(format!("bad harness reply: {e}")))
}

/// A `ConfigError` from the harness is the config's fault: exit 2, naming it.
fn harness_error(py: Python<'_>, err: PyErr, config: &Config) -> Error {
    let is_config = err.get_type(py).name().is_ok_and(|n| n == "ConfigError");
    match (is_config, &config.origin) {
        (true, Some(origin)) => Error::file(origin, format!("invalid config: {}", err.value(py))),
        _ => Error::Python(describe(py, err)),
    }
}

/// The file name examples are compiled under: absolute, so tracebacks find
/// the guide's lines even though the examples run in another directory.
pub fn code_path(doc: &Document) -> String {
    std::path::absolute(&doc.path)
        .unwrap_or_else(|_| doc.path.clone())
        .to_string_lossy()
        .into_owned()
}

fn request(doc: &Document, config: &Config, cwd: &Path) -> String {
    let examples: Vec<_> = doc
        .examples
        .iter()
        .map(|e| {
            let skip = e.skip.is_some() || config.skip.contains_key(&e.id);
            json!({"code": e.code, "first_line": e.first_line(), "skip": skip})
        })
        .collect();
    json!({
        "path": code_path(doc),
        "cwd": cwd,
        "examples": examples,
        "config": {
            "seed": config.run.seed,
            "input": config.run.input,
            "max_output": config.run.max_output,
            "stubs": config.stubs,
            "network": config.network,
        },
    })
    .to_string()
}

/// Version of the embedded CPython, e.g. `3.11.2`.
pub fn python_version() -> String {
    prepare_process();
    Python::attach(|py| {
        let v = py.version_info();
        format!("{}.{}.{}", v.major, v.minor, v.patch)
    })
}
