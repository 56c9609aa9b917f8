//! The hostile corpus (`tests/fixtures/hostile/hostile.md`): examples that
//! loop forever, crash, fork, escape, flood. Each is one test, asserting the
//! exact status and message, and that the canary example right after it, in
//! the same namespace, still runs and passes.
//!
//! The document runs once, through the real binary and its sandbox, with
//! `TMPDIR` pointed at a fresh folder so "no file outside the working
//! directory changes" can be checked exactly.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// (section slug, status, error type, message fragment, guide line of the error)
const CASES: &[(&str, &str, &str, &str, Option<u64>)] = &[
    (
        "infinite-loop",
        "timeout",
        "Timeout",
        "ran past its 1 s time limit",
        Some(13),
    ),
    (
        "loop-that-swallows-every-exception",
        "timeout",
        "Timeout",
        "could not be interrupted",
        None,
    ),
    (
        "exit-with-os_exit",
        "crash",
        "Crash",
        "the worker exited with code 3",
        None,
    ),
    ("sysexit0", "pass", "", "", None),
    ("sysexit1", "error", "SystemExit", "1", Some(62)),
    (
        "segfault-through-ctypes",
        "crash",
        "Crash",
        "killed by signal 11 (SIGSEGV)",
        None,
    ),
    (
        "abort",
        "crash",
        "Crash",
        "killed by signal 6 (SIGABRT)",
        None,
    ),
    ("memory-bomb", "error", "MemoryError", "", Some(94)),
    (
        "fork-bomb",
        "error",
        "PermissionError",
        "examples may not start processes",
        Some(106),
    ),
    (
        "recursion-bomb",
        "error",
        "RecursionError",
        "maximum recursion depth exceeded",
        Some(117),
    ),
    (
        // Every mount but the working directory is read-only in the
        // document's namespace: the kernel says so before Landlock does.
        "write-outside-the-working-directory",
        "error",
        "OSError",
        "Read-only file system: '../escape.txt'",
        Some(129),
    ),
    (
        // Every mount but the working directory is read-only in the
        // document's namespace: the kernel says so before Landlock does.
        "write-to-tmp",
        "error",
        "OSError",
        "Read-only file system: '/tmp/snipcheck-outside.txt'",
        Some(140),
    ),
    (
        "read-system-files",
        "error",
        "PermissionError",
        "Permission denied: '/etc/passwd'",
        Some(151),
    ),
    ("home-is-not-the-users", "pass", "", "", None),
    (
        "socket-connect-to-localhost",
        "error",
        "StubbedNetwork",
        "network is stubbed: no response declared",
        Some(175),
    ),
    (
        "raw-socket-connect-to-a-public-address",
        "error",
        "PermissionError",
        "Operation not permitted",
        Some(187),
    ),
    (
        "subprocess",
        "error",
        "PermissionError",
        "examples may not start processes",
        Some(198),
    ),
    ("huge-output", "pass", "", "", None),
    ("stdout-replaced-and-never-restored", "pass", "", "", None),
    (
        "input-with-nothing-to-read",
        "error",
        "EOFError",
        "input() has nothing to read",
        Some(230),
    ),
    ("thread-that-never-ends", "pass", "", "", None),
    (
        "blocked-in-a-c-call",
        "timeout",
        "Timeout",
        "could not be interrupted",
        None,
    ),
    ("signalalarm", "pass", "", "", None),
    (
        "deleting-the-working-directory",
        "error",
        "OSError",
        "Read-only file system",
        Some(285),
    ),
    (
        "keyboardinterrupt",
        "error",
        "KeyboardInterrupt",
        "",
        Some(299),
    ),
    (
        "file-too-large",
        "error",
        "OSError",
        "File too large",
        Some(310),
    ),
    // 1. The parent trusts no event.
    (
        "forged-events-to-kill-a-process",
        "crash",
        "Crash",
        "the document's process sent an event out of order (sandbox): killed",
        None,
    ),
    (
        "event-for-an-example-that-does-not-exist",
        "crash",
        "Crash",
        "an event names example 99999 of 103: killed",
        None,
    ),
    (
        "event-line-without-end",
        "crash",
        "Crash",
        "sent an event line longer than 8847360 bytes: killed",
        None,
    ),
    // 2. Channels of its own.
    ("the-channels-are-the-documents-own", "pass", "", "", None),
    // 3. Nothing outlives its document; the clock is the parent's.
    (
        "disarmed-watchdog",
        "timeout",
        "Timeout",
        "ran past its 1 s time limit and could not be interrupted",
        None,
    ),
    (
        "fork-through-posix",
        "error",
        "PermissionError",
        "[Errno 1] Operation not permitted",
        Some(405),
    ),
    // 5. Processes, exec and the kernel's back doors; the disk.
    ("shell-through-posixsystem", "pass", "", "", None),
    ("fork-through-ctypes", "pass", "", "", None),
    (
        "spawn-through-posix_spawn",
        "error",
        "PermissionError",
        "[Errno 1] Operation not permitted: '/bin/sh'",
        Some(441),
    ),
    (
        "exec-in-place",
        "error",
        "PermissionError",
        "[Errno 1] Operation not permitted",
        Some(452),
    ),
    ("ptrace-io_uring-and-unshare", "pass", "", "", None),
    (
        "signal-another-process",
        "error",
        "PermissionError",
        "[Errno 1] Operation not permitted",
        Some(477),
    ),
    (
        // The working directory is a tmpfs of the budget's size: the
        // kernel refuses the write that would pass it.
        "filling-the-disk-with-small-files",
        "error",
        "OSError",
        "No space left on device",
        Some(488),
    ),
    // 4. The network.
    (
        "udp-datagram",
        "error",
        "PermissionError",
        "[Errno 1] Operation not permitted",
        Some(501),
    ),
    (
        "mptcp-connect",
        "error",
        "PermissionError",
        "[Errno 1] Operation not permitted",
        Some(513),
    ),
    (
        "listen-without-bind",
        "error",
        "PermissionError",
        "[Errno 1] Operation not permitted",
        Some(525),
    ),
    (
        "abstract-unix-socket",
        "error",
        "PermissionError",
        "[Errno 1] Operation not permitted",
        Some(537),
    ),
    (
        "unix-socket-on-a-path",
        "error",
        "PermissionError",
        "[Errno 1] Operation not permitted",
        Some(549),
    ),
    (
        "netlink-socket",
        "error",
        "PermissionError",
        "[Errno 1] Operation not permitted",
        Some(560),
    ),
    // 6. What examples print reaches reports as text (see *-report-is-inert).
    ("escape-sequences-in-output", "drift", "", "", None),
    ("workflow-commands-in-output", "drift", "", "", None),
    (
        "html-and-markdown-in-an-error",
        "error",
        "ValueError",
        "<img src=x onerror=alert(1)>",
        Some(592),
    ),
    (
        "crash-with-a-hostile-stderr",
        "crash",
        "Crash",
        // (Its stderr line shows in the report unless a thread an earlier
        // example left wrote after it; the *-report-is-inert tests hold either way.)
        "the worker exited with code 3",
        None,
    ),
    // 8. Odd output.
    ("lone-surrogates", "pass", "", "", None),
    (
        "invalid-utf-8-on-fd-1",
        "crash",
        "Crash",
        "the worker exited with code 3: odd \\xff\\xfe bytes",
        None,
    ),
];

/// The run of the corpus, and what it was aimed at.
struct Run {
    report: Value,
    /// The same run in the other formats, by format name.
    reports: Vec<(&'static str, String)>,
    /// Exit code of the run.
    code: Option<i32>,
    tmp: tempfile::TempDir,
    targets: Targets,
}

/// What the corpus aims at from outside: a process to kill and listeners
/// to reach. Each must come out untouched.
struct Targets {
    victim: std::sync::Mutex<std::process::Child>,
    victim_pid: u32,
    udp: std::net::UdpSocket,
    tcp: std::net::TcpListener,
    unix: std::os::unix::net::UnixListener,
    abstract_unix: std::os::unix::net::UnixListener,
    _dir: tempfile::TempDir,
}

impl Targets {
    fn new() -> Targets {
        use std::os::linux::net::SocketAddrExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let victim = Command::new("sleep")
            .arg("600")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sleep runs");
        let victim_pid = victim.id();
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("UDP socket");
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("TCP listener");
        let unix = std::os::unix::net::UnixListener::bind(dir.path().join("listener.sock"))
            .expect("Unix listener");
        let name = format!("snipcheck-hostile-{}", std::process::id());
        let address = std::os::unix::net::SocketAddr::from_abstract_name(name).expect("name");
        let abstract_unix =
            std::os::unix::net::UnixListener::bind_addr(&address).expect("abstract listener");
        for nonblocking in [
            udp.set_nonblocking(true),
            tcp.set_nonblocking(true),
            unix.set_nonblocking(true),
            abstract_unix.set_nonblocking(true),
        ] {
            nonblocking.expect("non-blocking");
        }
        Targets {
            victim: std::sync::Mutex::new(victim),
            victim_pid,
            udp,
            tcp,
            unix,
            abstract_unix,
            _dir: dir,
        }
    }

    /// The corpus with its placeholders filled in.
    fn aim(&self, text: &str) -> String {
        text.replace("@VICTIM_PID@", &self.victim_pid.to_string())
            .replace(
                "@UDP_PORT@",
                &self.udp.local_addr().unwrap().port().to_string(),
            )
            .replace(
                "@TCP_PORT@",
                &self.tcp.local_addr().unwrap().port().to_string(),
            )
            .replace(
                "@UNIX_PATH@",
                &self._dir.path().join("listener.sock").display().to_string(),
            )
            .replace(
                "@ABSTRACT_NAME@",
                &format!("snipcheck-hostile-{}", std::process::id()),
            )
    }
}

const FORMATS: &[&str] = &["human", "github", "markdown", "junit"];

static RUN: OnceLock<Run> = OnceLock::new();

fn run() -> &'static Run {
    RUN.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let targets = Targets::new();
        // A copy of the corpus, aimed at the targets.
        let fixture = tempfile::tempdir().expect("temp dir");
        let source = root.join("tests/fixtures/hostile");
        for name in ["hostile.md", "snipcheck.toml"] {
            let text = std::fs::read_to_string(source.join(name)).expect("fixture");
            std::fs::write(fixture.path().join(name), targets.aim(&text)).expect("copy");
        }
        let tmp = tempfile::tempdir().expect("temp dir");
        let reports = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_snipcheck"));
        command
            .arg("check")
            .arg(fixture.path())
            .args(["--format", "json"]);
        for format in FORMATS {
            command.arg("--report").arg(format!(
                "{format}={}",
                reports.path().join(format).display()
            ));
        }
        let out = command
            .current_dir(&root)
            .env("TMPDIR", tmp.path())
            .env("SNIPCHECK_TEST_SECRET_TOKEN", "must-not-leak")
            .output()
            .expect("snipcheck runs");
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "JSON report ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let reports = FORMATS
            .iter()
            .map(|f| {
                let text = std::fs::read(reports.path().join(f)).expect("report written");
                (*f, String::from_utf8(text).expect("reports are UTF-8"))
            })
            .collect();
        Run {
            report,
            reports,
            code: out.status.code(),
            tmp,
            targets,
        }
    })
}

fn example<'a>(report: &'a Value, id: &str) -> Result<&'a Value, Failed> {
    report["documents"][0]["examples"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["id"] == id))
        .ok_or_else(|| format!("no example {id} in the report").into())
}

fn check(case: &(&str, &str, &str, &str, Option<u64>)) -> Result<(), Failed> {
    let (slug, status, kind, message, line) = *case;
    let report = &run().report;
    let hostile = example(report, &format!("hostile::{slug}::1"))?;
    let fail = |what: &str| -> Failed { format!("{what}: {hostile:#}").into() };
    if hostile["status"] != status {
        return Err(fail(&format!("status is not {status}")));
    }
    let error = &hostile["error"];
    if kind.is_empty() {
        if !error.is_null() {
            return Err(fail("unexpected error"));
        }
    } else {
        let text = error["message"].as_str().unwrap_or_default();
        if error["type"] != kind || !text.contains(message) || error["line"].as_u64() != line {
            return Err(fail(&format!(
                "expected {kind}: …{message}… at line {line:?}"
            )));
        }
    }
    let canary = example(report, &format!("hostile::{slug}::2"))?;
    let holds = canary["claims"]
        .as_array()
        .is_some_and(|c| !c.is_empty() && c.iter().all(|c| c["verdict"] == "holds"));
    if canary["status"] != "pass" || !holds {
        return Err(format!("the example after it did not run normally: {canary:#}").into());
    }
    Ok(())
}

/// Processes of this run still alive: any process whose environment names
/// the run's private TMPDIR (workers and anything they started).
fn leftovers(tmp: &std::path::Path) -> Vec<String> {
    let marker = format!("TMPDIR={}", tmp.display());
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            std::fs::read(entry.path().join("environ")).is_ok_and(|environ| {
                environ
                    .split(|&b| b == 0)
                    .any(|var| var == marker.as_bytes())
            })
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = CASES
        .iter()
        .map(|case| Trial::test(format!("hostile::{}", case.0), move || check(case)))
        .collect();
    trials.push(Trial::test("hostile::nothing-outside-changed", || {
        let run = run();
        let leftovers: Vec<_> = std::fs::read_dir(run.tmp.path())
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        if !leftovers.is_empty() {
            return Err(format!("files left in TMPDIR: {leftovers:?}").into());
        }
        for path in ["/tmp/snipcheck-outside.txt", "/tmp/pwned"] {
            if std::path::Path::new(path).exists() {
                return Err(format!("{path} was written").into());
            }
        }
        Ok(())
    }));
    trials.push(Trial::test("hostile::huge-output-is-cut", || {
        let stdout = example(&run().report, "hostile::huge-output::1")?["stdout"]
            .as_str()
            .unwrap_or_default()
            .len();
        match stdout {
            65536 => Ok(()),
            n => Err(format!("captured {n} bytes, not the 65536 of [run] max_output").into()),
        }
    }));
    trials.push(Trial::test("hostile::exit-code-is-1", || {
        match run().code {
            Some(1) => Ok(()),
            other => Err(format!("snipcheck exited with {other:?}, not 1").into()),
        }
    }));
    trials.push(Trial::test("hostile::victim-survives", || {
        let run = run();
        let pid = run.targets.victim_pid;
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // Alive, and not a zombie (state Z) waiting for the test.
            Ok(stat) if !stat.contains(") Z ") => Ok(()),
            _ => Err(format!("the victim process {pid} was killed").into()),
        }
    }));
    trials.push(Trial::test("hostile::listeners-heard-nothing", || {
        let t = &run().targets;
        let mut buf = [0u8; 64];
        let heard = [
            ("UDP", t.udp.recv_from(&mut buf).map(|_| ())),
            ("TCP", t.tcp.accept().map(|_| ())),
            ("Unix", t.unix.accept().map(|_| ())),
            ("abstract Unix", t.abstract_unix.accept().map(|_| ())),
        ];
        for (what, result) in heard {
            match result {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                other => return Err(format!("the {what} listener heard: {other:?}").into()),
            }
        }
        Ok(())
    }));
    trials.push(Trial::test(
        "hostile::no-process-outlives-snipcheck",
        || {
            let left = leftovers(run().tmp.path());
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("processes of the run still alive: {left:?}").into())
            }
        },
    ));
    for format in FORMATS {
        let format = *format;
        trials.push(Trial::test(
            format!("hostile::{format}-report-is-inert"),
            move || report_is_inert(format),
        ));
    }
    trials.push(Trial::test(
        "hostile::fixture-files-stay-in-the-configs-folder",
        fixture_files_stay_in_the_configs_folder,
    ));
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(run) = RUN.get() {
        let mut victim = run.targets.victim.lock().unwrap_or_else(|e| e.into_inner());
        let _ = victim.kill();
        let _ = victim.wait();
    }
    conclusion.exit();
}

/// What examples printed must reach no terminal, runner or viewer as
/// anything but text: no control characters, no line that starts a
/// workflow command, no HTML from an example, valid XML.
fn report_is_inert(format: &str) -> Result<(), Failed> {
    let run = run();
    let text = &run
        .reports
        .iter()
        .find(|(f, _)| *f == format)
        .ok_or("no such report")?
        .1;
    // The hostile text did reach the report, escaped.
    if !text.contains("x1b") {
        return Err(format!("{format}: the escape sequence is not shown at all").into());
    }
    if let Some(c) = text
        .chars()
        .find(|&c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}')
    {
        return Err(format!("{format}: raw control character {c:?} in the report").into());
    }
    for line in text.lines() {
        let start = line.trim_start();
        let ours = format == "github"
            && (start.starts_with("::error file=") || start.starts_with("::notice::"));
        if start.starts_with("::") && !ours {
            return Err(format!("{format}: a line starts a workflow command: {line}").into());
        }
    }
    match format {
        "markdown" => {
            // Outside fenced blocks (where a viewer shows text as it is).
            let mut fenced = false;
            for line in text.lines() {
                if line.starts_with("```") {
                    fenced = !fenced;
                    continue;
                }
                // Outside code spans too: GitHub renders neither HTML nor
                // Markdown inside one.
                let plain: String = line.split('`').step_by(2).collect();
                if !fenced && (plain.contains("<img") || plain.contains("<b>")) {
                    return Err(format!("markdown: raw HTML from an example: {line}").into());
                }
            }
            Ok(())
        }
        "junit" => {
            // XML 1.0 has no control characters but tab and line breaks,
            // not even as character references.
            for reference in text.split("&#").skip(1) {
                let number = reference.split(';').next().unwrap_or_default();
                let value = match number.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => number.parse(),
                };
                if value.is_ok_and(|v| v < 0x20 && ![9, 10, 13].contains(&v)) {
                    return Err(format!("junit: control character &#{number}; in XML").into());
                }
            }
            let mut reader = quick_xml::Reader::from_str(text);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(format!("junit: not valid XML: {e}").into()),
                }
            }
        }
        _ => Ok(()),
    }
}

/// A config's `file =` fixtures that lead outside its folder are a config
/// error naming the key, and nothing is read.
fn fixture_files_stay_in_the_configs_folder() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let secret = tempfile::NamedTempFile::new()?;
    std::fs::write(secret.path(), "secret")?;
    let guide = dir.path().join("guide");
    std::fs::create_dir(&guide)?;
    std::fs::write(
        guide.join("doc.md"),
        "# D\n\n```python\nprint(1)  # 1\n```\n",
    )?;
    std::os::unix::fs::symlink(secret.path(), guide.join("link"))?;
    let absolute = secret.path().display().to_string();
    for file in ["../outside.txt", absolute.as_str(), "link"] {
        let config = format!("[fixtures]\n\"stolen\" = {{ file = {file:?} }}\n");
        std::fs::write(guide.join("snipcheck.toml"), config)?;
        let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
            .arg("check")
            .arg(&guide)
            .output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2)
            || !stderr.contains("fixture `stolen`: file")
            || !stderr.contains("must be inside the config's folder")
        {
            return Err(format!("file = {file:?}: {:?} {stderr}", out.status.code()).into());
        }
    }
    Ok(())
}
