//! The worker → parent stream, decoded by a parent that trusts none of it.
//!
//! A worker writes one line per message. Its own lines (how a child ended,
//! why it could not run one) start with `W `; every line a document's child
//! wrote is relayed with `C ` in front, so nothing an example writes can pass
//! for the worker. The child's lines are still the example's to forge: an
//! example can find its event pipe and write to it. So the parent checks
//! everything: a bounded line length ([`LineReader`]), known event kinds,
//! indices and guide lines in range, and the order of events
//! ([`Collector::apply`](super::Collector::apply)). A line that fails ends the
//! document's child as a `crash` with the reason; it never panics the parent
//! or grows its memory past one line.

use std::io::{BufRead, ErrorKind};

use serde::Deserialize;

use super::Event;
use crate::run::outcome::ExampleOutcome;

/// Prefix of a line the worker itself wrote.
pub(crate) const FROM_WORKER: &[u8] = b"W ";
/// Prefix of a line relayed from a document's child.
pub(crate) const FROM_CHILD: &[u8] = b"C ";

/// Longest line the parent accepts: room for an example's output at the
/// configured limit, escaped (JSON writes a control character as 6 bytes),
/// plus its tracebacks and values.
pub(crate) fn max_line(max_output: usize) -> usize {
    max_output.saturating_mul(7).saturating_add(8 << 20)
}

/// What the worker itself reports.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkerEvent {
    /// The child that ran the document ended (the worker waited for it).
    Exit {
        code: Option<i32>,
        signal: Option<i32>,
    },
    /// The worker could not start or run a child at all.
    Fatal { message: String },
}

/// One decoded line.
#[derive(Debug)]
pub enum Message {
    Worker(WorkerEvent),
    Child(Event),
}

/// Decodes one line (without its newline). The error says what was wrong,
/// in words fit for a report, without quoting the line.
pub fn decode(line: &[u8]) -> Result<Message, String> {
    if let Some(rest) = line.strip_prefix(FROM_WORKER) {
        return serde_json::from_slice(rest)
            .map(Message::Worker)
            .map_err(|e| format!("the worker sent a malformed message ({e})"));
    }
    if let Some(rest) = line.strip_prefix(FROM_CHILD) {
        return serde_json::from_slice(rest)
            .map(Message::Child)
            .map_err(|e| format!("the document's process sent a malformed event ({e})"));
    }
    Err("the worker sent a line of unknown origin".to_string())
}

/// A guide line named by an outcome, checked against the document's length
/// (report code indexes the guide's lines with them).
pub fn check_lines(outcome: &ExampleOutcome, lines: usize) -> Result<(), String> {
    let mut named: Vec<usize> = Vec::new();
    for write in &outcome.writes {
        named.extend(&write.lines);
    }
    for (first, last) in &outcome.statements {
        if first > last {
            return Err(format!("a statement from line {first} to line {last}"));
        }
        named.extend([*first, *last]);
    }
    named.extend(outcome.values.iter().map(|(line, _, _)| *line));
    for error in outcome
        .error
        .iter()
        .chain(outcome.doctests.iter().filter_map(|d| d.error.as_ref()))
    {
        named.extend(error.line.iter().chain(&error.top_line));
    }
    named.extend(outcome.interrupted.iter().filter_map(|i| i.line));
    for doctest in &outcome.doctests {
        named.push(doctest.line);
        named.push(doctest.line.saturating_add(doctest.lines));
    }
    match named.into_iter().find(|&line| line == 0 || line > lines) {
        Some(line) => Err(format!(
            "an event names guide line {line} of a {lines}-line document"
        )),
        None => Ok(()),
    }
}

/// Reads lines of at most `max` bytes; a longer one is skipped to its end
/// (never held in memory) and reported as [`Line::TooLong`].
pub struct LineReader<R> {
    inner: R,
}

/// One read from a [`LineReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Complete(Vec<u8>),
    TooLong,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader { inner }
    }

    /// The next line without its newline; `None` at end of input (a last
    /// line without newline is returned as it is).
    pub fn next_line(&mut self, max: usize) -> std::io::Result<Option<Line>> {
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(match (too_long, line.is_empty()) {
                    (true, _) => Some(Line::TooLong),
                    (false, true) => None,
                    (false, false) => Some(Line::Complete(line)),
                });
            }
            let (chunk, used, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            if !too_long && line.len() + chunk.len() <= max {
                line.extend_from_slice(chunk);
            } else if !too_long {
                too_long = true;
                line = Vec::new();
            }
            self.inner.consume(used);
            if done {
                return Ok(Some(if too_long {
                    Line::TooLong
                } else {
                    Line::Complete(line)
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_past_the_limit_are_skipped_not_kept() {
        let input = format!("short\n{}\nnext", "x".repeat(100));
        let mut reader = LineReader::new(std::io::BufReader::with_capacity(8, input.as_bytes()));
        assert_eq!(
            reader.next_line(10).unwrap(),
            Some(Line::Complete(b"short".to_vec()))
        );
        assert_eq!(reader.next_line(10).unwrap(), Some(Line::TooLong));
        assert_eq!(
            reader.next_line(10).unwrap(),
            Some(Line::Complete(b"next".to_vec()))
        );
        assert_eq!(reader.next_line(10).unwrap(), None);
    }

    #[test]
    fn only_the_worker_speaks_for_the_worker() {
        assert!(matches!(
            decode(br#"W {"event":"exit","code":0,"signal":null}"#),
            Ok(Message::Worker(WorkerEvent::Exit { code: Some(0), .. }))
        ));
        // An exit is not a child event, whatever it claims.
        assert!(decode(br#"C {"event":"exit","code":0,"signal":null}"#).is_err());
        assert!(decode(br#"{"event":"end"}"#).is_err());
        assert!(matches!(
            decode(br#"C {"event":"end"}"#),
            Ok(Message::Child(Event::End))
        ));
        assert!(decode(b"C \xff\xfe").is_err());
        assert!(decode(br#"C {"event":"start","index":-1}"#).is_err());
    }

    #[test]
    fn lines_outside_the_document_are_refused() {
        let outcome: ExampleOutcome = serde_json::from_str(
            r#"{"error":{"type":"E","message":"","line":99,"top_line":1,"traceback":""}}"#,
        )
        .unwrap();
        assert!(check_lines(&outcome, 10).unwrap_err().contains("line 99"));
        assert!(check_lines(&outcome, 100).is_ok());
    }
}
