//! [`Document`] → [`DocumentOutcome`]: the examples run in embedded CPython.
//!
//! Each document runs in a worker process ([`pool`]): the tool's own binary,
//! started as `snipcheck __worker`, embedding CPython, sandboxed
//! (`sandbox`), streaming one [`Event`] per line back to the parent. A worker
//! that dies or hangs takes only its current example with it. The Python side
//! lives in `harness.py`, compiled into the binary.

pub(crate) mod budget;
pub mod environment;
mod identity;
pub mod outcome;
pub mod pool;
// Public, with `Event` and `Collector`, for the fuzz target that decodes
// worker streams (fuzz/fuzz_targets/worker_stream.rs); the rest is internal.
pub mod protocol;
pub(crate) mod sandbox;
#[cfg(target_os = "linux")]
mod seccomp;
mod template;
mod watchdog;
mod workdir;
// Public for the binary's `__worker` entry point alone.
pub mod worker;
mod zygote;

use std::ffi::{CStr, CString};
use std::path::Path;
use std::sync::{Arc, LazyLock, Once, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use pyo3::prelude::*;
use pyo3::types::PyModule;
use regex::Regex;
use serde::Deserialize;
use serde_json::json;

use crate::config::Config;
use crate::error::Error;
use crate::markdown::{Document, Example};
use crate::run::budget::OutputBudget;
use crate::run::outcome::{DocumentOutcome, ExampleOutcome, Interruption, InterruptionKind};

/// One of the harness's Python modules: its source, and the bytecode
/// build.rs compiled it to (empty if it could not).
struct PythonModule {
    source: &'static str,
    bytecode: &'static [u8],
    file: &'static CStr,
    name: &'static CStr,
}

/// `python_module!("harness.py", "snipcheck_harness")`: the file, and the
/// name it is imported under (build.rs names the bytecode after it).
macro_rules! python_module {
    ($source:literal, $name:literal) => {
        PythonModule {
            source: include_str!($source),
            bytecode: include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".py.bytecode")),
            file: const_cstr(concat!($name, ".py\0")),
            name: const_cstr(concat!($name, "\0")),
        }
    };
}

const fn const_cstr(text: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(text.as_bytes()) {
        Ok(text) => text,
        Err(_) => panic!("a module name with a nul inside"),
    }
}

const HARNESS: PythonModule = python_module!("harness.py", "snipcheck_harness");
/// `>>>` sessions, docstring examples and REPL values; imported by the harness.
const REPL: PythonModule = python_module!("repl.py", "snipcheck_repl");
/// The stubbed network; imported by the harness.
const NETWORK: PythonModule = python_module!("network.py", "snipcheck_network");
/// The virtual clock; imported by the harness.
const CLOCK: PythonModule = python_module!("clock.py", "snipcheck_clock");
/// Syntax of a newer CPython; imported by the harness.
const NEWER: PythonModule = python_module!("newer.py", "snipcheck_newer");
/// Which installed module exports a name (for `init`); imported by the harness.
const EXPORTS: PythonModule = python_module!("exports.py", "snipcheck_exports");

impl PythonModule {
    /// Imports the module from `code` (its compiled code object), as
    /// `PyModule::from_code` does from source.
    fn execute<'py>(
        &self,
        py: Python<'py>,
        code: &Bound<'py, PyAny>,
    ) -> Option<Bound<'py, PyModule>> {
        // SAFETY: the GIL is held; both strings are nul-terminated and the
        // code object is alive; a new reference (or null) comes back.
        let module = unsafe {
            pyo3::ffi::PyImport_ExecCodeModuleEx(
                self.name.as_ptr(),
                code.as_ptr(),
                self.file.as_ptr(),
            )
        };
        // SAFETY: `module` is a new reference or null (an error is set then).
        let module = unsafe { Bound::from_owned_ptr_or_err(py, module) }.ok()?;
        module.cast_into::<PyModule>().ok()
    }
}

/// The code object in `bytecode` (magic number, then marshal data), if this
/// CPython reads that bytecode.
fn compiled<'py>(py: Python<'py>, bytecode: &[u8]) -> Option<Bound<'py, PyAny>> {
    let (magic, marshalled) = bytecode.split_first_chunk::<4>()?;
    // SAFETY: no precondition but an initialised interpreter (the GIL is held).
    let ours = unsafe { pyo3::ffi::PyImport_GetMagicNumber() };
    if u32::try_from(ours).ok() != Some(u32::from_le_bytes(*magic)) {
        return None;
    }
    let len = pyo3::ffi::Py_ssize_t::try_from(marshalled.len()).ok()?;
    // SAFETY: the GIL is held and the buffer outlives the call.
    let code =
        unsafe { pyo3::ffi::PyMarshal_ReadObjectFromString(marshalled.as_ptr().cast(), len) };
    // SAFETY: a new reference or null (an error is set then).
    unsafe { Bound::from_owned_ptr_or_err(py, code) }.ok()
}

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

/// One event of a document's child, relayed to the parent by its worker
/// (see [`protocol`]). The child runs example code, so each one is checked
/// before it counts ([`Collector::apply`]).
#[derive(Debug, Deserialize, strum::IntoStaticStr)]
#[serde(tag = "event", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Event {
    /// Which layers of the sandbox are in force, in words.
    Sandbox {
        status: sandbox::Level,
        detail: String,
    },
    /// The document's run began.
    Begin { python: String, workdir: String },
    /// Example `index` started: if the child dies now, it is the culprit.
    Start { index: usize },
    Done {
        index: usize,
        outcome: Box<ExampleOutcome>,
    },
    /// Every example ran.
    End,
    /// The child could not run the document at all; `config` when the
    /// config was at fault (a stub that does not evaluate).
    Fatal { config: bool, message: String },
}

impl Event {
    /// The event's name on the wire.
    pub(crate) fn kind(&self) -> &'static str {
        self.into()
    }
}

/// Where one child's stream of events is: each event must come in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing yet: the sandbox report comes first.
    Fresh,
    /// The sandbox was reported.
    Fenced,
    /// `begin` came: examples run.
    Running,
    /// `end` came: nothing more.
    Ended,
}

/// Assembles a [`DocumentOutcome`] from the events of one or more children
/// (several when a crash made the parent resume in a fresh one).
#[derive(Debug)]
pub struct Collector {
    pub(crate) python: String,
    pub(crate) workdir: String,
    examples: Vec<Option<ExampleOutcome>>,
    /// Lines of the document: no event may name a guide line past it.
    lines: usize,
    /// The example that started and has not finished.
    pub(crate) running: Option<usize>,
    pub(crate) ended: bool,
    pub(crate) sandbox: Option<(sandbox::Level, String)>,
    phase: Phase,
    /// The last example that started in this child (each starts once,
    /// while no other runs). After one started, a `fatal` is not the
    /// config's (example code may have forged it).
    started: Option<usize>,
    /// A child that replays examples before reporting: its config already
    /// worked, so a `fatal` cannot be the config's either.
    replaying: bool,
    /// When the running example started, by the parent's clock.
    started_at: Option<Instant>,
    /// How long each example took first-hand, from its `start` to its
    /// `done` or its end (what replaying it again would cost).
    took: Vec<Duration>,
    /// What the document's events may still carry, in all.
    output: OutputBudget,
}

impl Collector {
    pub fn new(examples: usize, lines: usize) -> Collector {
        Collector {
            python: String::new(),
            workdir: String::new(),
            examples: vec![None; examples],
            lines,
            running: None,
            ended: false,
            sandbox: None,
            phase: Phase::Fresh,
            started: None,
            replaying: false,
            started_at: None,
            took: vec![Duration::ZERO; examples],
            output: OutputBudget::unlimited(),
        }
    }

    /// The same, with the output budget of a document run with `[run]
    /// max_output` (see [`OutputBudget`]).
    pub(crate) fn with_max_output(mut self, max_output: usize) -> Collector {
        self.output = OutputBudget::for_max_output(max_output);
        self
    }

    /// Charges an event line of `len` bytes to the document's output
    /// budget, before it is decoded.
    pub(crate) fn receive(&mut self, len: usize) -> Result<(), String> {
        self.output.take_line(len)
    }

    /// Why the document's output budget ran out, if it did.
    pub(crate) fn output_spent(&self) -> Option<&str> {
        self.output.spent()
    }

    /// A new child takes over the document: its events start afresh.
    pub fn new_child(&mut self, replaying: bool) {
        self.phase = Phase::Fresh;
        self.started = None;
        self.replaying = replaying;
        self.running = None;
        self.started_at = None;
    }

    /// Takes one event of the child, or says why it cannot be: out of
    /// order, an index or a guide line out of range. A `fatal` that may be
    /// believed comes back as `Ok(Some(..))`.
    pub fn apply(&mut self, event: Event) -> Result<Option<(bool, String)>, String> {
        let examples = self.examples.len();
        let in_range = |index: usize| {
            if index < examples {
                Ok(index)
            } else {
                Err(format!("an event names example {index} of {examples}"))
            }
        };
        match (self.phase, event) {
            (Phase::Fresh, Event::Sandbox { status, detail }) => {
                self.sandbox = Some((status, detail));
                self.phase = Phase::Fenced;
            }
            (Phase::Fenced, Event::Begin { python, workdir }) => {
                if !is_version(&python) {
                    return Err("the document's process gave an odd Python version".into());
                }
                self.python = python;
                self.workdir = workdir;
                self.phase = Phase::Running;
            }
            // Any example not reported yet may start (Sphinx cleanup code
            // runs last, after examples that come after it), one at a time.
            (Phase::Running, Event::Start { index })
                if self.running.is_none()
                    && self.examples.get(index).is_some_and(Option::is_none) =>
            {
                self.running = Some(index);
                self.started = Some(index);
                self.started_at = Some(Instant::now());
            }
            (Phase::Running, Event::Done { index, outcome }) => {
                let index = in_range(index)?;
                match self.running {
                    Some(running) if running == index => {}
                    // The harness reports a skipped example without starting it.
                    None if outcome.skipped && self.examples[index].is_none() => {}
                    Some(_) => return Err(format!("example {index} ended while another ran")),
                    None => return Err(format!("example {index} ended without starting")),
                }
                protocol::check_lines(&outcome, self.lines)?;
                self.output.take_outcome(&outcome)?;
                self.examples[index] = Some(*outcome);
                self.stop_running();
            }
            // Only after every example's `done`: an `end` forged before
            // would pass off the examples that never ran.
            (Phase::Running, Event::End) if self.examples.iter().all(Option::is_some) => {
                self.ended = true;
                self.phase = Phase::Ended;
            }
            (Phase::Running, Event::End) => {
                return Err(
                    "the document's process sent `end` before every example was done".into(),
                );
            }
            (Phase::Fresh | Phase::Fenced | Phase::Running, Event::Fatal { config, message })
                if self.started.is_none() && !self.replaying =>
            {
                return Ok(Some((config, message)));
            }
            (_, event) => {
                return Err(format!(
                    "the document's process sent an event out of order ({})",
                    event.kind()
                ));
            }
        }
        Ok(None)
    }

    /// Records that the running example (or, if none, every example not yet
    /// reported) was cut short; returns the index it happened at.
    pub fn interrupt(&mut self, interruption: Interruption) -> Option<usize> {
        let index = self.running;
        self.stop_running();
        let targets: Vec<usize> = match index {
            Some(i) => vec![i],
            None => (0..self.examples.len())
                .filter(|i| self.examples[*i].is_none())
                .collect(),
        };
        for i in targets {
            self.examples[i] = Some(ExampleOutcome {
                interrupted: Some(interruption.clone()),
                ..Default::default()
            });
        }
        index
    }

    /// No example runs any more; the one that did is charged its time.
    fn stop_running(&mut self) {
        if let (Some(index), Some(since)) = (self.running.take(), self.started_at.take()) {
            self.took[index] = since.elapsed();
        }
    }

    /// Where a fresh child picks up: the examples reported so far are
    /// replayed silently, but those that were interrupted, which are avoided.
    pub(crate) fn resume(&self) -> Resume {
        let (mut replay, mut avoid) = (Vec::new(), Vec::new());
        for (i, outcome) in self.examples.iter().enumerate() {
            match outcome {
                Some(o) if o.interrupted.is_some() => avoid.push(i),
                Some(_) => replay.push(i),
                None => {}
            }
        }
        Resume { replay, avoid }
    }

    /// Whether every example has its outcome: nothing is left to run.
    pub(crate) fn complete(&self) -> bool {
        self.examples.iter().all(Option::is_some)
    }

    /// How long the document's examples took first-hand, and how long
    /// replaying those of `resume` would take.
    pub(crate) fn replay_cost(&self, resume: &Resume) -> (Duration, Duration) {
        let cost = resume.replay.iter().map(|&i| self.took[i]).sum();
        (cost, self.took.iter().sum())
    }

    /// Records every example without an outcome as not run, for `why`.
    pub(crate) fn not_run(&mut self, why: &str) {
        for outcome in self.examples.iter_mut().filter(|o| o.is_none()) {
            *outcome = Some(not_run(why));
        }
    }

    /// The document's outcome. An example whose outcome never arrived is
    /// not run, an error: never the default, which would pass.
    pub fn finish(self) -> DocumentOutcome {
        DocumentOutcome {
            python: self.python,
            workdir: self.workdir,
            examples: self
                .examples
                .into_iter()
                .map(|o| {
                    o.unwrap_or_else(|| {
                        not_run("never reported: the document's process ended without running it")
                    })
                })
                .collect(),
        }
    }
}

/// The outcome of an example that did not run, for `why`.
fn not_run(why: &str) -> ExampleOutcome {
    ExampleOutcome {
        interrupted: Some(Interruption {
            kind: InterruptionKind::NotRun,
            message: why.to_string(),
            line: None,
        }),
        ..Default::default()
    }
}

/// Loads the Python side into this interpreter, as a worker does (for the
/// Python unit tests in `tests/python/`).
pub fn load_harness(py: Python<'_>) -> Result<(), Error> {
    harness(py).map(|_| ())
}

/// `3.11.2`: digits and dots, as the harness reports `sys.version_info`.
fn is_version(text: &str) -> bool {
    text.len() <= 32
        && text.split('.').count() == 3
        && text
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

fn harness(py: Python<'_>) -> Result<&Bound<'_, PyModule>, Error> {
    static MODULE: OnceLock<Result<Py<PyModule>, String>> = OnceLock::new();
    let module = MODULE.get_or_init(|| {
        let load = |module: &PythonModule| {
            let bytecode = compiled(py, module.bytecode);
            if let Some(module) = bytecode.and_then(|code| module.execute(py, &code)) {
                return Ok(module);
            }
            let code = CString::new(module.source).map_err(|e| e.to_string())?;
            PyModule::from_code(py, &code, module.file, module.name).map_err(|e| describe(py, e))
        };
        load(&REPL)?;
        load(&CLOCK)?;
        load(&NEWER)?;
        load(&EXPORTS)?;
        load(&NETWORK)?;
        load(&HARNESS).map(Bound::unbind)
    });
    match module {
        Ok(m) => Ok(m.bind(py)),
        Err(e) => Err(Error::Harness(e.clone())),
    }
}

fn describe(py: Python<'_>, err: PyErr) -> String {
    let tb = err
        .traceback(py)
        .and_then(|tb| tb.format().ok())
        .unwrap_or_default();
    format!("{tb}{err}")
}

/// What the harness imports in every sandboxed document's process (the
/// process block patches `subprocess`, fixtures are base64, tidying up
/// resets `signal`'s timers): imported once in the worker instead, each
/// document's import cost most of 4 ms.
const HARNESS_IMPORTS: &[&str] = &["subprocess", "base64", "signal"];

/// Starts the interpreter, loads the harness and imports (and patches) the
/// heavy modules the documents will use, before the worker forks.
pub(crate) fn warm_up(preload: &[String]) -> Result<(), Error> {
    prepare_process();
    Python::attach(|py| {
        let v = py.version_info();
        let running = format!("{}.{}.{}", v.major, v.minor, v.patch);
        if let Some(why) = build_mismatch(&running) {
            return Err(Error::Harness(why));
        }
        harness(py).map(|_| ())
    })?;
    let modules = HARNESS_IMPORTS.iter().map(|m| m.to_string());
    preload_modules(&modules.chain(preload.iter().cloned()).collect::<Vec<_>>())
}

/// Imports (and patches) `modules` in this warmed-up interpreter, as
/// the harness's `preload` does: the documents' children find them.
pub(crate) fn preload_modules(modules: &[String]) -> Result<(), Error> {
    Python::attach(|py| {
        harness(py)?
            .call_method1("preload", (modules.to_vec(),))
            .map(|_| ())
            .map_err(|e| Error::Harness(describe(py, e)))
    })
}

/// Modules worth importing once per worker rather than once per document:
/// the heavy ones the documents' code (or their config) calls for, and
/// every module the examples import. A forked child then finds them in
/// `sys.modules`, as a reader's long-lived interpreter would. The harness
/// imports only standard-library ones, and only those that import quietly
/// (see `preload` in harness.py): the worker runs no document code.
pub(crate) fn modules_to_preload<'a>(
    jobs: impl IntoIterator<Item = (&'a Document, &'a Config)>,
) -> Vec<String> {
    const CUES: &[(&str, &[&str])] = &[
        ("asyncio", &["asyncio", "async ", "await "]),
        ("urllib.request", &["urllib"]),
        ("http.client", &["http.client", "urllib"]),
        ("unittest.mock", &["mock"]),
        ("doctest", &[">>>"]),
    ];
    let mut wanted: Vec<String> = Vec::new();
    let mut want = |module: &str| {
        if !wanted.iter().any(|w| w == module) {
            wanted.push(module.to_string());
        }
    };
    for (doc, config) in jobs {
        let code = || doc.examples.iter().map(|e| e.code.as_str());
        for (module, cues) in CUES {
            let cued = code().any(|c| cues.iter().any(|cue| c.contains(cue)));
            let stubbed = *module == "unittest.mock" && !config.stubs.is_empty();
            if cued || stubbed {
                want(module);
            }
        }
        code().flat_map(imported_modules).for_each(&mut want);
    }
    wanted
}

/// The dotted module names `import` and `from … import` lines name
/// (`>>> ` prompts included); relative imports are the document's own.
fn imported_modules(code: &str) -> impl Iterator<Item = &str> {
    static IMPORT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?m)^[ \t]*(?:(?:>>>|\.\.\.) )?(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b|import[ \t]+([A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*))",
        )
        .expect("a valid pattern")
    });
    IMPORT.captures_iter(code).flat_map(|c| {
        let names = match (c.get(1), c.get(2)) {
            (Some(from), _) => vec![from.as_str()],
            (None, Some(list)) => list.as_str().split(',').map(str::trim).collect(),
            _ => vec![],
        };
        names.into_iter().filter(|n| !n.ends_with('.'))
    })
}

/// A document's run, set up in this process (see `load_document` in
/// harness.py) and ready to start: the next document's process loads
/// while the one before runs, and starts at its go.
pub(crate) struct Loaded {
    request: Py<PyAny>,
    hooks: Py<PyAny>,
}

/// Loads `job`'s harness request in this process; `emit` will get one or
/// more event lines at a time (newline-separated, no trailing newline) once
/// it runs. Sandboxed, the harness refuses processes in front of the
/// kernel's filter; without the sandbox an example may start them.
pub(crate) fn load_request(
    job: &worker::Job,
    emit: impl Fn(String) + Send + Sync + 'static,
) -> Result<Loaded, Error> {
    static WATCHDOG: OnceLock<Arc<watchdog::Watchdog>> = OnceLock::new();
    Python::attach(|py| {
        let harness = harness(py)?;
        let watchdog = match WATCHDOG.get() {
            Some(w) => w,
            None => {
                let exception = harness
                    .getattr("ExampleTimeout")
                    .map_err(|e| Error::Harness(describe(py, e)))?;
                WATCHDOG.get_or_init(|| Arc::new(watchdog::Watchdog::start(&exception)))
            }
        };
        let hooks = watchdog
            .hooks(py, harness, emit)
            .map_err(|e| Error::Harness(describe(py, e)))?;
        let request = harness
            .call_method1("load_document", (&job.request, job.sandbox, job.rehearse))
            .map_err(|e| harness_error(py, e))?;
        Ok(Loaded {
            request: request.unbind(),
            hooks: hooks.unbind(),
        })
    })
}

impl Loaded {
    /// Runs the document, its events going where `load_request` said.
    pub(crate) fn run(self) -> Result<(), Error> {
        Python::attach(|py| {
            harness(py)?
                .call_method1("run_document", (self.request, self.hooks))
                .map(|_| ())
                .map_err(|e| harness_error(py, e))
        })
    }
}

/// The harness's work in a document's process that needs no job (see
/// `prepare_child` in harness.py), done while the job is on its way.
pub(crate) fn prepare_child() -> Result<(), Error> {
    Python::attach(|py| {
        harness(py)?
            .call_method0("prepare_child")
            .map(|_| ())
            .map_err(|e| Error::Harness(describe(py, e)))
    })
}

/// A `ConfigError` from the harness is the config's fault: exit 2.
fn harness_error(py: Python<'_>, err: PyErr) -> Error {
    let is_config = err.get_type(py).name().is_ok_and(|n| n == "ConfigError");
    if is_config {
        Error::Config(err.value(py).to_string())
    } else {
        Error::Harness(describe(py, err))
    }
}

/// The file name examples are compiled under: absolute, so that frames of
/// the guide are recognised whatever the working directory.
pub(crate) fn code_path(doc: &Document) -> String {
    std::path::absolute(&doc.path)
        .unwrap_or_else(|_| doc.path.clone())
        .to_string_lossy()
        .into_owned()
}

/// Where a fresh worker picks up after its predecessor died.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resume {
    /// Examples already reported: replayed silently, to rebuild the
    /// namespace, in the order they run in. The others are reported.
    pub(crate) replay: Vec<usize>,
    /// Examples never to run again (they crashed or timed out).
    pub(crate) avoid: Vec<usize>,
}

/// What the harness must learn of an example's statements: their spans
/// (`false`: no claim reads them; `true`: parse the example for them; or the
/// spans themselves, read from the text, which spares the harness a parse),
/// and the lines of claims that may show a REPL value (their statements get
/// a value probe, which does need the parse). A claim on a lone `print(…)`
/// call needs no probe: its value is `None`, what it shows is its output.
fn statements_to_learn(e: &Example) -> (serde_json::Value, Vec<usize>) {
    let claims = crate::claim::parse(e);
    let about_statements: Vec<_> = claims
        .iter()
        .filter(|c| c.speaks_about_a_statement())
        .collect();
    if about_statements.is_empty() || e.is_session() {
        return (json!(!about_statements.is_empty()), Vec::new());
    }
    let offset = e.first_line() - 1;
    let statements = crate::pysource::statements(&e.code);
    // The harness probes the simple statements on a claim's line (all of
    // them when the text left the statements unsure); a lone print needs none.
    let needs_probe = |line: usize| {
        statements.as_ref().is_none_or(|all| {
            all.iter().any(|s| {
                (s.first..=s.last).contains(&line)
                    && s.kind == crate::pysource::StatementKind::Simple
            })
        })
    };
    let claim_lines = about_statements
        .iter()
        .filter(|c| c.may_be_a_value() && needs_probe(c.anchor - offset))
        .map(|c| c.anchor)
        .collect();
    let spans = match &statements {
        Some(all) => json!(
            all.iter()
                .map(|s| [s.first + offset, s.last + offset])
                .collect::<Vec<_>>()
        ),
        None => json!(true),
    };
    (spans, claim_lines)
}

/// The harness request for `doc`.
pub(crate) fn harness_request(
    doc: &Document,
    config: &Config,
    cwd: &Path,
    resume: &Resume,
) -> Result<String, Error> {
    let examples: Vec<_> = doc
        .examples
        .iter()
        .map(|e| {
            let skip = e.is_skipped_under(config.run.mode) || config.skip.contains_key(&e.id);
            let timeout = config.timeout_for(&doc.name, &e.id);
            let (spans, claim_lines) = statements_to_learn(e);
            json!({
                "code": e.code, "first_line": e.first_line(), "skip": skip, "timeout": timeout,
                "session": e.is_session(), "claim_lines": claim_lines, "spans": spans,
                "role": role(e), "groups": e.plan.groups, "sphinx": e.plan.is_sphinx(),
                "flags": e.plan.flags, "conditions": conditions(&e.plan),
                "skip_if": skip_conditions(&e.plan),
                "unnamed": e.plan.unnamed || e.plan.is_sphinx(),
                "first": e.plan.hoisted,
                "shared": shared_names(&e.plan),
            })
        })
        .collect();
    let fixtures: serde_json::Map<String, serde_json::Value> = config
        .fixture_bytes()?
        .into_iter()
        .map(|(name, bytes)| {
            (
                name,
                base64::engine::general_purpose::STANDARD
                    .encode(bytes)
                    .into(),
            )
        })
        .collect();
    Ok(json!({
        "path": code_path(doc),
        "source": &*doc.source,
        "cwd": cwd,
        "replay": resume.replay,
        "avoid": resume.avoid,
        "examples": examples,
        "config": {
            "seed": config.run.seed,
            "input": config.run.input,
            "max_output": config.run.max_output,
            "stubs": config.stubs,
            "modules": config.modules,
            "network": config.network,
            "fixtures": fixtures,
            "now": config.run.now,
            "setup": config.run.setup,
            "sphinx": sphinx_settings(doc, config),
            "site_packages": config.environment.site_packages,
            // Absolute: examples run in their working directory, and an
            // import must not depend on one made before the harness's chdir.
            "paths": config.environment.paths.iter().map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())).collect::<Vec<_>>(),
            "venv": config.environment.venv,
        },
    })
    .to_string())
}

/// Sphinx's global setup, cleanup and default flags: `[sphinx]` in
/// snipcheck.toml over what the project's `conf.py` says.
fn sphinx_settings(doc: &Document, config: &Config) -> serde_json::Value {
    let conf = doc.conventions.sphinx.clone().unwrap_or_default();
    let ours = &config.sphinx;
    json!({
        "setup": ours.global_setup.clone().or(conf.global_setup),
        "cleanup": ours.global_cleanup.clone().or(conf.global_cleanup),
        "default_flags": ours.default_flags.clone().or(conf.default_flags),
    })
}

/// What the harness checks before running a block (`:skipif:`,
/// `:pyversion:`). Sphinx evaluates `:skipif:` in a fresh namespace after
/// its global setup; the other tools' conditions go by [`skip_conditions`].
fn conditions(plan: &crate::markdown::Plan) -> serde_json::Value {
    use crate::markdown::Condition;
    plan.conditions
        .iter()
        .filter(|c| plan.is_sphinx() || !matches!(c, Condition::SkipIf(_)))
        .map(|c| match c {
            Condition::SkipIf(expr) => json!({"skipif": expr}),
            Condition::OutputSkipIf(expr) => json!({"output_skipif": expr}),
            Condition::PyVersion { op, version } => json!({"pyversion": [op, version]}),
            Condition::MarkSkipIf(arguments) => json!({"markskipif": arguments}),
            Condition::ImportOrSkip(module) => json!({"importorskip": module}),
        })
        .collect()
}

/// The skip conditions of the other tools (Sybil's `skip: next if(...)`),
/// evaluated on a copy of the example's own namespace just before it runs.
fn skip_conditions(plan: &crate::markdown::Plan) -> Vec<&str> {
    use crate::markdown::Condition;
    if plan.is_sphinx() {
        return Vec::new();
    }
    plan.conditions
        .iter()
        .filter_map(|c| match c {
            Condition::SkipIf(expression) => Some(expression.as_str()),
            _ => None,
        })
        .collect()
}

/// The shared names a block starts from and what it does to them
/// (phmdoctest's module globals), or null.
fn shared_names(plan: &crate::markdown::Plan) -> serde_json::Value {
    use crate::markdown::AfterRun;
    match &plan.shared {
        None => serde_json::Value::Null,
        Some(shared) => json!({
            "group": shared.group,
            "after": match shared.after {
                AfterRun::Keep => "keep",
                AfterRun::Share => "share",
                AfterRun::Clear => "clear",
            },
        }),
    }
}

/// How the harness treats an example: run and checked, or Sphinx setup and
/// cleanup code (run in their groups, before and after, never checked).
fn role(example: &crate::markdown::Example) -> &'static str {
    use crate::markdown::FenceKind;
    match example.kind {
        FenceKind::Setup => "setup",
        FenceKind::Cleanup => "cleanup",
        _ => "example",
    }
}

/// Where the embedded CPython reads its modules from.
pub(crate) fn python_paths() -> Vec<std::path::PathBuf> {
    Python::attach(|py| {
        let paths = py.eval(
            c"[p for p in __import__('sys').path + [__import__('sys').prefix, __import__('sys').base_prefix, __import__('sys').exec_prefix] if p]",
            None,
            None,
        );
        paths.and_then(|p| p.extract::<Vec<String>>()).unwrap_or_default()
    })
    .into_iter()
    .map(std::path::PathBuf::from)
    .collect()
}

/// The CPython the binary was built against (`3.11.7`) and its library
/// folder, as `build.rs` found them; the loader may find another libpython.
pub fn built_against() -> (&'static str, &'static str) {
    env!("SNIPCHECK_BUILT_AGAINST")
        .split_once(' ')
        .unwrap_or((env!("SNIPCHECK_BUILT_AGAINST"), ""))
}

/// Why the libpython loaded at run time cannot be trusted to be the one
/// built against: another minor version (another ABI). A patch release
/// differs harmlessly, and every report names the version that runs.
pub fn build_mismatch(running: &str) -> Option<String> {
    let (built, lib_dir) = built_against();
    let minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    (minor(built) != minor(running)).then(|| {
        format!(
            "snipcheck was built against CPython {built} ({lib_dir}) but loaded libpython {running}: \
             rebuild with `PYO3_PYTHON=python{} cargo build --release`, or put the library \
             folder of the one built against on LD_LIBRARY_PATH",
            minor(running)
        )
    })
}

/// The embedded CPython, as `snipcheck python` shows it.
pub struct Interpreter {
    pub version: String,
    pub prefix: String,
    /// A `pythonX.Y` of the same installation, to make venvs from.
    pub executable: Option<String>,
}

pub fn interpreter() -> Interpreter {
    prepare_process();
    Python::attach(|py| {
        let v = py.version_info();
        let sys = py.import("sys").ok();
        let get = |name: &str| -> String {
            sys.as_ref()
                .and_then(|s| s.getattr(name).ok())
                .and_then(|v| v.extract::<String>().ok())
                .unwrap_or_default()
        };
        let prefix = get("base_prefix");
        let candidates = [
            format!("{prefix}/bin/python{}.{}", v.major, v.minor),
            get("_base_executable"),
        ];
        Interpreter {
            version: format!("{}.{}.{}", v.major, v.minor, v.patch),
            executable: candidates
                .into_iter()
                .find(|c| !c.is_empty() && Path::new(c).is_file()),
            prefix,
        }
    })
}

/// Version of the embedded CPython, e.g. `3.11.2`.
pub(crate) fn python_version() -> String {
    prepare_process();
    Python::attach(|py| {
        let v = py.version_info();
        format!("{}.{}.{}", v.major, v.minor, v.patch)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_harness_modules_load_from_the_bytecode_build_rs_made() {
        Python::attach(|py| {
            for module in [&REPL, &CLOCK, &NEWER, &EXPORTS, &NETWORK, &HARNESS] {
                let code = compiled(py, module.bytecode).unwrap_or_else(|| {
                    panic!(
                        "{:?}: no bytecode, or bytecode for another CPython",
                        module.name
                    )
                });
                let module = module.execute(py, &code).expect("the module runs");
                assert!(module.hasattr("__file__").unwrap());
            }
            // Bytecode this CPython cannot read is left for the sources.
            assert!(compiled(py, b"").is_none());
            assert!(compiled(py, b"\0\0\0\0marshal").is_none());
        });
    }

    fn fence_and_begin(c: &mut Collector) {
        let status = sandbox::Level::Full;
        c.apply(Event::Sandbox {
            status,
            detail: "full".into(),
        })
        .unwrap();
        c.apply(Event::Begin {
            python: "3.11.2".into(),
            workdir: "/w".into(),
        })
        .unwrap();
    }

    fn begun(examples: usize) -> Collector {
        let mut c = Collector::new(examples, 100);
        fence_and_begin(&mut c);
        c
    }

    fn run(c: &mut Collector, index: usize) {
        c.apply(Event::Start { index }).unwrap();
        let outcome = Box::default();
        c.apply(Event::Done { index, outcome }).unwrap();
    }

    fn interruption(kind: InterruptionKind) -> Interruption {
        Interruption {
            kind,
            message: "killed".into(),
            line: None,
        }
    }

    #[test]
    fn only_another_minor_version_than_the_one_built_against_is_refused() {
        let (built, _) = built_against();
        let minor: Vec<&str> = built.split('.').take(2).collect();
        assert_eq!(
            build_mismatch(&format!("{}.{}.99", minor[0], minor[1])),
            None
        );
        let other = format!("{}.{}.0", minor[0], minor[1].parse::<u32>().unwrap() + 1);
        let why = build_mismatch(&other).expect("another minor version");
        assert!(why.contains("PYO3_PYTHON"), "{why}");
    }

    #[test]
    fn a_crash_marks_the_running_example_and_the_replay_goes_on_after_it() {
        let mut c = begun(3);
        run(&mut c, 0);
        c.apply(Event::Start { index: 1 }).unwrap();
        assert_eq!(c.interrupt(interruption(InterruptionKind::Crash)), Some(1));
        let resume = c.resume();
        assert_eq!(
            (resume.replay, resume.avoid),
            (vec![0], vec![1]),
            "the replay skips it"
        );
        // A fresh child replays example 0 silently and reports from 2 on.
        c.new_child(true);
        fence_and_begin(&mut c);
        run(&mut c, 2);
        c.apply(Event::End).unwrap();
        let outcome = c.finish();
        let kinds: Vec<_> = outcome
            .examples
            .iter()
            .map(|e| e.interrupted.as_ref().map(|i| i.kind))
            .collect();
        assert_eq!(kinds, [None, Some(InterruptionKind::Crash), None]);
    }

    #[test]
    fn a_death_outside_any_example_cuts_short_every_unreported_one() {
        let mut c = begun(3);
        run(&mut c, 0);
        assert_eq!(c.interrupt(interruption(InterruptionKind::Timeout)), None);
        assert_eq!(c.resume().avoid, [1, 2]);
    }

    #[test]
    fn end_comes_only_after_every_examples_done() {
        let mut c = begun(3);
        run(&mut c, 0);
        let skipped = Box::new(ExampleOutcome {
            skipped: true,
            ..Default::default()
        });
        c.apply(Event::Done {
            index: 1,
            outcome: skipped,
        })
        .unwrap();
        let refused = c.apply(Event::End).unwrap_err();
        assert!(
            refused.contains("`end` before every example was done"),
            "{refused}"
        );
        run(&mut c, 2);
        c.apply(Event::End).unwrap();
    }

    #[test]
    fn only_a_skipped_example_is_done_without_starting() {
        let mut c = begun(2);
        let outcome = Box::default();
        let refused = c.apply(Event::Done { index: 0, outcome }).unwrap_err();
        assert!(refused.contains("without starting"), "{refused}");
        run(&mut c, 0);
        // Its `done` again, once it ended: forged.
        let outcome = Box::new(ExampleOutcome {
            skipped: true,
            ..Default::default()
        });
        assert!(c.apply(Event::Done { index: 0, outcome }).is_err());
    }

    #[test]
    fn an_outcome_that_never_arrived_is_not_run_never_a_pass() {
        let mut c = begun(2);
        run(&mut c, 0);
        let outcome = c.finish();
        let never = outcome.examples[1]
            .interrupted
            .as_ref()
            .expect("interrupted");
        assert_eq!(never.kind, InterruptionKind::NotRun);
        assert!(
            never.message.contains("never reported"),
            "{}",
            never.message
        );
    }

    #[test]
    fn examples_start_once_each_one_at_a_time_in_any_order() {
        let mut c = begun(3);
        run(&mut c, 2); // Sphinx cleanup code runs last: any order is fine
        run(&mut c, 0);
        assert!(c.apply(Event::Start { index: 2 }).is_err(), "twice");
        assert!(c.apply(Event::Start { index: 9 }).is_err(), "out of range");
        c.apply(Event::Start { index: 1 }).unwrap();
        assert!(
            c.apply(Event::Start { index: 1 }).is_err(),
            "while another runs"
        );
    }
}
