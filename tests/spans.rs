//! Statement spans read from the text (`pysource::statement_spans`) must be
//! exactly what CPython's `ast` gives, on every Python example of the
//! project's documents (and of the corpora, when `scripts/corpus` has
//! fetched them): a wrong span would pin a claim on the wrong statement.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;

mod common;

/// The spans `ast.walk` gives, or `None` when the code does not parse.
fn ast_spans(py: Python<'_>, code: &str) -> Option<Vec<(usize, usize)>> {
    let ast = py.import("ast").unwrap();
    let tree = ast.call_method1("parse", (code,)).ok()?;
    let stmt = ast.getattr("stmt").unwrap();
    let mut spans = Vec::new();
    for node in ast
        .call_method1("walk", (tree,))
        .unwrap()
        .try_iter()
        .unwrap()
    {
        let node = node.unwrap();
        if node.is_instance(&stmt).unwrap() {
            let first: usize = node.getattr("lineno").unwrap().extract().unwrap();
            let last: usize = node.getattr("end_lineno").unwrap().extract().unwrap();
            spans.push((first, last));
        }
    }
    Some(spans)
}

fn markdown_under(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            markdown_under(&path, found);
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
}

#[test]
fn spans_from_the_text_are_the_ast_spans() {
    let root = common::root();
    let mut documents = vec![root.join("README.md")];
    for dir in ["guide", "tests/fixtures", "target/corpus/src"] {
        markdown_under(&root.join(dir), &mut documents);
    }
    snipcheck::run::prepare_process();
    let (mut compared, mut unsure, mut mismatches) = (0, 0, Vec::new());
    Python::attach(|py| {
        for path in &documents {
            let Ok(doc) = snipcheck::markdown::Document::load(path) else {
                continue;
            };
            for example in doc.examples.iter().filter(|e| !e.is_session()) {
                let Some(expected) = ast_spans(py, &example.code) else {
                    continue; // not Python that parses: the harness reports it
                };
                let Some(mut ours) = snipcheck::pysource::statement_spans(&example.code) else {
                    unsure += 1;
                    continue;
                };
                compared += 1;
                let mut sorted = expected.clone();
                sorted.sort();
                ours.sort();
                if ours != sorted {
                    mismatches.push(format!(
                        "{}:{}: ast {expected:?}, text {ours:?}",
                        path.display(),
                        example.first_line()
                    ));
                }
            }
        }
    });
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // The text must settle most examples, or the fast path is moot.
    assert!(
        compared >= 9 * (compared + unsure) / 10 && compared > 100,
        "only {compared} of {} examples had spans from the text",
        compared + unsure
    );
    eprintln!("{compared} examples compared, {unsure} left to the parser");
}

/// Whole modules of the standard library: every construct Python has, at
/// every depth, written by people who never heard of this tool.
#[test]
fn spans_from_the_text_are_the_ast_spans_on_the_standard_library() {
    snipcheck::run::prepare_process();
    let modules = [
        "argparse",
        "dataclasses",
        "typing",
        "inspect",
        "difflib",
        "textwrap",
        "asyncio.base_events",
        "json.decoder",
        "contextlib",
        "functools",
        "collections",
        "enum",
        "pathlib",
        "tokenize",
        "unittest.mock",
        "doctest",
    ];
    let mut compared = 0;
    Python::attach(|py| {
        for name in modules {
            let module = py.import(name).unwrap();
            let file: String = module.getattr("__file__").unwrap().extract().unwrap();
            let code = std::fs::read_to_string(&file).unwrap();
            let expected = ast_spans(py, &code).expect("the standard library parses");
            let Some(mut ours) = snipcheck::pysource::statement_spans(&code) else {
                continue; // `match`, tabs: left to the parser, which is fine
            };
            let mut sorted = expected;
            sorted.sort();
            ours.sort();
            let first_difference = sorted.iter().zip(&ours).position(|(a, b)| a != b);
            assert_eq!(
                sorted.len(),
                ours.len(),
                "{file}: first difference at {:?}",
                first_difference.map(|i| (sorted[i], ours[i]))
            );
            assert!(
                first_difference.is_none(),
                "{file}: {:?}",
                first_difference.map(|i| (sorted[i], ours[i]))
            );
            compared += 1;
        }
    });
    assert!(compared >= 12, "only {compared} modules were sure");
}
