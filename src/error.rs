//! Errors that stop a run before any verdict, and the exit code each means.
//!
//! Each names the file (and line, when there is one) and says what to do, so
//! the CLI can print it as is. The exit codes are a documented interface
//! (README, "Exit status"): 2 when the user must fix something (input,
//! config, command line), 3 when snipcheck itself failed.

use std::path::{Path, PathBuf};

/// Exit status when the user must fix the input, the config or the command.
pub const EXIT_USAGE: u8 = 2;
/// Exit status when snipcheck itself failed (worker, harness, protocol).
pub const EXIT_INTERNAL: u8 = 3;
/// Exit status when something outside snipcheck and its input failed: the
/// network `record` fetches from.
pub const EXIT_ENVIRONMENT: u8 = 4;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Markdown or config file the user must fix.
    #[error("{}", located(path, *line, message))]
    Input {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A worker process could not be started, died outside any example,
    /// or could not take a command: snipcheck's fault, not the guide's.
    #[error("internal error: a worker process failed: {0}")]
    Worker(String),
    /// The Python harness raised (it did not load, or could not run a
    /// document): snipcheck's fault. An example's own exceptions are
    /// verdicts, never this.
    #[error("internal error: the Python harness failed: {0}")]
    Harness(String),
    /// The worker broke the protocol (a message of its own that does not
    /// decode, a command that cannot be encoded). A document's child that
    /// does so is the example's doing: a `crash` verdict, not this.
    #[error("internal error: the worker protocol was broken: {0}")]
    Protocol(String),
    /// The config asks for something the harness cannot set up (a stub that
    /// does not evaluate); the caller knows which file to name.
    #[error("invalid config: {0}")]
    Config(String),
    /// The command line asks for something it must not do as given.
    #[error("{0}")]
    Usage(String),
    /// The run would check nothing: a gate that checked nothing must not pass.
    #[error("nothing to check: {0}")]
    NothingToCheck(String),
    /// The network failed under `record`: neither the user's input nor
    /// snipcheck is at fault, so it is neither exit 2 nor 3.
    #[error("{}: network failure: {message}", path.display())]
    Network { path: PathBuf, message: String },
    /// Running one document failed; the cause says how.
    #[error("{}: could not run the document", path.display())]
    Document {
        path: PathBuf,
        #[source]
        source: Box<Error>,
    },
}

fn located(path: &Path, line: Option<usize>, message: &str) -> String {
    match line {
        Some(line) => format!("{}:{line}: {message}", path.display()),
        None => format!("{}: {message}", path.display()),
    }
}

impl Error {
    pub fn input(path: &Path, line: usize, message: impl Into<String>) -> Error {
        Error::Input {
            path: path.to_path_buf(),
            line: Some(line),
            message: message.into(),
        }
    }

    pub fn file(path: &Path, message: impl Into<String>) -> Error {
        Error::Input {
            path: path.to_path_buf(),
            line: None,
            message: message.into(),
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// snipcheck's own failure (exit 3), not something the user must fix.
    pub fn is_internal(&self) -> bool {
        match self {
            Error::Worker(_) | Error::Harness(_) | Error::Protocol(_) => true,
            Error::Document { source, .. } => source.is_internal(),
            _ => false,
        }
    }

    /// The process exit status this error ends a run with.
    pub fn exit_code(&self) -> u8 {
        match self {
            _ if self.is_internal() => EXIT_INTERNAL,
            Error::Network { .. } => EXIT_ENVIRONMENT,
            Error::Document { source, .. } => source.exit_code(),
            _ => EXIT_USAGE,
        }
    }

    /// The message and every cause under it, one per line.
    pub fn report(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            text.push_str(&format!("\n  caused by: {error}"));
            cause = error.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_errors_exit_2_and_internal_ones_3_even_inside_a_document() {
        assert_eq!(Error::file(Path::new("a.md"), "bad").exit_code(), 2);
        assert_eq!(Error::Config("x".into()).exit_code(), 2);
        assert_eq!(Error::NothingToCheck("x".into()).exit_code(), 2);
        for cause in [
            Error::Worker("it died".into()),
            Error::Harness("it raised".into()),
            Error::Protocol("a bad line".into()),
        ] {
            assert_eq!(cause.exit_code(), 3, "{cause}");
            let internal = Error::Document {
                path: "a.md".into(),
                source: Box::new(cause),
            };
            assert_eq!(internal.exit_code(), 3);
            let report = internal.report();
            assert!(
                report
                    .starts_with("a.md: could not run the document\n  caused by: internal error: "),
                "{report}"
            );
        }
    }

    #[test]
    fn locations_name_file_and_line() {
        assert_eq!(
            Error::input(Path::new("g.md"), 3, "oops").to_string(),
            "g.md:3: oops"
        );
        assert_eq!(
            Error::file(Path::new("g.md"), "oops").to_string(),
            "g.md: oops"
        );
    }
}
