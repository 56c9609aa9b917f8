//! `snipcheck.toml`: the placeholders a guide's examples lean on.
//!
//! Guides say `open('data.txt')`, `process(item)` or `requests.get(url)`
//! without defining them. The writer declares them once here, beside the
//! guide, so that the examples run offline and deterministically, and nothing
//! about one guide is ever hard-coded in the tool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The file name looked up beside each document.
pub const FILE_NAME: &str = "snipcheck.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The documents a bare `snipcheck check` checks, relative to this file.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// Folder of the insta snapshots, relative to the config file. Without
    /// it, snapshots are not compared.
    pub snapshots: Option<PathBuf>,
    #[serde(default)]
    pub run: RunSettings,
    /// Files created in each document's fresh working directory.
    #[serde(default)]
    pub fixtures: BTreeMap<String, Fixture>,
    /// Names injected into the namespace: a Python expression each, evaluated
    /// with `mock` (`unittest.mock`) in scope.
    #[serde(default)]
    pub stubs: BTreeMap<String, String>,
    /// Modules that are not installed, stood in for: a Python expression
    /// each (like stubs), put in `sys.modules` so that `import` finds it.
    #[serde(default)]
    pub modules: BTreeMap<String, String>,
    /// Canned HTTP responses by URL; any other URL fails loudly.
    #[serde(default)]
    pub network: BTreeMap<String, Response>,
    /// Example ids to skip, with the reason.
    #[serde(default)]
    pub skip: BTreeMap<String, String>,
    /// Time limits in seconds by document name (`advanced-python`) or
    /// example id; others get `[run] timeout`.
    #[serde(default)]
    pub timeouts: BTreeMap<String, f64>,
    #[serde(default)]
    pub sandbox: SandboxSettings,
    #[serde(default)]
    pub python: PythonSettings,
    #[serde(default)]
    pub cache: CacheSettings,
    /// Where the config was read from (fixture paths are relative to it).
    #[serde(skip)]
    pub origin: Option<PathBuf>,
    /// The venv and import paths, once resolved
    /// (`Environment::resolve`).
    #[serde(skip)]
    pub environment: crate::run::environment::Environment,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    /// Seed for `random`.
    #[serde(default)]
    pub seed: u64,
    /// Lines `input()` returns, in order; once used up it raises `EOFError`.
    #[serde(default)]
    pub input: Vec<String>,
    /// Largest output captured per example, in bytes; the rest is cut with a note.
    #[serde(default = "default_output_limit")]
    pub max_output: usize,
    /// Wall-clock seconds an example may run (virtual sleeps do not count).
    #[serde(default = "default_timeout")]
    pub timeout: f64,
    /// The virtual clock's start, `2024-01-15T14:30:45` (UTC unless an
    /// offset is given); default 2023-11-14T22:13:20.
    #[serde(default)]
    pub now: Option<String>,
    /// Code run in every fresh namespace before the examples (Sphinx's
    /// `doctest_global_setup`), never checked.
    #[serde(default)]
    pub setup: String,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            seed: 0,
            input: Vec::new(),
            max_output: default_output_limit(),
            timeout: default_timeout(),
            now: None,
            setup: String::new(),
        }
    }
}

fn default_output_limit() -> usize {
    1 << 20
}

fn default_timeout() -> f64 {
    5.0
}

/// Where results are kept between runs (see [`crate::cache`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// The cache folder, relative to the config file; default
    /// `target/snipcheck-cache` in the current folder.
    pub dir: Option<PathBuf>,
}

/// Limits of the worker process that runs a document (README, "Sandbox").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSettings {
    /// Address-space limit of a worker, in MiB.
    #[serde(default = "default_memory")]
    pub memory_mb: u64,
    /// Largest file an example may write, in MiB.
    #[serde(default = "default_file_size")]
    pub file_size_mb: u64,
    /// Extra paths the examples may read (the Python installation is always readable).
    #[serde(default)]
    pub read: Vec<PathBuf>,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            memory_mb: default_memory(),
            file_size_mb: default_file_size(),
            read: Vec::new(),
        }
    }
}

fn default_memory() -> u64 {
    2048
}

fn default_file_size() -> u64 {
    256
}

/// The Python environment the examples import from (README, "Your
/// project's packages").
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PythonSettings {
    /// A virtualenv, relative to the config; default `$VIRTUAL_ENV`.
    pub venv: Option<PathBuf>,
    /// Folders put first on `sys.path`, relative to the config (`["src"]`).
    #[serde(default)]
    pub paths: Vec<PathBuf>,
}

/// A fixture's content, inline or copied from a file beside the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Fixture {
    Text(String),
    File { file: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    #[serde(default = "ok")]
    pub status: u16,
    /// Body text; `json` wins when both are given.
    #[serde(default)]
    pub body: String,
    pub json: Option<serde_json::Value>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

fn ok() -> u16 {
    200
}

impl Config {
    /// Reads a config file; errors name the file, line and offending key.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut config: Config = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| 1 + text[..s.start].matches('\n').count());
            let message = format!("invalid config: {}", e.message());
            match line {
                Some(line) => Error::input(path, line, message),
                None => Error::file(path, message),
            }
        })?;
        config.origin = Some(path.to_path_buf());
        Ok(config)
    }

    /// The config that applies to a document: the `snipcheck.toml` in its
    /// folder or the nearest parent, as rustfmt.toml is found; the search
    /// stops at the repository root (a folder with `.git`). Else the defaults.
    pub fn for_document(doc: &Path) -> Result<Config, Error> {
        // `doc.md` has the parent `""`, which is the current folder.
        let folder = doc.parent().filter(|p| !p.as_os_str().is_empty());
        Config::nearest(folder.unwrap_or(Path::new(".")))
    }

    /// The config of `folder`: its own, or the nearest parent's.
    pub fn nearest(folder: &Path) -> Result<Config, Error> {
        let start = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
        for dir in start.ancestors() {
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                let relative = candidate
                    .strip_prefix(std::env::current_dir().unwrap_or_default())
                    .map(Path::to_path_buf)
                    .unwrap_or(candidate);
                return Config::load(&relative);
            }
            if dir.join(".git").exists() {
                break;
            }
        }
        Ok(Config::default())
    }

    /// `paths`, resolved against the config file.
    pub fn document_paths(&self) -> Vec<PathBuf> {
        self.paths.iter().map(|p| self.base_dir().join(p)).collect()
    }

    /// The folder this config's relative paths are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.origin
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The `[cache] dir`, resolved against the config file.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        Some(self.base_dir().join(self.cache.dir.as_ref()?))
    }

    /// The snapshot folder, resolved against the config file.
    pub fn snapshot_dir(&self) -> Option<PathBuf> {
        let dir = self.base_dir().join(self.snapshots.as_ref()?);
        // `guide/../snapshots` reads better as `snapshots` in messages.
        Some(dir.canonicalize().unwrap_or(dir))
    }

    /// Time limit of one example: by id, else by document, else the default.
    pub fn timeout_for(&self, document: &str, id: &str) -> f64 {
        self.timeouts
            .get(id)
            .or_else(|| self.timeouts.get(document))
            .copied()
            .unwrap_or(self.run.timeout)
    }

    /// Extra readable paths, resolved against the config file, and the
    /// Python environment's folders.
    pub fn readable_paths(&self) -> Vec<PathBuf> {
        self.sandbox
            .read
            .iter()
            .map(|p| self.base_dir().join(p))
            .chain(self.environment.readable())
            .collect()
    }

    /// The configured venv, resolved against the config file.
    pub fn venv(&self) -> Option<PathBuf> {
        Some(self.base_dir().join(self.python.venv.as_ref()?))
    }

    /// `[python] paths`, resolved against the config file.
    pub fn import_paths(&self) -> Vec<PathBuf> {
        self.python
            .paths
            .iter()
            .map(|p| self.base_dir().join(p))
            .collect()
    }

    /// The files `[fixtures]` copies from, resolved against the config file.
    pub fn fixture_files(&self) -> Vec<PathBuf> {
        self.fixtures
            .values()
            .filter_map(|f| match f {
                Fixture::File { file } => Some(self.base_dir().join(file)),
                Fixture::Text(_) => None,
            })
            .collect()
    }

    /// Where fixture `name`'s `file =` is: inside the config's folder, as
    /// written and once symbolic links are resolved, or a config error
    /// naming the key. A guide's config must not copy, say, `~/.ssh/id_rsa`
    /// into the sandbox.
    fn fixture_file(&self, name: &str, file: &Path) -> Result<PathBuf, Error> {
        let origin = self.origin.clone().unwrap_or_default();
        let outside = || {
            Error::file(
                &origin,
                format!(
                    "invalid config: fixture `{name}`: file `{}` must be inside the config's folder",
                    file.display()
                ),
            )
        };
        if file.is_absolute() || file.components().any(|c| c.as_os_str() == "..") {
            return Err(outside());
        }
        let base = self.base_dir();
        let source = base.join(file);
        let base = std::path::absolute(&base)
            .and_then(std::fs::canonicalize)
            .map_err(|e| Error::io(&base, e))?;
        match std::fs::canonicalize(&source) {
            Ok(real) if real.starts_with(&base) => Ok(real),
            Ok(_) => Err(outside()),
            Err(e) => Err(Error::io(&source, e)),
        }
    }

    /// Fixture names and contents; names must stay inside the working directory.
    pub fn fixture_bytes(&self) -> Result<Vec<(String, Vec<u8>)>, Error> {
        let origin = self.origin.clone().unwrap_or_default();
        self.fixtures
            .iter()
            .map(|(name, fixture)| {
                let relative = Path::new(name);
                if relative.is_absolute() || relative.components().any(|c| c.as_os_str() == "..") {
                    return Err(Error::file(
                        &origin,
                        format!(
                            "fixture `{name}` must be a relative path inside the working directory"
                        ),
                    ));
                }
                let bytes = match fixture {
                    Fixture::Text(text) => text.clone().into_bytes(),
                    Fixture::File { file } => {
                        let source = self.fixture_file(name, file)?;
                        std::fs::read(&source).map_err(|e| Error::io(&source, e))?
                    }
                };
                Ok((name.clone(), bytes))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, text).unwrap();
        Config::load(&path)
    }

    #[test]
    fn full_config_parses() {
        let c = parse(
            r#"
snapshots = "../snapshots"
[run]
seed = 3
input = ["yes"]
[fixtures]
"data.txt" = "a\nb\n"
[stubs]
process = "mock.MagicMock()"
[network."https://api.example.com/x"]
json = { id = 1 }
[skip]
"doc::a::1" = "needs GPU"
"#,
        )
        .unwrap();
        assert_eq!(c.run.seed, 3);
        assert_eq!(c.network["https://api.example.com/x"].status, 200);
        assert!(c.snapshot_dir().unwrap().ends_with("snapshots"));
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_key_and_line() {
        let err = parse("[run]\nseed = 1\nsed = 2\n").unwrap_err().to_string();
        assert!(err.contains(":3:") && err.contains("sed"), "{err}");
        let err = parse("[run]\nseed = \"x\"\n").unwrap_err().to_string();
        assert!(err.contains(":2:") && err.contains("invalid type"), "{err}");
    }

    #[test]
    fn fixtures_cannot_escape_the_sandbox() {
        let c = parse("[fixtures]\n\"../x\" = \"no\"\n").unwrap();
        assert!(c.fixture_bytes().is_err());
    }

    #[test]
    fn fixture_files_stay_in_the_configs_folder() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(dir.path().join("ok.txt"), "fine").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let path = dir.path().join(FILE_NAME);
        let config = |file: &str| {
            let text = format!("[fixtures]\n\"f\" = {{ file = {file:?} }}\n");
            std::fs::write(&path, text).unwrap();
            Config::load(&path).unwrap().fixture_bytes()
        };
        assert_eq!(config("ok.txt").unwrap()[0].1, b"fine");
        let absolute = outside.path().display().to_string();
        for file in ["../x", absolute.as_str(), "link"] {
            let err = config(file).unwrap_err().to_string();
            assert!(
                err.contains("fixture `f`: file") && err.contains("inside the config's folder"),
                "{err}"
            );
        }
    }

    #[test]
    fn timeouts_by_example_then_document_then_default() {
        let c = parse("[run]\ntimeout = 2\n[timeouts]\n\"doc\" = 3\n\"doc::a::1\" = 4\n").unwrap();
        assert_eq!(c.timeout_for("doc", "doc::a::1"), 4.0);
        assert_eq!(c.timeout_for("doc", "doc::a::2"), 3.0);
        assert_eq!(c.timeout_for("other", "other::a::1"), 2.0);
    }
}
