//! `snipcheck watch`: check, then check again each time a document or one of
//! its inputs is saved.
//!
//! What makes a re-check fast is elsewhere: the result cache (see
//! [`crate::cache`]) skips every document that did not change, and the
//! pool keeps warm workers between checks ([`crate::run::pool::Warm`]), so
//! an edit costs the run of the one document edited.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

use crate::check::{self, Settings};
use crate::error::Error;
use crate::report::Report;

/// Editors save in several steps (write a temporary file, rename it): wait
/// this long after a change for the rest of it.
const SETTLE: Duration = Duration::from_millis(5);

/// One check made by the watch.
pub struct Round<'a> {
    /// The report, or why the documents could not be checked (a Markdown
    /// or config error the writer is in the middle of fixing).
    pub result: Result<&'a Report, &'a Error>,
    /// From the change seen to the verdicts.
    pub took: Duration,
    /// The files whose change started it (none for the first check).
    pub changed: Vec<PathBuf>,
    /// How many files are watched now.
    pub watched: usize,
}

/// Checks `paths`, shows each round, and waits for the next change; runs
/// until the process is stopped (or the file watcher fails).
pub fn watch(
    paths: &[PathBuf],
    settings: &Settings,
    mut show: impl FnMut(&Round<'_>),
) -> Result<(), Error> {
    let mut settings = settings.clone();
    settings.pool.warm = crate::run::pool::Warm::kept();
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(event);
    })
    .map_err(|e| watch_error(paths.first().map_or(Path::new("."), |p| p), e))?;
    let mut watching: BTreeSet<PathBuf> = BTreeSet::new();
    let mut changed = Vec::new();
    let mut since = Instant::now();
    loop {
        let result = check::check_documents(paths, &settings);
        let (inputs, documents) = inputs(paths, &settings);
        rewatch(&mut watcher, &mut watching, paths, &inputs)?;
        show(&Round {
            result: result.as_ref(),
            took: since.elapsed(),
            changed: std::mem::take(&mut changed),
            watched: inputs.len(),
        });
        // Workers for the next round, in place of any that died, while the
        // writer reads this one (a change meanwhile waits in the channel).
        let _ = settings.pool.prepare(documents, &[]);
        changed = next_change(&rx, &inputs, paths)?;
        since = Instant::now();
    }
}

/// Every file a check of `paths` reads: the documents (new ones
/// included), their configs, fixture files and cassettes; and how many
/// documents there are.
fn inputs(paths: &[PathBuf], settings: &Settings) -> (BTreeSet<PathBuf>, usize) {
    let documents = check::discover(paths).unwrap_or_default();
    let mut inputs = BTreeSet::new();
    for doc in &documents {
        if let Ok(more) = check::inputs_of(doc, settings) {
            inputs.extend(more.into_iter().map(|p| absolute(&p)));
        }
        inputs.insert(absolute(doc));
    }
    (inputs, documents.len())
}

/// Watches the folders the inputs are in (an editor's rename replaces the
/// file itself) and, recursively, the folders given, where new documents
/// may appear.
fn rewatch(
    watcher: &mut impl Watcher,
    watching: &mut BTreeSet<PathBuf>,
    paths: &[PathBuf],
    inputs: &BTreeSet<PathBuf>,
) -> Result<(), Error> {
    let mut wanted: BTreeSet<(PathBuf, bool)> = inputs
        .iter()
        .filter_map(|p| p.parent())
        .filter(|dir| dir.is_dir())
        .map(|dir| (dir.to_path_buf(), false))
        .collect();
    wanted.extend(
        paths
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| (absolute(p), true)),
    );
    for (dir, recursive) in wanted {
        if watching.insert(dir.clone()) {
            let mode = if recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            watcher
                .watch(&dir, mode)
                .map_err(|e| watch_error(&dir, e))?;
        }
    }
    Ok(())
}

/// Blocks until an input (or a new Markdown file) changes; returns the
/// files that changed, once the change has settled.
fn next_change(
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    inputs: &BTreeSet<PathBuf>,
    paths: &[PathBuf],
) -> Result<Vec<PathBuf>, Error> {
    let mut changed = BTreeSet::new();
    let mut deadline = None;
    loop {
        let event = match deadline {
            None => rx
                .recv()
                .map_err(|_| Error::Usage("the file watcher stopped".into()))?,
            Some(deadline) => match rx.recv_timeout(deadline - Instant::now().min(deadline)) {
                Ok(event) => event,
                Err(_) => return Ok(changed.into_iter().collect()),
            },
        };
        let Ok(event) = event else { continue };
        if !matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        ) {
            continue;
        }
        for path in event.paths {
            if inputs.contains(&path) || is_new_document(&path, paths) {
                changed.insert(path);
                deadline = Some(Instant::now() + SETTLE);
            }
        }
    }
}

/// A Markdown file under one of the folders given.
fn is_new_document(path: &Path, paths: &[PathBuf]) -> bool {
    let markdown = path
        .extension()
        .is_some_and(|e| e == "md" || e == "markdown");
    markdown && paths.iter().any(|p| path.starts_with(absolute(p)))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn watch_error(path: &Path, e: notify::Error) -> Error {
    Error::file(path, format!("cannot watch for changes: {e}"))
}
