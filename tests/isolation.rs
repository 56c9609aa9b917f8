//! One document cannot touch another, nor anything else on the host: each
//! child has a kernel identity of its own (user, PID, IPC and mount
//! namespaces; a leased uid when snipcheck runs as root), a clean template
//! to fork from, and a filter that scopes every call naming a pid.
//!
//! Each case writes a small document whose claims hold only while the
//! boundary holds, runs the real binary on it (as the invoking user and,
//! when that is root, again as an unprivileged one), and asserts it passes.
//! Victims are real processes the test starts itself, standing in for other
//! documents and other runs on a shared host.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use libtest_mimic::{Arguments, Failed, Trial};

mod common;

/// Who runs snipcheck in a trial.
#[derive(Clone, Copy, Debug)]
enum As {
    Invoker,
    /// uid/gid 65534 through `setpriv`, when the tests run as root.
    Unprivileged,
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A folder everyone can use: the unprivileged run reads and writes it.
fn open_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

/// Writes `doc.md` (and `snipcheck.toml`) in a fresh folder.
fn document(body: &str, config: &str) -> tempfile::TempDir {
    let dir = open_dir();
    std::fs::write(dir.path().join("doc.md"), body).unwrap();
    std::fs::write(dir.path().join("snipcheck.toml"), config).unwrap();
    dir
}

fn snipcheck(who: As, dir: &Path, tmp: &Path, args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_snipcheck");
    let mut command = match who {
        As::Invoker => Command::new(bin),
        As::Unprivileged => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(bin);
            c
        }
    };
    command
        .args(["check", "--no-cache", "--color", "never"])
        .args(args)
        .current_dir(dir)
        .env("TMPDIR", tmp)
        .env("HOME", tmp)
        .output()
        .expect("the binary runs")
}

/// Runs the documents in `dir`; fails unless every example passes and no
/// claim varies.
fn passes(who: As, dir: &Path, args: &[&str]) -> Result<Output, Failed> {
    let tmp = open_dir();
    let out = snipcheck(who, dir, tmp.path(), args);
    let stdout = common::text(&out.stdout);
    // A claim read as `varies` would hide a boundary that held only once.
    if out.status.code() != Some(0) || !stdout.contains(" 0 vary") {
        return Err(format!(
            "exit {:?}\n{stdout}\nstderr: {}",
            out.status.code(),
            common::text(&out.stderr)
        )
        .into());
    }
    Ok(out)
}

/// A process of the uid the unprivileged run (or, as root, the old shared
/// `nobody`) has: another document or run on the host.
fn victim(code: &str) -> Child {
    let mut command = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        c.arg("/usr/bin/python3");
        c
    } else {
        Command::new("/usr/bin/python3")
    };
    let mut child = command
        .args(["-c", code])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    // Ready when it says so.
    let mut byte = [0u8; 1];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut byte).unwrap();
    child
}

struct Victim(Child);

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const CTYPES: &str = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n";

/// prlimit64, setpriority, ioprio_set and sched_setaffinity on a process
/// that is not the example's own are refused; on itself they work.
fn resources_of_another_process(who: As) -> Result<(), Failed> {
    let victim = Victim(victim(
        "import sys, time; sys.stdout.write('r'); sys.stdout.flush(); time.sleep(120)",
    ));
    let pid = victim.0.id();
    let body = format!(
        "# Other processes\n\n```python\n{CTYPES}\
class Limit(ctypes.Structure):\n    _fields_ = [(\"cur\", ctypes.c_ulong), (\"max\", ctypes.c_ulong)]\n\
low = Limit(1 << 20, 1 << 20)\nold = Limit()\n\
print(libc.prlimit({pid}, 9, ctypes.byref(low), None) == 0)  # False\n\
print(libc.prlimit({pid}, 9, None, ctypes.byref(old)) == 0)  # False\n\
print(libc.setpriority(0, {pid}, 19) == 0)  # False\n\
print(libc.setpriority(2, 0, 19) == 0)  # False\n\
print(libc.syscall(251, 1, {pid}, 7 << 13) == 0)  # False\n\
mask = ctypes.c_ulong(1)\n\
print(libc.sched_setaffinity({pid}, 8, ctypes.byref(mask)) == 0)  # False\n\
print(libc.prlimit(0, 9, None, ctypes.byref(old)) == 0)  # True\n\
print(libc.setpriority(0, 0, 1) == 0)  # True\n\
```\n"
    );
    let dir = document(&body, "");
    passes(who, dir.path(), &[])?;
    Ok(())
}

/// Another holder of the same uid with many threads does not stop the
/// example from starting one: the per-user count is the document's own.
fn threads_are_counted_per_document(who: As) -> Result<(), Failed> {
    let _victim = Victim(victim(
        "import sys, threading, time\n\
for _ in range(300):\n    threading.Thread(target=time.sleep, args=(120,), daemon=True).start()\n\
sys.stdout.write('r'); sys.stdout.flush(); time.sleep(120)",
    ));
    let body = "# Threads\n\n```python\nimport threading\n\
t = threading.Thread(target=sum, args=([1, 2],))\nt.start()\nt.join()\n\
print(\"a thread ran\")  # a thread ran\n```\n";
    let dir = document(body, "");
    passes(who, dir.path(), &[])?;
    Ok(())
}

/// Memory outside the address-space limit: SysV shared memory (which
/// would outlive the document) and memfd are refused.
fn shared_memory_is_refused(who: As) -> Result<(), Failed> {
    let body = format!(
        "# Shared memory\n\n```python\n{CTYPES}\
print(libc.shmget(0x5eed, 1 << 20, 0o1666) >= 0)  # False\n\
try:\n    os.memfd_create(\"x\")\n    print(\"made\")\nexcept OSError:\n    print(\"refused\")\n\
# Output: refused\n```\n"
    );
    let dir = document(&body, "");
    passes(who, dir.path(), &[])?;
    Ok(())
}

/// The working directory's budget counts what is allocated, named or not:
/// files unlinked while open still fill it.
fn disk_budget_counts_unlinked_files(who: As) -> Result<(), Failed> {
    let body = "# Disk\n\n```python\nimport os\nheld = []\nmade = 0\n\
for i in range(16):\n    try:\n        f = open(f\"f{i}\", \"wb\")\n        os.unlink(f\"f{i}\")\n        held.append(f)\n        os.posix_fallocate(f.fileno(), 0, (8 << 20) - 4096)\n        made += 1\n    except OSError:\n        break\n\
print(made <= 4)  # True\n```\n";
    let dir = document(body, "[sandbox]\nfile_size_mb = 8\n");
    passes(who, dir.path(), &[])?;
    Ok(())
}

/// Nothing of an earlier document (its code, its fixtures) is in the
/// memory of a later one's process, even from the same worker or zygote.
fn no_earlier_document_in_memory(who: As) -> Result<(), Failed> {
    let dir = open_dir();
    let secret = "secret-of-a-4c7e19";
    std::fs::write(
        dir.path().join("a.md"),
        format!("# A\n\n```python\nmine = \"{secret}\"\nprint(mine)  # {secret}\n```\n"),
    )
    .unwrap();
    let scan = format!(
        "# B\n\n```python\n{CTYPES}\
libc.sbrk.restype = ctypes.c_void_p\nlibc.msync.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]\n\
top = libc.sbrk(0) & ~4095\nlow = top\n\
while libc.msync(low - 4096, 4096, 1) == 0:\n    low -= 4096\n\
heap = ctypes.string_at(low, top - low)\n\
needle = \"-\".join([\"secret\", \"of\", \"a\", \"4c7e19\"]).encode()\n\
print(len(heap) > 100_000)  # True\n\
print(needle in heap)  # False\n```\n"
    );
    std::fs::write(dir.path().join("b.md"), scan).unwrap();
    // One worker running both; two forked by one zygote.
    for jobs in ["1", "2"] {
        passes(who, dir.path(), &["--jobs", jobs, "a.md", "b.md"])?;
    }
    Ok(())
}

/// A `.pth` file in the user site of the worker's environment runs no
/// code: the worker's CPython starts isolated.
fn no_user_site_before_the_fence(who: As) -> Result<(), Failed> {
    let tmp = open_dir();
    let marker = tmp.path().join("pwned");
    for minor in 9..=14 {
        let site = tmp
            .path()
            .join(format!(".local/lib/python3.{minor}/site-packages"));
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(
            site.join("evil.pth"),
            format!(
                "import os; open({:?}, 'w').close()\n",
                marker.display().to_string()
            ),
        )
        .unwrap();
    }
    let dir = document("# Plain\n\n```python\nprint(1 + 1)  # 2\n```\n", "");
    let out = snipcheck(who, dir.path(), tmp.path(), &[]);
    if out.status.code() != Some(0) {
        return Err(format!(
            "exit {:?}: {}",
            out.status.code(),
            common::text(&out.stderr)
        )
        .into());
    }
    if marker.exists() {
        return Err("a .pth file in the user site ran before the sandbox".into());
    }
    Ok(())
}

/// `--require-sandbox=full` refuses a run whose sandbox is not full.
fn require_full_refuses_less() -> Result<(), Failed> {
    let dir = document("# Plain\n\n```python\nprint(1 + 1)  # 2\n```\n", "");
    let tmp = open_dir();
    let out = snipcheck(
        As::Invoker,
        dir.path(),
        tmp.path(),
        &["--no-sandbox", "--require-sandbox=full"],
    );
    refused_as_config_error(&out, "--require-sandbox")
}

/// As root, a Python path the child's own uid cannot read means root is
/// kept: the header says so, and `--require-sandbox=full` stops.
fn root_kept_is_never_silent() -> Result<(), Failed> {
    use std::os::unix::fs::PermissionsExt;
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("root-owned.txt");
    std::fs::write(&victim, "root's").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dir = document(
        &format!(
            "# Private\n\n```python\nimport privmod\nprint(privmod.VALUE)  # 42\n```\n\n\
             # No capabilities\n\n```python\nimport os, socket\n\
             try:\n    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\n    print(\"raw\")\n\
             except OSError:\n    print(\"refused\")\n# Output: refused\n\
             try:\n    os.chmod({:?}, 0o666)\n    print(\"changed\")\nexcept OSError:\n    print(\"refused\")\n\
             # Output: refused\n```\n",
            victim.display().to_string()
        ),
        "[python]\npaths = [\"private\"]\n",
    );
    let private = dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::write(private.join("privmod.py"), "VALUE = 42\n").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let tmp = open_dir();
    let out = snipcheck(As::Invoker, dir.path(), tmp.path(), &[]);
    let stdout = common::text(&out.stdout);
    if out.status.code() != Some(0) {
        return Err(
            format!("root kept, yet a capability or a write got through:\n{stdout}").into(),
        );
    }
    let header = stdout.lines().next().unwrap_or_default();
    if header.contains("sandbox: full") || !header.contains("root") {
        return Err(format!("header hides the kept root: {header}").into());
    }
    let out = snipcheck(
        As::Invoker,
        dir.path(),
        tmp.path(),
        &["--require-sandbox=full"],
    );
    refused_as_config_error(&out, "root kept")
}

/// Landlock fences contents, not metadata: `chmod`, `utime` and xattrs
/// of a file the document's uid owns outside its working directory (as
/// the unprivileged invoker, its own files) are refused all the same.
fn metadata_outside_is_read_only(who: As) -> Result<(), Failed> {
    use std::os::unix::fs::PermissionsExt;
    let outside = open_dir();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "mine").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    if matches!(who, As::Unprivileged) {
        std::os::unix::fs::chown(&victim, Some(65534), Some(65534)).unwrap();
    }
    let body = format!(
        "# Metadata\n\n```python\nimport os\nvictim = {:?}\n\
def tried(change):\n    try:\n        change()\n        return \"changed\"\n    except OSError:\n        return \"refused\"\n\
print(tried(lambda: os.chmod(victim, 0o666)))  # refused\n\
print(tried(lambda: os.utime(victim, (0, 0))))  # refused\n\
print(tried(lambda: os.setxattr(victim, \"user.x\", b\"1\")))  # refused\n\
print(tried(lambda: os.chmod(os.path.dirname(os.getcwd()), 0o500)))  # refused\n\
open(\"mine.txt\", \"w\").close()\n\
print(tried(lambda: os.chmod(\"mine.txt\", 0o600)))  # changed\n```\n",
        victim.display().to_string()
    );
    let dir = document(&body, "");
    passes(who, dir.path(), &[])?;
    let mode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
    if mode != 0o600 {
        return Err(format!("the file outside became {mode:o}").into());
    }
    Ok(())
}

/// Pipe buffers come from a per-user quota: no document grows a pipe.
fn pipes_keep_their_size(who: As) -> Result<(), Failed> {
    let body = "# Pipes\n\n```python\nimport fcntl, os\nr, w = os.pipe()\n\
try:\n    fcntl.fcntl(w, 1031, 1 << 20)\n    print(\"grown\")\nexcept OSError:\n    print(\"refused\")\n\
# Output: refused\n```\n";
    let dir = document(body, "");
    passes(who, dir.path(), &[])?;
    Ok(())
}

/// A relative `[sandbox] read` path is judged where it really is: inside
/// a folder only root may enter, root is kept (and said), so the example
/// can read what the config declared.
fn a_relative_read_path_is_judged_where_it_is() -> Result<(), Failed> {
    use std::os::unix::fs::PermissionsExt;
    let private = tempfile::tempdir().unwrap();
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let repo = private.path().join("repo");
    std::fs::create_dir_all(repo.join("data")).unwrap();
    std::fs::write(repo.join("data/x.txt"), "hello").unwrap();
    std::fs::write(
        repo.join("doc.md"),
        format!(
            "# Read\n\n```python\nprint(open({:?}).read())  # hello\n```\n",
            repo.join("data/x.txt").display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        repo.join("snipcheck.toml"),
        "[sandbox]\nread = [\"data\"]\n",
    )
    .unwrap();
    let tmp = open_dir();
    let out = snipcheck(As::Invoker, &repo, tmp.path(), &[]);
    let stdout = common::text(&out.stdout);
    if out.status.code() != Some(0) || stdout.contains("sandbox: full") {
        return Err(format!("exit {:?}\n{stdout}", out.status.code()).into());
    }
    Ok(())
}

/// `[sandbox] memory_cgroup = true` as root: the document runs capped, and
/// no cgroup is left behind (each is removed when its template ends).
fn memory_cgroup_runs_and_leaves_nothing() -> Result<(), Failed> {
    let dir = document(
        "# Capped\n\n```python\nblock = bytearray(64 << 20)\nprint(len(block) >> 20)  # 64\n```\n",
        "[sandbox]\nmemory_cgroup = true\n",
    );
    passes(As::Invoker, dir.path(), &[])?;
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let Some(path) = own
        .lines()
        .find_map(|l| l.split_once(":memory:").map(|(_, p)| p.to_string()))
    else {
        return Ok(()); // no v1 memory controller: the header says so instead
    };
    let root = Path::new("/sys/fs/cgroup/memory").join(path.trim_start_matches('/'));
    let left = || -> Vec<String> {
        std::fs::read_dir(&root)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with("snipcheck-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    // The template removes them as it ends, just after the run does.
    for _ in 0..20 {
        if left().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let left = left();
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("cgroups left: {left:?}").into())
    }
}

/// Exit 2 with `why` on stderr: the run refused, before running anything.
fn refused_as_config_error(out: &Output, why: &str) -> Result<(), Failed> {
    let stderr = common::text(&out.stderr);
    if out.status.code() == Some(2) && stderr.contains(why) {
        Ok(())
    } else {
        Err(format!("exit {:?}: {stderr}", out.status.code()).into())
    }
}

type Case = fn(As) -> Result<(), Failed>;

const CASES: &[(&str, Case)] = &[
    ("resources-of-another-process", resources_of_another_process),
    (
        "threads-are-counted-per-document",
        threads_are_counted_per_document,
    ),
    ("shared-memory-is-refused", shared_memory_is_refused),
    (
        "disk-budget-counts-unlinked-files",
        disk_budget_counts_unlinked_files,
    ),
    (
        "no-earlier-document-in-memory",
        no_earlier_document_in_memory,
    ),
    (
        "no-user-site-before-the-fence",
        no_user_site_before_the_fence,
    ),
    (
        "metadata-outside-is-read-only",
        metadata_outside_is_read_only,
    ),
    ("pipes-keep-their-size", pipes_keep_their_size),
];

/// A run started in a folder the document's process may not enter (a CI
/// job's 0700 temporary folder; as root, that process has a uid of its
/// own): nothing it does before or after its go needs the folder it was
/// started in.
fn started_where_the_document_may_not_go() -> Result<(), Failed> {
    use std::os::unix::fs::PermissionsExt;
    let docs = document(
        "# t\n\n```python\nprint(1)  # 1\n```\n\n```pycon\n>>> 1 + 1\n2\n```\n",
        "",
    );
    let closed = tempfile::tempdir().unwrap();
    std::fs::set_permissions(closed.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = passes(As::Invoker, closed.path(), &[docs.path().to_str().unwrap()])?;
    if common::text(&out.stdout).contains("2 examples: 2 pass") {
        Ok(())
    } else {
        Err("not every example ran".into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut who = vec![As::Invoker];
    if is_root() {
        who.push(As::Unprivileged);
    }
    let mut trials: Vec<Trial> = Vec::new();
    for &w in &who {
        for &(name, case) in CASES {
            let label = match w {
                As::Invoker => "invoker",
                As::Unprivileged => "unprivileged",
            };
            trials.push(Trial::test(
                format!("isolation::{label}::{name}"),
                move || case(w),
            ));
        }
    }
    trials.push(Trial::test(
        "isolation::require-full-refuses-less",
        require_full_refuses_less,
    ));
    trials.push(Trial::test(
        "isolation::started-where-the-document-may-not-go",
        started_where_the_document_may_not_go,
    ));
    if is_root() {
        trials.push(Trial::test(
            "isolation::root-kept-is-never-silent",
            root_kept_is_never_silent,
        ));
        trials.push(Trial::test(
            "isolation::memory-cgroup-runs-and-leaves-nothing",
            memory_cgroup_runs_and_leaves_nothing,
        ));
        trials.push(Trial::test(
            "isolation::a-relative-read-path-is-judged-where-it-is",
            a_relative_read_path_is_judged_where_it_is,
        ));
    }
    libtest_mimic::run(&args, trials).exit();
}
