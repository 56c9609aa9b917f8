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

/// With one runner, the next document's process gets its job and fences
/// itself in while the one before runs (it is staged). A crash and a kill
/// in the first document are replayed before the staged one runs, and
/// each document gets its own outcomes, whatever the order of the three.
#[test]
fn a_crashed_document_is_replayed_before_the_staged_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("snipcheck.toml"), "[run]\ntimeout = 1\n").unwrap();
    let stuck = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass\n";
    let first = [
        "print(\"a1\")\n",
        "import os\nos._exit(3)\n",
        "print(\"a3\")\n",
        stuck,
        "print(\"a5\")\n",
    ];
    let write = |name: &str, blocks: &[&str]| {
        let path = dir.path().join(name);
        let body: String = blocks
            .iter()
            .map(|b| format!("```python\n{b}```\n\n"))
            .collect();
        std::fs::write(&path, format!("# {name}\n\n{body}")).unwrap();
        path
    };
    let paths = [
        write("a.md", &first),
        write(
            "b.md",
            &["import os\nprint(\"b\", os.path.basename(os.getcwd()) != '')\n"],
        ),
        write("c.md", &["print(\"c\")\n"]),
    ];
    let mut settings = Settings::new(PathBuf::from(env!("CARGO_BIN_EXE_snipcheck")));
    settings.pool.jobs = 1;
    let jobs = Arc::new(check::read_documents(&paths, &settings).unwrap());
    let schedule = Schedule::start(&settings.pool, false, jobs, Early::default());
    let mut seen = Vec::new();
    for arrival in schedule {
        let Arrival::Document(runs) = arrival else {
            panic!("no second run was asked for");
        };
        let outcome = runs.first.outcome.expect("the document ran");
        for example in &outcome.examples {
            let said = match &example.interrupted {
                Some(stop) => format!("{:?}", stop.kind),
                None => example.stdout(),
            };
            seen.push((runs.index, said));
        }
    }
    let expected: Vec<(usize, String)> = [
        (0, "a1\n"),
        (0, "Crash"),
        (0, "a3\n"),
        (0, "Timeout"),
        (0, "a5\n"),
        (1, "b True\n"),
        (2, "c\n"),
    ]
    .iter()
    .map(|(i, s)| (*i, s.to_string()))
    .collect();
    assert_eq!(seen, expected);
}
