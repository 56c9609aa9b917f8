//! `cargo install snipcheck --locked` builds from what `cargo package`
//! puts in the crate: everything the build needs (the sources, the Python
//! modules build.rs compiles and src/ embeds, the lock file, the licenses),
//! and none of the repository's tests, fixtures, guide, benchmarks or
//! build output.

use std::process::Command;

mod common;
use common::{root, text};

fn packaged() -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--locked",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn the_crate_holds_what_the_build_needs_and_nothing_of_the_tests() {
    let files = packaged();
    let has = |f: &str| files.iter().any(|p| p == f);
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "src/main.rs",
        "src/lib.rs",
        "src/record/fetch.py",
    ] {
        assert!(has(needed), "{needed} is not packaged: {files:?}");
    }
    // Every file build.rs compiles and src/ embeds with include_str!.
    let build = std::fs::read_to_string(root().join("build.rs")).unwrap();
    let modules: Vec<&str> = build
        .split('"')
        .filter(|s| s.starts_with("src/") && s.ends_with(".py"))
        .collect();
    assert!(modules.len() >= 4, "{modules:?}");
    for module in modules {
        assert!(has(module), "build.rs compiles {module}: not packaged");
    }
    // Every source file of the library and the CLI.
    for entry in ignore::Walk::new(root().join("src")).flatten() {
        let path = entry.path().strip_prefix(root()).unwrap();
        if entry.file_type().is_some_and(|t| t.is_file()) {
            let path = path.to_string_lossy();
            assert!(has(&path), "{path} is not packaged");
        }
    }
    for path in &files {
        for left_out in [
            "tests/",
            "guide/",
            "snapshots/",
            "bench/",
            "fuzz/",
            "target/",
            "scripts/",
            ".github/",
        ] {
            assert!(!path.starts_with(left_out), "{path} is packaged");
        }
    }
}

/// The manifest names no host: the crate's page is built from its README,
/// keywords and categories, and `license` names the files shipped.
#[test]
fn the_manifest_has_the_metadata_crates_io_shows() {
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let package = manifest["package"].as_table().unwrap();
    for key in ["description", "license", "readme", "keywords", "categories"] {
        assert!(package.contains_key(key), "[package] lacks {key}");
    }
    assert_eq!(package["license"].as_str(), Some("MIT OR Apache-2.0"));
    for key in ["repository", "homepage", "documentation"] {
        assert!(!package.contains_key(key), "{key} would name a host");
    }
    for table in ["dependencies", "build-dependencies"] {
        for (name, spec) in manifest[table].as_table().unwrap() {
            let path = spec.as_table().is_some_and(|t| t.contains_key("path"));
            assert!(!path, "{name} is a path dependency: crates.io refuses it");
        }
    }
}
