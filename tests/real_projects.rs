//! Real projects' docs: their conventions, their packages, their placeholders.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

mod common;
use common::{assert_exit, root, snipcheck, text};

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr));
    })
}

/// `id → status` of every example in a JSON report.
fn statuses(report: &serde_json::Value) -> Vec<(String, String)> {
    report["documents"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["examples"].as_array().unwrap())
        .map(|e| {
            let id = e["id"].as_str().unwrap();
            let short = id.split_once("::").map_or(id, |(_, rest)| rest);
            (short.to_string(), e["status"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn each_convention_runs_as_its_tool_runs_it() {
    let out = snipcheck(&["check", "tests/fixtures/conventions/", "--format", "json"]);
    assert_exit(&out, 1);
    let report = json(&out);
    let got = statuses(&report);
    // `{testsetup}` and `{testcleanup}` blocks are setup, not examples.
    assert_eq!(report["summary"]["setup"], 3, "{report:#}");
    let want = [
        ("doctest-blocks::1", "pass"),
        ("doctest-drift::1", "drift"),
        ("sphinx-semantics::1", "pass"),
        ("groups::2", "pass"),
        ("groups::3", "pass"),
        ("testcode-and-testoutput::1", "pass"),
        ("testoutput-drift::1", "drift"),
        ("code-directives::1", "pass"),
        ("code-directives::2", "pass"),
        ("info-strings::1", "pass"),
        ("info-strings::2", "pass"),
        ("info-strings::3", "pass"),
        ("info-strings::4", "pass"),
        ("info-strings::5", "skipped"),
        ("code-annotations::1", "pass"),
        ("script-semantics::1", "pass"),
        ("one-clock::1", "pass"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(i, s)| (i.to_string(), s.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn every_claim_of_the_script_and_clock_sections_is_checked_and_holds() {
    let out = snipcheck(&["check", "tests/fixtures/conventions/", "--format", "json"]);
    let report = json(&out);
    let annotations = report["documents"][0]["examples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"].as_str().unwrap().contains("code-annotations"))
        .unwrap();
    let checked: Vec<u64> = annotations["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] != "unchecked")
        .map(|c| c["line"].as_u64().unwrap())
        .collect();
    assert_eq!(checked.len(), 1, "only `# 3` is a claim: {annotations}");
    for section in ["script-semantics", "one-clock"] {
        let example = report["documents"][0]["examples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"].as_str().unwrap().contains(section))
            .unwrap();
        let claims = example["claims"].as_array().unwrap();
        assert!(claims.len() >= 5, "{section}: {claims:?}");
        for claim in claims {
            assert_eq!(claim["verdict"], "holds", "{section}: {claim}");
        }
    }
}

#[test]
fn the_skip_attribute_shows_its_reason() {
    let out = snipcheck(&["check", "tests/fixtures/conventions/"]);
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("info-strings::5"))
        .unwrap();
    assert!(
        line.starts_with("SKIPPED") && line.contains("test=\"skip\""),
        "{line}"
    );
}

const GAPS: &str = r#"# A guide written without snipcheck in mind

```python
with open("data.txt") as f:
    print(len(f.read()) > 0)  # True
```

```python
result = process(42)
print("processed")  # processed
```

```python
import requests
response = requests.get("https://api.example.com/users/1")
print(response.status_code)  # 200
```
"#;

#[test]
fn errors_name_the_config_section_that_fixes_them() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("gaps.md");
    std::fs::write(&doc, GAPS).unwrap();
    let out = snipcheck(&["check", doc.to_str().unwrap()]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    for help in [
        "= help: declare `data.txt` under [fixtures]",
        "= help: define `process` under [stubs]",
        "= help: declare a response under [network.\"https://api.example.com/users/1\"]",
    ] {
        assert!(stdout.contains(help), "{help}\n{stdout}");
    }
    assert_eq!(stdout.matches("or run `snipcheck init`").count(), 3);
}

#[test]
fn init_turns_a_guide_with_placeholders_into_one_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("gaps.md");
    std::fs::write(&doc, GAPS).unwrap();
    let config = dir.path().join("snipcheck.toml");
    std::fs::write(&config, "# the writer's own\n[stubs]\nunused = \"None\"\n").unwrap();
    let out = snipcheck(&["init", doc.to_str().unwrap()]);
    assert_exit(&out, 0);
    let said = text(&out.stderr);
    for added in [
        "added [fixtures] \"data.txt\"",
        "added [stubs] process",
        "added [network.\"https://api.example.com/users/1\"]",
    ] {
        assert!(said.contains(added), "{added}\n{said}");
    }
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        written.starts_with("# the writer's own\n[stubs]\nunused = \"None\"\n"),
        "{written}"
    );
    assert!(written.contains("# TODO"), "{written}");
    assert_exit(&snipcheck(&["check", doc.to_str().unwrap()]), 0);
    let again = snipcheck(&["init", doc.to_str().unwrap()]);
    assert!(text(&again.stderr).contains("0 entries added"));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), written);
}

#[test]
fn init_extends_the_config_that_applies_rather_than_shadowing_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let parent = dir.path().join("snipcheck.toml");
    std::fs::write(&parent, "[stubs]\nunused = \"None\"\n").unwrap();
    let doc = dir.path().join("docs/gaps.md");
    std::fs::create_dir_all(doc.parent().unwrap()).unwrap();
    std::fs::write(&doc, GAPS).unwrap();
    assert_exit(&snipcheck(&["init", doc.to_str().unwrap()]), 0);
    assert!(!dir.path().join("docs/snipcheck.toml").exists());
    let written = std::fs::read_to_string(&parent).unwrap();
    assert!(written.contains("process = "), "{written}");
    assert_exit(&snipcheck(&["check", doc.to_str().unwrap()]), 0);
}

const USES_REQUESTS: &str = r#"# A guide about a third-party package

```python
import requests
from requests.adapters import HTTPAdapter

session = requests.Session()
session.mount("https://", HTTPAdapter(max_retries=2))
response = session.get("https://api.example.com/users/1")
print(type(response).__module__, response.json()["name"])  # requests.models Ada
print(requests.__version__)  # 2.32.3
```

```python
try:
    requests.get("https://api.example.com/missing").raise_for_status()
except requests.HTTPError as error:
    print(error.response.status_code, error.response.reason)  # 404 Not Found
```
"#;

const CANNED: &str = r#"[network."https://api.example.com/users/1"]
json = { name = "Ada" }
[network."https://api.example.com/missing"]
status = 404
"#;

/// A venv of the embedded Python with a pinned `requests`, made once per
/// `target/` (pip fetches it from PyPI the first time).
fn requests_venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("venv-requests-2.32.3");
        if venv.join(".ready").is_file() {
            return venv;
        }
        let python = text(&snipcheck(&["python", "--executable"]).stdout);
        let run = |program: &Path, args: &[&str]| {
            let out = std::process::Command::new(program)
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
        };
        let _ = std::fs::remove_dir_all(&venv);
        run(
            Path::new(python.trim()),
            &["-m", "venv", venv.to_str().unwrap()],
        );
        run(
            &venv.join("bin/python"),
            &["-m", "pip", "install", "--quiet", "requests==2.32.3"],
        );
        std::fs::write(venv.join(".ready"), "").unwrap();
        venv
    })
}

fn check_in_venv(doc: &Path, venv: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(["check", doc.to_str().unwrap()])
        .env("VIRTUAL_ENV", venv)
        .current_dir(root())
        .output()
        .unwrap()
}

#[test]
fn a_guide_about_an_installed_package_passes_with_its_venv() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("requests-guide.md");
    std::fs::write(&doc, USES_REQUESTS).unwrap();
    std::fs::write(dir.path().join("snipcheck.toml"), CANNED).unwrap();
    let venv = requests_venv();
    let out = check_in_venv(&doc, venv);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!("· venv {}", venv.display())),
        "the report names the venv: {stdout}"
    );
    // Without the venv, the stand-in answers but is not requests 2.32.3.
    let out = snipcheck(&["check", doc.to_str().unwrap()]);
    assert_exit(&out, 1);
    assert!(text(&out.stdout).contains("+ actual:   0 (snipcheck stand-in)"));
}

#[test]
fn a_venv_of_another_python_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    std::fs::create_dir_all(venv.join("lib/python3.99/site-packages")).unwrap();
    std::fs::write(venv.join("pyvenv.cfg"), "version = 3.99.1\n").unwrap();
    let doc = dir.path().join("doc.md");
    std::fs::write(&doc, "```python\nprint(1)  # 1\n```\n").unwrap();
    let out = check_in_venv(&doc, &venv);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("is Python 3.99.1"), "{stderr}");
    assert!(stderr.contains("snipcheck embeds CPython 3."), "{stderr}");
    assert!(stderr.contains("-m venv"), "says how to fix it: {stderr}");
}

#[test]
fn without_requests_installed_the_stand_in_is_a_real_package() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("stand-in.md");
    let guide = r#"```python
import requests
from requests.exceptions import HTTPError
from requests.adapters import HTTPAdapter
session = requests.Session()
session.mount("https://", HTTPAdapter(max_retries=3))
print(session.request("GET", "https://api.example.com/users/1").json())  # {'name': 'Ada'}
try:
    requests.get("https://api.example.com/missing").raise_for_status()
except HTTPError as error:
    print(error.response.status_code, requests.codes.not_found)  # 404 404
```
"#;
    std::fs::write(&doc, guide).unwrap();
    std::fs::write(dir.path().join("snipcheck.toml"), CANNED).unwrap();
    let out = snipcheck(&["check", doc.to_str().unwrap()]);
    assert_exit(&out, 0);
}

/// A one-route HTTP server on 127.0.0.1 that counts the requests it answers.
fn local_server() -> (String, Arc<AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/users/1", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&served);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut request_line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let _ = reader.read_line(&mut request_line);
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            count.fetch_add(1, Ordering::SeqCst);
            let body = r#"{"name": "Ada"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, served)
}

#[test]
fn record_saves_real_responses_that_check_replays_offline() {
    let (url, served) = local_server();
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("api.md");
    let guide = format!(
        "```python\nimport requests\nprint(requests.get(\"{url}\").json()[\"name\"])  # Ada\n```\n"
    );
    std::fs::write(&doc, guide).unwrap();
    let doc = doc.to_str().unwrap();

    let refused = snipcheck(&["record", doc]);
    assert_exit(&refused, 2);
    assert!(text(&refused.stderr).contains("--allow-network"));
    assert_eq!(served.load(Ordering::SeqCst), 0, "no consent, no request");

    let recorded = snipcheck(&["record", "--allow-network", doc]);
    assert_exit(&recorded, 0);
    assert!(text(&recorded.stderr).contains(&format!("recorded {url} (200)")));
    assert_eq!(served.load(Ordering::SeqCst), 1);
    let cassette = std::fs::read_to_string(dir.path().join("snipcheck.cassette.json")).unwrap();
    assert!(cassette.contains(r#"\"name\": \"Ada\""#), "{cassette}");

    assert_exit(&snipcheck(&["check", doc]), 0);
    assert_eq!(
        served.load(Ordering::SeqCst),
        1,
        "check replays the cassette: the server hears nothing"
    );
}
