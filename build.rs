//! Compiles the harness's Python modules (`src/run/*.py`) to bytecode with
//! the interpreter pyo3 builds against, so that a worker does not compile
//! some 1,700 lines of Python every time it starts (about 20 ms).
//!
//! The bytecode is a cache, never a requirement: a worker uses it only if
//! its CPython has the same bytecode magic number, and compiles the
//! sources (embedded as well) otherwise, or when this step could not run.

use std::path::Path;
use std::process::Command;

/// (source, the file name the module is compiled under)
const MODULES: &[(&str, &str)] = &[
    ("src/run/repl.py", "snipcheck_repl.py"),
    ("src/run/clock.py", "snipcheck_clock.py"),
    ("src/run/newer.py", "snipcheck_newer.py"),
    ("src/run/exports.py", "snipcheck_exports.py"),
    ("src/run/network.py", "snipcheck_network.py"),
    ("src/run/harness.py", "snipcheck_harness.py"),
];

/// Writes `OUT_DIR/<name>.bytecode`: the magic number, then the marshalled
/// code object.
const COMPILE: &str = r#"
import importlib.util, marshal, sys
out, pairs = sys.argv[1], sys.argv[2:]
for source, name in zip(pairs[::2], pairs[1::2]):
    with open(source, encoding="utf-8") as f:
        code = compile(f.read(), name, "exec", dont_inherit=True)
    with open(f"{out}/{name}.bytecode", "wb") as f:
        f.write(importlib.util.MAGIC_NUMBER + marshal.dumps(code))
"#;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo::rerun-if-changed=build.rs");
    for (source, _) in MODULES {
        println!("cargo::rerun-if-changed={source}");
    }
    let config = pyo3_build_config::get();
    announce_build_python(config);
    let compiled = config
        .executable()
        .is_some_and(|python| compile(python, &out));
    if !compiled {
        // Empty: the worker compiles the sources.
        for (_, name) in MODULES {
            let path = Path::new(&out).join(format!("{name}.bytecode"));
            std::fs::write(&path, b"").expect("OUT_DIR is writable");
        }
    }
}

fn compile(python: &str, out: &str) -> bool {
    Command::new(python)
        .args(["-I", "-c", COMPILE, out])
        .args(MODULES.iter().flat_map(|(source, name)| [*source, *name]))
        .status()
        .is_ok_and(|status| status.success())
}

/// Tells the binary which CPython it was built against
/// (`SNIPCHECK_BUILT_AGAINST`: `3.11.7 /path/to/libdir`), so that it can
/// check at run time that the libpython the loader found is of the same
/// minor version. When that library's folder is readable by everyone (the
/// sandboxed children must read the interpreter's files), it is also put
/// on the binary's rpath: the build and the run then agree exactly.
fn announce_build_python(config: &pyo3_build_config::InterpreterConfig) {
    let version = config
        .executable()
        .and_then(|python| {
            let out = Command::new(python)
                .args([
                    "-I",
                    "-c",
                    "import platform; print(platform.python_version())",
                ])
                .output()
                .ok()?;
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| format!("{}.{}", config.version().major, config.version().minor));
    let lib_dir = config.lib_dir().unwrap_or("");
    println!("cargo::rustc-env=SNIPCHECK_BUILT_AGAINST={version} {lib_dir}");
    if !lib_dir.is_empty() && readable_by_everyone(Path::new(lib_dir)) {
        println!("cargo::rustc-link-arg=-Wl,-rpath,{lib_dir}");
    }
}

fn readable_by_everyone(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .all(|p| std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o005 == 0o005))
}
