//! `cargo test` runs the guide: one test per Python example of every
//! document in `guide/`, discovered at run time.
//!
//! Names are the example ids (`advanced-python::creating-a-simple-metaclass::1`),
//! so `cargo test -- metaclass` runs a section. A failing test's message is
//! the diff the CLI prints. Each example's stdout is also an insta snapshot in
//! `snapshots/`: accept changed output with `cargo insta review`.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};
use snipcheck::check::{self, Settings};
use snipcheck::markdown::Document;
use snipcheck::report::{DocumentReport, Options, details};
use snipcheck::verdict::Status;

/// A document is run once, by whichever of its tests comes first.
struct LazyDocument {
    path: PathBuf,
    report: OnceLock<Result<(DocumentReport, Option<PathBuf>), String>>,
}

impl LazyDocument {
    fn get(&self) -> &Result<(DocumentReport, Option<PathBuf>), String> {
        self.report.get_or_init(|| {
            // Snapshots are asserted through insta below, for its review flow.
            let mut settings = Settings::new(PathBuf::from(env!("CARGO_BIN_EXE_snipcheck")));
            settings.snapshots = false;
            let mut jobs = check::load_documents(std::slice::from_ref(&self.path), &settings)
                .map_err(|e| e.to_string())?;
            let (doc, config) = jobs.pop().expect("one document");
            let outcome = settings
                .pool
                .run_document(&doc, &config)
                .map_err(|e| e.to_string())?;
            let report = check::judge_document(&doc, &config, &outcome, &settings);
            Ok((report, config.snapshot_dir()))
        })
    }
}

fn main() {
    snipcheck::run::prepare_process();
    let args = Arguments::from_args();
    // From the package root, so that failures name `guide/…`, as the CLI does.
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("the package root exists");
    let paths = check::discover(&[PathBuf::from("guide")]).expect("guide/ is readable");
    let mut trials = Vec::new();
    for path in paths {
        let doc = match Document::load(&path) {
            Ok(doc) => doc,
            Err(e) => {
                let message = e.to_string();
                trials.push(Trial::test(path.display().to_string(), move || {
                    Err(message.into())
                }));
                continue;
            }
        };
        let lazy = Arc::new(LazyDocument {
            path: path.clone(),
            report: OnceLock::new(),
        });
        for example in &doc.examples {
            let (lazy, id) = (Arc::clone(&lazy), example.id.clone());
            let ignored = example.skip_reason().is_some();
            trials.push(
                Trial::test(example.id.clone(), move || run(&lazy, &id)).with_ignored_flag(ignored),
            );
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn run(doc: &LazyDocument, id: &str) -> Result<(), Failed> {
    let (report, snapshots) = doc.get().as_ref().map_err(|e| Failed::from(e.as_str()))?;
    let verdicts: BTreeMap<&str, _> = report
        .examples
        .iter()
        .map(|e| (e.example.id.as_str(), e))
        .collect();
    let example = verdicts[id];
    match example.status {
        Status::Drift | Status::Error | Status::Timeout | Status::Crash => {
            let message = details(example, report, Options::default());
            Err(message.into())
        }
        Status::Skipped => Ok(()),
        Status::Pass => match snapshots {
            Some(dir) => assert_snapshot(
                dir,
                &report.path,
                &example.example.snapshot_name(),
                &report.snapshot_text(example),
            ),
            None => Ok(()),
        },
    }
}

fn assert_snapshot(dir: &Path, doc: &Path, name: &str, stdout: &str) -> Result<(), Failed> {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(doc);
    let stdout = stdout.to_string();
    catch_unwind(AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(name.to_string(), stdout));
    }))
    .map_err(|panic| {
        let text = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "snapshot assertion failed".into());
        Failed::from(format!(
            "{text}\n(accept with `cargo insta review` or `snipcheck review`)"
        ))
    })
}
