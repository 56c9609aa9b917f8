//! Errors that stop a run before any verdict, and the exit code each means.
//!
//! Each names the file (and line, when there is one) and says what to do, so
//! the CLI can print it as is. The exit codes are a documented interface
//! (README, "Exit status"): 2 when the user must fix something (input,
//! config, command line), 3 when snipcheck itself failed.

use std::path::{Path, PathBuf};

/// Exit status when the user must fix the input, the config or the command.
pub const EXIT_USAGE: u8 = 2;
/// Exit status when snipcheck itself failed (the worker, the harness).
pub const EXIT_INTERNAL: u8 = 3;

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
    /// The embedded interpreter, the worker or its protocol failed:
    /// snipcheck's fault, not the guide's.
    #[error("internal error: embedded Python failed: {0}")]
    Python(String),
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

    /// The process exit status this error ends a run with.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Python(_) => EXIT_INTERNAL,
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
        let internal = Error::Document {
            path: "a.md".into(),
            source: Box::new(Error::Python("the worker died".into())),
        };
        assert_eq!(internal.exit_code(), 3);
        let report = internal.report();
        assert!(
            report.starts_with("a.md: could not run the document"),
            "{report}"
        );
        assert!(
            report.contains("caused by: internal error: embedded Python failed: the worker died")
        );
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
