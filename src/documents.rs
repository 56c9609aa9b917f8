//! The documents of a check, held as little as they can be.
//!
//! [`crate::check`] reads every document before anything runs: bad input
//! stops the run before any work is done, and what the run must know from
//! the start is taken then (which documents show a nondeterministic source,
//! the modules to preload, how many examples there are). The first
//! documents each reader parses are kept for their turn, up to
//! `KEPT_SOURCE` bytes of Markdown together (see [`Keep`]); the others
//! are parsed again when their turn comes ([`Documents::get`]). Each is
//! let go once its runs are judged, so a check of 50,000 examples never
//! holds every document, and one of a few hundred parses each only once.
//! While a document is in use (queued, running, waiting for its second
//! run) every [`Documents::get`] shares the one parsed copy. A document
//! parsed again runs as it is when its turn comes, as its cache key says
//! (`watch` checks an edited one again anyway); one that can no longer be
//! read is that document's error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::config::Config;
use crate::error::Error;
use crate::markdown::{Conventions, Document, Tool};
use crate::nondeterminism;

/// How much Markdown the documents kept from their first reading may hold
/// together: all of a typical docs site, a bounded part of a huge one (a
/// parsed document takes about twice its Markdown).
const KEPT_SOURCE: usize = 2 << 20;

/// What one reader may keep of the documents it parses: its share of
/// `KEPT_SOURCE`, so that readers working at once stay within it.
pub struct Keep {
    left: usize,
}

impl Keep {
    /// The share of one of `readers`.
    pub fn share(readers: usize) -> Keep {
        Keep {
            left: KEPT_SOURCE / readers.max(1),
        }
    }

    /// Whether `doc` fits in what is left, which it then takes.
    fn take(&mut self, doc: &Document) -> bool {
        let fits = doc.source.len() <= self.left;
        if fits {
            self.left -= doc.source.len();
        }
        fits
    }
}

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
    /// Documents kept from their first reading until their turn.
    kept: Mutex<HashMap<usize, Document>>,
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
    /// The document, parsed, if it is kept for its turn.
    doc: Option<Document>,
    /// The modules its code imports or cues.
    modules: Vec<String>,
    /// Its conventions, described, with their notes.
    conventions: Vec<String>,
    examples: usize,
}

impl Read {
    /// Takes what the run needs from `doc`, read with `conventions`, and
    /// `doc` itself if `keep` has room for it. `skip_all`: why every
    /// example is skipped, if it is.
    pub fn of(
        doc: Document,
        config: Config,
        conventions: Conventions,
        skip_all: Option<String>,
        keep: &mut Keep,
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
            doc: keep.take(&doc).then_some(doc),
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
        if let Some(doc) = read.doc {
            let kept = self.kept.get_mut().unwrap_or_else(|e| e.into_inner());
            kept.insert(self.entries.len(), doc);
        }
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

    /// Document `index`, parsed: the copy in use if there is one, else the
    /// one kept from its first reading, else read again (an error if it can
    /// no longer be read).
    pub fn get(&self, index: usize) -> Result<Arc<Document>, Error> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(doc) = loaded.by_index.get(&index).and_then(Weak::upgrade) {
            return Ok(doc);
        }
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&index);
        let doc = match kept {
            Some(doc) => doc,
            None => {
                let entry = &self.entries[index];
                let doc = Document::load_with(&entry.path, &entry.conventions)?;
                with_skips(doc, entry.skip_all.as_deref())
            }
        };
        let doc = Arc::new(doc);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `documents` read, in order, from Markdown files written under `dir`.
    fn read(dir: &Path, texts: &[String]) -> Documents {
        let mut documents = Documents::default();
        let mut keep = Keep::share(1);
        for (i, text) in texts.iter().enumerate() {
            let path = dir.join(format!("doc-{i}.md"));
            std::fs::write(&path, text).unwrap();
            let conventions = Conventions::default();
            let doc = Document::load_with(&path, &conventions).unwrap();
            documents.push(Read::of(
                doc,
                Config::default(),
                conventions,
                None,
                &mut keep,
            ));
        }
        documents
    }

    fn example(code: &str) -> String {
        format!("# Title\n\n```python\n{code}\n```\n")
    }

    #[test]
    fn a_document_within_the_bound_is_parsed_once() {
        let dir = tempfile::tempdir().unwrap();
        let documents = read(dir.path(), &[example("print(1)")]);
        std::fs::remove_file(dir.path().join("doc-0.md")).unwrap();
        let doc = documents.get(0).expect("kept from its first reading");
        assert_eq!(doc.examples[0].code, "print(1)\n");
    }

    #[test]
    fn past_the_bound_a_document_is_parsed_again_at_its_turn() {
        let dir = tempfile::tempdir().unwrap();
        let big = example(&format!("x = 1  # {}", "a".repeat(KEPT_SOURCE)));
        let documents = read(dir.path(), &[example("print(1)"), big, example("print(3)")]);
        for i in 0..3 {
            std::fs::remove_file(dir.path().join(format!("doc-{i}.md"))).unwrap();
        }
        assert!(documents.get(0).is_ok(), "within the bound: kept");
        assert!(
            documents.get(1).is_err(),
            "past the bound: read again, and gone"
        );
        assert!(
            documents.get(2).is_ok(),
            "the bound is on what is kept, not on the order"
        );
    }

    #[test]
    fn a_kept_document_is_let_go_once_used() {
        let dir = tempfile::tempdir().unwrap();
        let documents = read(dir.path(), &[example("print(1)")]);
        let path = dir.path().join("doc-0.md");
        std::fs::write(&path, example("print(2)")).unwrap();
        assert_eq!(documents.get(0).unwrap().examples[0].code, "print(1)\n");
        // Nothing holds it any more: its next turn reads the file as it is.
        assert_eq!(documents.get(0).unwrap().examples[0].code, "print(2)\n");
    }
}
