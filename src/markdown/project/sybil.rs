//! A `conftest.py` that configures Sybil: `Sybil(parsers=[...],
//! patterns=['*.md'])`, read as text, never run.

use std::path::Path;

use super::{Conventions, calls, flag_names, glob_matches, string_literals};
use crate::markdown::plan::Tool;

/// Reads `folder`'s conftest.py for the document named `name`.
pub(super) fn read(folder: &Path, name: &str, conventions: &mut Conventions) {
    let path = folder.join("conftest.py");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    for call in calls(&text, "Sybil") {
        let names: Vec<String> = ["patterns", "filenames"]
            .iter()
            .filter_map(|k| argument(call, k))
            .flat_map(string_literals)
            .collect();
        if !names.iter().any(|p| glob_matches(p, name)) {
            continue;
        }
        conventions.tool = Some(Tool::Sybil);
        conventions.sources.push(path.clone());
        let parsers = argument(call, "parsers").unwrap_or("");
        // The whole-text parser (`sybil.parsers.rest.DocTestParser`), not
        // the `DocTestDirectiveParser` of MyST and reST directives.
        conventions.sybil_doctest_everywhere = parsers
            .match_indices("DocTestParser")
            .any(|(i, _)| !parsers[..i].ends_with("DocTestDirective"));
        // `optionflags=` of DocTestParser, `doctest_optionflags=` of
        // PythonCodeBlockParser.
        conventions.doctest_flags = parsers
            .match_indices("optionflags=")
            .flat_map(|(i, k)| {
                let rest = &parsers[i + k.len()..];
                flag_names(&rest[..rest.find([',', ')']).unwrap_or(rest.len())])
            })
            .collect();
        conventions.doctest_flags.dedup();
        return;
    }
}

/// The text of keyword argument `key=` of a call, up to the next top-level
/// comma.
fn argument<'a>(call: &'a str, key: &str) -> Option<&'a str> {
    let at = call
        .match_indices(key)
        .find(|(i, _)| call[i + key.len()..].trim_start().starts_with('='))?
        .0;
    let rest = call[at + key.len()..].trim_start().strip_prefix('=')?;
    let mut depth = 0;
    let end = rest.char_indices().find_map(|(i, c)| {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return Some(i),
            _ => {}
        }
        (depth < 0).then_some(i)
    });
    Some(&rest[..end.unwrap_or(rest.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_patterns_parsers_and_flags() {
        let call = "\n    parsers=[DocTestParser(optionflags=ELLIPSIS), PythonCodeBlockParser()],\n    patterns=['*.md'],\n";
        assert_eq!(argument(call, "patterns"), Some("['*.md']"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("conftest.py"),
            format!("from sybil import Sybil\npytest_collect_file = Sybil({call}).pytest()\n"),
        )
        .unwrap();
        let mut conventions = Conventions::default();
        read(dir.path(), "guide.md", &mut conventions);
        assert_eq!(conventions.tool, Some(Tool::Sybil));
        assert!(conventions.sybil_doctest_everywhere);
        assert_eq!(conventions.doctest_flags, ["+ELLIPSIS"]);
        let mut other = Conventions::default();
        read(dir.path(), "guide.rst", &mut other);
        assert_eq!(other.tool, None);
    }
}
