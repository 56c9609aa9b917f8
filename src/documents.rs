//! The documents of a check, held as little as they can be.
//!
//! [`crate::check`] reads every document before anything runs: bad input
//! stops the run before any work is done, and what the run must know from
//! the start is taken then (which documents show a nondeterministic source,
//! the modules to preload, how many examples there are). The parsed
//! documents are not kept: each is parsed again when its turn comes
//! ([`Documents::get`]) and let go once its runs are judged, so a check of
//! 50,000 examples never holds every document. While a document is in use
//! (queued, running, waiting for its second run) every [`Documents::get`]
//! shares the one parsed copy. A document edited after it was read runs as
//! it is when its turn comes, as its cache key says (`watch` checks it
//! again anyway); one that can no longer be read is that document's error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::config::Config;
use crate::error::Error;
use crate::markdown::{Conventions, Document, Tool};
use crate::nondeterminism;

/// Every document of a check, by its index in the input.
#[derive(Default)]
pub struct Documents {
    entries: Vec<Entry>,
    /// The modules the documents' code imports or cues, in first-seen order.
    preload: Vec<String>,
    /// The conventions read, each line once (see [`Conventions::describe`]).
    conventions: Vec<String>,
    /// Their examples, together.
    examples: usize,
    /// The documents parsed and still in use somewhere.
    loaded: Mutex<Loaded>,
}

/// What is kept of a document between its first reading and its turn.
struct Entry {
    path: PathBuf,
    config: Config,
    conventions: Conventions,
    /// Why every example is skipped (`[python] min` above this CPython).
    skip_all: Option<String>,
    /// The nondeterministic sources its code shows.
    sources: Vec<&'static str>,
}

/// Weak references: a document parsed is shared while in use, and freed
/// when the last user lets go.
#[derive(Default)]
struct Loaded {
    by_index: HashMap<usize, Weak<Document>>,
    /// Dead references are swept when there are this many.
    sweep_at: usize,
}

/// What is kept of one document read: made on any thread, then pushed,
/// in input order, into [`Documents`].
pub struct Read {
    entry: Entry,
    /// The modules its code imports or cues.
    modules: Vec<String>,
    /// Its conventions, described, with their notes.
    conventions: Vec<String>,
    examples: usize,
}

impl Read {
    /// Takes what the run needs from `doc`, read with `conventions`, and
    /// lets it go. `skip_all`: why every example is skipped, if it is.
    pub fn of(
        doc: Document,
        config: Config,
        conventions: Conventions,
        skip_all: Option<String>,
    ) -> Read {
        let doc = with_skips(doc, skip_all.as_deref());
        let read = &doc.conventions;
        let notes = read.notes().iter().map(|n| format!("note: {n}"));
        Read {
            modules: crate::run::modules_to_preload([(&doc, &config)]),
            conventions: read.describe().into_iter().chain(notes).collect(),
            examples: doc.examples.len(),
            entry: Entry {
                sources: nondeterminism::sources(&doc),
                path: doc.path.clone(),
                config,
                conventions,
                skip_all,
            },
        }
    }
}

impl Documents {
    /// The next document in input order.
    pub fn push(&mut self, read: Read) {
        for module in read.modules {
            if !self.preload.contains(&module) {
                self.preload.push(module);
            }
        }
        for line in read.conventions {
            if !self.conventions.contains(&line) {
                self.conventions.push(line);
            }
        }
        self.examples += read.examples;
        self.entries.push(read.entry);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many examples the documents hold, together.
    pub fn examples(&self) -> usize {
        self.examples
    }

    pub fn path(&self, index: usize) -> &Path {
        &self.entries[index].path
    }

    pub fn config(&self, index: usize) -> &Config {
        &self.entries[index].config
    }

    pub fn configs(&self) -> impl Iterator<Item = &Config> {
        self.entries.iter().map(|e| &e.config)
    }

    /// The nondeterministic sources document `index` shows (see
    /// [`nondeterminism::sources`]).
    pub fn sources(&self, index: usize) -> &[&'static str] {
        &self.entries[index].sources
    }

    /// The modules worth preloading for these documents.
    pub fn preload(&self) -> &[String] {
        &self.preload
    }

    /// Each convention line read, once, with its notes.
    pub fn conventions(&self) -> &[String] {
        &self.conventions
    }

    /// Document `index`, parsed: the copy in use if there is one, else
    /// read again (an error if it can no longer be read).
    pub fn get(&self, index: usize) -> Result<Arc<Document>, Error> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(doc) = loaded.by_index.get(&index).and_then(Weak::upgrade) {
            return Ok(doc);
        }
        let entry = &self.entries[index];
        let doc = Document::load_with(&entry.path, &entry.conventions)?;
        let doc = Arc::new(with_skips(doc, entry.skip_all.as_deref()));
        loaded.by_index.insert(index, Arc::downgrade(&doc));
        if loaded.by_index.len() >= loaded.sweep_at {
            loaded.by_index.retain(|_, doc| doc.strong_count() > 0);
            loaded.sweep_at = 2 * loaded.by_index.len().max(32);
        }
        Ok(doc)
    }
}

/// `doc` with every example skipped for `reason`, if there is one.
pub(crate) fn with_skips(mut doc: Document, reason: Option<&str>) -> Document {
    let Some(reason) = reason else { return doc };
    for example in &mut doc.examples {
        Arc::make_mut(example)
            .plan
            .skip(reason.to_string(), Tool::Snipcheck);
    }
    doc
}
