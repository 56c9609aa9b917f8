//! The parent's decoding of a worker's stream, on arbitrary bytes: what an
//! example that found its event pipe could send (the worker marks its lines
//! `C `; the fuzzer may also forge the worker's `W ` lines).
//!
//! Checks, on every input: no panic in `LineReader`, `protocol::decode` or
//! `Collector::apply`; no line longer than the limit ever reaches the
//! decoder; the outcome always has one entry per example; and every guide
//! line an accepted outcome names is inside the document.

#![no_main]

use libfuzzer_sys::fuzz_target;
use snipcheck::run::protocol::{self, Line, LineReader, Message};
use snipcheck::run::{Collector, Event};

/// A small document: three examples, forty lines.
const EXAMPLES: usize = 3;
const LINES: usize = 40;
/// Small, so that the fuzzer reaches the limit.
const MAX_LINE: usize = 256;

fuzz_target!(|data: &[u8]| {
    let mut reader = LineReader::new(std::io::BufReader::with_capacity(7, data));
    let mut collector = Collector::new(EXAMPLES, LINES);
    collector.new_child(data.first().is_some_and(|b| b & 1 == 1));
    while let Ok(Some(line)) = reader.next_line(MAX_LINE) {
        let Line::Complete(bytes) = line else {
            continue;
        };
        assert!(bytes.len() <= MAX_LINE, "a line past the limit");
        match protocol::decode(&bytes) {
            Ok(Message::Child(event)) => {
                let done = match &event {
                    Event::Done { outcome, .. } => Some(protocol::check_lines(outcome, LINES)),
                    _ => None,
                };
                let accepted = collector.apply(event).is_ok();
                if accepted && let Some(lines) = done {
                    assert!(lines.is_ok(), "an outcome naming lines outside the guide");
                }
            }
            Ok(Message::Worker(_)) | Err(_) => {}
        }
    }
    collector.interrupt(snipcheck::run::outcome::Interruption {
        kind: snipcheck::run::outcome::InterruptionKind::Crash,
        message: String::new(),
        line: None,
    });
    assert_eq!(collector.finish().examples.len(), EXAMPLES);
});
