//! The pipeline, end to end: paths → documents → outcomes → verdicts.
//!
//! Markdown → [`Example`](crate::markdown::Example) → run →
//! [`DocumentOutcome`] →
//! [`ExampleVerdict`](crate::verdict::ExampleVerdict) → [`DocumentReport`].
//! Each stage is its own module; this one only wires them together and
//! hands each finished document, in input order, to a [`Sink`]: the report
//! writers, or a [`Report`] for the callers that read every document.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{Config, MinorVersion};
use crate::documents::{Documents, Keep, Read, with_skips};
use crate::error::Error;
use crate::markdown::{Conventions, Document};
use crate::nondeterminism;
use crate::record::Cassette;
use crate::report::{DocumentReport, Report, Run, Summary, Writer};
use crate::run::outcome::DocumentOutcome;
use crate::run::{self, environment::Environment, pool::Pool};
use crate::schedule::{Arrival, Early, Ran, Runs, Schedule};
use crate::select::Selection;
use crate::snapshot::{self, SnapshotCheck};
use crate::verdict;

/// How a check runs; the CLI and the test harness each build one.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Use this config for every document instead of the one beside it.
    pub config: Option<PathBuf>,
    /// Compare stdout with the snapshots the config points at.
    pub snapshots: bool,
    /// The worker processes that run the documents.
    pub pool: Pool,
    /// Which documents run and which examples are reported.
    pub selection: Selection,
    /// Take unchanged documents' runs from the result cache (see
    /// [`crate::cache`]). Off by default for the library (`cargo test` of a
    /// guide runs it); the CLI turns it on unless `--no-cache`.
    pub cache: bool,
    /// What stderr shows while documents run.
    pub progress: crate::progress::Mode,
}

impl Settings {
    /// Defaults for a given `snipcheck` binary: sandboxed, one job per core,
    /// snapshots compared.
    pub fn new(program: PathBuf) -> Settings {
        Settings {
            config: None,
            snapshots: true,
            pool: Pool {
                program,
                jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
                sandbox: true,
                require_full: false,
                hash_seed: None,
                warm: Default::default(),
            },
            selection: Selection::default(),
            cache: false,
            progress: Default::default(),
        }
    }
}

/// Markdown files named by `paths`: files as given, folders walked as
/// ripgrep walks them (the `ignore` crate: `.gitignore` respected, hidden
/// folders skipped, no symlink loops), sorted.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut found)?;
        } else if path.is_file() {
            found.push(crate::paths::shown(path));
        } else {
            return Err(Error::file(path, "no such file or folder"));
        }
    }
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), Error> {
    for entry in ignore::WalkBuilder::new(dir)
        .sort_by_file_path(Ord::cmp)
        .build()
    {
        let entry = entry.map_err(|e| Error::file(dir, format!("cannot walk: {e}")))?;
        let is_markdown = entry.file_type().is_some_and(|t| t.is_file())
            && entry
                .path()
                .extension()
                .is_some_and(|e| e == "md" || e == "markdown");
        if is_markdown {
            found.push(crate::paths::shown(entry.path()));
        }
    }
    Ok(())
}

/// The documents to check when the command line names none: those the
/// nearest config names (`paths = ["guide/"]`), else the current folder.
pub fn default_paths(settings: &Settings) -> Result<Vec<PathBuf>, Error> {
    let config = match &settings.config {
        Some(path) => Config::load(path)?,
        None => Config::nearest(Path::new("."))?,
    };
    let named = config.document_paths();
    Ok(if named.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        named
    })
}

/// Loads the config that applies to `doc`.
pub fn config_for(doc: &Path, settings: &Settings) -> Result<Config, Error> {
    match &settings.config {
        Some(path) => Config::load(path),
        None => Config::for_document(doc),
    }
}

/// Judges one document's outcome.
pub fn judge_document(
    doc: &Document,
    config: &Config,
    outcome: &DocumentOutcome,
    settings: &Settings,
) -> DocumentReport {
    let store = if settings.snapshots {
        snapshot::store_for(config.snapshot_dir().as_deref())
    } else {
        None
    };
    let examples = doc
        .examples
        .iter()
        .zip(&outcome.examples)
        .map(|(example, result)| {
            let stdout = snapshot::redact(&result.stdout(), &outcome.workdir, &doc.path);
            let check = match &store {
                None => SnapshotCheck::Disabled,
                Some(_)
                    if result.skipped || result.error.is_some() || result.interrupted.is_some() =>
                {
                    SnapshotCheck::NotApplicable
                }
                Some(store) => store.check(&example.snapshot_name(), &stdout),
            };
            verdict::judge(example, result, check)
        })
        .collect();
    DocumentReport {
        path: doc.path.clone(),
        workdir: outcome.workdir.clone(),
        source: doc.source.clone(),
        examples,
        setup: Vec::new(),
        cached: false,
    }
}

/// Where a check hands each finished document, in input order.
pub trait Sink {
    fn document(&mut self, doc: DocumentReport);
}

/// Every document kept, for a [`Report`].
impl Sink for Vec<DocumentReport> {
    fn document(&mut self, doc: DocumentReport) {
        self.push(doc);
    }
}

/// Written as it comes, then let go: what `snipcheck check` does, so that
/// its memory does not grow with the outcomes.
impl Sink for Vec<Box<dyn Writer>> {
    fn document(&mut self, doc: DocumentReport) {
        for writer in self.iter_mut() {
            writer.document(&doc);
        }
    }
}

/// What a whole check found, its documents aside (they went to the sink).
#[derive(Debug, Clone)]
pub struct Checked {
    pub run: Run,
    pub summary: Summary,
}

/// Loads, runs and judges every document under `paths`, keeping every
/// document's verdicts.
pub fn check_documents(paths: &[PathBuf], settings: &Settings) -> Result<Report, Error> {
    let mut documents = Vec::new();
    let checked = check_into(paths, settings, &mut documents)?;
    Ok(Report {
        run: checked.run,
        documents,
    })
}

/// Loads, runs and judges every document under `paths`, handing each to
/// `sink` once its verdicts are final. A failure (an internal error in a
/// document) stops what the sink is handed and is returned at the end, so
/// a caller writes nothing of a run that failed.
pub fn check_into(
    paths: &[PathBuf],
    settings: &Settings,
    sink: &mut dyn Sink,
) -> Result<Checked, Error> {
    let start = Instant::now();
    let found = discover(paths)?;
    if found.is_empty() {
        return Err(Error::NothingToCheck(format!(
            "no Markdown file (*.md, *.markdown) in {}",
            shown(paths)
        )));
    }
    let selected = settings
        .selection
        .documents(found, |doc| inputs_of(doc, settings))?;
    if selected.is_empty() {
        let run = Run {
            python: run::python_version(),
            venv: None,
            sandbox: run::sandbox::summary(run::pool::layers()),
            conventions: Vec::new(),
            elapsed: start.elapsed(),
            second_run: (0, Duration::ZERO),
            note: Some(settings.selection.why_no_document()),
        };
        let summary = Summary::default().with_run(&run);
        return Ok(Checked { run, summary });
    }
    // CPython starts while the documents are read.
    let early = Early::start(&settings.pool, settings.cache);
    let documents = Arc::new(read_documents(&selected, settings)?);
    let progress = crate::progress::Progress::start(&documents, settings.progress);
    let mut schedule = Schedule::start(
        &settings.pool,
        settings.cache,
        Arc::clone(&documents),
        early,
    );
    let mut out = InOrder::new(sink, settings);
    let mut python = None;
    // Documents whose second run was asked for: the source to name, and
    // the document, kept parsed until then.
    let mut waiting: HashMap<usize, (String, Arc<Document>)> = HashMap::new();
    let mut twice = 0;
    while let Some(arrival) = schedule.next() {
        match arrival {
            Arrival::Document(Runs {
                index,
                doc,
                first,
                second,
            }) => {
                let config = documents.config(index);
                let path = documents.path(index);
                let mut report = doc
                    .and_then(|doc| Ok((doc, first.outcome?)))
                    .map_err(|e| in_document(e, path))
                    .map(|(doc, outcome)| {
                        if !outcome.python.is_empty() {
                            python.get_or_insert_with(|| outcome.python.clone());
                        }
                        let mut report = judge_document(&doc, config, &outcome, settings);
                        report.cached = first.cached;
                        (doc, report)
                    });
                progress.finished(path, report.as_ref().ok().map(|(_, r)| r));
                if let Ok((doc, report)) = &mut report {
                    if let Some(source) = nondeterminism::second_run(doc, &report.examples) {
                        twice += 1;
                        match second {
                            Some(ran) => vary(doc, config, report, ran, &source, settings),
                            None => {
                                schedule.again(index);
                                waiting.insert(index, (source, Arc::clone(doc)));
                            }
                        }
                    }
                }
                // Judged: the parsed document goes, unless a second run is due.
                out.judged(index, report.map(|(_, report)| report));
            }
            Arrival::Again { index, ran } => {
                let asked = waiting.remove(&index);
                if let (Some((source, doc)), Some(report)) = (asked, out.held(index)) {
                    vary(
                        &doc,
                        documents.config(index),
                        report,
                        ran,
                        &source,
                        settings,
                    );
                }
            }
        }
        out.hand_on(|index| !waiting.contains_key(&index));
    }
    let second_run = (twice, schedule.second_run_time());
    drop(schedule);
    progress.finish();
    let summary = out.finish()?;
    let run = Run {
        python: python.unwrap_or_else(run::python_version),
        venv: documents
            .configs()
            .find_map(|config| config.environment.venv.clone()),
        sandbox: match run::pool::layers() {
            None if summary.documents > 0 => "not used (every run came from the cache)".into(),
            layers => run::sandbox::summary(layers),
        },
        conventions: documents.conventions().to_vec(),
        elapsed: start.elapsed(),
        second_run,
        note: None,
    };
    let summary = summary.with_run(&run);
    match nothing_checked(&summary, settings, documents.len()) {
        Some(why) => Err(Error::NothingToCheck(why)),
        None => Ok(Checked { run, summary }),
    }
}

/// Judged documents on their way to the sink: held until every document
/// before them has gone and their own second run, if asked for, has come
/// (the stream hands first runs on in input order, so few wait); then
/// made what the reports show (setup set apart, the selection's examples
/// only) and counted.
struct InOrder<'a> {
    sink: &'a mut dyn Sink,
    settings: &'a Settings,
    held: BTreeMap<usize, Result<DocumentReport, Error>>,
    /// The next document to hand on.
    next: usize,
    summary: Summary,
    /// The first failure, in input order: nothing after it is handed on.
    failed: Option<Error>,
}

impl<'a> InOrder<'a> {
    fn new(sink: &'a mut dyn Sink, settings: &'a Settings) -> InOrder<'a> {
        InOrder {
            sink,
            settings,
            held: BTreeMap::new(),
            next: 0,
            summary: Summary::default(),
            failed: None,
        }
    }

    fn judged(&mut self, index: usize, report: Result<DocumentReport, Error>) {
        self.held.insert(index, report);
    }

    /// A judged document still held (one waiting for its second run).
    fn held(&mut self, index: usize) -> Option<&mut DocumentReport> {
        self.held.get_mut(&index)?.as_mut().ok()
    }

    /// Hands on, in input order, every document held that is `final_`.
    fn hand_on(&mut self, final_: impl Fn(usize) -> bool) {
        while final_(self.next) {
            let Some(report) = self.held.remove(&self.next) else {
                return;
            };
            self.next += 1;
            match report {
                _ if self.failed.is_some() => {}
                Err(e) => self.failed = Some(e),
                Ok(report) => self.give(report),
            }
        }
    }

    fn give(&mut self, mut report: DocumentReport) {
        let selection = &self.settings.selection;
        report.set_setup_apart();
        report
            .examples
            .retain(|e| selection.keeps(&report.path, &e.example));
        if !report.examples.is_empty() || !selection.filters_examples() {
            self.summary.add(&report);
            self.sink.document(report);
        }
    }

    /// The counts of every document handed on, or the first failure.
    fn finish(mut self) -> Result<Summary, Error> {
        // The stream is over: no second run is coming for any still held.
        self.hand_on(|_| true);
        match self.failed {
            Some(e) => Err(e),
            None => Ok(self.summary),
        }
    }
}

/// Why a run checked no example at all, if it did not.
fn nothing_checked(s: &Summary, settings: &Settings, documents: usize) -> Option<String> {
    if s.examples > s.skipped {
        return None;
    }
    Some(if s.examples > 0 {
        format!("all {} examples are skipped", s.examples)
    } else if settings.selection.filters_examples() {
        format!(
            "{} matched no example",
            settings.selection.describe_filters()
        )
    } else {
        format!("no Python example in {documents} Markdown file(s)")
    })
}

/// The files besides `doc` its verdicts depend on: its config, the fixture
/// files the config copies, and its cassette.
pub fn inputs_of(doc: &Path, settings: &Settings) -> Result<Vec<PathBuf>, Error> {
    let config = config_for(doc, settings)?;
    let mut inputs = config.fixture_files();
    inputs.push(Cassette::path_for(&config, doc));
    inputs.extend(config.origin);
    Ok(inputs)
}

fn shown(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// Marks the claims of `report` whose output changed in the document's
/// second run (another seed, clock origin and hash seed) as varying.
fn vary(
    doc: &Document,
    config: &Config,
    report: &mut DocumentReport,
    second: Ran,
    source: &str,
    settings: &Settings,
) {
    let Ok(outcome) = second.outcome else { return };
    let quiet = Settings {
        snapshots: false,
        ..settings.clone()
    };
    let again = judge_document(doc, &nondeterminism::varied(config), &outcome, &quiet);
    nondeterminism::mark_varying(&mut report.examples, &again.examples, source);
}

/// Every document and its config, read before anything runs: bad input
/// stops the run before any work is done (the first in input order is
/// reported). What the run needs of them is kept, and the parsed documents
/// up to a bound (see [`crate::documents`]): the rest are parsed again at
/// their turn. Read on two threads: nothing else runs yet.
pub fn read_documents(paths: &[PathBuf], settings: &Settings) -> Result<Documents, Error> {
    let reader = Reader::new();
    let half = paths.len().div_ceil(2).max(1);
    let readers = paths.len().div_ceil(half);
    let read_all = |chunk: &[PathBuf]| -> Result<Vec<Read>, Error> {
        let mut keep = Keep::share(readers);
        chunk
            .iter()
            .map(|path| {
                let (doc, config, conventions, skip_all) = reader.read(path, settings)?;
                Ok(Read::of(doc, config, conventions, skip_all, &mut keep))
            })
            .collect()
    };
    let chunks: Vec<Result<Vec<Read>, Error>> = std::thread::scope(|scope| {
        let reading: Vec<_> = paths
            .chunks(half)
            .map(|chunk| scope.spawn(move || read_all(chunk)))
            .collect();
        reading
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e))
            })
            .collect()
    });
    let mut documents = Documents::default();
    for chunk in chunks {
        chunk?.into_iter().for_each(|read| documents.push(read));
    }
    Ok(documents)
}

/// Every document and its config, parsed and kept: for a caller that runs
/// them one by one.
pub fn load_documents(
    paths: &[PathBuf],
    settings: &Settings,
) -> Result<Vec<(Document, Config)>, Error> {
    let reader = Reader::new();
    paths
        .iter()
        .map(|path| {
            let (doc, config, _, skip_all) = reader.read(path, settings)?;
            Ok((with_skips(doc, skip_all.as_deref()), config))
        })
        .collect()
}

/// Reads documents with their configs, finding the embedded CPython's
/// version once, when a config needs it.
struct Reader {
    virtual_env: Option<PathBuf>,
    embedded: std::sync::OnceLock<String>,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            virtual_env: std::env::var_os("VIRTUAL_ENV")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            embedded: std::sync::OnceLock::new(),
        }
    }

    /// A document, its config, the conventions it was read with, and why
    /// every example is skipped, if it is.
    fn read(
        &self,
        path: &Path,
        settings: &Settings,
    ) -> Result<(Document, Config, Conventions, Option<String>), Error> {
        let mut config = config_for(path, settings)?;
        Cassette::load(&Cassette::path_for(&config, path))?.replay_into(&mut config);
        let virtual_env = self.virtual_env.as_deref();
        if config.venv().is_some() || virtual_env.is_some() || !config.python.paths.is_empty() {
            let embedded = self.embedded.get_or_init(run::python_version);
            config.environment = Environment::resolve(&config, virtual_env, embedded)?;
        }
        let conventions = Conventions::discover(path, &config.base_dir()).with_config(&config);
        let doc = Document::load_with(path, &conventions)?;
        let skip_all = match config.python.min {
            Some(_) => below_min(&config, self.embedded.get_or_init(run::python_version)),
            None => None,
        };
        Ok((doc, config, conventions, skip_all))
    }
}

/// Under a CPython older than `[python] min`, why every example is
/// skipped: the writer declared what the document needs.
fn below_min(config: &Config, embedded: &str) -> Option<String> {
    let min = config.python.min?;
    let running = embedded.split('.').take(2).collect::<Vec<_>>().join(".");
    if MinorVersion::try_from(running).is_ok_and(|running| running >= min) {
        return None;
    }
    Some(format!(
        "needs Python {}.{} ([python] min), this is CPython {embedded}",
        min.0, min.1
    ))
}

/// An internal failure (worker, harness, protocol) names the document it
/// happened in.
fn in_document(error: Error, path: &Path) -> Error {
    match error {
        error if error.is_internal() => Error::Document {
            path: path.to_path_buf(),
            source: Box::new(error),
        },
        other => other,
    }
}
