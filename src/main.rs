//! The `snipcheck` command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use snipcheck::check::{self, Settings};
use snipcheck::record::Cassette;
use snipcheck::report::{self, ColorChoice, Format, Report, ReportTarget};
use snipcheck::run::outcome::MissingKind;
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
    /// Exit status: 0 every claim holds, 1 a drift, error, timeout or crash,
    /// 2 bad input, config or command line (a run that would check nothing
    /// included), 3 snipcheck itself failed.
    Check {
        #[command(flatten)]
        run: RunArgs,
        /// Format of the report on stdout.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Also write a report: FORMAT=PATH (`-` for stdout, which then goes
        /// to that report alone: the --format report moves to stderr),
        /// repeatable, e.g. `--report junit=target/snipcheck.xml --report github=-`.
        #[arg(long, value_name = "FORMAT=PATH")]
        report: Vec<ReportTarget>,
        /// When the human report is coloured.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
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
    /// ellipsis or as approximate are reported, not touched. With --dry-run,
    /// exits 1 when it would change something (like `cargo fmt --check`).
    Update {
        #[command(flatten)]
        run: RunArgs,
        /// Print the diff instead of writing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Declare the placeholders the examples use but never define.
    ///
    /// Runs the documents, then adds a commented entry to `snipcheck.toml`
    /// (beside each document, or `--config`) for every file they open, name
    /// they use, module they import, URL they request and `input()` they
    /// call without one being declared; repeats until nothing new turns up.
    /// Existing entries are never replaced.
    Init {
        #[command(flatten)]
        run: RunArgs,
    },
    /// Record the HTTP responses the examples request, for `check` to replay.
    ///
    /// The examples still run sandboxed and offline: snipcheck itself fetches
    /// each URL they request that has no response yet, and saves it in
    /// `snipcheck.cassette.json` beside the config. Entries declared under
    /// [network] always win over recorded ones.
    ///
    /// Exit status as for `check`, and 4 when the network failed.
    Record {
        #[command(flatten)]
        run: RunArgs,
        /// Consent to fetching the requested URLs from the real network.
        #[arg(long)]
        allow_network: bool,
    },
    /// Review the snapshots `check` proposed (`.snap.new`): show each diff,
    /// then accept or reject it (asked per snapshot on a terminal).
    ///
    /// `cargo insta review` works on the same files.
    Review {
        /// Markdown files or folders whose snapshot folders to review.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Config to use for every document.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// Accept every pending snapshot without asking.
        #[arg(long, conflicts_with = "reject")]
        accept: bool,
        /// Reject (delete) every pending snapshot without asking.
        #[arg(long)]
        reject: bool,
    },
    /// Check, then check again each time a document, its config or a
    /// fixture file is saved (unchanged documents come from the cache).
    ///
    /// Runs until stopped (Ctrl-C). After each check, a line on stderr says
    /// how long it took and what is watched.
    Watch {
        #[command(flatten)]
        run: RunArgs,
        /// When the report is coloured.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
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
    /// Markdown files, or folders searched for `*.md` and `*.markdown` [default: the `paths`
    /// of the nearest snipcheck.toml, else the current folder].
    paths: Vec<PathBuf>,
    /// Config to use for every document, instead of the `snipcheck.toml`
    /// beside each.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Documents run at once, each in its own worker process [default: cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = jobs)]
    jobs: Option<std::num::NonZeroUsize>,
    /// Run workers without Landlock, root drop and scrubbed environment
    /// (limits and timeouts still apply).
    #[arg(long)]
    no_sandbox: bool,
    /// Refuse to run (exit 2) unless every sandbox layer is in force:
    /// namespaces, Landlock, seccomp, limits, root given up.
    #[arg(long, value_name = "LEVEL", value_enum)]
    require_sandbox: Option<Required>,
    /// Run every document, even those whose inputs did not change since a
    /// cached run (the cache is `.snipcheck/cache` beside the nearest
    /// snipcheck.toml, else in the current folder; or `[cache] dir`).
    #[arg(long)]
    no_cache: bool,
    /// No progress on stderr: neither the bar (on a terminal) nor the line
    /// per finished document (elsewhere, e.g. `[3/25] docs/intro.md: 12 pass`).
    #[arg(long, short = 'q')]
    quiet: bool,
    #[command(flatten)]
    selection: Selection,
}

fn main() -> ExitCode {
    snipcheck::run::prepare_process();
    match std::env::args().nth(1).as_deref() {
        Some("__worker") => {
            let preload: Vec<String> = std::env::args().skip(2).collect();
            snipcheck::run::worker::main(&preload);
        }
        Some("__zygote") => {
            let preload: Vec<String> = std::env::args().skip(2).collect();
            snipcheck::run::worker::zygote(&preload);
        }
        _ => {}
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check {
            run,
            format,
            report,
            color,
            no_snapshots,
            verbose,
        } => check(run, format, report, color, !no_snapshots, verbose),
        Command::Update { run, dry_run } => update(run, dry_run),
        Command::Python { executable } => python(executable),
        Command::Init { run } => init(run),
        Command::Review {
            paths,
            config,
            accept,
            reject,
        } => review(&paths, config, accept, reject),
        Command::Record { run, allow_network } => record(run, allow_network),
        Command::Watch { run, color } => watch(run, color),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.report());
            ExitCode::from(e.exit_code())
        }
    }
}

/// `--jobs N`: a whole number of at least 1, said so when it is not.
fn jobs(text: &str) -> Result<std::num::NonZeroUsize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (it is how many documents run at once)".to_string()),
        Ok(n) => Ok(std::num::NonZeroUsize::new(n).expect("not zero")),
        Err(_) => Err(format!("`{text}` is not a whole number of documents")),
    }
}

/// What `--require-sandbox` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Required {
    /// Every layer.
    Full,
}

fn settings(run: &RunArgs, snapshots: bool) -> Result<Settings, Error> {
    let program = std::env::current_exe().map_err(|e| Error::io(&PathBuf::from("snipcheck"), e))?;
    let mut settings = Settings::new(program);
    settings.config = run.config.clone();
    settings.snapshots = snapshots;
    settings.pool.sandbox = !run.no_sandbox;
    settings.pool.require_full = run.require_sandbox == Some(Required::Full);
    if settings.pool.require_full && run.no_sandbox {
        return Err(Error::Config(
            "--require-sandbox=full and --no-sandbox ask for opposite things: drop one".into(),
        ));
    }
    settings.cache = !run.no_cache;
    settings.progress = if run.quiet {
        snipcheck::progress::Mode::Quiet
    } else {
        snipcheck::progress::Mode::BarOrLines
    };
    settings.selection = run.selection.clone();
    if let Some(jobs) = run.jobs {
        settings.pool.jobs = jobs.get();
    }
    Ok(settings)
}

impl RunArgs {
    /// The paths given, or those the nearest config names.
    fn documents(&self, settings: &Settings) -> Result<Vec<PathBuf>, Error> {
        if self.paths.is_empty() {
            check::default_paths(settings)
        } else {
            Ok(self.paths.clone())
        }
    }
}

fn check(
    run: RunArgs,
    format: Format,
    targets: Vec<ReportTarget>,
    color: ColorChoice,
    snapshots: bool,
    verbose: bool,
) -> Result<ExitCode, Error> {
    use std::io::IsTerminal;
    let settings = settings(&run, snapshots)?;
    // A report sent to stdout (`--report github=-`) owns it: a runner reads
    // it line by line, so the --format report goes to stderr.
    let stdout_taken = targets.iter().any(|t| t.path.is_none());
    let terminal = if stdout_taken {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    let options = report::Options::new(verbose, color, terminal);
    let plain = report::Options::new(verbose, ColorChoice::Never, false);
    // Each report is written as documents finish: the run never holds
    // every outcome. The --format one comes last.
    let mut writers: Vec<Box<dyn report::Writer>> = targets
        .iter()
        .map(|t| report::writer(t.format, plain))
        .chain([report::writer(format, options)])
        .collect();
    let checked = check::check_into(&run.documents(&settings)?, &settings, &mut writers)?;
    if let Some(note) = &checked.run.note {
        eprintln!("snipcheck: nothing to do: {note}");
    }
    let mut writers = writers.into_iter();
    for (target, writer) in targets.iter().zip(&mut writers) {
        target.write(&writer.finish(&checked.run, &checked.summary))?;
    }
    let last = writers.next().expect("the --format report's writer");
    let text = last.finish(&checked.run, &checked.summary);
    if stdout_taken {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    } else {
        print(&text);
    }
    Ok(if checked.summary.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn watch(run: RunArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    use std::io::IsTerminal;
    let settings = settings(&run, true)?;
    let paths = run.documents(&settings)?;
    let options = report::Options::new(false, color, std::io::stdout().is_terminal());
    snipcheck::watch::watch(&paths, &settings, |round| {
        let changed: Vec<String> = round
            .changed
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        if !changed.is_empty() {
            println!("\n--- changed: {}", changed.join(", "));
        }
        match round.result {
            Ok(report) => print(&report::render(Format::Human, report, options)),
            Err(e) => println!("error: {}", e.report()),
        }
        eprintln!(
            "watch: checked in {} ms; watching {} file(s), Ctrl-C to stop",
            round.took.as_millis(),
            round.watched
        );
    })?;
    Ok(ExitCode::SUCCESS)
}

fn update(run: RunArgs, dry_run: bool) -> Result<ExitCode, Error> {
    let settings = settings(&run, false)?;
    let report = check::check_documents(&run.documents(&settings)?, &settings)?;
    let mut left = 0;
    let mut would_change = false;
    for doc in &report.documents {
        let plan = update::plan(doc);
        for (line, why) in &plan.left {
            eprintln!("{}:{line}: left as is: the claim {why}", doc.path.display());
        }
        for (line, why) in &plan.broken {
            eprintln!("{}:{line}: {why}", doc.path.display());
        }
        left += plan.left.len();
        if plan.edits.is_empty() {
            continue;
        }
        let before = std::fs::read(&doc.path).map_err(|e| Error::io(&doc.path, e))?;
        let after = update::apply(&before, &plan.edits);
        would_change |= after != before;
        if dry_run {
            print(&update::diff(&doc.path, &before, &after));
        } else if after != before {
            snipcheck::atomic::write(&doc.path, &after)?;
            eprintln!(
                "{}: rewrote {} claim(s)",
                doc.path.display(),
                plan.edits.len()
            );
        }
    }
    let s = report.summary();
    let clean =
        left == 0 && s.error == 0 && s.timeout == 0 && s.crash == 0 && !(dry_run && would_change);
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// How many check-and-declare rounds `init` and `record` make at most.
const ROUNDS: usize = 10;

/// Checks the documents and lets `declare` add what each document's report
/// shows missing (to the config that applies to it), round after round,
/// until a round adds nothing: each fix can reveal the next gap.
fn until_settled(
    run: &RunArgs,
    settings: &Settings,
    mut declare: impl FnMut(&report::DocumentReport, &Path) -> Result<usize, Error>,
) -> Result<(Report, usize), Error> {
    let mut total = 0;
    for _ in 0..ROUNDS {
        let report = check::check_documents(&run.documents(settings)?, settings)?;
        let mut added = 0;
        for doc in &report.documents {
            // The config that applies (a parent folder's, say), else a new
            // one beside the document: never one that would shadow it.
            let config = check::config_for(&doc.path, settings)?
                .origin
                .unwrap_or_else(|| {
                    let folder = doc.path.parent().unwrap_or(Path::new("."));
                    folder.join(snipcheck::config::FILE_NAME)
                });
            added += declare(doc, &config)?;
        }
        total += added;
        if added == 0 {
            return Ok((report, total));
        }
    }
    Err(Error::Usage(format!(
        "still finding new placeholders after {ROUNDS} rounds ({total} added); run it again"
    )))
}

fn init(run: RunArgs) -> Result<ExitCode, Error> {
    let settings = settings(&run, false)?;
    let (report, total) = until_settled(&run, &settings, |doc, config| {
        let gaps = snipcheck::init::gaps(doc);
        if gaps.is_empty() {
            return Ok(0);
        }
        let text = match std::fs::read_to_string(config) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(config, e)),
        };
        let (new, additions) = snipcheck::init::extend(&text, &gaps)
            .map_err(|e| Error::file(config, format!("invalid config: {e}")))?;
        if !additions.is_empty() {
            snipcheck::atomic::write(config, new.as_bytes())?;
        }
        for addition in &additions {
            eprintln!("{}: added {}", config.display(), addition.entry);
        }
        Ok(additions.len())
    })?;
    let s = report.summary();
    eprintln!(
        "snipcheck init: {total} entries added; {} of {} examples pass now. \
         Review the TODOs, then run `snipcheck check`.",
        s.pass, s.examples
    );
    Ok(ExitCode::SUCCESS)
}

fn record(run: RunArgs, allow_network: bool) -> Result<ExitCode, Error> {
    if !allow_network {
        return Err(Error::Usage(
            "`record` fetches the URLs the examples request from the real network: \
             pass --allow-network to consent"
                .into(),
        ));
    }
    let settings = settings(&run, false)?;
    let (report, total) = until_settled(&run, &settings, |doc, config| {
        let urls: Vec<String> = snipcheck::init::gaps(doc)
            .into_iter()
            .filter(|m| m.kind == MissingKind::Url)
            .map(|m| m.value)
            .collect();
        if urls.is_empty() {
            return Ok(0);
        }
        let path = config.with_file_name(snipcheck::record::FILE_NAME);
        let mut cassette = Cassette::load(&path)?;
        for url in &urls {
            let response = match snipcheck::record::fetch(url) {
                Ok(response) => response,
                Err(e) => {
                    // What was recorded before the failure is kept.
                    cassette.save(&path)?;
                    return Err(Error::Network {
                        path: doc.path.clone(),
                        message: format!(
                            "could not record {url}: {e}; check the network (or the URL),                              then run record again"
                        ),
                    });
                }
            };
            eprintln!("{}: recorded {url} ({})", path.display(), response.status);
            cassette.responses.insert(url.clone(), response);
        }
        cassette.save(&path)?;
        Ok(urls.len())
    })?;
    let s = report.summary();
    eprintln!(
        "snipcheck record: {total} responses recorded; {} of {} examples pass now",
        s.pass, s.examples
    );
    Ok(exit_code(&report))
}

fn review(
    paths: &[PathBuf],
    config: Option<PathBuf>,
    accept: bool,
    reject: bool,
) -> Result<ExitCode, Error> {
    use std::io::IsTerminal;
    let mut settings = Settings::new(PathBuf::new());
    settings.config = config;
    let mut folders: Vec<PathBuf> = Vec::new();
    for doc in check::discover(paths)? {
        if let Some(dir) = check::config_for(&doc, &settings)?.snapshot_dir() {
            if !folders.contains(&dir) {
                folders.push(dir);
            }
        }
    }
    let pending: Vec<_> = folders
        .iter()
        .flat_map(|d| snipcheck::snapshot::pending_in(d))
        .collect();
    let ask = !accept && !reject && std::io::stdin().is_terminal();
    let options = report::Options::for_terminal(false);
    let (mut accepted, mut rejected) = (0, 0);
    for snapshot in &pending {
        let (stored, proposed) = snapshot.contents();
        println!("{}", snipcheck::paths::shown(&snapshot.snap).display());
        print(&report::unified(&stored, &proposed, "snapshot", options));
        let choice = match (accept, reject, ask) {
            (true, _, _) => Answer::Accept,
            (_, true, _) => Answer::Reject,
            (_, _, true) => Answer::ask(&mut std::io::stdin().lock(), &mut std::io::stderr()),
            _ => Answer::Skip,
        };
        let io = |r: std::io::Result<()>| r.map_err(|e| Error::io(&snapshot.new, e));
        match choice {
            Answer::Accept => {
                io(snapshot.accept())?;
                accepted += 1;
            }
            Answer::Reject => {
                io(snapshot.reject())?;
                rejected += 1;
            }
            Answer::Skip => {}
            Answer::Quit => break,
        }
    }
    let left = pending.len() - accepted - rejected;
    eprintln!(
        "snipcheck review: {} pending, {accepted} accepted, {rejected} rejected, {left} left{}",
        pending.len(),
        if left > 0 && !ask {
            " (--accept or --reject, or run on a terminal)"
        } else {
            ""
        }
    );
    Ok(if left == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What the writer said of one proposed snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accept,
    Reject,
    Skip,
    /// `q`, or the end of input (Ctrl-D): the rest stay pending.
    Quit,
}

impl Answer {
    /// Asks until the answer is one: an unknown one is said to be so, and
    /// the end of input quits (said too), never a silent skip.
    fn ask(input: &mut impl std::io::BufRead, out: &mut impl std::io::Write) -> Answer {
        loop {
            let _ = write!(out, "accept (a), reject (r), skip (s) or quit (q)? ");
            let _ = out.flush();
            let mut line = String::new();
            if matches!(input.read_line(&mut line), Ok(0) | Err(_)) {
                let _ = writeln!(out, "\nend of input: quitting; the rest stay pending");
                return Answer::Quit;
            }
            match line.trim().to_ascii_lowercase().as_str() {
                "a" | "accept" => return Answer::Accept,
                "r" | "reject" => return Answer::Reject,
                "s" | "skip" => return Answer::Skip,
                "q" | "quit" => return Answer::Quit,
                other => {
                    let _ = writeln!(out, "`{other}` is not an answer: type a, r, s or q");
                }
            }
        }
    }
}

fn python(executable_only: bool) -> Result<ExitCode, Error> {
    let interpreter = snipcheck::run::interpreter();
    let executable = interpreter.executable.as_deref().unwrap_or("(none found)");
    if executable_only {
        println!("{executable}");
    } else {
        let (built, lib_dir) = snipcheck::run::built_against();
        println!("CPython {}", interpreter.version);
        println!("executable {executable}");
        println!("prefix {}", interpreter.prefix);
        println!("built against CPython {built} ({lib_dir})");
    }
    if let Some(why) = snipcheck::run::build_mismatch(&interpreter.version) {
        eprintln!("error: {why}");
        return Ok(ExitCode::from(snipcheck::error::EXIT_INTERNAL));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_asks_again_on_a_wrong_answer_and_quits_at_the_end_of_input() {
        let ask = |typed: &str| {
            let mut said = Vec::new();
            let answer = Answer::ask(&mut typed.as_bytes(), &mut said);
            (answer, String::from_utf8(said).unwrap())
        };
        let (answer, said) = ask("x\n\na\n");
        assert_eq!(answer, Answer::Accept);
        assert!(said.contains("`x` is not an answer"), "{said}");
        assert!(
            said.contains("`` is not an answer"),
            "an empty line is not a skip: {said}"
        );
        assert_eq!(ask("R\n").0, Answer::Reject);
        assert_eq!(ask("s\n").0, Answer::Skip);
        assert_eq!(ask("q\n").0, Answer::Quit);
        let (answer, said) = ask("");
        assert_eq!(answer, Answer::Quit, "Ctrl-D quits");
        assert!(said.contains("end of input"), "{said}");
    }
}
