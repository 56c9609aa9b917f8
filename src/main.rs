//! The `snipcheck` command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use snipcheck::check::{self, Report, Settings};
use snipcheck::report::{self, Format, ReportTarget};
use snipcheck::select::Selection;
use snipcheck::{Error, update};

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
    /// Exit status: 0 all pass, 1 a drift, error, timeout or crash, 2 bad
    /// input or config.
    Check {
        #[command(flatten)]
        run: RunArgs,
        /// Format of the report on stdout.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Also write a report: FORMAT=PATH (`-` for stdout), repeatable,
        /// e.g. `--report junit=target/snipcheck.xml --report github=-`.
        #[arg(long, value_name = "FORMAT=PATH")]
        report: Vec<ReportTarget>,
        /// Do not compare stdout with the snapshots.
        #[arg(long)]
        no_snapshots: bool,
        /// Also list the claims that hold and the comments left unchecked.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Rewrite drifting claims in the Markdown to what CPython printed.
    ///
    /// Keeps each claim's form and every other byte; claims written with an
    /// ellipsis or as approximate are reported, not touched.
    Update {
        #[command(flatten)]
        run: RunArgs,
        /// Print the diff instead of writing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show the CPython snipcheck embeds: examples run on it, and a venv
    /// must be made from it (`$(snipcheck python --executable) -m venv .venv`).
    Python {
        /// Print only the path of a `python` executable of that version.
        #[arg(long)]
        executable: bool,
    },
}

/// What to run, and how.
#[derive(Args)]
struct RunArgs {
    /// Markdown files, or folders searched for `*.md`.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Config to use for every document, instead of the `snipcheck.toml`
    /// beside each.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Documents run at once, each in its own worker process [default: cores].
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Run workers without Landlock, root drop and scrubbed environment
    /// (limits and timeouts still apply).
    #[arg(long)]
    no_sandbox: bool,
    #[command(flatten)]
    selection: Selection,
}

fn main() -> ExitCode {
    snipcheck::run::prepare_process();
    if std::env::args().nth(1).as_deref() == Some("__worker") {
        let preload: Vec<String> = std::env::args().skip(2).collect();
        snipcheck::run::worker::main(&preload);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check {
            run,
            format,
            report,
            no_snapshots,
            verbose,
        } => check(run, format, report, !no_snapshots, verbose),
        Command::Update { run, dry_run } => update(run, dry_run),
        Command::Python { executable } => python(executable),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn settings(run: &RunArgs, snapshots: bool) -> Result<Settings, Error> {
    let program = std::env::current_exe().map_err(|e| Error::io(&PathBuf::from("snipcheck"), e))?;
    let mut settings = Settings::new(program);
    settings.config = run.config.clone();
    settings.snapshots = snapshots;
    settings.pool.sandbox = !run.no_sandbox;
    settings.selection = run.selection.clone();
    if let Some(jobs) = run.jobs {
        settings.pool.jobs = jobs.max(1);
    }
    Ok(settings)
}

fn check(
    run: RunArgs,
    format: Format,
    targets: Vec<ReportTarget>,
    snapshots: bool,
    verbose: bool,
) -> Result<ExitCode, Error> {
    let settings = settings(&run, snapshots)?;
    let report = check::check(&run.paths, &settings)?;
    let options = report::human::Options::for_terminal(verbose);
    for target in &targets {
        target.write(&report, options)?;
    }
    print(&report::render(format, &report, options));
    Ok(exit_code(&report))
}

fn update(run: RunArgs, dry_run: bool) -> Result<ExitCode, Error> {
    let settings = settings(&run, false)?;
    let report = check::check(&run.paths, &settings)?;
    let mut left = 0;
    for doc in &report.documents {
        let plan = update::plan(doc);
        for (line, why) in &plan.left {
            eprintln!("{}:{line}: left as is: the claim {why}", doc.path.display());
        }
        left += plan.left.len();
        if plan.edits.is_empty() {
            continue;
        }
        let before = std::fs::read(&doc.path).map_err(|e| Error::io(&doc.path, e))?;
        let after = update::apply(&before, &plan.edits);
        if dry_run {
            print(&update::diff(&doc.path, &before, &after));
        } else if after != before {
            update::write_atomically(&doc.path, &after)?;
            eprintln!(
                "{}: rewrote {} claim(s)",
                doc.path.display(),
                plan.edits.len()
            );
        }
    }
    let s = report.summary();
    let clean = left == 0 && s.error == 0 && s.timeout == 0 && s.crash == 0;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn python(executable_only: bool) -> Result<ExitCode, Error> {
    let interpreter = snipcheck::run::interpreter();
    let executable = interpreter.executable.as_deref().unwrap_or("(none found)");
    if executable_only {
        println!("{executable}");
    } else {
        println!("CPython {}", interpreter.version);
        println!("executable {executable}");
        println!("prefix {}", interpreter.prefix);
    }
    Ok(if interpreter.executable.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn exit_code(report: &Report) -> ExitCode {
    if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
