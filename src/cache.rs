//! The result cache: a document whose inputs did not change is not run again.
//!
//! Running is the expensive stage; judging a run is cheap and deterministic.
//! So what is kept is a document's [`DocumentOutcome`] (the facts of its
//! run), and verdicts, snapshots and reports are always made fresh from it.
//! The second run that tells varying claims apart (see
//! [`crate::nondeterminism`]) has an entry too, under its own key. Lookups
//! and stores are made by [`crate::schedule`], beside the runs.
//!
//! An entry's key is a BLAKE3 hash of everything a run depends on (see
//! [`Key::for_job`]): the document, its effective config (with the cassette
//! replayed into it), the fixture files' bytes, the snipcheck binary, the
//! embedded CPython, the venv's installed packages and the project sources
//! on `[python] paths`, and how the pool runs (sandbox, hash seed). Change
//! any of them and the entry is simply never found again.
//!
//! Runs that were interrupted (a timeout, a crash, examples not run) or that
//! failed for want of a resource (`MemoryError`, a full disk, no descriptor
//! or thread left) are never stored: they may depend on the machine's load. Entries are written whole (a temporary
//! file renamed into place), and one that cannot be read is a miss.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::Error;
use crate::markdown::Document;
use crate::run::outcome::{DocumentOutcome, ExampleOutcome};
use crate::run::pool::Pool;

/// Bumped when the entry format changes.
const FORMAT: &str = "snipcheck-cache-1";

/// The cache folder, relative to the nearest config's folder (or the
/// current folder): a Python project has no `target/`.
pub const DEFAULT_DIR: &str = ".snipcheck/cache";

/// Where entries live. Default: [`DEFAULT_DIR`] beside the config (in the
/// current folder when there is none); `[cache] dir` in a config moves it.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// The content hash that names an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(blake3::Hash);

impl Cache {
    pub fn at(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    /// The cache for a document under `config`.
    pub fn for_config(config: &Config) -> Cache {
        Cache::at(
            config
                .cache_dir()
                .unwrap_or_else(|| config.base_dir().join(DEFAULT_DIR)),
        )
    }

    /// Creates the folder, with a `.gitignore` of `*` in it when this
    /// creates it, so that no entry is ever committed.
    fn create(&self) -> Result<(), Error> {
        if self.dir.is_dir() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        let ignore = self.dir.join(".gitignore");
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&ignore)
        {
            Ok(mut file) => std::io::Write::write_all(&mut file, b"*\n"),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
        .map_err(|e| Error::io(&ignore, e))
    }

    fn path_of(&self, key: Key) -> PathBuf {
        self.dir.join(format!("{}.json", key.0.to_hex()))
    }

    /// The outcome stored under `key`, if any (an unreadable entry is none).
    pub fn get(&self, key: Key) -> Option<DocumentOutcome> {
        let bytes = std::fs::read(self.path_of(key)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores `outcome` under `key`, unless an example hit a limit
    /// ([`ExampleOutcome::hit_a_limit`]): a run the machine's load or
    /// another process may have cut short is not one to replay.
    pub fn put(&self, key: Key, outcome: &DocumentOutcome) -> Result<(), Error> {
        if outcome.examples.iter().any(ExampleOutcome::hit_a_limit) {
            return Ok(());
        }
        self.create()?;
        let bytes = serde_json::to_vec(outcome)
            .map_err(|e| Error::io(&self.dir, std::io::Error::other(e)))?;
        crate::atomic::write_unsynced(&self.path_of(key), &bytes)
    }
}

/// The programs that run a document: this snipcheck and its CPython.
#[derive(Debug, Clone)]
pub(crate) struct Programs {
    snipcheck: String,
    python: String,
}

impl Programs {
    pub(crate) fn current() -> Programs {
        Programs {
            snipcheck: binary_identity(),
            python: embedded_python(),
        }
    }
}

impl Key {
    /// The key of running `doc` under `config` with `pool`.
    pub fn for_job(doc: &Document, config: &Config, pool: &Pool) -> Result<Key, Error> {
        Key::with(&Programs::current(), doc, config, pool)
    }

    pub(crate) fn with(
        programs: &Programs,
        doc: &Document,
        config: &Config,
        pool: &Pool,
    ) -> Result<Key, Error> {
        let mut hasher = blake3::Hasher::new();
        let mut part = |name: &str, bytes: &[u8]| {
            // Length-prefixed, so that no two different inputs hash alike.
            for piece in [name.as_bytes(), bytes] {
                hasher.update(&(piece.len() as u64).to_le_bytes());
                hasher.update(piece);
            }
        };
        part("format", FORMAT.as_bytes());
        part("snipcheck", programs.snipcheck.as_bytes());
        part("python", programs.python.as_bytes());
        let inherited_seed = std::env::var("PYTHONHASHSEED").ok();
        part(
            "pool",
            format!(
                "sandbox={} hash_seed={:?} inherited={inherited_seed:?}",
                pool.sandbox, pool.hash_seed
            )
            .as_bytes(),
        );
        part("path", crate::run::code_path(doc).as_bytes());
        part("document", doc.source.as_bytes());
        part("conventions", format!("{:?}", doc.conventions).as_bytes());
        // What the project's own files (pytest.ini, conftest.py, a test
        // file) made of it: which blocks run, in which namespaces.
        part("examples", format!("{:?}", doc.examples).as_bytes());
        part("config", format!("{config:?}").as_bytes());
        for (name, bytes) in config.fixture_bytes()? {
            part(&name, &bytes);
        }
        part("environment", environment_digest(config).as_bytes());
        Ok(Key(hasher.finalize()))
    }
}

/// The snipcheck binary that runs the documents: its version, and its size
/// and modification time (a rebuild is a new binary, whatever its version).
fn binary_identity() -> String {
    let exe = std::env::current_exe().ok();
    let meta = exe.as_ref().and_then(|p| std::fs::metadata(p).ok());
    let stamp = meta.map(|m| (m.len(), m.modified().ok()));
    format!("{} {exe:?} {stamp:?}", env!("CARGO_PKG_VERSION"))
}

/// The embedded CPython's full version string (build date and compiler
/// included), read without starting the interpreter.
fn embedded_python() -> String {
    // SAFETY: Py_GetVersion returns a static string and may be called
    // before the interpreter is initialised.
    let version = unsafe { std::ffi::CStr::from_ptr(pyo3::ffi::Py_GetVersion()) };
    version.to_string_lossy().into_owned()
}

/// What the examples can import or read beyond the standard library and
/// their fixtures: the entries of the venv's site-packages (one
/// `*.dist-info` per installed package and version), and every file under
/// `[python] paths` and `[sandbox] read` (path, size, mtime).
fn environment_digest(config: &Config) -> String {
    let env = &config.environment;
    let mut digest = String::new();
    for dir in &env.site_packages {
        digest.push_str(&format!("site {}\n", dir.display()));
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        digest.push_str(&names.join("\n"));
    }
    let cache = folder_identity(&Cache::for_config(config).dir);
    let imported = env.paths.iter().map(|dir| (dir, Walk::Imported));
    let read = config.sandbox.read.iter().map(|dir| (dir, Walk::Read));
    for (dir, walk) in imported.chain(read) {
        digest.push_str(&format!("files {}\n", dir.display()));
        files_under(&config.base_dir().join(dir), walk, cache, &mut digest);
    }
    digest
}

/// Which files under a folder a run depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// An import path: what git would track (the `ignore` crate's
    /// filters), so that a `.venv/` or `target/` there is not walked on
    /// every run.
    Imported,
    /// A `[sandbox] read` path: every file, hidden and git-ignored ones
    /// too. An example may read any of them, so a change to any must miss
    /// the cache, never replay a stale pass.
    Read,
}

/// A folder's device and inode, if it exists.
fn folder_identity(dir: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir).ok()?;
    Some((meta.dev(), meta.ino()))
}

/// The files under `dir` as `walk` says, but for the cache's own folder
/// (`cache`), which changes with every run stored: under it, no key
/// would ever be found again.
fn files_under(dir: &Path, walk: Walk, cache: Option<(u64, u64)>, digest: &mut String) {
    let not_the_cache = move |entry: &ignore::DirEntry| {
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        cache.is_none() || !is_dir || folder_identity(entry.path()) != cache
    };
    for entry in ignore::WalkBuilder::new(dir)
        .standard_filters(walk == Walk::Imported)
        .sort_by_file_path(Ord::cmp)
        .filter_entry(not_the_cache)
        .build()
        .flatten()
    {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_file() {
            let modified = meta.modified().ok();
            digest.push_str(&format!(
                "{} {} {modified:?}\n",
                entry.path().display(),
                meta.len()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Fixture;
    use crate::run::outcome::{ExampleOutcome, Interruption, InterruptionKind};

    struct Case {
        programs: Programs,
        doc: Document,
        config: Config,
        pool: Pool,
    }

    impl Case {
        /// A document with a fixture file, a venv and project sources, all
        /// under `dir`; the same `dir` gives the same case.
        fn new(dir: &Path) -> Case {
            let (site, project) = (dir.join("site-packages"), dir.join("src"));
            for folder in [&site, &project] {
                std::fs::create_dir_all(folder).unwrap();
            }
            if !dir.join("data.txt").exists() {
                write(dir.join("data.txt"), "alpha\n");
            }
            let mut config = Config {
                origin: Some(dir.join("snipcheck.toml")),
                ..Config::default()
            };
            let file = Fixture::File {
                file: PathBuf::from("data.txt"),
            };
            config.fixtures.insert("data.txt".into(), file);
            config.environment.site_packages = vec![site];
            config.environment.paths = vec![project];
            Case {
                programs: Programs {
                    snipcheck: "snipcheck 1".into(),
                    python: "3.11.2".into(),
                },
                doc: Document::parse(&dir.join("a.md"), "```python\nprint(1)  # 1\n```\n".into()),
                config,
                pool: Pool {
                    program: PathBuf::from("snipcheck"),
                    jobs: 1,
                    sandbox: true,
                    require_full: false,
                    hash_seed: None,
                    warm: Default::default(),
                },
            }
        }

        fn key(&self) -> Key {
            Key::with(&self.programs, &self.doc, &self.config, &self.pool).unwrap()
        }
    }

    fn write(path: PathBuf, text: &str) {
        std::fs::write(path, text).unwrap();
    }

    type Change = fn(&mut Case, &Path);

    /// Each change, made to a fresh case, must give a key of its own; undone,
    /// the key is found again.
    #[test]
    fn every_input_of_a_run_is_part_of_its_key() {
        let changes: [(&str, Change, Change); 9] = [
            (
                "document",
                |c, _| c.doc.source = format!("{}\n", c.doc.source).into(),
                |_, _| {},
            ),
            (
                "config",
                |c, _| {
                    drop(
                        c.config
                            .stubs
                            .insert("db".into(), "mock.MagicMock()".into()),
                    )
                },
                |_, _| {},
            ),
            (
                "fixture file",
                |_, dir| write(dir.join("data.txt"), "beta\n"),
                |_, dir| write(dir.join("data.txt"), "alpha\n"),
            ),
            (
                "snipcheck",
                |c, _| c.programs.snipcheck = "snipcheck 2".into(),
                |_, _| {},
            ),
            (
                "python",
                |c, _| c.programs.python = "3.11.9".into(),
                |_, _| {},
            ),
            ("sandbox", |c, _| c.pool.sandbox = false, |_, _| {}),
            ("hash seed", |c, _| c.pool.hash_seed = Some(1), |_, _| {}),
            (
                "venv packages",
                |_, dir| {
                    std::fs::create_dir_all(dir.join("site-packages/requests-2.32.3.dist-info"))
                        .unwrap()
                },
                |_, dir| {
                    std::fs::remove_dir(dir.join("site-packages/requests-2.32.3.dist-info"))
                        .unwrap()
                },
            ),
            (
                "project sources",
                |_, dir| write(dir.join("src/mylib.py"), "X = 22\n"),
                |_, dir| std::fs::remove_file(dir.join("src/mylib.py")).unwrap(),
            ),
        ];
        let dir = tempfile::tempdir().unwrap();
        let base = Case::new(dir.path()).key();
        for (what, change, undo) in changes {
            let mut case = Case::new(dir.path());
            change(&mut case, dir.path());
            assert_ne!(
                base,
                case.key(),
                "a change to the {what} must miss the cache"
            );
            undo(&mut case, dir.path());
            assert_eq!(base, Case::new(dir.path()).key(), "{what} undone");
        }
    }

    fn outcome(interrupted: bool) -> DocumentOutcome {
        let interruption = Interruption {
            kind: InterruptionKind::Timeout,
            message: "ran past its 5 s time limit".into(),
            line: Some(3),
        };
        DocumentOutcome {
            python: "3.11.2".into(),
            workdir: "/tmp/snipcheck-x".into(),
            examples: vec![ExampleOutcome {
                interrupted: interrupted.then_some(interruption),
                ..ExampleOutcome::default()
            }],
        }
    }

    #[test]
    fn a_stored_run_is_found_again_but_an_interrupted_one_is_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().join("cache"));
        let key = Case::new(dir.path()).key();
        assert!(cache.get(key).is_none());
        cache.put(key, &outcome(true)).unwrap();
        assert!(
            cache.get(key).is_none(),
            "a timed-out run may depend on load"
        );
        cache.put(key, &outcome(false)).unwrap();
        let found = cache.get(key).expect("stored");
        assert_eq!(found.workdir, "/tmp/snipcheck-x");
        assert_eq!(found.examples.len(), 1);
    }

    #[test]
    fn a_cache_folder_it_creates_is_git_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            origin: Some(dir.path().join("snipcheck.toml")),
            ..Config::default()
        };
        let cache = Cache::for_config(&config);
        assert_eq!(cache.dir, dir.path().join(".snipcheck/cache"));
        let key = Case::new(dir.path()).key();
        cache.put(key, &outcome(false)).unwrap();
        let ignore = dir.path().join(".snipcheck/cache/.gitignore");
        assert_eq!(std::fs::read_to_string(&ignore).unwrap(), "*\n");
        assert!(cache.get(key).is_some());
        // Without a config: the current folder.
        assert_eq!(
            Cache::for_config(&Config::default()).dir,
            PathBuf::from(".snipcheck/cache")
        );
    }

    #[test]
    fn an_unreadable_entry_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf());
        let key = Case::new(dir.path()).key();
        std::fs::write(cache.path_of(key), "{not json").unwrap();
        assert!(cache.get(key).is_none());
    }
}
