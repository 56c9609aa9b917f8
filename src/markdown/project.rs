//! What a project's own config files say about how its docs are tested.
//!
//! A project that already runs a doc-test tool says so in `conf.py`
//! (`sphinx.ext.doctest`, `doctest_global_setup`), `pyproject.toml`
//! (`[tool.phmdoctest]`), `setup.cfg` or `pytest.ini` (`--doctest-glob`).
//! They are read statically, never run, once per project; the walker then
//! reads each document by that tool's rules.

use std::path::{Path, PathBuf};

use super::plan::Tool;

mod sphinx_conf;
pub use sphinx_conf::SphinxConf;

/// The conventions a document is read by, from its project's files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conventions {
    /// The tool the project's config files name, if they name one; a
    /// document's own markers can still say otherwise.
    pub tool: Option<Tool>,
    /// The files that were read, for the report's header.
    pub sources: Vec<PathBuf>,
    /// The Sphinx `conf.py` found, if one was.
    pub sphinx: Option<SphinxConf>,
}

impl Conventions {
    /// Reads the config files in the folders from `doc`'s up to `root`
    /// (the project's root, where the search stops).
    pub fn discover(doc: &Path, root: &Path) -> Conventions {
        let mut conventions = Conventions::default();
        if let Some(conf) = sphinx_conf::find(doc, root) {
            let sphinx = sphinx_conf::read(&conf);
            if sphinx.doctest {
                conventions.tool = Some(Tool::Sphinx);
            }
            conventions.sources.push(conf);
            conventions.sphinx = Some(sphinx);
        }
        conventions
    }

    /// For the report's header: `docs/conf.py (Sphinx doctest)`.
    pub fn describe(&self) -> Vec<String> {
        self.sources
            .iter()
            .map(|source| match self.tool {
                Some(tool) => format!("{} ({})", source.display(), tool.name()),
                None => source.display().to_string(),
            })
            .collect()
    }

    /// What a config file said that could not be read.
    pub fn notes(&self) -> &[String] {
        self.sphinx.as_ref().map_or(&[], |s| &s.notes)
    }
}
