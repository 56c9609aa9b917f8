//! Verdicts → what people and machines read.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::check::Report;
use crate::error::Error;

/// Report formats of `snipcheck check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per example, and a diff for each drift.
    Human,
    /// The stable machine report documented in the README.
    Json,
    /// JUnit XML: one testcase per example.
    Junit,
    /// GitHub Actions annotations on the claims' lines.
    Github,
    /// A Markdown summary, for `$GITHUB_STEP_SUMMARY`.
    Markdown,
}

/// Renders a report in one format.
pub fn render(format: Format, report: &Report, options: human::Options) -> String {
    match format {
        Format::Human => human::render(report, options),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report),
        Format::Github => github::render(report),
        Format::Markdown => markdown::render(report),
    }
}

/// `--report FORMAT=PATH`: a report written besides the one on stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    pub format: Format,
    /// `None` for stdout (`-`).
    pub path: Option<PathBuf>,
}

impl FromStr for ReportTarget {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use clap::ValueEnum;
        let (format, path) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not FORMAT=PATH (e.g. junit=target/snipcheck.xml)"))?;
        let format = Format::from_str(format, true).map_err(|_| {
            let names: Vec<String> = Format::value_variants()
                .iter()
                .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
                .collect();
            format!(
                "unknown report format `{format}` (one of {})",
                names.join(", ")
            )
        })?;
        let path = (path != "-").then(|| PathBuf::from(path));
        Ok(ReportTarget { format, path })
    }
}

impl ReportTarget {
    /// Writes the report; a file is replaced atomically, never half-written.
    pub fn write(&self, report: &Report, options: human::Options) -> Result<(), Error> {
        let text = render(self.format, report, options);
        match &self.path {
            None => {
                use std::io::Write;
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
                Ok(())
            }
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                }
                crate::atomic::write(Path::new(path), text.as_bytes())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_targets_parse() {
        let t: ReportTarget = "junit=target/x.xml".parse().unwrap();
        assert_eq!(
            (t.format, t.path),
            (Format::Junit, Some(PathBuf::from("target/x.xml")))
        );
        let t: ReportTarget = "GitHub=-".parse().unwrap();
        assert_eq!((t.format, t.path), (Format::Github, None));
        assert!(
            "yaml=x"
                .parse::<ReportTarget>()
                .unwrap_err()
                .contains("one of human, json, junit")
        );
        assert!("junit".parse::<ReportTarget>().is_err());
    }
}
