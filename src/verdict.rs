//! Claims + outcome → verdicts.
//!
//! A comment becomes a claim only if the code it speaks about printed
//! something: `x = load()  # Loads now` on a silent line is prose. Each claim
//! is then matched ([`crate::expect`]) against exactly the output of its
//! statement, which is why the harness records the guide lines behind every
//! write.

use std::sync::Arc;

use serde::Serialize;

use crate::claim::{self, Claim, ClaimKind};
use crate::expect::{self, Match, Shape};
use crate::markdown::Example;
use crate::run::outcome::{
    DoctestKind, DoctestResult, DoctestVerdict, ExampleOutcome, Interruption, InterruptionKind,
    PyError, Stream, Write,
};
use crate::snapshot::SnapshotCheck;

/// What became of one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(strum::VariantArray))]
pub enum Verdict {
    Holds,
    Drifts,
    /// Reads as prose rather than output: reported, never a failure.
    Unchecked,
    /// The example raised before the claim's code ran.
    NotReached,
    /// The claim's own code raised (a `>>>` example that did not expect it).
    Error,
    /// `# doctest: +SKIP`.
    Skipped,
    /// Its output changed between two runs with different seeds, clock
    /// origins and hash seeds: reported with its source, not a failure.
    Varies,
}

impl Verdict {
    /// `not_reached`: as serde spells it in the JSON report.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// A claim, the output it was compared with, and the verdict.
#[derive(Debug, Clone)]
pub struct ClaimVerdict {
    pub claim: Claim,
    pub actual: String,
    pub verdict: Verdict,
    /// The matching rules that made it hold (`commentary+ellipsis`).
    pub rule: Option<String>,
}

/// The status of one example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(test, derive(strum::VariantArray))]
pub enum Status {
    Pass,
    Drift,
    Error,
    Skipped,
    /// Stopped at its time limit.
    Timeout,
    /// Took its worker process down (signal, `os._exit`, abort).
    Crash,
}

impl Status {
    /// `timeout`: as serde spells it in the JSON report.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Everything known about one example after judging it.
#[derive(Debug, Clone)]
pub struct ExampleVerdict {
    pub example: Arc<Example>,
    pub status: Status,
    pub claims: Vec<ClaimVerdict>,
    pub stdout: String,
    pub stderr: String,
    pub error: Option<PyError>,
    pub interrupted: Option<Interruption>,
    pub snapshot: SnapshotCheck,
    pub truncated: bool,
    /// Comments read as prose, not claims: (guide line, text). Unchecked
    /// claims are among them, so a writer sees everything that was not checked.
    pub prose: Vec<(usize, String)>,
    /// Why its run skipped it (a `:skipif:` that held, a newer CPython's
    /// syntax), when its plan did not.
    pub skip_reason: Option<String>,
    /// The exception it raised that its tool's `xfail` mark expects: no
    /// error, but a pass that says why.
    pub expected_failure: Option<String>,
}

impl ExampleVerdict {
    /// Setup or cleanup code that ran as it should: no claim, so no example.
    pub fn is_bookkeeping(&self) -> bool {
        !self.example.is_checked() && matches!(self.status, Status::Pass | Status::Skipped)
    }

    /// Why it was not run: its plan's reason, or the one its run gave.
    pub fn skip_reason(&self) -> Option<&str> {
        self.example.skip_reason().or(self.skip_reason.as_deref())
    }

    pub fn drifts(&self) -> impl Iterator<Item = &ClaimVerdict> {
        self.claims.iter().filter(|c| c.verdict == Verdict::Drifts)
    }
}

/// Judges one example's claims against its outcome.
pub fn judge(
    example: &Arc<Example>,
    outcome: &ExampleOutcome,
    snapshot: SnapshotCheck,
) -> ExampleVerdict {
    let claims = if outcome.skipped {
        Vec::new()
    } else {
        let implicit_block = example.output_block.as_ref().is_some_and(|b| !b.explicit);
        let mut claims = claim::parse(example);
        claims.retain(|c| !(outcome.output_unchecked && c.kind == ClaimKind::OutputBlock));
        judge_claims(claims, outcome, implicit_block, output_shape(example))
    };
    // An exception a claim names was shown on purpose: not an error.
    // So is any exception in a block its tool expects to fail (`xfail`).
    let raised_on_purpose =
        example.plan.expect_exception || claims.iter().any(|c| c.claim.kind == ClaimKind::Raises);
    let own_error = outcome.error.clone().filter(|_| !raised_on_purpose);
    let expected_failure = outcome
        .error
        .as_ref()
        .filter(|_| example.plan.expect_exception)
        .map(|e| format!("raised {}, as its xfail mark expects", e.type_name));
    // A `>>>` example that raised unexpectedly errs like code does.
    let error = own_error.or_else(|| {
        outcome
            .doctests
            .iter()
            .find(|d| d.verdict == DoctestVerdict::Error)
            .and_then(|d| d.error.clone())
    });
    let status = if outcome.skipped {
        Status::Skipped
    } else if let Some(interruption) = &outcome.interrupted {
        match interruption.kind {
            InterruptionKind::Timeout => Status::Timeout,
            InterruptionKind::Crash => Status::Crash,
            InterruptionKind::NotRun => Status::Error,
        }
    } else if error.is_some() {
        Status::Error
    } else if claims.iter().any(|c| c.verdict == Verdict::Drifts) || snapshot.fails() {
        Status::Drift
    } else {
        Status::Pass
    };
    ExampleVerdict {
        example: Arc::clone(example),
        status,
        stdout: outcome.stdout(),
        stderr: outcome.stderr(),
        error,
        interrupted: outcome.interrupted.clone(),
        snapshot,
        truncated: outcome.truncated,
        prose: prose(example, &claims),
        expected_failure,
        claims,
        skip_reason: outcome.skip_reason.clone(),
    }
}

/// How the example's output block is compared, beyond snipcheck's rules:
/// as its tool was told to (doctest's `+NORMALIZE_WHITESPACE` on a
/// `{testoutput}`, where runs of whitespace, line breaks too, compare as
/// one space; pytest-codeblocks' ignore-whitespace).
fn output_shape(example: &Example) -> Shape {
    Shape {
        multiline: example
            .plan
            .flags
            .iter()
            .any(|f| f == "+NORMALIZE_WHITESPACE"),
        ignore_whitespace: example.plan.output_ignores_whitespace,
        ..Shape::default()
    }
}

/// Every comment of the example's code that no claim checked, and every
/// claim that read as prose.
fn prose(example: &Example, claims: &[ClaimVerdict]) -> Vec<(usize, String)> {
    let checked: Vec<usize> = claims
        .iter()
        .filter(|c| c.verdict != Verdict::Unchecked)
        .flat_map(|c| c.claim.lines.iter().copied())
        .collect();
    let mut prose: Vec<(usize, String)> = claims
        .iter()
        .filter(|c| c.verdict == Verdict::Unchecked)
        .map(|c| (c.claim.line, c.claim.expected.clone()))
        .collect();
    let first = example.first_line();
    let comments: Vec<(usize, String)> = if example.is_session() {
        // A transcript's own notes: `#` lines outside every `>>>` example
        // (a note a claim already stands for is not listed twice).
        let covered: Vec<usize> = claims
            .iter()
            .flat_map(|c| c.claim.lines.iter().copied())
            .collect();
        example
            .lines()
            .filter(|(line, _)| !covered.contains(line))
            .filter_map(|(line, text)| {
                let note = text.trim().strip_prefix('#')?.trim();
                Some((line, note.to_string()))
            })
            .collect()
    } else {
        crate::pysource::lines(&example.code)
            .iter()
            .enumerate()
            .filter_map(|(i, l)| Some((first + i, l.comment?.to_string())))
            .collect()
    };
    prose.extend(
        comments
            .into_iter()
            .filter(|(line, text)| !text.is_empty() && !checked.contains(line))
            .filter(|(line, _)| !prose.iter().any(|(p, _)| p == line))
            .collect::<Vec<_>>(),
    );
    prose.sort();
    prose
}

/// `implicit_block`: the example's output block is a plain fence placed after
/// it, not marked as output; when the example printed nothing, that block is
/// a listing (a table, a file), not a claim.
fn judge_claims(
    claims: Vec<Claim>,
    outcome: &ExampleOutcome,
    implicit_block: bool,
    output_shape: Shape,
) -> Vec<ClaimVerdict> {
    let (wholes, statements): (Vec<Claim>, Vec<Claim>) = claims
        .into_iter()
        .partition(|c| !c.speaks_about_a_statement());
    // Statement claims first: `# Output:` covers only what they leave over.
    let mut judged: Vec<(ClaimVerdict, Option<(usize, usize)>)> = statements
        .into_iter()
        .filter_map(|c| judge_statement_claim(c, outcome))
        .collect();
    let claimed: Vec<(usize, usize)> = judged
        .iter()
        .filter(|(v, _)| matches!(v.verdict, Verdict::Holds | Verdict::Drifts))
        .filter_map(|(_, span)| *span)
        .collect();
    let mut previous = 0;
    for claim in wholes {
        let judged_claim = match claim.kind {
            ClaimKind::OutputBlock => {
                let stdout = outcome.stdout();
                if implicit_block && stdout.is_empty() && outcome.error.is_none() {
                    verdict(claim, stdout, Verdict::Unchecked, None)
                } else {
                    judge_output_claim(claim, stdout, outcome, output_shape)
                }
            }
            _ => {
                // The statements directly above, back to the previous claim
                // or blank line; not what the example printed before them.
                let narrow = unclaimed_stdout(outcome, claim.anchor - 1, claim.line, &claimed);
                let wide = unclaimed_stdout(outcome, previous, claim.line, &claimed);
                previous = claim.line;
                // Nothing printed right above it (`print(a is b)  # True`
                // came between): it speaks about what came before.
                let actual = if narrow.is_empty() { wide } else { narrow };
                judge_output_claim(claim, actual, outcome, Shape::default())
            }
        };
        judged.push((judged_claim, None));
    }
    let mut verdicts: Vec<ClaimVerdict> = judged.into_iter().map(|(v, _)| v).collect();
    verdicts.extend(outcome.doctests.iter().map(doctest_verdict));
    verdicts.sort_by_key(|v| v.claim.line);
    verdicts
}

/// A claim about one statement: its stdout, else its REPL value. `None`
/// when the statement neither printed nor had a value (the comment is prose).
fn judge_statement_claim(
    claim: Claim,
    outcome: &ExampleOutcome,
) -> Option<(ClaimVerdict, Option<(usize, usize)>)> {
    let span = outcome.statement_at(claim.anchor)?;
    let printed = outcome.stdout_of(span.0, span.1);
    let value = claim
        .may_be_a_value()
        .then(|| outcome.values_of(span.1))
        .flatten();
    let shape = Shape {
        multiline: claim.is_multiline(),
        ..Shape::default()
    };
    // A comment on an assignment is prose unless it reads as the value.
    let by_value = |claim: Claim, (value, assignment): (String, bool)| {
        let mut claim = claim;
        if claim.kind == ClaimKind::Trailing {
            claim.kind = ClaimKind::Value;
        }
        let judged = matched(
            claim,
            value,
            Shape {
                value: true,
                ..shape
            },
        );
        (!(assignment && judged.verdict == Verdict::Unchecked)).then_some(judged)
    };
    if let Some(judged) = judge_raise(&claim, outcome, span) {
        return Some((judged, Some(span)));
    }
    let judged = match (printed.is_empty(), value) {
        (true, None) => {
            // A sentence under code that never compiled states no output:
            // read as the same sentence is read under code that ran.
            if never_compiled(outcome)
                && matches!(claim.kind, ClaimKind::Trailing | ClaimKind::Below)
                && !crate::expect::starts_like_a_value(&claim.expected)
                && claim.expected.split_whitespace().count() >= 3
            {
                return None;
            }
            return not_reached(outcome, span.0)
                .then(|| (verdict(claim, printed, Verdict::NotReached, None), None));
        }
        (true, Some(value)) => by_value(claim, value)?,
        (false, value) => {
            let on_output = matched(claim.clone(), printed, shape);
            match value.and_then(|v| {
                (on_output.verdict != Verdict::Holds)
                    .then(|| by_value(claim, v))
                    .flatten()
            }) {
                Some(on_value) if on_value.verdict == Verdict::Holds => on_value,
                _ => on_output,
            }
        }
    };
    Some((judged, Some(span)))
}

/// A claim naming the exception its statement raised (`ValueError: …`,
/// `Raises KeyError`): the writer shows the error on purpose. The type alone
/// claims the type; with a message, the message is matched by the rules.
fn judge_raise(
    claim: &Claim,
    outcome: &ExampleOutcome,
    span: (usize, usize),
) -> Option<ClaimVerdict> {
    let error = outcome.error.as_ref()?;
    let top = error.top_line.or(error.line)?;
    if !(span.0..=span.1).contains(&top) {
        return None;
    }
    let text = claim.expected.trim();
    let text = ["Raises ", "raises ", "Raises: ", "raises: "]
        .iter()
        .find_map(|p| text.strip_prefix(p))
        .unwrap_or(text);
    let rest = text.strip_prefix(error.type_name.as_str())?;
    if !(rest.is_empty() || rest.starts_with(':') || rest.starts_with(' ')) {
        return None;
    }
    let actual = if error.message.is_empty() {
        error.type_name.clone()
    } else {
        format!("{}: {}", error.type_name, error.message)
    };
    let mut claim = claim.clone();
    claim.kind = ClaimKind::Raises;
    let shape = Shape {
        explicit: true,
        ..Shape::default()
    };
    Some(match expect::evaluate(text, &actual, shape) {
        Match::Holds(rules) => verdict(claim, actual, Verdict::Holds, Some(rules.to_string())),
        _ if rest.trim().is_empty() => {
            verdict(claim, actual, Verdict::Holds, Some("exception type".into()))
        }
        _ => verdict(claim, actual, Verdict::Drifts, None),
    })
}

fn judge_output_claim(
    claim: Claim,
    actual: String,
    outcome: &ExampleOutcome,
    shape: Shape,
) -> ClaimVerdict {
    if actual.is_empty() && not_reached(outcome, claim.line) {
        return verdict(claim, actual, Verdict::NotReached, None);
    }
    let shape = Shape {
        multiline: claim.is_multiline() || shape.multiline,
        explicit: true,
        ..shape
    };
    matched(claim, actual, shape)
}

/// Doctest already judged it; this only puts it in the common shape.
fn doctest_verdict(result: &DoctestResult) -> ClaimVerdict {
    let kind = match result.kind {
        DoctestKind::Doctest => ClaimKind::Doctest,
        DoctestKind::Docstring => ClaimKind::Docstring,
    };
    let claim = Claim {
        kind,
        line: result.line,
        lines: (result.line..=result.line + result.lines.saturating_sub(1)).collect(),
        expected: result.want.clone(),
        anchor: result.line,
    };
    let (verdict_, rule) = match result.verdict {
        DoctestVerdict::Holds => (Verdict::Holds, Some("doctest".to_string())),
        DoctestVerdict::Drifts => (Verdict::Drifts, None),
        DoctestVerdict::Error => (Verdict::Error, None),
        DoctestVerdict::Skipped => (Verdict::Skipped, None),
        DoctestVerdict::Unchecked => (Verdict::Unchecked, None),
    };
    let actual = match (&result.error, result.verdict) {
        (Some(e), DoctestVerdict::Error) => format!("{}: {}", e.type_name, e.message),
        _ => result.got.clone(),
    };
    verdict(claim, actual, verdict_, rule)
}

fn matched(claim: Claim, actual: String, shape: Shape) -> ClaimVerdict {
    match expect::evaluate(&claim.expected, &actual, shape) {
        Match::Holds(rules) => verdict(claim, actual, Verdict::Holds, Some(rules.to_string())),
        Match::Drifts => verdict(claim, actual, Verdict::Drifts, None),
        Match::Unchecked => verdict(claim, actual, Verdict::Unchecked, None),
    }
}

fn verdict(claim: Claim, actual: String, verdict: Verdict, rule: Option<String>) -> ClaimVerdict {
    ClaimVerdict {
        claim,
        actual,
        verdict,
        rule,
    }
}

/// Did the example raise before finishing the statement that starts at
/// guide line `line` (before it, or in it)?
/// The example stopped at a syntax error before any of it ran.
fn never_compiled(outcome: &ExampleOutcome) -> bool {
    // No frame of the example ran (a SyntaxError raised by code it ran,
    // `eval("1 +")`, has the calling line as its top frame).
    outcome.writes.is_empty()
        && outcome.error.as_ref().is_some_and(|e| {
            e.top_line.is_none()
                && matches!(
                    e.type_name.as_str(),
                    "SyntaxError" | "IndentationError" | "TabError"
                )
        })
}

fn not_reached(outcome: &ExampleOutcome, line: usize) -> bool {
    if outcome.interrupted.is_some() {
        return true;
    }
    let top = outcome.error.as_ref().and_then(|e| e.top_line.or(e.line));
    matches!(top, Some(top) if top <= line) || (outcome.error.is_some() && top.is_none())
}

/// Stdout written by top-level lines between two `# Output:` comments that
/// no statement claim accounts for.
fn unclaimed_stdout(
    outcome: &ExampleOutcome,
    after: usize,
    before: usize,
    claimed: &[(usize, usize)],
) -> String {
    let in_range = |w: &&Write| matches!(w.top_line(), Some(t) if t > after && t < before);
    outcome
        .writes
        .iter()
        .filter(|w| w.stream == Stream::Stdout)
        .filter(in_range)
        .filter(|w| !claimed.iter().any(|(a, b)| w.involves(*a, *b)))
        .map(|w| w.text.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::outcome::{Stream, Write};

    /// strum's names are serde's: the JSON report spells them both ways.
    fn assert_names_are_serdes<T: Serialize + strum::VariantArray>(name: fn(&T) -> &'static str) {
        for variant in T::VARIANTS {
            assert_eq!(serde_json::to_value(variant).unwrap(), name(variant));
        }
    }

    #[test]
    fn names_are_the_json_reports() {
        assert_names_are_serdes::<Verdict>(|v| v.name());
        assert_names_are_serdes::<Status>(|s| s.name());
        assert_names_are_serdes::<ClaimKind>(|k| k.name());
    }

    fn example(code: &str) -> Arc<Example> {
        Arc::new(Example {
            id: "d::s::1".into(),
            kind: crate::markdown::FenceKind::Script,
            plan: Default::default(),
            section: "s".into(),
            ordinal: 1,
            heading: vec![],
            fence_line: 0,
            code: code.into(),
            output_block: None,
        })
    }

    fn write(text: &str, lines: &[usize]) -> Write {
        Write {
            stream: Stream::Stdout,
            text: text.into(),
            lines: lines.to_vec(),
        }
    }

    fn outcome(statements: &[(usize, usize)], writes: Vec<Write>) -> ExampleOutcome {
        ExampleOutcome {
            writes,
            statements: statements.to_vec(),
            ..Default::default()
        }
    }

    fn verdicts(code: &str, o: &ExampleOutcome) -> Vec<(usize, Verdict, String)> {
        judge(&example(code), o, SnapshotCheck::Disabled)
            .claims
            .into_iter()
            .map(|c| (c.claim.line, c.verdict, c.actual))
            .collect()
    }

    #[test]
    fn silent_statements_make_comments_prose() {
        let o = outcome(&[(1, 1), (2, 2)], vec![write("5\n", &[2])]);
        let v = verdicts("x = 5  # five\nprint(x)  # 5", &o);
        assert_eq!(v, [(2, Verdict::Holds, "5\n".into())]);
    }

    #[test]
    fn output_claims_take_what_is_left() {
        let code = "db = f()\nprint(db)  # True\n# Output: Connecting";
        let o = outcome(
            &[(1, 1), (2, 2)],
            vec![write("Connecting\n", &[9, 1]), write("True\n", &[2])],
        );
        let v = verdicts(code, &o);
        assert_eq!(v[0], (2, Verdict::Holds, "True\n".into()));
        assert_eq!(v[1], (3, Verdict::Holds, "Connecting\n".into()));
    }

    #[test]
    fn drift_and_error_statuses() {
        let o = outcome(&[(1, 1)], vec![write("4\n", &[1])]);
        assert_eq!(
            judge(&example("print(4)  # 5"), &o, SnapshotCheck::Disabled).status,
            Status::Drift
        );
        let mut o = outcome(&[(1, 1), (2, 2)], vec![]);
        o.error = Some(PyError {
            type_name: "NameError".into(),
            message: "x".into(),
            line: Some(1),
            top_line: Some(1),
            traceback: String::new(),
            missing: None,
            errno: None,
        });
        let v = judge(&example("f()\nprint(1)  # 1"), &o, SnapshotCheck::Disabled);
        assert_eq!(v.status, Status::Error);
        assert_eq!(v.claims[0].verdict, Verdict::NotReached);
    }

    #[test]
    fn a_sentence_under_code_that_never_compiled_is_prose_a_value_not_reached() {
        let mut o = outcome(&[(1, 1), (3, 3)], vec![]);
        o.error = Some(PyError {
            type_name: "IndentationError".into(),
            message: "unexpected indent".into(),
            line: Some(2),
            top_line: None,
            traceback: String::new(),
            missing: None,
            errno: None,
        });
        let code = "total = 1\n# This catches errors in the lines above\nprint(total)  # 1\n";
        let v = judge(&example(code), &o, SnapshotCheck::Disabled);
        assert_eq!(v.status, Status::Error);
        let verdicts: Vec<_> = v.claims.iter().map(|c| (c.claim.line, c.verdict)).collect();
        assert!(!verdicts.iter().any(|(line, _)| *line == 2), "{verdicts:?}");
        assert!(v.prose.iter().any(|(line, _)| *line == 2), "{:?}", v.prose);
        assert!(verdicts.contains(&(3, Verdict::NotReached)), "{verdicts:?}");
    }

    #[test]
    fn an_example_that_did_not_run_is_an_error_its_claims_not_reached() {
        let mut o = outcome(&[], vec![]);
        o.interrupted = Some(Interruption {
            kind: InterruptionKind::NotRun,
            message: "never reported".into(),
            line: None,
        });
        let v = judge(&example("print(1)  # 1"), &o, SnapshotCheck::Disabled);
        assert_eq!(v.status, Status::Error);
        assert!(v.claims.iter().all(|c| c.verdict != Verdict::Holds));
    }
}
