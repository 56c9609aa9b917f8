//! `snipcheck init`: declares the placeholders a document's examples lean on.
//!
//! Guides written by people who never heard of snipcheck open `data.txt`,
//! call `process(item)` and fetch URLs that exist only in the reader's head.
//! Rather than make the writer discover each one by hand, `init` runs the
//! documents, reads what each error says was missing (the harness reports it
//! as a [`Missing`], never by parsing messages), and adds a commented entry
//! for it to `snipcheck.toml`. It edits the file with `toml_edit`, so the
//! writer's own entries, comments and layout stay as they were, and it never
//! replaces an entry that exists.

use std::collections::BTreeSet;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};

use crate::report::DocumentReport;
use crate::run::outcome::{Missing, MissingKind};

/// One entry `init` added, as printed for the writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addition {
    /// `[fixtures] "data.txt"`, `[stubs] process`, …
    pub entry: String,
}

/// The placeholders the examples of `report` were missing, each once.
pub fn gaps(report: &DocumentReport) -> BTreeSet<Missing> {
    report
        .examples
        .iter()
        .filter_map(|e| e.error.as_ref()?.missing.clone())
        .collect()
}

/// Adds an entry to the config text `text` for each gap it does not declare
/// yet; returns the new text and what was added.
pub fn extend(
    text: &str,
    gaps: &BTreeSet<Missing>,
) -> Result<(String, Vec<Addition>), toml_edit::TomlError> {
    let mut doc: DocumentMut = text.parse()?;
    // A config of comments only is the document's trailing text: keep it on
    // top rather than under the tables added.
    let header = if doc.as_table().is_empty() {
        let header = doc.trailing().as_str().unwrap_or_default().to_string();
        doc.set_trailing("");
        header
    } else {
        String::new()
    };
    let mut added = Vec::new();
    for gap in gaps {
        if let Some(entry) = declare(&mut doc, gap) {
            added.push(Addition { entry });
        }
    }
    Ok((header + &doc.to_string(), added))
}

/// Declares one gap; `None` when the config already has it.
fn declare(doc: &mut DocumentMut, gap: &Missing) -> Option<String> {
    let name = gap.value.as_str();
    match gap.kind {
        MissingKind::File => insert(
            section(doc, "fixtures")?,
            name,
            value(format!("TODO: placeholder content for {name}\n")),
            &format!("TODO: {name} is opened by an example: give it the content the guide implies"),
        )
        .then(|| format!("[fixtures] \"{name}\"")),
        MissingKind::Name if gap.import.is_some() => {
            add_import(doc, gap.import.as_deref().unwrap_or_default())
        }
        MissingKind::Name => insert(
            section(doc, "stubs")?,
            name,
            value(format!("mock.MagicMock(name='{name}')")),
            &format!("TODO: `{name}` is used but never defined: a MagicMock accepts any use"),
        )
        .then(|| format!("[stubs] {name}")),
        MissingKind::Module => insert(
            section(doc, "modules")?,
            name,
            value(format!("mock.MagicMock(name='{name}')")),
            &format!("TODO: `{name}` is not installed: better, install it into the venv"),
        )
        .then(|| format!("[modules] {name}")),
        MissingKind::Url => {
            let mut response = Table::new();
            response.insert("status", value(200));
            response.insert("json", value(InlineTable::new()));
            insert(
                section(doc, "network")?,
                name,
                Item::Table(response),
                "TODO: a canned response for a URL an example requests",
            )
            .then(|| format!("[network.\"{name}\"]"))
        }
        MissingKind::Input => add_input_line(doc),
    }
}

/// The table `name`, created (implicitly for `[network]`) when missing;
/// `None` when `name` is something else, which is never replaced.
fn section<'a>(doc: &'a mut DocumentMut, name: &str) -> Option<&'a mut Table> {
    doc.entry(name)
        .or_insert_with(|| {
            let mut table = Table::new();
            table.set_implicit(name == "network");
            Item::Table(table)
        })
        .as_table_mut()
}

/// Inserts `key` with a comment above it; false when it is already there.
fn insert(table: &mut Table, key: &str, item: Item, comment: &str) -> bool {
    if table.contains_key(key) {
        return false;
    }
    let is_table = item.is_table();
    table.insert(key, item);
    let prefix = format!("# {comment}\n");
    if is_table {
        if let Some(Item::Table(t)) = table.get_mut(key) {
            t.decor_mut().set_prefix(format!("\n{prefix}"));
        }
    } else if let Some(mut k) = table.key_mut(key) {
        k.leaf_decor_mut().set_prefix(prefix);
    }
    true
}

/// An import statement appended to `[run] setup`, unless it is there.
fn add_import(doc: &mut DocumentMut, statement: &str) -> Option<String> {
    let run = section(doc, "run")?;
    let setup = run.get("setup").and_then(Item::as_str).unwrap_or("");
    let line = statement.to_string();
    if setup.lines().any(|l| l.trim() == line) {
        return None;
    }
    let joined = if setup.trim().is_empty() {
        line.clone()
    } else {
        format!("{}\n{line}", setup.trim_end())
    };
    run.insert("setup", value(joined));
    Some(format!("[run] setup: {line}"))
}

/// One more line for `input()` to read: each round reveals the next call.
fn add_input_line(doc: &mut DocumentMut) -> Option<String> {
    let run = section(doc, "run")?;
    let mut lines = run
        .get("input")
        .and_then(Item::as_array)
        .cloned()
        .unwrap_or_else(Array::new);
    if lines.len() >= MAX_INPUT_LINES {
        return None;
    }
    lines.push("TODO");
    run.insert("input", value(lines));
    Some("[run] input: one more line (\"TODO\")".to_string())
}

/// Past this, an example reading input in a loop would never be satisfied.
const MAX_INPUT_LINES: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(kind: MissingKind, value: &str) -> Missing {
        Missing {
            kind,
            value: value.into(),
            import: None,
        }
    }

    fn all_kinds() -> BTreeSet<Missing> {
        [
            gap(MissingKind::File, "data.txt"),
            gap(MissingKind::Name, "process"),
            gap(MissingKind::Module, "numpy"),
            gap(MissingKind::Url, "https://api.example.com/users/1"),
            gap(MissingKind::Input, ""),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn every_kind_becomes_a_commented_entry_that_the_config_accepts() {
        let (text, added) = extend("", &all_kinds()).unwrap();
        assert_eq!(added.len(), 5, "{added:?}");
        assert!(text.contains("# TODO: data.txt is opened"), "{text}");
        assert!(
            text.contains("process = \"mock.MagicMock(name='process')\""),
            "{text}"
        );
        assert!(
            text.contains("[network.\"https://api.example.com/users/1\"]"),
            "{text}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snipcheck.toml");
        std::fs::write(&path, &text).unwrap();
        let config = crate::config::Config::load(&path).expect(&text);
        assert_eq!(
            config.network["https://api.example.com/users/1"].status,
            200
        );
        assert_eq!(config.run.input, ["TODO"]);
        assert!(config.modules.contains_key("numpy"));
    }

    #[test]
    fn existing_entries_and_comments_are_kept_never_replaced() {
        let before = "# mine\n[stubs]\nprocess = \"lambda x: x\"  # keep\n";
        let (text, added) = extend(before, &all_kinds()).unwrap();
        assert!(text.starts_with(before), "{text}");
        assert!(
            !added.iter().any(|a| a.entry.contains("process")),
            "{added:?}"
        );
        let (again, none) = extend(&text, &all_kinds()).unwrap();
        assert_eq!(none.len(), 1, "only input grows: {none:?}");
        assert!(again.starts_with(before));
    }

    #[test]
    fn an_entry_of_another_type_is_never_replaced() {
        let before = "stubs = \"not a table\"\n";
        let (text, added) = extend(before, &all_kinds()).unwrap();
        assert!(text.starts_with(before), "{text}");
        assert!(
            !added.iter().any(|a| a.entry.starts_with("[stubs]")),
            "{added:?}"
        );
    }

    #[test]
    fn a_config_of_comments_only_keeps_them_on_top() {
        let (text, _) = extend("# about this config\n", &all_kinds()).unwrap();
        assert!(text.starts_with("# about this config\n["), "{text}");
    }

    #[test]
    fn an_importable_name_becomes_an_import_in_setup() {
        let mut names = BTreeSet::new();
        names.insert(Missing {
            kind: MissingKind::Name,
            value: "json".into(),
            import: Some("import json".into()),
        });
        let (text, added) = extend("[run]\nsetup = \"import os\"\n", &names).unwrap();
        assert_eq!(added[0].entry, "[run] setup: import json");
        assert!(text.contains("import os\nimport json"), "{text}");
        let (_, none) = extend(&text, &names).unwrap();
        assert!(none.is_empty());
    }
}
