//! The user's Python environment: the venv and source folders a guide's
//! examples import from.
//!
//! Library docs import the library (`import attrs`), and the embedded
//! interpreter sees only its own site-packages. Like pytest, mypy and pip,
//! snipcheck uses the activated virtualenv (`$VIRTUAL_ENV`) unless the config
//! names one (`[python] venv`), plus `[python] paths` for a src layout. A
//! venv of another Python version would half-import and fail in confusing
//! ways, so it is refused up front with both versions named.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::Error;

/// Where the examples import from, beyond the embedded interpreter's own
/// library. Sent to the harness and granted read access in the sandbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    /// The venv in use, for reports.
    pub venv: Option<PathBuf>,
    /// Its site-packages folders (`.pth` files are honoured).
    pub site_packages: Vec<PathBuf>,
    /// Folders put first on `sys.path`.
    pub paths: Vec<PathBuf>,
}

impl Environment {
    /// Resolves `config`'s environment for an interpreter of version
    /// `embedded` (`3.11.2`), falling back to `virtual_env` ($VIRTUAL_ENV).
    pub(crate) fn resolve(
        config: &Config,
        virtual_env: Option<&Path>,
        embedded: &str,
    ) -> Result<Environment, Error> {
        let (venv, origin) = match (config.venv(), virtual_env) {
            (Some(venv), _) => (Some(venv), "[python] venv"),
            (None, Some(env)) => (Some(env.to_path_buf()), "$VIRTUAL_ENV"),
            (None, None) => (None, ""),
        };
        let site_packages = match &venv {
            Some(venv) => site_packages(venv, origin, embedded, config)?,
            None => Vec::new(),
        };
        Ok(Environment {
            venv,
            site_packages,
            paths: config
                .import_paths()
                .into_iter()
                .chain(python_path_of_the_invoker())
                .collect(),
        })
    }

    /// Every folder the examples may read modules from.
    pub(crate) fn readable(&self) -> Vec<PathBuf> {
        self.venv
            .iter()
            .chain(&self.site_packages)
            .chain(&self.paths)
            .cloned()
            .collect()
    }
}

/// `$PYTHONPATH` as snipcheck was started with it: folders for the
/// documents' processes to import from, after the fence (the worker's own
/// CPython starts without it, so no code there runs unsandboxed).
fn python_path_of_the_invoker() -> Vec<PathBuf> {
    std::env::var_os("PYTHONPATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The venv's `lib/pythonX.Y/site-packages`, after checking that X.Y is the
/// embedded interpreter's.
fn site_packages(
    venv: &Path,
    origin: &str,
    embedded: &str,
    config: &Config,
) -> Result<Vec<PathBuf>, Error> {
    let named_in = config.origin.clone().unwrap_or_else(|| venv.to_path_buf());
    let cfg = venv.join("pyvenv.cfg");
    let text = std::fs::read_to_string(&cfg).map_err(|_| {
        Error::file(
            &named_in,
            format!(
                "{} (from {origin}) is not a virtualenv: it has no pyvenv.cfg; \
                 create one with `$(snipcheck python --executable) -m venv {}`",
                venv.display(),
                venv.display()
            ),
        )
    })?;
    let version = venv_version(&text).unwrap_or_default();
    let wanted = major_minor(embedded);
    if major_minor(&version) != wanted {
        return Err(Error::file(
            &named_in,
            format!(
                "the venv {} (from {origin}) is Python {}, but snipcheck embeds CPython {embedded}; \
                 its packages would not import. Recreate it with the embedded version: \
                 `$(snipcheck python --executable) -m venv {}`, or rebuild snipcheck against \
                 that Python (`PYO3_PYTHON=python{} cargo build --release`)",
                venv.display(),
                if version.is_empty() {
                    "of an unknown version"
                } else {
                    &version
                },
                venv.display(),
                major_minor(&version),
            ),
        ));
    }
    let found: Vec<PathBuf> = ["lib", "lib64"]
        .iter()
        .map(|lib| {
            venv.join(lib)
                .join(format!("python{wanted}"))
                .join("site-packages")
        })
        .filter(|p| p.is_dir())
        .collect();
    if found.is_empty() {
        return Err(Error::file(
            &named_in,
            format!(
                "the venv {} has no lib/python{wanted}/site-packages",
                venv.display()
            ),
        ));
    }
    let mut unique: Vec<PathBuf> = Vec::new();
    for path in found {
        let real = path.canonicalize().unwrap_or(path);
        if !unique.contains(&real) {
            unique.push(real);
        }
    }
    Ok(unique)
}

/// `version_info = 3.11.2.final.0` (newer venvs) or `version = 3.11.2`.
fn venv_version(pyvenv_cfg: &str) -> Option<String> {
    let value = |key: &str| {
        pyvenv_cfg.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    value("version_info").or_else(|| value("version"))
}

/// `3.11.2` → `3.11`.
fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn venv(version_line: &str, lib_version: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyvenv.cfg"),
            format!("home = /usr/bin\n{version_line}\n"),
        )
        .unwrap();
        let site = dir
            .path()
            .join(format!("lib/python{lib_version}/site-packages"));
        std::fs::create_dir_all(site).unwrap();
        dir
    }

    #[test]
    fn virtual_env_is_used_when_the_config_names_none() {
        let dir = venv("version = 3.11.7", "3.11");
        let env = Environment::resolve(&Config::default(), Some(dir.path()), "3.11.2").unwrap();
        assert_eq!(env.venv.as_deref(), Some(dir.path()));
        assert_eq!(env.site_packages.len(), 1);
        assert!(env.site_packages[0].ends_with("lib/python3.11/site-packages"));
        let none = Environment::resolve(&Config::default(), None, "3.11.2").unwrap();
        assert_eq!(none, Environment::default());
    }

    #[test]
    fn another_python_version_is_refused_naming_both() {
        let dir = venv("version_info = 3.12.1.final.0", "3.12");
        let err = Environment::resolve(&Config::default(), Some(dir.path()), "3.11.2")
            .unwrap_err()
            .to_string();
        assert!(err.contains("Python 3.12.1"), "{err}");
        assert!(err.contains("embeds CPython 3.11.2"), "{err}");
        assert!(err.contains("-m venv"), "{err}");
    }

    #[test]
    fn a_folder_that_is_not_a_venv_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = Environment::resolve(&Config::default(), Some(dir.path()), "3.11.2")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a virtualenv"), "{err}");
    }

    #[test]
    fn config_venv_and_paths_are_relative_to_the_config() {
        let root = tempfile::tempdir().unwrap();
        let dir = venv("version = 3.11.2", "3.11");
        let toml = format!(
            "[python]\nvenv = {:?}\npaths = [\"src\"]\n",
            dir.path().display().to_string()
        );
        let path = root.path().join("snipcheck.toml");
        std::fs::write(&path, toml).unwrap();
        let config = Config::load(&path).unwrap();
        let env = Environment::resolve(&config, None, "3.11.2").unwrap();
        assert_eq!(env.paths, [root.path().join("src")]);
        assert_eq!(env.venv.as_deref(), Some(dir.path()));
        assert!(env.readable().contains(&root.path().join("src")));
    }
}
