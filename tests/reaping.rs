//! A check leaves no process behind: every child a worker forked is reaped,
//! even the ones let go after their `end` without being waited for.
//!
//! Its own test binary: it makes this process the subreaper of whatever the
//! check orphans, and no other test may orphan anything into it.

mod common;
use common::{assert_exit, text};

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn a_check_leaves_no_process_behind() {
    // Orphans come here rather than to an init that may never reap them.
    rustix::process::set_child_subreaper(Some(rustix::process::getpid())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let examples: String = (0..5)
        .map(|i| format!("# Part {i}\n\n```python\nprint({i})  # {i}\n```\n\n"))
        .collect();
    for d in 0..4 {
        std::fs::write(dir.path().join(format!("doc{d}.md")), &examples).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(["check", "--no-cache", "--jobs", "2"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("20 examples: 20 pass"),
        "{}",
        text(&out.stdout)
    );
    // A process killed a moment ago may still be dying: give it time.
    let deadline = Instant::now() + Duration::from_secs(2);
    let left = loop {
        let left = children();
        if left.is_empty() || Instant::now() > deadline {
            break left;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(left.is_empty(), "processes left behind: {left:?}");
}

/// This process's children (zombies included), as `pid (comm) state`.
fn children() -> Vec<String> {
    let tasks = std::fs::read_dir("/proc/self/task").unwrap();
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|pids| {
            pids.split_whitespace()
                .map(|pid| {
                    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"));
                    stat.map_or_else(|_| pid.to_string(), |s| s.trim().chars().take(40).collect())
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
