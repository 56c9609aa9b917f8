//! The scheduler's stream: cache hits, first runs and second runs, each
//! document once and in input order, whatever order the runs end in.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use snipcheck::check::{self, Settings};
use snipcheck::schedule::{Arrival, Early, Runs, Schedule};

/// Five documents in `dir`; the first is slow, so that with two runners
/// the others end before it. `c.md` shows a nondeterministic source
/// (`random`): its second run goes with its first.
fn documents(dir: &Path) -> Vec<PathBuf> {
    std::fs::write(dir.join("snipcheck.toml"), "[cache]\ndir = \"cache\"\n").unwrap();
    let slow = "n = 0\nfor i in range(3_000_000):\n    n += i\nprint(\"a\")\n";
    let bodies = [
        slow,
        "print(\"b\")\n",
        "import random\nprint(\"c\", random.random() < 2)\n",
        "print(\"d\")\n",
        "print(\"e\")\n",
    ];
    ["a", "b", "c", "d", "e"]
        .iter()
        .zip(bodies)
        .map(|(name, body)| {
            let path = dir.join(format!("{name}.md"));
            std::fs::write(&path, format!("# {name}\n\n```python\n{body}```\n")).unwrap();
            path
        })
        .collect()
}

/// What one pass of the stream gave: per arrival, (document, kind,
/// stdout, cached).
/// `early`: CPython started before the documents were read.
fn stream(
    paths: &[PathBuf],
    ask_again: usize,
    early: bool,
    jobs: usize,
) -> Vec<(usize, &'static str, String, bool)> {
    let mut settings = Settings::new(PathBuf::from(env!("CARGO_BIN_EXE_snipcheck")));
    settings.pool.jobs = jobs;
    let early = match early {
        true => Early::start(&settings.pool, false),
        false => Early::default(),
    };
    let jobs = Arc::new(check::read_documents(paths, &settings).unwrap());
    let mut schedule = Schedule::start(&settings.pool, true, jobs, early);
    let stdout = |ran: &snipcheck::schedule::Ran| {
        let outcome = ran.outcome.as_ref().expect("the document ran");
        outcome
            .examples
            .iter()
            .map(|e| e.stdout())
            .collect::<String>()
    };
    let mut seen = Vec::new();
    while let Some(arrival) = schedule.next() {
        match arrival {
            Arrival::Document(runs) => {
                let runs: Runs = runs;
                let made = std::iter::once(("first", &runs.first))
                    .chain(runs.second.as_ref().map(|second| ("second", second)));
                for (kind, ran) in made {
                    seen.push((runs.index, kind, stdout(ran), ran.cached));
                }
                if runs.index == ask_again {
                    schedule.again(runs.index);
                }
            }
            Arrival::Again { index, ran } => {
                seen.push((index, "again", stdout(&ran), ran.cached));
            }
        }
    }
    seen
}

#[test]
fn every_run_comes_once_in_input_order_then_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let paths = documents(dir.path());
    let expected = |cached: bool| {
        let mut runs = vec![
            (0, "first", "a\n".to_string(), cached),
            (1, "first", "b\n".to_string(), cached),
            (2, "first", "c True\n".to_string(), cached),
            (2, "second", "c True\n".to_string(), cached),
            (3, "first", "d\n".to_string(), cached),
            (4, "first", "e\n".to_string(), cached),
        ];
        // The second run asked for after `d` came: after it, in any place.
        runs.push((3, "again", "d\n".to_string(), cached));
        runs
    };
    let sorted = |mut runs: Vec<(usize, &'static str, String, bool)>| {
        let again = runs
            .iter()
            .position(|r| r.1 == "again")
            .expect("the run asked for came");
        let asked = runs
            .iter()
            .position(|r| r.0 == 3 && r.1 == "first")
            .unwrap();
        assert!(
            again > asked,
            "a second run comes after it was asked for: {runs:?}"
        );
        let item = runs.remove(again);
        runs.push(item);
        runs
    };
    assert_eq!(sorted(stream(&paths, 3, true, 2)), expected(false), "run");
    assert_eq!(
        sorted(stream(&paths, 3, false, 2)),
        expected(true),
        "from the cache"
    );
}

/// One runner serves both hash seeds in turn (first runs, then second
/// runs); two share them, and find in the cache what the one ran.
#[test]
fn a_second_run_asked_for_of_the_last_document_still_comes() {
    let dir = tempfile::tempdir().unwrap();
    let paths = documents(dir.path());
    for jobs in [1, 2] {
        let seen = stream(&paths, 4, false, jobs);
        let kind = |kind: &str| -> Vec<usize> {
            seen.iter().filter(|r| r.1 == kind).map(|r| r.0).collect()
        };
        assert_eq!(kind("first"), [0, 1, 2, 3, 4], "jobs {jobs}");
        assert_eq!(kind("second"), [2], "jobs {jobs}: queued with the first");
        let again: Vec<_> = seen.iter().filter(|r| r.1 == "again").collect();
        let cached = jobs == 2;
        assert_eq!(
            again,
            [&(4, "again", "e\n".to_string(), cached)],
            "jobs {jobs}"
        );
    }
}
