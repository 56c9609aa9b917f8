//! `snipcheck record`: real HTTP responses, saved once, replayed offline.
//!
//! Declaring every response by hand is tedious for a guide about a web API.
//! Like vcrpy's cassettes, `record` saves real answers beside the config, in
//! `snipcheck.cassette.json`, and `check` replays them: runs stay offline and
//! deterministic. The examples themselves never reach the network, even
//! while recording: they run sandboxed and report the URLs they wanted (a
//! [`Missing`](crate::run::outcome::Missing) of kind `url`), and this module, in
//! the parent, fetches those with the user's explicit consent.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyModule;
use serde::{Deserialize, Serialize};

use crate::config::{Config, Response};
use crate::error::Error;

/// The cassette's file name, beside the config (or the document).
pub const FILE_NAME: &str = "snipcheck.cassette.json";

/// Bumped if the cassette's shape changes.
const VERSION: u32 = 1;

/// Seconds one recording request may take.
const FETCH_TIMEOUT: f64 = 20.0;

const FETCH: &str = include_str!("record/fetch.py");

/// Recorded responses by URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cassette {
    pub version: u32,
    pub responses: BTreeMap<String, Response>,
}

impl Cassette {
    /// Where the cassette of a document and its config lives.
    pub fn path_for(config: &Config, document: &Path) -> PathBuf {
        let folder = match &config.origin {
            Some(origin) => origin.parent(),
            None => document.parent(),
        };
        folder.unwrap_or(Path::new(".")).join(FILE_NAME)
    }

    /// The cassette at `path`, empty when there is none.
    pub fn load(path: &Path) -> Result<Cassette, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| Error::input(path, e.line(), format!("invalid cassette: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Cassette::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Writes it atomically (never a half-written cassette).
    pub fn save(&mut self, path: &Path) -> Result<(), Error> {
        self.version = VERSION;
        let mut text = serde_json::to_string_pretty(self).expect("a cassette serialises");
        text.push('\n');
        crate::atomic::write(path, text.as_bytes())
    }

    /// Adds the recorded responses to `config` under the ones it declares:
    /// what the writer wrote by hand always wins.
    pub fn replay_into(self, config: &mut Config) {
        for (url, response) in self.responses {
            config.network.entry(url).or_insert(response);
        }
    }
}

/// GETs `url` from the real network (HTTP errors are recorded as answers).
pub fn fetch(url: &str) -> Result<Response, String> {
    crate::run::prepare_process();
    Python::attach(|py| {
        let code = CString::new(FETCH).map_err(|e| e.to_string())?;
        let module = PyModule::from_code(py, &code, c"snipcheck_fetch.py", c"snipcheck_fetch")
            .map_err(|e| e.to_string())?;
        let (status, headers, body): (u16, BTreeMap<String, String>, String) = module
            .call_method1("fetch", (url, FETCH_TIMEOUT))
            .and_then(|r| r.extract())
            .map_err(|e| e.to_string())?;
        Ok(Response {
            status,
            body,
            json: None,
            headers,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_responses_win_over_recorded_ones() {
        let mut config = Config::default();
        let declared = Response {
            status: 201,
            body: "by hand".into(),
            json: None,
            headers: BTreeMap::new(),
        };
        config.network.insert("https://a/".into(), declared.clone());
        let mut cassette = Cassette::default();
        for url in ["https://a/", "https://b/"] {
            cassette.responses.insert(
                url.into(),
                Response {
                    status: 200,
                    body: "recorded".into(),
                    json: None,
                    headers: BTreeMap::new(),
                },
            );
        }
        cassette.replay_into(&mut config);
        assert_eq!(config.network["https://a/"].body, declared.body);
        assert_eq!(config.network["https://b/"].body, "recorded");
    }

    #[test]
    fn a_cassette_round_trips_and_a_bad_one_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        assert_eq!(Cassette::load(&path).unwrap(), Cassette::default());
        let mut cassette = Cassette::default();
        cassette.responses.insert(
            "https://a/".into(),
            Response {
                status: 404,
                body: "none".into(),
                json: None,
                headers: BTreeMap::new(),
            },
        );
        cassette.save(&path).unwrap();
        assert_eq!(Cassette::load(&path).unwrap(), cassette);
        std::fs::write(&path, "{\n  \"version\": 1,\n  oops\n}").unwrap();
        let err = Cassette::load(&path).unwrap_err().to_string();
        assert!(
            err.contains(":3:") && err.contains("invalid cassette"),
            "{err}"
        );
    }
}
