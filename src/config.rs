//! `snipcheck.toml`: the placeholders a guide's examples lean on.
//!
//! Guides say `open('data.txt')`, `process(item)` or `requests.get(url)`
//! without defining them. The writer declares them once here, beside the
//! guide, so that the examples run offline and deterministically, and nothing
//! about one guide is ever hard-coded in the tool.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

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
    /// Sphinx doctest's settings, over those its `conf.py` gives.
    #[serde(default)]
    pub sphinx: SphinxSettings,
    /// How the project's mktestdocs test reads its docs, when snipcheck
    /// cannot read it from the test file (`check_md_file(memory=True)`).
    pub mktestdocs: Option<MktestdocsSettings>,
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
    /// Whose rules decide which blocks run: the document's doc-test tool's
    /// (`follow`, the default) or every block (`strict`, which reports the
    /// blocks that tool leaves alone apart).
    #[serde(default)]
    pub mode: RunMode,
}

/// `[mktestdocs]`: the arguments the project passes to `check_md_file`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MktestdocsSettings {
    /// `memory = true`: the document's blocks share their names.
    pub memory: Option<bool>,
    /// `lang = "python"`: the info string whose fences run.
    pub lang: Option<String>,
}

/// `[run] mode`: see [`RunSettings::mode`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// Run what the document's doc-test tool runs; list the rest.
    #[default]
    Follow,
    /// Also run the blocks that tool leaves alone.
    Strict,
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
            mode: RunMode::default(),
        }
    }
}

fn default_output_limit() -> usize {
    1 << 20
}

fn default_timeout() -> f64 {
    5.0
}

/// `[sphinx]`: what `conf.py`'s `doctest_global_setup`,
/// `doctest_global_cleanup` and `doctest_default_flags` say, for a project
/// whose `conf.py` snipcheck cannot read (or to say otherwise).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SphinxSettings {
    pub global_setup: Option<String>,
    pub global_cleanup: Option<String>,
    /// doctest flag names (`["ELLIPSIS", "NORMALIZE_WHITESPACE"]`).
    pub default_flags: Option<Vec<String>>,
}

/// Where results are kept between runs (see [`crate::cache`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// The cache folder, relative to the config file; default
    /// `.snipcheck/cache` beside it (`crate::cache::DEFAULT_DIR`).
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
    /// As root with cgroup v1: each document in a memory cgroup of its own
    /// (address space, tmpfs and kernel memory capped together). Off by
    /// default: moving a process into a v1 cgroup waits for an RCU grace
    /// period, some 5 ms a document.
    #[serde(default)]
    pub memory_cgroup: bool,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            memory_mb: default_memory(),
            file_size_mb: default_file_size(),
            read: Vec::new(),
            memory_cgroup: false,
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
    /// The oldest CPython the documents are written for (`"3.12"`): under
    /// an older embedded one, their examples are skipped, saying so.
    pub min: Option<MinorVersion>,
}

/// `3.12`: a CPython feature release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct MinorVersion(pub u32, pub u32);

impl TryFrom<String> for MinorVersion {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let mut parts = text.trim().split('.').map(str::parse::<u32>);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(Ok(major)), Some(Ok(minor)), None) => Ok(MinorVersion(major, minor)),
            _ => Err(format!("`{text}` is not a Python version such as \"3.12\"")),
        }
    }
}

impl From<MinorVersion> for String {
    fn from(v: MinorVersion) -> String {
        format!("{}.{}", v.0, v.1)
    }
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
        config.check_bounds()?;
        config.check_flags(path, &text)?;
        Ok(config)
    }

    /// `[sphinx] default_flags` names doctest flags, or the run would
    /// compare by rules nobody asked for.
    fn check_flags(&self, path: &Path, text: &str) -> Result<(), Error> {
        let flags = self.sphinx.default_flags.iter().flatten();
        match flags
            .into_iter()
            .find(|f| !crate::markdown::DOCTEST_FLAGS.contains(&f.as_str()))
        {
            Some(flag) => {
                let line = text
                    .lines()
                    .position(|l| l.trim_start().starts_with("default_flags"))
                    .map_or(1, |i| i + 1);
                Err(Error::input(
                    path,
                    line,
                    format!(
                        "[sphinx] default_flags: `{flag}` is not a doctest flag (ELLIPSIS, NORMALIZE_WHITESPACE, …)"
                    ),
                ))
            }
            None => Ok(()),
        }
    }

    /// Keeps the paths this config has snipcheck read or write inside its
    /// repository (SECURITY.md, "Threat model"): a guide's config may come
    /// from a pull request, and must neither grant its examples `/` or
    /// `~/.ssh` (`[sandbox] read`) nor have snipcheck write outside what
    /// is checked (`snapshots`, `[cache] dir`).
    fn check_bounds(&self) -> Result<(), Error> {
        let named = self
            .sandbox
            .read
            .iter()
            .map(|p| ("[sandbox] read", p))
            .chain(self.snapshots.iter().map(|p| ("snapshots", p)))
            .chain(self.cache.dir.iter().map(|p| ("[cache] dir", p)))
            .chain(self.python.paths.iter().map(|p| ("[python] paths", p)));
        for (key, path) in named {
            self.confined(key, path, Bound::Repository)?;
        }
        if let Some(venv) = &self.python.venv {
            self.confined("[python] venv", venv, Bound::Venv)?;
        }
        Ok(())
    }

    /// Where `path`, relative to the config, really leads: inside `bound`,
    /// once symbolic links are resolved (a part that does not exist yet is
    /// taken as written), or a config error naming the file and `key`.
    fn confined(&self, key: &str, path: &Path, bound: Bound) -> Result<PathBuf, Error> {
        let base = self.base_dir();
        let folder = real_folder(&base)?;
        let (limit, scope, note) = match (bound, repository_root(&folder)) {
            (Bound::Repository, Some(root)) => (root, "the repository", ""),
            (Bound::Repository, None) => (
                folder.clone(),
                "the config's folder",
                "; no `.git` above it",
            ),
            (Bound::ConfigFolder, _) => (folder.clone(), "the config's folder", ""),
            (Bound::Venv, _) => (PathBuf::from("/"), "a folder of its own", ""),
        };
        let origin = self.origin.as_deref().unwrap_or(Path::new(FILE_NAME));
        let problem = match resolve(&folder.join(path)) {
            Ok(Some(real)) => match refusal(&real, &limit, bound == Bound::Venv) {
                None => return Ok(real),
                Some(problem) => problem,
            },
            Ok(None) => "is a symbolic link that leads nowhere".to_string(),
            Err(e) => {
                let shown = path.display();
                return Err(Error::file(
                    origin,
                    format!("invalid config: {key} `{shown}`: {e}"),
                ));
            }
        };
        Err(Error::file(
            origin,
            format!(
                "invalid config: {key} `{}` must be inside {scope} (`{}`{note}), but it \
                 {problem}; a config may come from a pull request, so snipcheck reads and \
                 writes nothing outside for it: move what it names inside, or remove the entry",
                path.display(),
                limit.display()
            ),
        ))
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

    /// Where fixture `name`'s `file =` is: inside the config's folder, or a
    /// config error naming the key. A guide's config must not copy, say,
    /// `~/.ssh/id_rsa` into the sandbox.
    fn fixture_file(&self, name: &str, file: &Path) -> Result<PathBuf, Error> {
        self.confined(
            &format!("fixture `{name}`: file"),
            file,
            Bound::ConfigFolder,
        )
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
                        let named = self.base_dir().join(file);
                        std::fs::read(source).map_err(|e| Error::io(&named, e))?
                    }
                };
                Ok((name.clone(), bytes))
            })
            .collect()
    }
}

/// How far a path a config names may lead (see [`Config::confined`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// The config's own folder: fixture files, copied into every run.
    ConfigFolder,
    /// The config's repository (the nearest folder holding `.git`), or its
    /// folder when there is none: read paths, snapshots, the cache, import
    /// paths.
    Repository,
    /// Anywhere (venvs often live outside the repository, in the home
    /// folder or `/opt`), but never a folder that is or holds a protected
    /// one: the whole venv becomes readable.
    Venv,
}

/// `base` (a config's folder; `""` is the current one), absolute and with
/// symbolic links resolved.
fn real_folder(base: &Path) -> Result<PathBuf, Error> {
    let base = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    std::fs::canonicalize(base).map_err(|e| Error::io(base, e))
}

/// The repository `folder` (real and absolute) belongs to: the nearest
/// folder holding `.git`, where [`Config::nearest`] stops looking too.
fn repository_root(folder: &Path) -> Option<PathBuf> {
    folder
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Where the absolute `path` leads, as the kernel would follow it: symbolic
/// links and `..` resolved in the part that exists, the rest (a folder to
/// be created) taken as written. `None` when a link in it leads nowhere,
/// since what creating through it would make cannot be judged.
fn resolve(path: &Path) -> std::io::Result<Option<PathBuf>> {
    let mut real = PathBuf::from("/");
    // Parts taken as written since the last one that exists.
    let mut missing = 0_usize;
    for part in path.components() {
        match part {
            Component::Normal(name) if missing == 0 => {
                let next = real.join(name);
                match std::fs::canonicalize(&next) {
                    Ok(found) => real = found,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        if next.symlink_metadata().is_ok() {
                            return Ok(None);
                        }
                        (real, missing) = (next, 1);
                    }
                    Err(e) => return Err(e),
                }
            }
            Component::Normal(name) => (real, missing) = (real.join(name), missing + 1),
            Component::ParentDir => {
                real.pop();
                missing = missing.saturating_sub(1);
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    Ok(Some(real))
}

/// Why `real` is out of bounds for a config whose paths must stay inside
/// `limit`, if it is: it leads outside `limit`, or into (or above) a
/// protected folder that `limit` itself holds (only above one, where
/// `inside_protected` allows a folder inside, as for a venv).
fn refusal(real: &Path, limit: &Path, inside_protected: bool) -> Option<String> {
    if !real.starts_with(limit) {
        return Some(format!("leads to `{}`", real.display()));
    }
    let (folder, what) = protected_folders().into_iter().find(|(f, _)| {
        f.starts_with(limit) && ((!inside_protected && real.starts_with(f)) || f.starts_with(real))
    })?;
    let shown = real.display();
    Some(if real == folder {
        format!("leads to `{shown}` ({what})")
    } else if real.starts_with(&folder) {
        format!("leads to `{shown}`, inside `{}` ({what})", folder.display())
    } else {
        format!(
            "leads to `{shown}`, which holds `{}` ({what})",
            folder.display()
        )
    })
}

/// Folders no config may name, nor anything in them, even when its
/// repository holds them (a config at `/`, a dotfiles repository in the
/// home folder, `/etc` kept in git): the file system's root, the home
/// folder and the system's folders.
fn protected_folders() -> Vec<(PathBuf, &'static str)> {
    const SYSTEM: [&str; 16] = [
        "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root",
        "/run", "/sbin", "/srv", "/sys", "/usr", "/var",
    ];
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
    std::iter::once((PathBuf::from("/"), "the file system's root"))
        .chain(home.map(|h| (PathBuf::from(h), "the home folder")))
        .chain(SYSTEM.map(|s| (PathBuf::from(s), "a system folder")))
        .map(|(folder, what)| (folder.canonicalize().unwrap_or(folder), what))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as the config of `guide/` in a repository.
    fn parse(text: &str) -> Result<Config, Error> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("guide")).unwrap();
        let path = dir.path().join("guide").join(FILE_NAME);
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

    /// `[sandbox] read`, `snapshots` and `[cache] dir` stay inside the
    /// repository, `..` or not, once links are resolved and, for what does
    /// not exist yet, as it would be created.
    #[test]
    fn a_venv_may_live_anywhere_but_never_be_or_hold_a_protected_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let load = |value: &str| {
            std::fs::write(&path, format!("[python]\nvenv = {value:?}\n")).unwrap();
            Config::load(&path).map(|_| ()).map_err(|e| e.to_string())
        };
        let elsewhere = tempfile::tempdir().unwrap();
        for fine in [
            ".venv",
            &elsewhere.path().display().to_string(),
            "/usr/local/venvs/x",
        ] {
            assert_eq!(load(fine), Ok(()), "{fine}");
        }
        for refused in ["/", "/usr", "/etc/.."] {
            let error = load(refused).unwrap_err();
            assert!(error.contains("[python] venv"), "{refused}: {error}");
        }
    }

    #[test]
    fn paths_a_config_names_stay_in_its_repository() {
        let dir = tempfile::tempdir().unwrap();
        let (repo, outside) = (dir.path().join("repo"), dir.path().join("outside"));
        for folder in [
            repo.join(".git"),
            repo.join("guide"),
            repo.join("data"),
            outside.clone(),
        ] {
            std::fs::create_dir_all(folder).unwrap();
        }
        let guide = repo.join("guide");
        std::os::unix::fs::symlink(&outside, guide.join("out")).unwrap();
        std::os::unix::fs::symlink(repo.join("data"), guide.join("data")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("gone"), guide.join("gone")).unwrap();
        let path = guide.join(FILE_NAME);
        let load = |key: &str, value: &str| {
            let text = match key {
                "[sandbox] read" => format!("[sandbox]\nread = [{value:?}]\n"),
                "snapshots" => format!("snapshots = {value:?}\n"),
                "[python] paths" => format!("[python]\npaths = [{value:?}]\n"),
                _ => format!("[cache]\ndir = {value:?}\n"),
            };
            std::fs::write(&path, text).unwrap();
            Config::load(&path).map(|_| ()).map_err(|e| e.to_string())
        };
        let keys = [
            "[sandbox] read",
            "snapshots",
            "[cache] dir",
            "[python] paths",
        ];
        for value in ["../snapshots", "new/deeper", "sub/../x", "data/new", "."] {
            for key in keys {
                assert_eq!(load(key, value), Ok(()), "{key} = {value:?}");
            }
        }
        let absolute = outside.display().to_string();
        for value in [
            "../../outside",
            "/",
            &absolute,
            "out",
            "out/new",
            "new/../../../x",
            "gone",
        ] {
            for key in keys {
                let err = load(key, value).unwrap_err();
                assert!(
                    err.contains(&format!("{key} `{value}` must be inside the repository"))
                        && err.contains("snipcheck.toml")
                        && err.contains("or remove the entry"),
                    "{key} = {value:?}: {err}"
                );
            }
        }
        assert!(
            load("snapshots", "gone")
                .unwrap_err()
                .contains("leads nowhere")
        );
    }

    /// A repository that holds `/`, the home folder or a system folder
    /// (a config at `/`, dotfiles in git, etckeeper) grants none of them.
    #[test]
    fn protected_folders_stay_out_even_when_the_repository_holds_them() {
        let refused = |real: &str, limit: &str| refusal(Path::new(real), Path::new(limit), false);
        for (real, limit, what) in [
            ("/", "/", "the file system's root"),
            ("/srv/data", "/", "the file system's root"),
            ("/etc", "/etc", "a system folder"),
            ("/etc/ssh", "/etc", "a system folder"),
        ] {
            let why = refused(real, limit).unwrap_or_default();
            assert!(why.contains(what), "{real} in {limit}: {why:?}");
        }
        let home = protected_folders()
            .into_iter()
            .find(|(_, what)| *what == "the home folder");
        if let Some((home, _)) = home {
            let ssh = home.join(".ssh").display().to_string();
            let home = home.display().to_string();
            assert!(refused(&ssh, &home).is_some_and(|why| why.contains("the home folder")));
        }
        // Inside a repository that lies inside one, everything of it is fine.
        assert_eq!(refused("/usr/src/app/snapshots", "/usr/src/app"), None);
        assert_eq!(
            refused("/var/lib/ci/workspace/x", "/var/lib/ci/workspace"),
            None
        );
        assert!(refused("/var/lib/ci/other", "/var/lib/ci/workspace").is_some());
    }

    /// The configs this repository ships (and `scripts/corpus` uses) load.
    #[test]
    fn the_shipped_configs_stay_in_bounds() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for config in [
            "snipcheck.toml",
            "guide/snipcheck.toml",
            "bench/corpus/attrs/snipcheck.toml",
            "bench/corpus/structlog/snipcheck.toml",
            "tests/fixtures/hostile/snipcheck.toml",
        ] {
            if let Err(e) = Config::load(&root.join(config)) {
                panic!("{config}: {e}");
            }
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
