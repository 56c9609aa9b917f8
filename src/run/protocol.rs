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

use std::collections::VecDeque;
use std::io::{ErrorKind, Read};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};

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
    /// The child that ran the document ended: waited for, with its code or
    /// signal; or, after its `end`, let go and killed, with neither.
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
        // Its last line (a session may end the file, with no fence after).
        named.push(doctest.line.saturating_add(doctest.lines.saturating_sub(1)));
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
///
/// It reads what is there and splits it itself, so the parent can wait on
/// the worker's pipe with a deadline ([`LineReader::next_line_within`]) in
/// the thread that keeps the clock: no reader thread, and no hand-off (two
/// context switches) per event.
pub struct LineReader<R> {
    inner: R,
    /// The start of a line whose end has not come yet.
    partial: Vec<u8>,
    /// The line being read is past `max`: dropped up to its newline.
    too_long: bool,
    /// Lines read but not yet taken: at most one read's worth.
    ready: VecDeque<Line>,
    at_end: bool,
    buf: Box<[u8]>,
}

/// One read from a [`LineReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    Complete(Vec<u8>),
    TooLong,
}

/// What [`LineReader::next_line_within`] got.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Line(Line),
    /// Nothing (or no whole line) within the time given.
    Quiet,
    /// End of input, or the pipe failed.
    Closed,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            partial: Vec::new(),
            too_long: false,
            ready: VecDeque::new(),
            at_end: false,
            buf: vec![0; 1 << 16].into_boxed_slice(),
        }
    }

    /// The next line without its newline; `None` at end of input (a last
    /// line without newline is returned as it is).
    pub fn next_line(&mut self, max: usize) -> std::io::Result<Option<Line>> {
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Ok(Some(line));
            }
            if self.at_end {
                return Ok(None);
            }
            self.read_some(max)?;
        }
    }

    /// One read (it blocks until there is input), split into lines.
    fn read_some(&mut self, max: usize) -> std::io::Result<()> {
        let n = match self.inner.read(&mut self.buf) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        };
        if n == 0 {
            self.at_end = true;
            let last = std::mem::take(&mut self.partial);
            match std::mem::take(&mut self.too_long) {
                true => self.ready.push_back(Line::TooLong),
                false if !last.is_empty() => self.ready.push_back(Line::Complete(last)),
                false => {}
            }
            return Ok(());
        }
        let mut bytes = &self.buf[..n];
        while !bytes.is_empty() {
            let (chunk, rest, ended) = match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => (&bytes[..i], &bytes[i + 1..], true),
                None => (bytes, &bytes[bytes.len()..], false),
            };
            if !self.too_long && self.partial.len() + chunk.len() <= max {
                self.partial.extend_from_slice(chunk);
            } else {
                self.too_long = true;
                self.partial = Vec::new();
            }
            if ended {
                let line = match std::mem::take(&mut self.too_long) {
                    true => Line::TooLong,
                    false => Line::Complete(std::mem::take(&mut self.partial)),
                };
                self.ready.push_back(line);
            }
            bytes = rest;
        }
        Ok(())
    }
}

impl<R: Read + AsFd> LineReader<R> {
    /// The next line, waiting at most `timeout` for it.
    pub fn next_line_within(&mut self, max: usize, timeout: Duration) -> Received {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.ready.pop_front() {
                return Received::Line(line);
            }
            if self.at_end {
                return Received::Closed;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let left = Timespec {
                tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: left.subsec_nanos().into(),
            };
            let mut fds = [PollFd::new(&self.inner, PollFlags::IN)];
            match rustix::event::poll(&mut fds, Some(&left)) {
                Ok(0) => return Received::Quiet,
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(_) => return Received::Closed,
            }
            if self.read_some(max).is_err() {
                return Received::Closed;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

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

    /// A reader that hands out at most `step` bytes per read.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn lines_split_across_reads_come_out_whole() {
        let input = b"first\nsecond line\n\nlast";
        for step in 1..input.len() {
            let mut reader = LineReader::new(Trickle { data: input, step });
            let mut lines = Vec::new();
            while let Some(line) = reader.next_line(100).unwrap() {
                lines.push(line);
            }
            let want: Vec<Line> = ["first", "second line", "", "last"]
                .iter()
                .map(|l| Line::Complete(l.as_bytes().to_vec()))
                .collect();
            assert_eq!(lines, want, "reads of {step} bytes");
        }
    }

    #[test]
    fn half_a_line_does_not_hold_the_reader_past_its_time() {
        let (read, mut write) = std::io::pipe().unwrap();
        let mut reader = LineReader::new(read);
        write.write_all(b"whole\nhalf a li").unwrap();
        let wait = Duration::from_millis(50);
        assert_eq!(
            reader.next_line_within(100, wait),
            Received::Line(Line::Complete(b"whole".to_vec()))
        );
        let began = Instant::now();
        assert_eq!(reader.next_line_within(100, wait), Received::Quiet);
        assert!(began.elapsed() < Duration::from_secs(5));
        write.write_all(b"ne\n").unwrap();
        assert_eq!(
            reader.next_line_within(100, wait),
            Received::Line(Line::Complete(b"half a line".to_vec()))
        );
        drop(write);
        assert_eq!(reader.next_line_within(100, wait), Received::Closed);
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
