//! Docs written for pytest-markdown-docs, mktestdocs, Sybil's Markdown
//! parsers and `pytest --doctest-glob` run as those tools run them: the
//! blocks they skip or leave alone are not run (and are listed), the
//! namespaces are theirs, and code they run outside fences runs too.

mod common;
use common::{assert_exit, root, snipcheck, text};

/// `id → status` of every example `snipcheck check PATHS --format json`
/// reports, and the human summary's "not run by" line.
fn statuses(args: &[&str]) -> Vec<(String, String)> {
    let mut all = vec!["check", "--no-cache", "--format", "json"];
    all.extend(args);
    let out = snipcheck(&all);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["examples"].as_array().unwrap())
        .map(|e| {
            (
                e["id"].as_str().unwrap().into(),
                e["status"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn sorted(mut list: Vec<(String, String)>) -> Vec<(String, String)> {
    list.sort();
    list
}

fn want(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    sorted(
        pairs
            .iter()
            .map(|(i, s)| (i.to_string(), s.to_string()))
            .collect(),
    )
}

/// The human report of `snipcheck check PATH`.
fn human(path: &str) -> String {
    let out = snipcheck(&["check", "--no-cache", path]);
    text(&out.stdout)
}

#[test]
fn pytest_markdown_docs_isolates_blocks_continues_and_skips_what_it_skips() {
    let got = sorted(statuses(&["tests/fixtures/markdown-docs/"]));
    let expected = want(&[
        // Holding: isolated blocks, a chain of continuations, a `py` fence.
        ("holding::inventory-helpers::1", "pass"),
        ("holding::inventory-helpers::2", "pass"), // sees no name of block 1
        ("holding::continuing::1", "pass"),
        ("holding::continuing::2", "pass"), // needs block 1's `prices`
        ("holding::continuing::3", "pass"),
        ("holding::not-tested::1", "skipped"), // `notest`: would drift
        ("holding::not-tested::2", "skipped"), // fixture:capsys, not stubbed
        ("holding::not-tested::3", "skipped"), // pycon: not its language
        ("holding::not-tested::4", "pass"),
        // Drifting: a float, a continuation, a python3 fence, and a name
        // from a block that is not continued.
        ("drifting::drifting-examples::1", "drift"),
        ("drifting::drifting-examples::2", "drift"),
        ("drifting::drifting-examples::3", "drift"),
        ("drifting::drifting-examples::4", "pass"),
        ("drifting::drifting-examples::5", "error"),
        ("drifting::drifting-examples::6", "pass"),
        ("drifting::drifting-examples::7", "drift"), // continues block 6
        ("drifting::drifting-examples::8", "drift"), // and block 7
        // A fixture [stubs] provides runs.
        ("stubbed::a-fixture-the-config-provides::1", "pass"),
    ]);
    assert_eq!(got, expected);
    let report = human("tests/fixtures/markdown-docs/holding.md");
    assert!(
        report.contains("(`notest` in the fence's info string)"),
        "{report}"
    );
    assert!(
        report.contains("needs the pytest fixture `capsys`"),
        "{report}"
    );
    assert!(
        report.contains("not run by pytest-markdown-docs: 1 block(s)"),
        "{report}"
    );
}

#[test]
fn mktestdocs_reads_its_mode_from_the_test_file_or_the_config() {
    let got = sorted(statuses(&["tests/fixtures/mktestdocs/"]));
    let expected = want(&[
        // check_md_file(fpath): each ```python block alone.
        ("blocks::isolated-blocks::1", "pass"),
        ("blocks::isolated-blocks::2", "pass"), // a fresh namespace
        ("blocks::isolated-blocks::3", "pass"),
        ("blocks::isolated-blocks::4", "skipped"), // ```py would drift
        ("blocks::isolated-blocks::5", "skipped"), // ```python title=...
        ("blocks::isolated-blocks::6", "skipped"), // ```pycon would drift
        ("blocks::drifting::1", "drift"),
        ("blocks::drifting::2", "error"), // `words` is block 1's
        ("blocks::drifting::3", "drift"),
        // check_md_file(fpath="docs/guide.md", memory=True): one namespace.
        ("guide::a-guide-read-with-memory::1", "pass"),
        ("guide::a-guide-read-with-memory::2", "pass"),
        ("guide::a-guide-read-with-memory::3", "pass"),
        ("guide::a-guide-read-with-memory::4", "pass"),
        ("guide::drifting::1", "drift"),
        ("guide::drifting::2", "drift"),
        ("guide::drifting::3", "drift"),
        // [mktestdocs] lang = "py", memory = false in snipcheck.toml.
        ("notes::notes::1", "pass"),
        ("notes::notes::2", "pass"),
        ("notes::notes::3", "skipped"), // ```python: not its `lang`
        ("notes::notes::4", "pass"),
        ("notes::drifting::1", "drift"), // no `memory`: `base` is gone
        ("notes::drifting::2", "drift"),
        ("notes::drifting::3", "drift"),
    ]);
    assert_eq!(got, expected);
}

#[test]
fn sybil_markers_skip_clear_and_run_invisible_code() {
    let got = sorted(statuses(&["tests/fixtures/sybil/"]));
    let expected = want(&[
        // The invisible code block (run, at its line) defines `price`.
        ("markers::sybil-markers::2", "pass"),
        ("markers::sybil-markers::3", "pass"),
        ("markers::skipping::1", "skipped"), // skip: next, would drift
        ("markers::skipping::2", "skipped"), // skip: next "reason"
        ("markers::skipping::3", "skipped"), // skip: start ... end
        ("markers::skipping::4", "skipped"),
        ("markers::skipping::5", "pass"),      // after skip: end
        ("markers::skipping::7", "skipped"),   // if(...) holds
        ("markers::skipping::8", "pass"),      // if(...) does not hold: runs
        ("markers::clearing::1", "pass"),      // clear-namespace dropped `price`
        ("markers::left-alone::1", "skipped"), // pycon: no parser for it
        ("markers::left-alone::2", "skipped"), // py: not `python`
        ("drifting::drifting::2", "drift"),
        ("drifting::drifting::3", "drift"),
        ("drifting::drifting::4", "drift"),
        ("drifting::drifting::5", "drift"), // if(...) does not hold
        ("drifting::drifting::6", "skipped"), // skip: start, would drift
        ("drifting::drifting::7", "pass"),  // after skip: end
        ("drifting::drifting::8", "drift"), // clear-namespace: `rows` gone
        // With the whole-text DocTestParser: prompts in prose too, and
        // its optionflags (IGNORE_EXCEPTION_DETAIL).
        ("prose::sessions-everywhere::1", "pass"),
        ("prose::sessions-everywhere::2", "pass"),
        ("prose::sessions-everywhere::3", "skipped"), // skip: next, prose
        ("prose::sessions-everywhere::4", "pass"),
        ("prose::drifting::1", "drift"),
        ("prose::drifting::2", "drift"), // in a ```text fence
        ("prose::drifting::3", "drift"),
    ]);
    assert_eq!(got, expected);
    let report = human("tests/fixtures/sybil/markers.md");
    assert!(report.contains("(needs the payment service)"), "{report}");
    assert!(report.contains("not run by Sybil: 2 block(s)"), "{report}");
}

#[test]
fn doctest_glob_runs_every_prompt_in_the_file_with_the_projects_flags() {
    let got = sorted(statuses(&["tests/fixtures/doctest-glob/"]));
    let expected = want(&[
        ("usage::using-the-parser::1", "pass"), // prompts in a paragraph
        ("usage::using-the-parser::2", "pass"), // in a ```text fence
        ("usage::using-the-parser::3", "pass"),
        ("usage::using-the-parser::4", "pass"), // IGNORE_EXCEPTION_DETAIL
        ("usage::using-the-parser::5", "skipped"), // a script: would drift
        ("usage::drifting::1", "drift"),
        ("usage::drifting::2", "drift"),
        ("usage::drifting::3", "drift"), // an indented block
        ("usage::drifting::4", "drift"),
        ("usage::opted-out::1", "pass"), // `# doctest: +SKIP`: not run
        ("usage::precision::1", "pass"), // `+NUMBER`, as pytest reads it
    ]);
    assert_eq!(got, expected);
}

#[test]
fn strict_mode_runs_what_the_tool_leaves_alone_but_not_what_the_writer_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["conftest.py", "markers.md"] {
        std::fs::copy(
            root().join("tests/fixtures/sybil").join(file),
            dir.path().join(file),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("snipcheck.toml"),
        "[run]\nmode = \"strict\"\n",
    )
    .unwrap();
    let doc = dir.path().join("markers.md");
    let got = statuses(&[doc.to_str().unwrap()]);
    let status = |id: &str| got.iter().find(|(i, _)| i == id).map(|(_, s)| s.as_str());
    assert_eq!(status("markers::left-alone::1"), Some("drift"));
    assert_eq!(status("markers::left-alone::2"), Some("drift"));
    assert_eq!(status("markers::skipping::1"), Some("skipped"));
    let out = snipcheck(&["check", "--no-cache", doc.to_str().unwrap()]);
    assert_exit(&out, 1);
}

#[test]
fn a_change_to_the_projects_pytest_config_is_never_served_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let ini = |flags: &str| {
        let text =
            format!("[pytest]\naddopts = --doctest-glob='*.md'\ndoctest_optionflags = {flags}\n");
        std::fs::write(dir.path().join("pytest.ini"), text).unwrap();
    };
    std::fs::write(dir.path().join("snipcheck.toml"), "").unwrap();
    let doc = dir.path().join("errors.md");
    std::fs::write(
        &doc,
        "# Errors\n\n>>> int('x')\nTraceback (most recent call last):\nValueError: not the message\n",
    )
    .unwrap();
    let run = || {
        let out = snipcheck(&["check", "--format", "json", doc.to_str().unwrap()]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["documents"][0]["examples"][0]["status"].clone()
    };
    ini("IGNORE_EXCEPTION_DETAIL");
    assert_eq!(run(), "pass");
    ini("ELLIPSIS");
    assert_eq!(
        run(),
        "drift",
        "the flag is gone: the cached pass must not stand"
    );
}

#[test]
fn phmdoctest_isolates_blocks_shares_names_and_pairs_the_next_bare_fence() {
    let got = sorted(statuses(&["tests/fixtures/phmdoctest/"]));
    // Each verdict is what `phmdoctest FILE --outfile t.py; pytest
    // --doctest-modules` gives: holding.md 11 passed, 1 skipped, 1 xfailed;
    // drifting.md fails the five blocks marked here.
    let expected = want(&[
        ("holding::shipping-rates::2", "pass"), // sees setup's names; output after prose
        ("holding::isolated-blocks::1", "pass"), // block 2's `cost` is not here
        ("holding::sharing-names::1", "pass"),  // share-names
        ("holding::sharing-names::2", "pass"),  // sees `surcharge`
        ("holding::sharing-names::3", "pass"),  // clear-names, after it runs
        ("holding::sharing-names::4", "pass"),  // every shared name is gone
        ("holding::skipped-and-conditional::1", "skipped"), // -skip: would drift
        ("holding::skipped-and-conditional::2", "skipped"), // -mark.skipif<3.99
        ("holding::skipped-and-conditional::3", "pass"), // -mark.skipif<3.8 runs
        ("holding::skipped-and-conditional::4", "pass"), // its output block skipped
        ("holding::sessions-and-other-fences::1", "pass"),
        ("holding::sessions-and-other-fences::2", "skipped"), // ```py: not its code
        ("holding::inline-commands::1", "pass"),              // phmdoctest:pass and :omit
        ("holding::not-the-main-module::1", "pass"),          // `__name__` is not `__main__`
        ("holding::not-the-main-module::2", "pass"),          // -mark.xfail raises
        ("late-setup::setup-placed-last::1", "pass"),         // setup runs first
        ("drifting::drifting-rates::2", "drift"),
        ("drifting::drifting-rates::3", "pass"),
        ("drifting::drifting-rates::4", "error"), // `total` was block 3's
        ("drifting::drifting-rates::5", "pass"),
        ("drifting::drifting-rates::6", "pass"), // clears after it runs
        ("drifting::drifting-rates::7", "error"), // setup's RATE cleared
        ("drifting::drifting-rates::8", "error"), // a session sees no setup
        ("drifting::drifting-rates::9", "drift"),
    ]);
    assert_eq!(got, expected);
    let report = human("tests/fixtures/phmdoctest/holding.md");
    assert!(
        report.contains("not run by phmdoctest: 1 block(s)"),
        "{report}"
    );
    assert!(report.contains("(needs Python >= 3.99)"), "{report}");
    assert!(report.contains("2 setup/cleanup block(s)"), "{report}");
}

#[test]
fn pytest_codeblocks_reads_marks_hidden_blocks_cont_and_expected_output() {
    let got = sorted(statuses(&["tests/fixtures/codeblocks/"]));
    // `pytest --codeblocks` on these files: holding.md 8 passed, 3
    // skipped, 2 xfailed; skipfile.md nothing; drifting.md fails blocks 1,
    // 3, 5 and 6 (block 4's `# 30` is a claim only snipcheck checks).
    let expected = want(&[
        ("holding::word-counts::1", "pass"), // expected-output after prose
        ("holding::word-counts::2", "pass"), // a fresh namespace
        ("holding::hidden-setup::1", "pass"), // the fence inside <!-- -->
        ("holding::hidden-setup::2", "pass"), // cont: sees `counts`
        ("holding::marks::1", "skipped"),    // pytest.mark.skip, prose between
        ("holding::marks::2", "skipped"),    // skipif holds
        ("holding::marks::3", "pass"),       // skipif does not hold
        ("holding::marks::4", "skipped"),    // importorskip fails
        ("holding::marks::5", "pass"),       // ignore-whitespace output
        ("holding::marks::6", "pass"),       // xfail raises
        ("holding::marks::7", "pass"),       // expect-exception raises
        ("holding::fences-it-leaves-alone::1", "skipped"), // ```py
        ("holding::fences-it-leaves-alone::2", "skipped"), // ``` python
        ("holding::not-the-main-module::1", "pass"),
        ("skipfile::skipped-file::1", "skipped"),
        ("drifting::drifting-counts::1", "drift"),
        ("drifting::drifting-counts::2", "pass"),
        ("drifting::drifting-counts::3", "error"), // not continued
        ("drifting::drifting-counts::4", "pass"),
        ("drifting::drifting-counts::5", "drift"), // cont, a wrong claim
        ("drifting::drifting-counts::6", "drift"), // whitespace ignored, not order
        ("drifting::drifting-counts::7", "error"),
    ]);
    assert_eq!(got, expected);
    let report = human("tests/fixtures/codeblocks/holding.md");
    assert!(
        report.contains("not run by pytest-codeblocks: 2 block(s)"),
        "{report}"
    );
    assert!(
        report.contains("(could not import no_such_module_for_docs)"),
        "{report}"
    );
    assert!(
        report.contains("(raised ValueError, as its xfail mark expects)"),
        "{report}"
    );
}

#[test]
fn phmutest_runs_a_file_as_one_example_and_compares_expected_output() {
    let got = sorted(statuses(&["tests/fixtures/phmutest/"]));
    // `phmutest FILE --log` and `--replmode`: holding.md 2 code blocks and
    // 2 sessions pass, 2 skipped; drifting.md fails all four.
    let expected = want(&[
        ("holding::a-ledger::2", "pass"),    // ```expected-output
        ("holding::a-ledger::3", "pass"),    // sees `balance`; a ```py block
        ("holding::a-ledger::4", "skipped"), // phmutest-skip: would drift
        ("holding::a-ledger::5", "skipped"), // phmutest-skipif<3.99
        ("holding::a-ledger::6", "pass"),
        ("holding::a-ledger::7", "pass"),
        ("drifting::a-drifting-ledger::1", "drift"),
        ("drifting::a-drifting-ledger::2", "drift"),
        ("drifting::a-drifting-ledger::3", "error"), // sessions: their own names
        ("drifting::a-drifting-ledger::4", "drift"),
    ]);
    assert_eq!(got, expected);
}

#[test]
fn a_tox_command_names_the_tool_when_no_mark_does() {
    // `pytest --codeblocks README.md` in tox.ini: 2 passed. Read by
    // snipcheck's own rules, both claims would drift and the py fence run.
    let got = sorted(statuses(&["tests/fixtures/commands/"]));
    let expected = want(&[
        ("README::a-readme-its-toxini-tests::1", "pass"),
        ("README::a-readme-its-toxini-tests::2", "skipped"),
        ("README::a-readme-its-toxini-tests::3", "pass"),
    ]);
    assert_eq!(got, expected);
}

#[test]
fn a_phmdoctest_command_line_names_setup_and_skipped_blocks() {
    // The Makefile's `phmdoctest README.md --setup FIRST -s "network"`,
    // then pytest: 1 passed. Without its options the setup block is an
    // example of its own and `PRICES` is no global: an error.
    let got = sorted(statuses(&["tests/fixtures/phmdoctest-command/"]));
    let expected = want(&[
        ("README::prices::2", "pass"),
        ("README::prices::3", "skipped"),
    ]);
    assert_eq!(got, expected);
}
