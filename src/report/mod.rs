//! Verdicts → what people and machines read.

pub mod human;
pub mod json;

/// Output formats of `snipcheck check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per example, and a diff for each drift.
    Human,
    /// The stable machine report documented in the README.
    Json,
}
