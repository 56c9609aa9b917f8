//! What running an example produced: the facts, before any judgement.

use serde::{Deserialize, Serialize};

/// The run of one document, as the harness reports it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DocumentOutcome {
    /// Version of the embedded CPython (`3.11.2`).
    pub python: String,
    /// The temporary working directory the examples ran in (gone by now).
    pub workdir: String,
    /// One per example of the document, in order.
    pub examples: Vec<ExampleOutcome>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ExampleOutcome {
    #[serde(default)]
    pub writes: Vec<Write>,
    /// `(first, last)` guide lines of every statement, outermost first.
    #[serde(default)]
    pub statements: Vec<(usize, usize)>,
    pub error: Option<PyError>,
    #[serde(default)]
    pub skipped: bool,
    /// Why the harness skipped it (it needs a newer CPython), when the plan
    /// did not say.
    #[serde(default)]
    pub skip_reason: Option<String>,
    /// Output went past the limit and was cut.
    #[serde(default)]
    pub truncated: bool,
    /// The example was stopped (time limit) or took its worker down.
    #[serde(default)]
    pub interrupted: Option<Interruption>,
    /// REPL values (`repr`) of claimed bare expressions and assignments:
    /// (last guide line of the statement, repr, is an assignment), once per
    /// time it ran.
    #[serde(default)]
    pub values: Vec<(usize, String, bool)>,
    /// `>>>` examples run: in a session block or in the docstrings the
    /// example defines. Judged by doctest itself.
    #[serde(default)]
    pub doctests: Vec<DoctestResult>,
}

/// One `>>>` example, as doctest's output checker judged it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DoctestResult {
    pub kind: DoctestKind,
    /// Guide line of the `>>>`.
    pub line: usize,
    pub source: String,
    /// Lines the example spans after its first (source and expected output).
    pub lines: usize,
    pub want: String,
    pub got: String,
    pub verdict: DoctestVerdict,
    pub error: Option<PyError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DoctestKind {
    /// A `>>>` session block.
    Doctest,
    /// A `>>>` example inside a docstring the example defines.
    Docstring,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DoctestVerdict {
    Holds,
    Drifts,
    Error,
    Skipped,
    /// A placeholder for the reader to fill in (`?`): not a claim.
    Unchecked,
}

/// Why an example did not run to its end by itself.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Interruption {
    pub kind: InterruptionKind,
    /// What happened, e.g. `ran past its 5 s time limit`, `killed by signal 11 (SIGSEGV)`.
    pub message: String,
    /// The guide line it was on, when known.
    pub line: Option<usize>,
}

/// On the wire `timeout` / `crash`; in reports, named like an exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
pub enum InterruptionKind {
    Timeout,
    Crash,
    /// Never ran, or never said so: its process ended first, or the
    /// document spent its budget (output, replays). The parent's own
    /// record, an `error`: an outcome that never arrived is no pass.
    NotRun,
}

impl InterruptionKind {
    /// `Timeout` / `Crash`: the exception type reports give an interruption.
    pub fn type_name(self) -> &'static str {
        self.into()
    }
}

/// One chunk written to stdout or stderr.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Write {
    #[serde(rename = "s")]
    pub stream: Stream,
    #[serde(rename = "t")]
    pub text: String,
    /// Guide lines on the call stack, innermost first; the last is the
    /// example's own top-level statement (when the write came from it).
    #[serde(rename = "l")]
    pub lines: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Stream {
    #[serde(rename = "out")]
    Stdout,
    #[serde(rename = "err")]
    Stderr,
}

/// An exception that escaped the example.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PyError {
    #[serde(rename = "type")]
    pub type_name: String,
    pub message: String,
    /// Innermost guide line of the traceback: where it went wrong.
    pub line: Option<usize>,
    /// The example's own top-level line that was running.
    pub top_line: Option<usize>,
    pub traceback: String,
    /// The placeholder the example leaned on that the config does not
    /// declare, when the error comes from one.
    #[serde(default)]
    pub missing: Option<Missing>,
    /// For an `OSError`, its `errno`: what tells a full disk or a full
    /// descriptor table from the example's own mistake.
    #[serde(default)]
    pub errno: Option<i32>,
}

/// Something an example uses without defining: what `snipcheck init`
/// declares, and what an error's `help:` line names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
pub struct Missing {
    pub kind: MissingKind,
    /// The file name, variable, module or URL (empty for `input`).
    #[serde(default)]
    pub value: String,
    /// For a name: the import the example forgot (`from typing import Any`).
    #[serde(default)]
    pub import: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingKind {
    /// A file opened for reading (`FileNotFoundError`).
    File,
    /// An undefined name (`NameError`).
    Name,
    /// A module that is not installed (`ModuleNotFoundError`).
    Module,
    /// A URL with no canned response.
    Url,
    /// `input()` with nothing left to read.
    Input,
}

impl Missing {
    /// The rustc-style `help:` text for an error caused by this.
    pub fn help(&self) -> String {
        let value = &self.value;
        let how = match self.kind {
            MissingKind::File => format!(
                "declare `{value}` under [fixtures] in snipcheck.toml (\"{value}\" = \"its content\")"
            ),
            MissingKind::Name if self.import.is_some() => format!(
                "the example uses `{value}` without importing it: add `{}` to [run] setup \
                 in snipcheck.toml",
                self.import.as_deref().unwrap_or_default()
            ),
            MissingKind::Name => format!(
                "define `{value}` under [stubs] in snipcheck.toml ({value} = \"mock.MagicMock()\")"
            ),
            MissingKind::Module => format!(
                "install `{value}` into the venv snipcheck uses ($VIRTUAL_ENV or [python] venv), \
                 or stub it under [modules] in snipcheck.toml"
            ),
            MissingKind::Url => {
                format!("declare a response under [network.\"{value}\"] in snipcheck.toml")
            }
            MissingKind::Input => {
                "declare the lines input() reads under [run] input in snipcheck.toml".into()
            }
        };
        format!("{how}, or run `snipcheck init` to declare every placeholder")
    }
}

impl Write {
    /// Did the guide lines `first..=last` take part in this write?
    pub fn involves(&self, first: usize, last: usize) -> bool {
        self.lines.iter().any(|l| (first..=last).contains(l))
    }

    /// The example's top-level line that was running.
    pub fn top_line(&self) -> Option<usize> {
        self.lines.last().copied()
    }
}

impl PyError {
    /// Whether the error is the machine's limit rather than the example's
    /// doing: memory, a full disk, a file past its size limit, no file
    /// descriptor or thread left. It may come from the machine's load or
    /// from another process, so it says nothing about the example.
    pub fn is_resource_failure(&self) -> bool {
        const EXHAUSTED: [i32; 5] = [
            libc::ENOSPC,
            libc::EDQUOT,
            libc::EFBIG,
            libc::EMFILE,
            libc::ENFILE,
        ];
        match self.type_name.as_str() {
            "MemoryError" => true,
            // CPython's words when `pthread_create` fails.
            "RuntimeError" => self.message.starts_with("can't start new thread"),
            _ => self.errno.is_some_and(|errno| EXHAUSTED.contains(&errno)),
        }
    }
}

impl ExampleOutcome {
    /// Whether the run of the example says more about the machine than
    /// about the example: it was interrupted (a timeout, a crash, not run)
    /// or failed for want of a resource, itself or in a `>>>` example.
    pub fn hit_a_limit(&self) -> bool {
        let errors = self.error.iter();
        let errors = errors.chain(self.doctests.iter().filter_map(|d| d.error.as_ref()));
        self.interrupted.is_some() || errors.into_iter().any(PyError::is_resource_failure)
    }

    pub fn stdout(&self) -> String {
        self.text_of(Stream::Stdout)
    }

    pub fn stderr(&self) -> String {
        self.text_of(Stream::Stderr)
    }

    fn text_of(&self, stream: Stream) -> String {
        self.writes
            .iter()
            .filter(|w| w.stream == stream)
            .map(|w| w.text.as_str())
            .collect()
    }

    /// The innermost statement whose lines include `line`.
    pub fn statement_at(&self, line: usize) -> Option<(usize, usize)> {
        self.statements
            .iter()
            .filter(|(first, last)| (*first..=*last).contains(&line))
            .min_by_key(|(first, last)| last - first)
            .copied()
    }

    /// The REPL values the statement ending at guide line `last` had, and
    /// whether it is an assignment.
    pub fn values_of(&self, last: usize) -> Option<(String, bool)> {
        let found: Vec<_> = self.values.iter().filter(|(l, _, _)| *l == last).collect();
        let assignment = found.first()?.2;
        let values: Vec<&str> = found.iter().map(|(_, v, _)| v.as_str()).collect();
        Some((values.join("\n"), assignment))
    }

    /// Stdout written while the statement spanning `first..=last` ran.
    pub fn stdout_of(&self, first: usize, last: usize) -> String {
        self.writes
            .iter()
            .filter(|w| w.stream == Stream::Stdout && w.involves(first, last))
            .map(|w| w.text.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(type_name: &str, message: &str, errno: Option<i32>) -> PyError {
        PyError {
            type_name: type_name.into(),
            message: message.into(),
            line: None,
            top_line: None,
            traceback: String::new(),
            missing: None,
            errno,
        }
    }

    #[test]
    fn resource_failures_are_the_machines_limits_not_the_examples_mistakes() {
        let exhausted = [
            error("MemoryError", "", None),
            error("OSError", "[Errno 28] No space left on device", Some(28)),
            error("OSError", "[Errno 27] File too large", Some(27)),
            error("OSError", "[Errno 24] Too many open files", Some(24)),
            error("RuntimeError", "can't start new thread", None),
        ];
        for e in &exhausted {
            assert!(e.is_resource_failure(), "{e:?}");
            let outcome = ExampleOutcome {
                error: Some(e.clone()),
                ..Default::default()
            };
            assert!(outcome.hit_a_limit());
        }
        let own = [
            error("FileNotFoundError", "[Errno 2] No such file", Some(2)),
            error(
                "RuntimeError",
                "dictionary changed size during iteration",
                None,
            ),
            error("ValueError", "MemoryError", None),
        ];
        for e in &own {
            assert!(!e.is_resource_failure(), "{e:?}");
        }
        assert!(!ExampleOutcome::default().hit_a_limit());
    }
}
