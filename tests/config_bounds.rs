//! A config comes with the guide, often in a pull request: the paths it
//! names (`[sandbox] read`, `snapshots`, `[cache] dir`) stay inside the
//! repository, a changed file under a read path is never replayed from the
//! cache, and a run leaves no file behind, whatever an example did to the
//! permissions of its working directory. Through the binary.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{assert_exit, root, text, write};

const DOC: &str = "# D\n\n```python\nprint(1)  # 1\n```\n";

/// A repository (a folder holding `.git`) with `guide/doc.md`, and a folder
/// beside it, outside, for paths to lead to.
struct Repo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let (root, outside) = (dir.path().join("repo"), dir.path().join("outside"));
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        write(&root, "guide/doc.md", DOC);
        Repo {
            _dir: dir,
            root,
            outside,
        }
    }

    /// `snipcheck check guide/` in the repository, with `config` as
    /// `guide/snipcheck.toml`.
    fn check(&self, config: &str) -> Output {
        write(&self.root, "guide/snipcheck.toml", config);
        Command::new(env!("CARGO_BIN_EXE_snipcheck"))
            .args(["check", "--no-snapshots", "guide/"])
            .current_dir(&self.root)
            .env("CI", "true")
            .output()
            .unwrap()
    }
}

/// Exit 2, and a message naming the file and the key, saying where the
/// path had to stay.
fn assert_refused(out: &Output, key: &str, value: &str) {
    let stderr = text(&out.stderr);
    let named = stderr.contains("guide/snipcheck.toml")
        && stderr.contains(&format!("{key} `{value}` must be inside the repository"))
        && stderr.contains("or remove the entry");
    assert!(
        out.status.code() == Some(2) && named,
        "{key} = {value:?}: exit {:?}: {stderr}",
        out.status.code()
    );
}

#[test]
fn read_paths_outside_the_repository_are_a_config_error() {
    let repo = Repo::new();
    std::os::unix::fs::symlink(&repo.outside, repo.root.join("guide/link")).unwrap();
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let outside = repo.outside.display().to_string();
    for read in [
        "/",
        "/etc",
        "/proc/self",
        &home,
        &outside,
        "../../outside",
        "link",
    ] {
        let out = repo.check(&format!("[sandbox]\nread = [{read:?}]\n"));
        assert_refused(&out, "[sandbox] read", read);
    }
}

#[test]
fn snapshots_and_cache_outside_the_repository_are_a_config_error() {
    let repo = Repo::new();
    std::os::unix::fs::symlink(&repo.outside, repo.root.join("guide/link")).unwrap();
    let outside = repo.outside.join("cache").display().to_string();
    // Not there yet: judged by where they would be created.
    for dir in [
        "../../outside/snapshots",
        "link/snapshots",
        "link/new/../snapshots",
    ] {
        let out = repo.check(&format!("snapshots = {dir:?}\n"));
        assert_refused(&out, "snapshots", dir);
    }
    for dir in [outside.as_str(), "../../outside/cache", "link/cache"] {
        let out = repo.check(&format!("[cache]\ndir = {dir:?}\n"));
        assert_refused(&out, "[cache] dir", dir);
    }
    let written: Vec<_> = std::fs::read_dir(&repo.outside).unwrap().collect();
    assert!(written.is_empty(), "written outside: {written:?}");
}

#[test]
fn paths_inside_the_repository_are_accepted() {
    let repo = Repo::new();
    write(&repo.root, "data/input.txt", "x");
    let out = repo.check(
        "snapshots = \"../snapshots\"\n[sandbox]\nread = [\"../data\", \"doc.md\"]\n\
         [cache]\ndir = \"../target/bounded-cache\"\n",
    );
    assert_exit(&out, 0);
    assert!(repo.root.join("target/bounded-cache").is_dir());
}

#[test]
fn a_copied_guide_cannot_keep_its_snapshots_outside_its_folder() {
    // The shipped config, copied where no `.git` is above it: its
    // `../snapshots` would land beside the copy, outside what is checked.
    let dir = tempfile::tempdir().unwrap();
    let guide = dir.path().join("guide");
    std::fs::create_dir(&guide).unwrap();
    std::fs::copy(
        root().join("guide/snipcheck.toml"),
        guide.join("snipcheck.toml"),
    )
    .unwrap();
    write(&guide, "doc.md", DOC);
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(["check", "doc.md"])
        .current_dir(&guide)
        .env("CI", "true")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("snipcheck.toml: invalid config: snapshots `../snapshots` must be inside the config's folder")
            && stderr.contains("no `.git` above it"),
        "{stderr}"
    );
    assert!(!dir.path().join("snapshots").exists());
}

#[test]
fn fixture_files_work_from_a_config_in_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.txt", "hi\n");
    write(
        dir.path(),
        "snipcheck.toml",
        "[fixtures]\n\"d.txt\" = { file = \"x.txt\" }\n",
    );
    write(
        dir.path(),
        "a.md",
        "# A\n\n```python\nprint(open('d.txt').read().strip())  # hi\n```\n",
    );
    let out = common::run_in(dir.path(), &["check", "--no-cache", "a.md"]);
    assert_exit(&out, 0);
}

/// Per document, whether its run came from the cache; and the exit code.
fn cached(repo: &Path) -> (i32, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(["check", "--format", "json", "guide/"])
        .current_dir(repo)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let cached = report["documents"][0]["cached"].as_bool().unwrap();
    (out.status.code().unwrap(), cached)
}

#[test]
fn hidden_and_git_ignored_files_under_a_read_path_are_part_of_the_cache_key() {
    let repo = Repo::new();
    let data = repo.root.join("data");
    write(&data, ".gitignore", "ignored.txt\n");
    write(&data, ".hidden", "one");
    write(&data, "ignored.txt", "one");
    let doc = format!(
        "# D\n\n```python\nprint(open({:?}).read(), open({:?}).read())  # one one\n```\n",
        data.join(".hidden"),
        data.join("ignored.txt"),
    );
    write(&repo.root, "guide/doc.md", &doc);
    write(
        &repo.root,
        "guide/snipcheck.toml",
        "[sandbox]\nread = [\"../data\"]\n",
    );
    assert_eq!(cached(&repo.root), (0, false));
    assert_eq!(cached(&repo.root), (0, true));
    for file in [".hidden", "ignored.txt"] {
        write(&data, file, "three");
        assert_eq!(
            cached(&repo.root),
            (1, false),
            "{file} changed: the run must not come from the cache, and must see it"
        );
        write(&data, file, "one");
        cached(&repo.root);
    }
}

/// Runs `snipcheck ARGS` in `dir` as an unprivileged user (`nobody`, when
/// this test runs as root), for whom permissions do bind; `None` when
/// that cannot be arranged here.
fn unprivileged(dir: &Path, tmp: &Path, args: &[&str]) -> Option<Output> {
    let mut command = if is_root() {
        let setpriv = Path::new("/usr/bin/setpriv");
        if !setpriv.exists() {
            return None;
        }
        for path in [dir, tmp] {
            std::os::unix::fs::chown(path, Some(65534), Some(65534)).ok()?;
        }
        let mut command = Command::new(setpriv);
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        command.arg(env!("CARGO_BIN_EXE_snipcheck"));
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_snipcheck"))
    };
    let out = command
        .args(args)
        .current_dir(dir)
        .env("TMPDIR", tmp)
        .output()
        .ok()?;
    // 126, 127: `nobody` may not run the binary where it was built.
    (!matches!(out.status.code(), Some(126 | 127))).then_some(out)
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn read_only_folders_an_example_made_are_removed() {
    let (dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    write(
        dir.path(),
        "a.md",
        "# A\n\n```python\nimport os\nos.mkdir('d')\nopen('d/f', 'w').write('x')\n\
         os.mkdir('e')\nos.chmod('d', 0o500)\nos.chmod('e', 0o000)\nos.chmod('.', 0o500)\n\
         print('made')  # made\n```\n",
    );
    let Some(out) = unprivileged(dir.path(), tmp.path(), &["check", "--no-cache", "a.md"]) else {
        eprintln!("note: no unprivileged user to run as; the removal's unit test still runs");
        return;
    };
    assert_exit(&out, 0);
    let left: Vec<_> = walkdir(tmp.path());
    assert!(left.is_empty(), "files left in TMPDIR: {left:?}");
}

/// Every path under `dir`, permissions regardless (the test may be root).
fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        found.push(entry.path());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(walkdir(&entry.path()));
        }
    }
    found
}
