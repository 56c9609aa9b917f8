//! The machine report. Its shape is a stable interface (README, "JSON
//! report"); `version` changes if a field ever changes meaning.

use serde::Serialize;
use serde_json::value::RawValue;

use super::model::{ClaimVerdict, ExampleVerdict};
use super::{DocumentReport, Report, Run, Summary, Writer};

/// Bumped when the shape changes incompatibly.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    python: &'a str,
    venv: Option<String>,
    /// Which sandbox layers were in force.
    sandbox: &'a str,
    /// Config files read for doc-test conventions (`docs/conf.py (Sphinx doctest)`).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    conventions: &'a [String],
    /// Each serialised as it finished, indented for its place.
    documents: Vec<Box<RawValue>>,
    summary: &'a Summary,
    elapsed_seconds: f64,
    /// Why nothing ran, when that is legitimate (`--changed-since`).
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonDocument {
    path: String,
    /// Its run came from the result cache (its verdicts are fresh).
    cached: bool,
    examples: Vec<JsonExample>,
    /// Setup and cleanup code that ran as it should: not examples.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    setup: Vec<JsonExample>,
}

#[derive(Serialize)]
struct JsonExample {
    id: String,
    line: usize,
    heading: String,
    status: &'static str,
    /// Why it was not run (or is reported apart).
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_reason: Option<String>,
    stdout: String,
    error: Option<JsonError>,
    claims: Vec<JsonClaim>,
    /// Comments read as prose (and claims left unchecked), so a writer sees
    /// what the tool did not check.
    prose: Vec<JsonProse>,
}

#[derive(Serialize)]
struct JsonProse {
    line: usize,
    text: String,
}

#[derive(Serialize)]
struct JsonError {
    #[serde(rename = "type")]
    type_name: String,
    message: String,
    line: Option<usize>,
}

#[derive(Serialize)]
struct JsonClaim {
    line: usize,
    kind: &'static str,
    expected: String,
    actual: String,
    verdict: &'static str,
    rule: Option<String>,
}

/// The report as pretty-printed JSON.
pub fn render(report: &Report) -> String {
    super::write_all(Box::new(Json::default()), report)
}

/// The JSON report as documents finish: each document is serialised at
/// once (its text is far smaller than its verdicts), the rest at the end.
#[derive(Default)]
pub struct Json {
    documents: Vec<Box<RawValue>>,
}

/// Where a document sits in the report (`{"documents": [here]}`): what
/// `to_string_pretty` indents its lines by.
const DOCUMENT_INDENT: &str = "    ";

impl Writer for Json {
    fn document(&mut self, d: &DocumentReport) {
        let doc = JsonDocument {
            path: d.path.display().to_string(),
            cached: d.cached,
            examples: d.examples.iter().map(example).collect(),
            setup: d.setup.iter().map(example).collect(),
        };
        let text = serde_json::to_string_pretty(&doc).expect("a report always serialises");
        // Strings are escaped on one line: every line break is the layout's.
        let indented = text.replace('\n', &format!("\n{DOCUMENT_INDENT}"));
        let raw = RawValue::from_string(indented).expect("serde_json wrote valid JSON");
        self.documents.push(raw);
    }

    fn finish(self: Box<Self>, run: &Run, summary: &Summary) -> String {
        let json = JsonReport {
            version: VERSION,
            python: &run.python,
            venv: run.venv.as_ref().map(|v| v.display().to_string()),
            sandbox: &run.sandbox,
            conventions: &run.conventions,
            documents: self.documents,
            summary,
            elapsed_seconds: run.elapsed.as_secs_f64(),
            note: run.note.as_deref(),
        };
        let mut text = serde_json::to_string_pretty(&json).expect("a report always serialises");
        text.push('\n');
        text
    }
}

fn example(e: &ExampleVerdict) -> JsonExample {
    JsonExample {
        id: e.example.id.clone(),
        line: e.example.fence_line,
        heading: e.example.heading.join(" > "),
        status: e.status.name(),
        skip_reason: e.skip_reason().map(String::from),
        stdout: e.stdout.clone(),
        error: error(e),
        claims: e.claims.iter().map(claim).collect(),
        prose: e
            .prose
            .iter()
            .map(|(line, text)| JsonProse {
                line: *line,
                text: text.clone(),
            })
            .collect(),
    }
}

/// An exception, or for `timeout` / `crash` the interruption (type
/// `Timeout` / `Crash`).
fn error(e: &ExampleVerdict) -> Option<JsonError> {
    if let Some(stop) = &e.interrupted {
        return Some(JsonError {
            type_name: stop.kind.type_name().into(),
            message: stop.message.clone(),
            line: stop.line,
        });
    }
    e.error.as_ref().map(|err| JsonError {
        type_name: err.type_name.clone(),
        message: err.message.clone(),
        line: err.line,
    })
}

fn claim(c: &ClaimVerdict) -> JsonClaim {
    JsonClaim {
        line: c.claim.line,
        kind: c.claim.kind.name(),
        expected: c.claim.expected.clone(),
        actual: c.actual.clone(),
        verdict: c.verdict.name(),
        rule: c.rule.clone(),
    }
}
