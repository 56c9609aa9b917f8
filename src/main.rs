//! The `snipcheck` command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use snipcheck::check::{self, Settings};
use snipcheck::report::{self, Format};

/// Proves a Markdown guide's Python examples: runs them in embedded CPython
/// and checks the output their comments claim.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every Python example and report the claims that drift.
    ///
    /// Exit status: 0 all pass, 1 a drift or an error, 2 bad input or config.
    Check {
        /// Markdown files, or folders searched for `*.md`.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Config to use for every document, instead of the
        /// `snipcheck.toml` beside each.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Do not compare stdout with the snapshots.
        #[arg(long)]
        no_snapshots: bool,
        /// Also list the claims that hold and the comments left unchecked.
        #[arg(short, long)]
        verbose: bool,
    },
}

fn main() -> ExitCode {
    snipcheck::run::prepare_process();
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            paths,
            config,
            format,
            no_snapshots,
            verbose,
        } => {
            let settings = Settings {
                config,
                snapshots: !no_snapshots,
            };
            let report = match check::check(&paths, &settings) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let text = match format {
                Format::Human => report::human::render(&report, report::human::Options { verbose }),
                Format::Json => report::json::render(&report),
            };
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            if report.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}
