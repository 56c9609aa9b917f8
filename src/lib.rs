//! snipcheck proves a Markdown guide's Python examples.
//!
//! The data flows one way, one module per stage:
//!
//! 1. [`markdown`]: Markdown → [`markdown::Example`]s (pulldown-cmark, exact lines),
//!    [`documents`] holding each parsed document only while it is in use;
//! 2. [`claim`]: an example's comments → the [`claim::Claim`]s they make about
//!    output ([`pysource`] finds the comments);
//! 3. [`run`]: examples → [`run::outcome::DocumentOutcome`], in embedded CPython
//!    with placeholders stubbed from [`config`]; [`schedule`] makes every run
//!    of a check (cache lookups, first and second runs) one stream of
//!    outcomes in input order;
//! 4. [`verdict`]: claims + outcome → [`verdict::ExampleVerdict`]s, using the
//!    matching rules of [`expect`] and the [`snapshot`]s;
//! 5. [`report`]: verdicts → human, JSON, JUnit, GitHub and Markdown reports,
//!    written as documents finish.
//!
//! [`check`] wires the stages together, one document at a time: no stage
//! holds every document or every outcome. [`update`] writes drifting claims
//! back to the guide.

pub mod atomic;
pub mod cache;
pub mod check;
pub mod claim;
pub mod config;
pub mod documents;
pub mod error;
pub mod expect;
pub mod init;
pub mod markdown;
pub mod nondeterminism;
pub mod paths;
pub mod progress;
pub mod pysource;
pub mod record;
pub mod report;
pub mod run;
pub mod schedule;
pub mod select;
pub mod snapshot;
pub mod update;
pub mod verdict;
pub mod watch;

pub use error::Error;
