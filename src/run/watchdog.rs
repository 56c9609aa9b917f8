//! Stops an example that runs past its time limit.
//!
//! A thread outside Python waits for the deadline, then raises the harness's
//! `ExampleTimeout` (a `BaseException`) into the example's thread with
//! `PyThreadState_SetAsyncExc`, and again every few milliseconds until the
//! example is out: a retry loop that catches everything cannot hold it off.
//! (`PyErr_SetInterrupt` is no option: without Python's signal handlers, which
//! an embedded interpreter does not install, it takes the process down.)
//! An example stuck in a C call never sees the exception; the worker's parent
//! kills the process then (see `pool`).

use std::ffi::{c_long, c_ulong};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};

/// How often the exception is raised again while the example is still in.
const REPEAT: Duration = Duration::from_millis(10);

/// How long the thread sleeps while nothing is armed. Not until told: an
/// example often ends before the thread, woken by its `arm`, even runs,
/// which then found nothing armed, slept until told, and so was woken by
/// every example's `arm` (a futex call and a wake-up on the other core
/// each). Sleeping a while instead, it need not be woken by an `arm` whose
/// deadline comes later.
const IDLE: Duration = Duration::from_millis(100);

#[derive(Default)]
struct State {
    armed: Option<Armed>,
    /// The exception was raised into the armed example's thread.
    raised: bool,
    /// When the thread wakes up next by itself (`None`: not started yet).
    wakes_at: Option<Instant>,
    shutdown: bool,
}

#[derive(Clone, Copy)]
struct Armed {
    deadline: Instant,
    thread: c_ulong,
}

/// The watchdog of one interpreter; dropping it stops its thread.
pub(crate) struct Watchdog {
    shared: Arc<(Mutex<State>, Condvar)>,
    exception: Py<PyAny>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    /// Starts the watchdog thread; `exception` is the type it raises.
    pub(crate) fn start(exception: &Bound<'_, PyAny>) -> Watchdog {
        let shared = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let for_thread = Arc::clone(&shared);
        let raised = exception.clone().unbind();
        let thread = std::thread::Builder::new()
            .name("snipcheck-watchdog".into())
            .spawn(move || watch(&for_thread, &raised))
            .expect("can spawn the watchdog thread");
        Watchdog {
            shared,
            exception: exception.clone().unbind(),
            thread: Some(thread),
        }
    }

    /// Arms the deadline for the example running on Python thread `thread`.
    ///
    /// The thread is woken only when it would wake too late by itself: most
    /// examples end long before their limit, and a wake-up per example (a
    /// futex call and a context switch) costs more than running many of them.
    pub(crate) fn arm(&self, seconds: f64, thread: c_ulong) {
        let deadline = Instant::now() + Duration::from_secs_f64(seconds.max(0.0));
        let (lock, wake) = &*self.shared;
        let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
        state.armed = Some(Armed { deadline, thread });
        state.raised = false;
        if state.wakes_at.is_none_or(|at| at > deadline) {
            wake.notify_all();
        }
    }

    /// The example is over: stop raising, and drop an exception still pending.
    /// Must be called with the GIL held, on the example's thread.
    ///
    /// Only when one was raised: after `PyThreadState_SetAsyncExc`, null
    /// exception or not, CPython's eval loop keeps taking its slow path (a
    /// percent or so of every example after).
    pub(crate) fn disarm(&self, _py: Python<'_>) {
        let (lock, _) = &*self.shared;
        let (armed, raised) = {
            let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
            (state.armed.take(), std::mem::take(&mut state.raised))
        };
        if let (Some(armed), true) = (armed, raised) {
            // SAFETY: the GIL is held; a null exception clears a pending one.
            unsafe {
                pyo3::ffi::PyThreadState_SetAsyncExc(armed.thread as c_long, std::ptr::null_mut())
            };
        }
    }

    /// The hooks object the harness expects: `emit`, `arm`, `disarm`, `interrupt`.
    pub(crate) fn hooks<'py>(
        self: &Arc<Self>,
        py: Python<'py>,
        harness: &Bound<'py, PyModule>,
        emit: impl Fn(String) + Send + Sync + 'static,
    ) -> PyResult<Bound<'py, PyAny>> {
        let emit =
            PyCFunction::new_closure(py, Some(c"emit"), None, move |args, _| -> PyResult<()> {
                emit(args.get_item(0)?.extract::<String>()?);
                Ok(())
            })?;
        let dog = Arc::clone(self);
        let arm =
            PyCFunction::new_closure(py, Some(c"arm"), None, move |args, _| -> PyResult<()> {
                let seconds: f64 = args.get_item(0)?.extract()?;
                let thread: c_ulong = args.get_item(1)?.extract()?;
                dog.arm(seconds, thread);
                Ok(())
            })?;
        let dog = Arc::clone(self);
        let disarm = PyCFunction::new_closure(
            py,
            Some(c"disarm"),
            None,
            move |args: &Bound<'_, PyTuple>, _: Option<&Bound<'_, PyDict>>| {
                dog.disarm(args.py());
            },
        )?;
        let dog = Arc::clone(self);
        let interrupt = PyCFunction::new_closure(
            py,
            Some(c"interrupt"),
            None,
            move |args, _| -> PyResult<()> {
                let thread: c_ulong = args.get_item(0)?.extract()?;
                dog.raise_in(args.py(), thread);
                Ok(())
            },
        )?;
        harness
            .getattr("Hooks")?
            .call1((emit, arm, disarm, interrupt))
    }

    /// Raises the exception once in another Python thread (one an example
    /// left running).
    fn raise_in(&self, _py: Python<'_>, thread: c_ulong) {
        // SAFETY: the GIL is held and the exception is a live type object.
        unsafe { pyo3::ffi::PyThreadState_SetAsyncExc(thread as c_long, self.exception.as_ptr()) };
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let (lock, wake) = &*self.shared;
        lock.lock().unwrap_or_else(|e| e.into_inner()).shutdown = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn watch(shared: &(Mutex<State>, Condvar), exception: &Py<PyAny>) {
    let (lock, wake) = shared;
    let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if state.shutdown {
            return;
        }
        let now = Instant::now();
        let wait = match state.armed {
            None => IDLE,
            Some(armed) if armed.deadline > now => armed.deadline - now,
            Some(_) => {
                state.wakes_at = Some(now + REPEAT);
                drop(state);
                Python::attach(|py| {
                    // Still armed once the GIL is ours? disarm() runs under the
                    // GIL, so this check cannot race with it.
                    let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(armed) = state.armed.filter(|a| a.deadline <= Instant::now()) {
                        state.raised = true;
                        // SAFETY: the GIL is held and `exception` is a live type.
                        unsafe {
                            pyo3::ffi::PyThreadState_SetAsyncExc(
                                armed.thread as c_long,
                                exception.bind(py).as_ptr(),
                            )
                        };
                    }
                });
                std::thread::sleep(REPEAT);
                state = lock.lock().unwrap_or_else(|e| e.into_inner());
                continue;
            }
        };
        state.wakes_at = Some(now + wait);
        state = wake
            .wait_timeout(state, wait)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}
