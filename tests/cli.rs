//! The `snipcheck` binary, end to end: exit codes, reports, bad input.

mod common;
use common::{guide_copy_with, original_guide, root, snipcheck, text};

/// Timing is the one thing that changes from run to run.
fn stable(report: &str) -> String {
    let re = regex::Regex::new(r" in \d+\.\d+ s").unwrap();
    let report = re.replace_all(report, " in [TIME] s");
    // The sandbox layers depend on the kernel.
    let sandbox = regex::Regex::new(r" · sandbox: [^\n]*").unwrap();
    sandbox
        .replace_all(&report, " · sandbox: [SANDBOX]")
        .into_owned()
}

#[test]
fn shipped_guide_passes() {
    let out = snipcheck(&["check", "guide/"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("snipcheck "), "{stdout}");
    assert!(
        stdout.contains("embedded CPython 3."),
        "names the Python it embeds: {stdout}"
    );
    assert!(
        stdout.contains("38 examples: 38 pass, 0 drift, 0 error, 0 skipped"),
        "{stdout}"
    );
}

#[test]
fn original_guide_report_names_every_drift() {
    // At the path it was reviewed under, so that the report reads the same.
    let dir = tempfile::tempdir().unwrap();
    let doc = dir
        .path()
        .join("tests/fixtures/advanced-python.original.md");
    std::fs::create_dir_all(doc.parent().unwrap()).unwrap();
    std::fs::write(&doc, original_guide()).unwrap();
    let config = root().join("guide/snipcheck.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args([
            "check",
            "tests/fixtures/advanced-python.original.md",
            "--config",
        ])
        .arg(&config)
        .args(["--no-snapshots", "--verbose"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("original_guide_report", stable(&text(&out.stdout)));
}

#[test]
fn json_report_has_the_documented_shape() {
    let out = snipcheck(&["check", "tests/fixtures/runtime", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "one example raises");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert!(json["python"].as_str().unwrap().starts_with("3."));
    assert_eq!(json["summary"]["examples"], 9);
    assert_eq!(json["summary"]["pass"], 8);
    assert_eq!(json["summary"]["error"], 1);
    let examples = json["documents"][0]["examples"].as_array().unwrap();
    let failing = examples.iter().find(|e| e["status"] == "error").unwrap();
    assert_eq!(
        failing["id"],
        "runtime::capture-survives-hostile-examples::3"
    );
    assert_eq!(failing["line"], 96);
    assert_eq!(failing["error"]["type"], "ZeroDivisionError");
    assert_eq!(failing["error"]["line"], 98);
    assert_eq!(failing["stdout"], "before\n");
    let verdicts: Vec<_> = failing["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["line"].as_u64().unwrap(),
                c["kind"].as_str().unwrap(),
                c["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [(97, "trailing", "holds"), (99, "trailing", "not_reached")]
    );
}

#[test]
fn a_drift_in_a_copy_of_the_guide_points_at_its_line() {
    let (_dir, doc) = guide_copy_with(
        "print(temp.celsius)     # 25",
        "print(temp.celsius)     # 26",
    );
    let out = snipcheck(&["check", doc.to_str().unwrap(), "--no-snapshots"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("--> {}:560", doc.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("- expected: 26\n") && stdout.contains("+ actual:   25\n"),
        "{stdout}"
    );
    assert!(stdout.contains("1 drift"), "{stdout}");
}

fn bad_input(args: &[&str]) -> String {
    let out = snipcheck(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn bad_input_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("latin1.md");
    std::fs::write(&md, b"# Title\n\ncaf\xe9\n").unwrap();
    let err = bad_input(&["check", md.to_str().unwrap()]);
    assert!(
        err.contains("latin1.md:3: invalid UTF-8 at byte offset 12"),
        "{err}"
    );

    let err = bad_input(&["check", "no/such/guide.md"]);
    assert!(
        err.contains("no/such/guide.md: no such file or folder"),
        "{err}"
    );

    std::fs::write(dir.path().join("ok.md"), "```python\nprint(1)\n```\n").unwrap();
    std::fs::remove_file(&md).unwrap();
    let toml = dir.path().join("snipcheck.toml");
    std::fs::write(&toml, "[run]\nseed = 0\ntimout = 3\n").unwrap();
    let err = bad_input(&["check", dir.path().to_str().unwrap()]);
    assert!(
        err.contains("snipcheck.toml:3: invalid config") && err.contains("timeout"),
        "{err}"
    );

    std::fs::write(&toml, "[stubs]\nprocess = \"mock.NoSuchThing(\"\n").unwrap();
    let err = bad_input(&["check", dir.path().to_str().unwrap()]);
    assert!(err.contains("stub `process`"), "{err}");
}

#[test]
fn paths_in_reports_are_as_given() {
    let out = snipcheck(&[
        "check",
        "tests/fixtures/runtime/runtime.md",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["documents"][0]["path"],
        "tests/fixtures/runtime/runtime.md"
    );
}

#[test]
fn awkward_but_valid_markdown_runs() {
    let dir = tempfile::tempdir().unwrap();
    // BOM, CRLF line endings, a tab-indented block, an unterminated fence.
    let doc = "\u{feff}# T\r\n\r\n```python\r\nfor i in range(2):\r\n\tprint(i)  # 0, 1\r\n```\r\n\r\nText.\r\n\r\nMore text.\r\n\r\n```\r\nno info string: ignored\r\n```\r\n\r\n```python\r\nprint('end')  # end\r\n";
    std::fs::write(dir.path().join("awkward.md"), doc).unwrap();
    std::fs::write(dir.path().join("empty.md"), "").unwrap();
    let out = snipcheck(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let examples = json["documents"][0]["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 2);
    assert_eq!(examples[0]["claims"][0]["line"], 5);
    assert_eq!(examples[1]["claims"][0]["line"], 17);
    assert_eq!(
        json["documents"][1]["examples"].as_array().unwrap().len(),
        0,
        "empty file"
    );
}

#[test]
fn a_ten_megabyte_document_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let mut doc = String::with_capacity(11 << 20);
    doc.push_str("# Big\n\n```python\nprint(sum(range(10)))  # 45\n```\n\n");
    while doc.len() < 10 << 20 {
        doc.push_str("Some prose that goes on and on, with `code` and *emphasis* in it.\n\n");
    }
    doc.push_str("```python\nprint('last')  # last\n```\n");
    let path = dir.path().join("big.md");
    std::fs::write(&path, doc).unwrap();
    let out = snipcheck(&["check", path.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("2 examples: 2 pass"), "{stdout}");
}

#[test]
fn a_drift_in_a_copy_of_the_guide_shows_in_all_five_formats() {
    let (dir, doc) = guide_copy_with(
        "print(user.username)  # alice",
        "print(user.username)  # alicia",
    );
    let changed = std::fs::read_to_string(&doc).unwrap();
    let line = changed
        .lines()
        .position(|l| l.ends_with("# alicia"))
        .unwrap()
        + 1;
    let report = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let out = snipcheck(&[
        "check",
        doc.to_str().unwrap(),
        "--no-snapshots",
        "--report",
        &format!("json={}", report("r.json")),
        "--report",
        &format!("junit={}", report("r.xml")),
        "--report",
        &format!("github={}", report("r.github")),
        "--report",
        &format!("markdown={}", report("r.md")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let human = text(&out.stdout);
    let path = doc.display().to_string();
    assert!(human.contains(&format!("--> {path}:{line}:")), "{human}");
    let read = |name: &str| std::fs::read_to_string(report(name)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&read("r.json")).unwrap();
    let drifting: Vec<_> = json["documents"][0]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["claims"].as_array().unwrap().iter())
        .filter(|c| c["verdict"] == "drifts")
        .map(|c| c["line"].as_u64().unwrap())
        .collect();
    assert_eq!(drifting, [line as u64]);
    assert!(
        read("r.xml").contains(&format!("{path}:{line}")),
        "junit names the claim's line"
    );
    assert!(
        read("r.github").contains(&format!("line={line},")),
        "github annotates the line"
    );
    assert!(
        read("r.md").contains(&format!(":{line}`")),
        "markdown lists it"
    );
}

#[test]
fn a_short_time_limit_after_a_long_one_still_stops_its_example() {
    // The watchdog is only woken when a deadline comes before the one it
    // already sleeps towards: this one does, by far.
    let dir = tempfile::tempdir().unwrap();
    let doc = "```python\nx = 1\n```\n\n```python\nwhile True:\n    pass\n```\n";
    common::write(dir.path(), "t.md", doc);
    let config = "[run]\ntimeout = 60.0\n\n[timeouts]\n\"t::intro::2\" = 0.3\n";
    common::write(dir.path(), "snipcheck.toml", config);
    let began = std::time::Instant::now();
    let out = common::run_in(dir.path(), &["check", "t.md", "--format", "json"]);
    assert!(began.elapsed().as_secs() < 30, "waited for the first limit");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let looping = &json["documents"][0]["examples"][1];
    assert_eq!(looping["status"], "timeout", "{looping}");
    let message = looping.to_string();
    assert!(
        message.contains("ran past its 0.3 s time limit"),
        "{message}"
    );
    assert!(!message.contains("could not be interrupted"), "{message}");
}
