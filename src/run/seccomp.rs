//! The kernel's refusals: a seccomp-bpf filter on the process that runs a
//! document's examples.
//!
//! Python-level refusals (a patched `os.fork`) are conveniences: `posix.fork`,
//! `ctypes` or `_posixsubprocess` go round them. This filter is the boundary.
//! It is installed in the child after Landlock and the root drop, before any
//! example runs, on every thread (`SECCOMP_FILTER_FLAG_TSYNC`), and refused
//! calls fail with `EPERM`, so an example sees a Python `PermissionError`
//! rather than dying. What it refuses:
//!
//! - new processes: `fork`, `vfork`, `clone` without `CLONE_THREAD` (threads
//!   still work), and `clone3`, whose flags a filter cannot read (it fails
//!   with `ENOSYS`, so the C library falls back to `clone` for threads);
//! - other programs: `execve`, `execveat`;
//! - the network: every `connect`, `bind`, `listen`, `sendto` with an
//!   address, `sendmsg`/`sendmmsg`, and `socket` for any family but
//!   `AF_UNIX`, `AF_INET` and `AF_INET6` (a socket of those can be created,
//!   so the stubbed network answers as it always has, but not used);
//!   `socketpair` stays, for asyncio's self-pipe;
//! - signals to anyone but itself (`kill`, `tgkill`, `rt_sigqueueinfo`,
//!   `rt_tgsigqueueinfo` to another process; `tkill`, pidfds);
//! - ways round the rest: `ptrace`, `process_vm_readv/writev`, io_uring
//!   (which performs network and file calls without syscalls the filter
//!   sees), `unshare`, `setns`, `mount`, `bpf`, `perf_event_open`,
//!   `userfaultfd`, `keyctl`, module and kexec calls;
//! - what a child still running as root could do to the machine (file
//!   handles, the clock, the host name, swap, reboot, I/O ports).
//! - other processes' resources: `prlimit64`, `set/getpriority`,
//!   `ioprio_set/get` and `sched_set*` act only on the caller;
//! - memory outside the limits and objects that outlive the document:
//!   `memfd_create`, SysV shared memory, semaphores and queues;
//! - `mknod(at)`, `modify_ldt`, `personality` changes, inotify and fanotify;
//! - `fcntl(F_SETPIPE_SZ)`: pipe buffers come from a per-user quota.
//!
//! Not covered: on x86_64 kernels built with the x32 ABI enabled
//! (`CONFIG_X86_X32_ABI`, off in most distributions' defaults), x32 system
//! call numbers are not matched (see SECURITY.md).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// The compiled programs, ready to install.
#[derive(Clone)]
pub(crate) struct Filters(Vec<BpfProgram>);

/// The filter compiled ahead for one process id (see [`compile_ahead`]).
static AHEAD: OnceLock<(u64, Result<Filters, String>)> = OnceLock::new();

/// Compiles, in a worker before it forks anything, the filter of a
/// process whose id will be `pid`: a document's process then copies it
/// instead of compiling its own (a third of a millisecond each, which a
/// busy machine feels).
pub(crate) fn compile_ahead(pid: u64) {
    AHEAD.get_or_init(|| (pid, compile_for(pid)));
}

/// The filter for the calling process: the one compiled ahead when it is
/// for this process's id, else compiled now. A document's process does it
/// while it waits for its job.
pub(crate) fn prepare() -> Result<Filters, String> {
    // SAFETY: getpid cannot fail.
    let me = unsafe { libc::getpid() } as u64;
    match AHEAD.get() {
        Some((pid, filters)) if *pid == me => filters.clone(),
        _ => compile_for(me),
    }
}

fn compile_for(me: u64) -> Result<Filters, String> {
    let arch: TargetArch = std::env::consts::ARCH
        .try_into()
        .map_err(|_| format!("seccomp: no filter for {}", std::env::consts::ARCH))?;
    let refused = compile(refusals(me), libc::EPERM, arch)?;
    let unknown = compile(unknowns(), libc::ENOSYS, arch)?;
    Ok(Filters(vec![unknown, refused]))
}

impl Filters {
    /// Installs the filter on every thread of the calling process (the one
    /// that prepared it). Returns what is in force, for the report header,
    /// or why it is not.
    pub(crate) fn install(&self) -> Result<&'static str, String> {
        for program in &self.0 {
            seccompiler::apply_filter_all_threads(program).map_err(|e| format!("seccomp: {e}"))?;
        }
        Ok("seccomp: no processes, exec, network, signals or resources of others")
    }
}

fn compile(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    errno: i32,
    arch: TargetArch,
) -> Result<BpfProgram, String> {
    SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(errno as u32),
        arch,
    )
    .and_then(BpfProgram::try_from)
    .map_err(|e| format!("seccomp: {e}"))
}

/// `arg` compared with `value`; the filter's building block.
fn when(arg: u8, len: SeccompCmpArgLen, op: SeccompCmpOp, value: u64) -> SeccompRule {
    let condition = SeccompCondition::new(arg, len, op, value).expect("argument index is 0..6");
    SeccompRule::new(vec![condition]).expect("one condition")
}

/// Calls that fail with `EPERM`: always (an empty rule list) or under the
/// conditions given. `me` is the process's own id, the only one it may signal.
fn refusals(me: u64) -> BTreeMap<i64, Vec<SeccompRule>> {
    use SeccompCmpArgLen::{Dword, Qword};
    use SeccompCmpOp::{Eq, MaskedEq, Ne};
    let always: &[i64] = &[
        libc::SYS_execve,
        libc::SYS_execveat,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_fork,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_vfork,
        libc::SYS_connect,
        libc::SYS_bind,
        libc::SYS_listen,
        libc::SYS_sendmsg,
        libc::SYS_sendmmsg,
        libc::SYS_tkill,
        libc::SYS_pidfd_open,
        libc::SYS_pidfd_send_signal,
        libc::SYS_pidfd_getfd,
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_kexec_load,
        // What a child still running as root (the drop failed) could do to
        // the machine: its handles, clock, name, swap, power.
        libc::SYS_open_by_handle_at,
        libc::SYS_name_to_handle_at,
        libc::SYS_reboot,
        libc::SYS_swapon,
        libc::SYS_swapoff,
        libc::SYS_settimeofday,
        libc::SYS_clock_settime,
        libc::SYS_clock_adjtime,
        libc::SYS_adjtimex,
        libc::SYS_sethostname,
        libc::SYS_setdomainname,
        libc::SYS_acct,
        libc::SYS_quotactl,
        libc::SYS_syslog,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_iopl,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_ioperm,
        // Memory no address-space limit counts, and SysV objects that would
        // outlive the document (its IPC namespace holds them too).
        libc::SYS_memfd_create,
        libc::SYS_memfd_secret,
        libc::SYS_shmget,
        libc::SYS_shmat,
        libc::SYS_shmctl,
        libc::SYS_shmdt,
        libc::SYS_semget,
        libc::SYS_semop,
        libc::SYS_semtimedop,
        libc::SYS_semctl,
        libc::SYS_msgget,
        libc::SYS_msgsnd,
        libc::SYS_msgrcv,
        libc::SYS_msgctl,
        // Devices, odd segments, and watches on files outside the fence.
        libc::SYS_mknodat,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_mknod,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_modify_ldt,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_inotify_init,
        libc::SYS_inotify_init1,
        libc::SYS_inotify_add_watch,
        libc::SYS_fanotify_init,
        libc::SYS_fanotify_mark,
    ];
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
        always.iter().map(|&call| (call, Vec::new())).collect();
    // A new process is a clone without CLONE_THREAD.
    let clone_thread = libc::CLONE_THREAD as u64;
    rules.insert(
        libc::SYS_clone,
        vec![when(0, Qword, MaskedEq(clone_thread), 0)],
    );
    // sendto with a destination address; send() on a connected socket (a
    // socketpair) passes none.
    rules.insert(libc::SYS_sendto, vec![when(4, Qword, Ne, 0)]);
    // Sockets only of the families the stubbed network expects to create.
    let other_family = SeccompRule::new(
        [libc::AF_UNIX, libc::AF_INET, libc::AF_INET6]
            .iter()
            .map(|&family| SeccompCondition::new(0, Dword, Ne, family as u64).expect("argument 0"))
            .collect(),
    )
    .expect("three conditions");
    rules.insert(libc::SYS_socket, vec![other_family]);
    // Signals only to itself (the process id as thread-group id).
    for call in [
        libc::SYS_kill,
        libc::SYS_tgkill,
        libc::SYS_rt_sigqueueinfo,
        libc::SYS_rt_tgsigqueueinfo,
    ] {
        rules.insert(call, vec![when(0, Dword, Ne, me)]);
    }
    // Calls that name a process act only on the caller (0 or its own pid):
    // no document lowers another's limits or priority.
    for call in [
        libc::SYS_prlimit64,
        libc::SYS_sched_setscheduler,
        libc::SYS_sched_setparam,
        libc::SYS_sched_setattr,
        libc::SYS_sched_setaffinity,
    ] {
        rules.insert(call, vec![not_me(0, me)]);
    }
    // (which, who): only PRIO_PROCESS / IOPRIO_WHO_PROCESS, of itself.
    for (call, by_process) in [
        (libc::SYS_setpriority, libc::PRIO_PROCESS as u64),
        (libc::SYS_getpriority, libc::PRIO_PROCESS as u64),
        (libc::SYS_ioprio_set, 1),
        (libc::SYS_ioprio_get, 1),
    ] {
        rules.insert(call, vec![when(0, Dword, Ne, by_process), not_me(1, me)]);
    }
    // Pipe buffers are counted per user (a quota all unprivileged documents
    // share): no pipe grows past the default size.
    rules.insert(
        libc::SYS_fcntl,
        vec![when(1, Dword, Eq, libc::F_SETPIPE_SZ as u64)],
    );
    // personality() may be asked, not changed.
    rules.insert(libc::SYS_personality, vec![when(0, Dword, Ne, 0xffff_ffff)]);
    rules
}

/// Argument `arg` names a process other than the caller (neither 0 nor `me`).
fn not_me(arg: u8, me: u64) -> SeccompRule {
    use SeccompCmpArgLen::Dword;
    use SeccompCmpOp::Ne;
    let conditions = [0, me]
        .iter()
        .map(|&pid| SeccompCondition::new(arg, Dword, Ne, pid).expect("argument index is 0..6"))
        .collect();
    SeccompRule::new(conditions).expect("two conditions")
}

/// Calls that fail with `ENOSYS`: `clone3`, so that the C library falls
/// back to `clone`, whose flags the filter can read.
fn unknowns() -> BTreeMap<i64, Vec<SeccompRule>> {
    [(libc::SYS_clone3, Vec::new())].into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_programs_compile_for_this_machine() {
        let arch: TargetArch = std::env::consts::ARCH.try_into().unwrap();
        assert!(!compile(refusals(1), libc::EPERM, arch).unwrap().is_empty());
        assert!(!compile(unknowns(), libc::ENOSYS, arch).unwrap().is_empty());
    }

    #[test]
    fn a_filter_compiled_for_another_process_is_not_used() {
        // SAFETY: getpid cannot fail.
        let me = unsafe { libc::getpid() } as u64;
        compile_ahead(me + 1);
        let programs = |f: Result<Filters, String>| format!("{:?}", f.unwrap().0);
        assert_eq!(programs(prepare()), programs(compile_for(me)));
        assert_ne!(programs(prepare()), programs(compile_for(me + 1)));
    }
}
