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
        /// Documents run at once, each in its own worker process [default: cores].
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Run workers without Landlock, root drop and scrubbed environment
        /// (limits and timeouts still apply).
        #[arg(long)]
        no_sandbox: bool,
    },
}

fn main() -> ExitCode {
    snipcheck::run::prepare_process();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__worker") {
        snipcheck::run::worker::main();
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            paths,
            config,
            format,
            no_snapshots,
            verbose,
            jobs,
            no_sandbox,
        } => {
            let program = match std::env::current_exe() {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error: cannot find the snipcheck binary to start workers: {e}");
                    return ExitCode::from(2);
                }
            };
            let mut settings = Settings::new(program);
            settings.config = config;
            settings.snapshots = !no_snapshots;
            settings.pool.sandbox = !no_sandbox;
            if let Some(jobs) = jobs {
                settings.pool.jobs = jobs.max(1);
            }
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
