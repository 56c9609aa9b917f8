//! What one document may cost the parent: the output it holds, and the
//! time spent replaying its examples after kills.
//!
//! Both are the parent's own counts of what it saw, so no example can talk
//! them up: a document past its output budget ends as a `crash` naming it,
//! and one whose next replay would cost more than it may is not replayed
//! (the examples left are reported as not run, never as passing).

use std::time::Duration;

use crate::run::outcome::ExampleOutcome;

/// How much output a document's events may carry, in all.
///
/// [`protocol::max_line`](super::protocol::max_line) bounds one event; this
/// bounds their sum, so that the parent's memory does not grow with the
/// number of examples. Derived from `[run] max_output` (`M`): the events of
/// a document may total `16 × M + 16 MiB` bytes and hold `M / 4 + 16 Ki`
/// chunks (writes, REPL values, `>>>` results), each of which costs the
/// parent a hundred bytes or more beyond its text. A guide's examples print
/// far less; a flood of one-character writes reaches it in one example.
#[derive(Debug, Clone)]
pub(crate) struct OutputBudget {
    bytes: usize,
    chunks: usize,
    bytes_left: usize,
    chunks_left: usize,
    /// Why it ran out, once it did.
    spent: Option<String>,
}

impl OutputBudget {
    pub(crate) fn for_max_output(max_output: usize) -> OutputBudget {
        OutputBudget::of(
            max_output.saturating_mul(16).saturating_add(16 << 20),
            (max_output / 4).saturating_add(16 << 10),
        )
    }

    /// No limit: for callers that bound what they feed (the fuzz target).
    pub(crate) fn unlimited() -> OutputBudget {
        OutputBudget::of(usize::MAX, usize::MAX)
    }

    fn of(bytes: usize, chunks: usize) -> OutputBudget {
        OutputBudget {
            bytes,
            chunks,
            bytes_left: bytes,
            chunks_left: chunks,
            spent: None,
        }
    }

    /// Charges one event line of `len` bytes, before it is decoded.
    pub(crate) fn take_line(&mut self, len: usize) -> Result<(), String> {
        self.take(len, 0)
    }

    /// Charges the chunks of an outcome the parent is about to keep.
    pub(crate) fn take_outcome(&mut self, outcome: &ExampleOutcome) -> Result<(), String> {
        let chunks = outcome.writes.len() + outcome.values.len() + outcome.doctests.len();
        self.take(0, chunks)
    }

    fn take(&mut self, bytes: usize, chunks: usize) -> Result<(), String> {
        if let Some(why) = &self.spent {
            return Err(why.clone());
        }
        match (
            self.bytes_left.checked_sub(bytes),
            self.chunks_left.checked_sub(chunks),
        ) {
            (Some(bytes_left), Some(chunks_left)) => {
                (self.bytes_left, self.chunks_left) = (bytes_left, chunks_left);
                Ok(())
            }
            (None, _) => Err(self.run_out(format!(
                "the document's examples sent more than {} MiB of events, its output budget \
                 (16 × [run] max_output + 16 MiB)",
                self.bytes >> 20
            ))),
            (_, None) => Err(self.run_out(format!(
                "the document's examples made more than {} writes and values, its output \
                 budget ([run] max_output / 4 + 16384)",
                self.chunks
            ))),
        }
    }

    fn run_out(&mut self, why: String) -> String {
        self.spent = Some(why.clone());
        why
    }

    /// Why the budget ran out, if it did: nothing more of the document runs.
    pub(crate) fn spent(&self) -> Option<&str> {
        self.spent.as_deref()
    }
}

/// The time a document's replays took, against its first-hand run.
///
/// After a kill, a fresh process replays the examples before the one that
/// was killed, to rebuild their namespace. Replayed after every kill, a
/// document of slow examples and kills costs quadratic time. So a replay
/// runs only if all the document's replays together, this one included,
/// take no longer than its first-hand run so far (each example from its
/// `start` to its `done` or its kill, as the parent measured it; a replay's
/// cost is what its examples took first-hand), plus [`PER_EXAMPLE`] for
/// each example of the document: fast examples cost little to replay
/// however often, it is slow ones replayed after every kill that add up. A
/// document then costs at most twice its own time plus a tenth of a second
/// an example; past that, the examples left are not run.
#[derive(Debug, Clone)]
pub(crate) struct Replays {
    spent: Duration,
    allowance: Duration,
}

/// What each example of a document adds to its replay budget.
pub(crate) const PER_EXAMPLE: Duration = Duration::from_millis(100);

impl Replays {
    /// The replay budget of a document of `examples` examples.
    pub(crate) fn for_examples(examples: usize) -> Replays {
        Replays {
            spent: Duration::ZERO,
            allowance: PER_EXAMPLE.saturating_mul(u32::try_from(examples).unwrap_or(u32::MAX)),
        }
    }

    /// Whether a replay costing `cost` fits beside `first_hand`; if it
    /// does, it is counted as spent.
    pub(crate) fn afford(&mut self, cost: Duration, first_hand: Duration) -> bool {
        let total = self.spent.saturating_add(cost);
        let fits = total <= first_hand.saturating_add(self.allowance);
        if fits {
            self.spent = total;
        }
        fits
    }
}

/// The message of the examples a replay that did not fit leaves unrun.
pub(crate) fn no_replay(cost: Duration, first_hand: Duration) -> String {
    format!(
        "not run: an example before it was killed, and replaying the {:.1} s of examples \
         before this one would make the document's replays take longer than its first-hand \
         run ({:.1} s) and 0.1 s an example",
        cost.as_secs_f64(),
        first_hand.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::outcome::{Stream, Write};

    fn writes(n: usize) -> ExampleOutcome {
        let write = Write {
            stream: Stream::Stdout,
            text: "x".into(),
            lines: vec![1],
        };
        ExampleOutcome {
            writes: vec![write; n],
            ..Default::default()
        }
    }

    #[test]
    fn the_output_budget_is_the_documents_not_each_events() {
        let mut budget = OutputBudget::for_max_output(1024);
        let chunks = 1024 / 4 + (16 << 10);
        for _ in 0..4 {
            budget.take_outcome(&writes(chunks / 4)).unwrap();
        }
        let why = budget.take_outcome(&writes(1)).unwrap_err();
        assert!(why.contains("more than 16640 writes"), "{why}");
        // Once spent, it stays spent: nothing more is taken.
        assert!(budget.take_line(1).is_err());
        assert_eq!(budget.spent(), Some(why.as_str()));

        let mut budget = OutputBudget::for_max_output(1024);
        budget.take_line(16 * 1024 + (16 << 20)).unwrap();
        let why = budget.take_line(1).unwrap_err();
        assert!(why.contains("more than 16 MiB of events"), "{why}");
    }

    #[test]
    fn replays_take_no_longer_than_the_first_hand_run() {
        let s = Duration::from_secs;
        let mut replays = Replays::for_examples(10);
        // Busy 4 s, then killed after 1 s: replaying the busy one fits.
        assert!(replays.afford(s(4), s(5)));
        // Busy 4 s more, killed again: 8 s more would make 12 s of replays
        // for 10 s of first-hand run and 1 s for its ten examples.
        assert!(!replays.afford(s(8), s(10)));
        // A refusal costs nothing: a cheap replay still fits, and fast
        // examples may be replayed often.
        assert!(replays.afford(s(7), s(10)));
        assert!(!replays.afford(Duration::from_millis(1), s(10)));
        let mut replays = Replays::for_examples(100);
        for _ in 0..100 {
            assert!(replays.afford(Duration::from_millis(100), Duration::ZERO));
        }
    }
}
