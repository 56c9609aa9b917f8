//! Claims about `random`, the clock, `id()`, hash order or addresses cannot
//! be checked as exact text. A document that touches such a source is run a
//! second time with another seed, clock origin and hash seed; a claim whose
//! output changes between the two runs *varies*: reported with its source,
//! not a failure (unless it also fails a pattern it states).

use regex::Regex;
use std::sync::LazyLock;

use crate::config::Config;
use crate::expect;
use crate::markdown::Document;
use crate::pysource;
use crate::verdict::{ExampleVerdict, Status, Verdict};

/// (source, what in the code or in a claim shows it is used).
static SOURCES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        (
            "random",
            r"\brandom\b|\bsecrets\b|\buuid\d?\b|\bos\.urandom\b|\bshuffle\(",
        ),
        (
            "the clock",
            r"\btime\.(time|monotonic|perf_counter|localtime|gmtime|ctime|strftime)|\bdatetime\b|\bdate\.today\b|\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}",
        ),
        ("id()", r"\bid\("),
        ("hash order", r"\bhash\(|\bset\(|\bfrozenset\("),
        ("addresses", r"\bat 0x[0-9a-fA-F]+"),
    ]
    .into_iter()
    .map(|(name, re)| (name, Regex::new(re).unwrap()))
    .collect()
});

/// The sources `text` shows.
fn sources_in(text: &str) -> Vec<&'static str> {
    SOURCES
        .iter()
        .filter(|(_, re)| re.is_match(text))
        .map(|(name, _)| *name)
        .collect()
}

/// What to name for a varying claim: the sources its own line shows, else
/// its example's code, else the document's (`fallback`): a dice roll says
/// `random`, not every source the document touches.
fn named_source(line: &str, example: &str, fallback: &str) -> String {
    [sources_in(line), sources_in(example)]
        .into_iter()
        .find(|found| !found.is_empty())
        .map_or_else(|| fallback.to_string(), |found| found.join(", "))
}

/// The nondeterministic sources a document's code or claims show, if any.
pub fn sources(doc: &Document) -> Vec<&'static str> {
    SOURCES
        .iter()
        .filter(|(_, re)| {
            doc.examples.iter().any(|e| {
                re.is_match(&e.code)
                    || e.output_block
                        .as_ref()
                        .is_some_and(|b| re.is_match(&b.text))
            })
        })
        .map(|(name, _)| *name)
        .collect()
}

/// Whether a checked document needs the second run, and the sources named
/// for it. A drift in a document that shows no source may still come from
/// one a library uses inside (a logger's timestamp), so it is run again too.
pub fn second_run(doc: &Document, examples: &[ExampleVerdict]) -> Option<String> {
    let found = sources(doc);
    let drifts = examples.iter().any(|e| e.drifts().next().is_some());
    match (found.is_empty(), drifts) {
        (false, _) => Some(found.join(", ")),
        (true, true) => Some("the clock, a seed or hash order".to_string()),
        (true, false) => None,
    }
}

/// The config of the second run: another seed and another clock origin,
/// unless the config pins the clock (`[run] now`): then the writer's claims
/// about time are part of the setup, not nondeterminism.
pub fn varied(config: &Config) -> Config {
    let mut config = config.clone();
    config.run.seed = config.run.seed.wrapping_add(1);
    if config.run.now.is_none() {
        config.run.now = Some("2031-05-17T08:41:07".to_string());
    }
    config
}

/// The hash seed of the second run's workers.
pub const SECOND_HASH_SEED: u32 = 4099;

/// Marks the claims whose output differs between the two runs as varying.
///
/// The second run is read only up to the first example that failed there
/// (an error, a timeout, a crash) in a way it did not fail in the first: a
/// `MemoryError` another process caused is no seed or clock, and what ran
/// after it ran in another namespace. From that example on, the first
/// run's verdicts stand.
pub fn mark_varying(first: &mut [ExampleVerdict], second: &[ExampleVerdict], source: &str) {
    let comparable = first
        .iter()
        .zip(second)
        .take_while(|(example, again)| !failed_anew(example, again))
        .count();
    for (example, again) in first.iter_mut().zip(second).take(comparable) {
        for claim in &mut example.claims {
            if !matches!(claim.verdict, Verdict::Holds | Verdict::Drifts) {
                continue;
            }
            let Some(other) = again
                .claims
                .iter()
                .find(|c| c.claim.line == claim.claim.line)
            else {
                continue;
            };
            if other.actual == claim.actual {
                continue;
            }
            // `~1.0 s`, `0x...`, `1-10`: a pattern the output must still fit.
            if claim.verdict == Verdict::Drifts && expect::states_a_pattern(&claim.claim.expected) {
                continue;
            }
            // A set claim that holds in whatever order: it holds. One that
            // is wrong in whatever order: a changed value, it drifts.
            let same_value = || {
                let a = expect::without_addresses(claim.actual.trim());
                let b = expect::without_addresses(other.actual.trim());
                a == b || pysource::literal(&a).is_some_and(|x| pysource::literal(&b) == Some(x))
            };
            if claim.verdict == other.verdict && (claim.verdict == Verdict::Holds || same_value()) {
                continue;
            }
            let line = example
                .example
                .lines()
                .find(|(l, _)| *l == claim.claim.line)
                .map_or("", |(_, text)| text);
            let named = named_source(line, &example.example.code, source);
            claim.verdict = Verdict::Varies;
            claim.rule = Some(format!("varies: {named}"));
        }
        let drifts = example.claims.iter().any(|c| c.verdict == Verdict::Drifts);
        if example.status == Status::Drift && !drifts && !example.snapshot.fails() {
            example.status = Status::Pass;
        }
    }
}

/// Whether `again` (the second run of `example`) failed, and not as the
/// first run did.
fn failed_anew(example: &ExampleVerdict, again: &ExampleVerdict) -> bool {
    failure(again).is_some_and(|failed| failure(example) != Some(failed))
}

/// The name of what stopped an example: its interruption or its error.
fn failure(example: &ExampleVerdict) -> Option<&str> {
    let interrupted = example.interrupted.as_ref().map(|i| i.kind.type_name());
    interrupted.or(example.error.as_ref().map(|e| e.type_name.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::outcome::{ExampleOutcome, PyError, Stream, Write};

    #[test]
    fn patterns_are_ellipses_approximations_and_ranges() {
        for text in ["[0.1, ...]", "~1.0 s", "1-10", "3 to 5"] {
            assert!(expect::states_a_pattern(text), "{text}");
        }
        for text in ["0.8444218515250481", "2023-11-14 22:13:20", "[3, 1, 2]"] {
            assert!(!expect::states_a_pattern(text), "{text}");
        }
    }

    /// The verdicts of `source`'s examples given their outcomes.
    fn judged(source: &str, outcomes: &[ExampleOutcome]) -> Vec<ExampleVerdict> {
        let doc = Document::parse(std::path::Path::new("d.md"), source.into());
        doc.examples
            .iter()
            .zip(outcomes)
            .map(|(e, o)| crate::verdict::judge(e, o, crate::snapshot::SnapshotCheck::Disabled))
            .collect()
    }

    /// What `print(…)` on guide line `line` wrote.
    fn printed(line: usize, text: &str) -> ExampleOutcome {
        ExampleOutcome {
            writes: vec![Write {
                stream: Stream::Stdout,
                text: text.into(),
                lines: vec![line],
            }],
            statements: vec![(line, line)],
            ..Default::default()
        }
    }

    #[test]
    fn a_failure_only_the_second_run_had_leaves_the_first_runs_verdicts() {
        let source = "```python\nprint(6 * 7)  # 41\n```\n\n```python\nprint(1)  # 2\n```\n";
        let mut first = judged(source, &[printed(2, "42\n"), printed(6, "1\n")]);
        let starved = ExampleOutcome {
            error: Some(PyError {
                type_name: "MemoryError".into(),
                message: String::new(),
                line: Some(2),
                top_line: Some(2),
                traceback: String::new(),
                missing: None,
                errno: None,
            }),
            statements: vec![(2, 2)],
            ..Default::default()
        };
        let second = judged(source, &[starved, printed(6, "3\n")]);
        mark_varying(&mut first, &second, "random");
        let statuses: Vec<Status> = first.iter().map(|e| e.status).collect();
        assert_eq!(statuses, [Status::Drift, Status::Drift], "nothing varies");

        // Without the failure, both claims vary.
        let mut first = judged(source, &[printed(2, "42\n"), printed(6, "1\n")]);
        let second = judged(source, &[printed(2, "43\n"), printed(6, "3\n")]);
        mark_varying(&mut first, &second, "random");
        let statuses: Vec<Status> = first.iter().map(|e| e.status).collect();
        assert_eq!(statuses, [Status::Pass, Status::Pass]);
        assert_eq!(first[0].claims[0].verdict, Verdict::Varies);
    }

    #[test]
    fn a_varying_claim_names_the_source_it_shows() {
        let fallback = "random, the clock";
        assert_eq!(
            named_source("print(random.randint(1, 6))  # 4", "", fallback),
            "random"
        );
        assert_eq!(
            named_source(
                "print(roll())  # 4",
                "def roll():\n    return random.choice(x)",
                fallback
            ),
            "random"
        );
        assert_eq!(
            named_source("print(stamp())", "import time\nt = time.time()", fallback),
            "the clock"
        );
        assert_eq!(named_source("print(f())", "print(f())", fallback), fallback);
    }

    #[test]
    fn second_run_config_changes_seed_and_clock_unless_pinned() {
        let config = Config::default();
        let v = varied(&config);
        assert_ne!(v.run.seed, config.run.seed);
        assert!(v.run.now.is_some() && v.run.now != config.run.now);
        assert_eq!(varied(&v).run.now, v.run.now, "a pinned clock stays pinned");
    }
}
