//! Errors that stop a run before any verdict: bad input, bad config, I/O.
//!
//! Each names the file (and line, when there is one) and says what to do, so
//! the CLI can print it as is and exit 2.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub enum Error {
    /// A Markdown or config file the user must fix.
    Input {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// Reading or writing a file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The embedded interpreter could not run the harness at all.
    Python(String),
    /// The config asks for something the harness cannot set up (a stub that
    /// does not evaluate); the caller knows which file to name.
    Config(String),
    /// The command line asks for something it must not do as given.
    Usage(String),
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input {
                path,
                line: Some(line),
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            Error::Input {
                path,
                line: None,
                message,
            } => write!(f, "{}: {message}", path.display()),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Python(message) => write!(f, "embedded Python failed: {message}"),
            Error::Config(message) => write!(f, "invalid config: {message}"),
            Error::Usage(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for Error {}
