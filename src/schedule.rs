//! Documents → runs: one scheduler for every run a check makes.
//!
//! Cache lookups, first runs and the second runs that tell varying claims
//! apart (see [`crate::nondeterminism`]) are tasks of one queue, served by
//! `jobs` runners. What they give comes out as one stream ([`Schedule`]),
//! documents in input order, which [`crate::check`] consumes and judges.
//! A document whose code shows a nondeterministic source needs a second
//! run whatever its first says: it is queued with the first. One whose
//! first run drifts is run again when the consumer asks
//! ([`Schedule::again`]); nothing calls back into the consumer.
//!
//! A document's first task takes it parsed ([`Documents::get`]), and it is
//! handed on with its first run; a prepared task holds its document, so
//! only those queued, running or not yet handed on are parsed at any time,
//! besides the few [`Documents`] keeps from their first reading.
//!
//! A runner takes the task after its current one early, while the other
//! runners of its seed would still find one waiting: its worker stages it
//! (see [`crate::run::pool`]), so that the next document's process is
//! fenced in and loaded by the time the current one ends.
//!
//! Second runs need another hash seed, which CPython fixes when it starts,
//! so they go to workers of their own. A runner serves one seed at a time
//! and changes (a worker start) only when it has nothing of its own seed
//! to take and the other seed's waiting tasks are more than their runners
//! (or no task of its own seed can come any more).

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::cache::{Cache, Key, Programs};
use crate::config::Config;
use crate::documents::Documents;
use crate::error::Error;
use crate::markdown::Document;
use crate::nondeterminism;
use crate::run::outcome::DocumentOutcome;
use crate::run::pool::{Pool, Prepared, Zygote, Zygotes};

/// One run of a document: its outcome, and whether it came from the cache.
pub struct Ran {
    pub outcome: Result<DocumentOutcome, Error>,
    pub cached: bool,
}

/// A document's runs, as the stream hands them on.
pub struct Runs {
    /// The document's index in the input.
    pub index: usize,
    /// The document, as parsed for its runs (or why it could not be read
    /// again): judge it, then let it go.
    pub doc: Result<Arc<Document>, Error>,
    pub first: Ran,
    /// Its second run, when its code shows a nondeterministic source (see
    /// [`nondeterminism::sources`]): made beside the first.
    pub second: Option<Ran>,
}

/// What the stream gives.
pub enum Arrival {
    /// The next document in input order.
    Document(Runs),
    /// A second run asked for with [`Schedule::again`], in the order asked.
    Again { index: usize, ran: Ran },
}

/// Which interpreter a run needs: the first runs' hash seed or the second's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seed {
    First,
    Second,
}

impl Seed {
    fn at(self) -> usize {
        self as usize
    }

    fn other(self) -> Seed {
        match self {
            Seed::First => Seed::Second,
            Seed::Second => Seed::First,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Task {
    index: usize,
    seed: Seed,
}

/// A task ready for a runner: its config (varied for a second run), its
/// prepared job, and where to store what it gives.
struct Ready {
    task: Task,
    doc: Arc<Document>,
    config: Config,
    prepared: Result<Prepared, Error>,
    key: Option<(Cache, Key)>,
}

/// A finished task, on its way to the stream.
struct Done {
    task: Task,
    /// The document it ran, for the stream to hand on with a first run.
    doc: Result<Arc<Document>, Error>,
    ran: Ran,
    took: Duration,
}

/// The tasks prepared and waiting, and who serves them.
struct Queue {
    tasks: VecDeque<Ready>,
    /// No task will be added: runners leave once it is empty.
    closed: bool,
    /// Runners serving each seed.
    serving: [usize; 2],
    /// First runs not yet taken (by a runner or from the cache).
    firsts_left: usize,
    /// How many prepared tasks may wait (each holds a working directory).
    bound: usize,
}

struct Shared {
    queue: Mutex<Queue>,
    changed: Condvar,
    jobs: Arc<Documents>,
    pools: [Pool; 2],
    /// Each pool's zygote: with two runners or more for its seed, or one
    /// started early (see [`Early`]).
    zygotes: [Zygotes; 2],
    preload: Vec<String>,
    /// The first failure to store an entry: reported once, at the end.
    not_stored: Mutex<Option<Error>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, queue: MutexGuard<'a, Queue>) -> MutexGuard<'a, Queue> {
        self.changed.wait(queue).unwrap_or_else(|e| e.into_inner())
    }

    /// The next task for a runner serving `seed` (changed when it takes
    /// another seed's task); `None` once the queue is closed and empty.
    fn take(&self, seed: &mut Seed) -> Option<Ready> {
        let mut queue = self.lock();
        loop {
            let other = seed.other();
            let mine = queue.tasks.iter().position(|r| r.task.seed == *seed);
            let no_more_mine = match seed {
                Seed::First => queue.firsts_left == 0,
                Seed::Second => queue.closed,
            };
            let theirs = queue.tasks.iter().position(|r| r.task.seed == other);
            let waiting = queue.tasks.iter().filter(|r| r.task.seed == other).count();
            // More waiting than their runners can take: help, rather than idle.
            let serving = queue.serving[other.at()];
            let change = theirs
                .filter(|_| mine.is_none())
                .filter(|_| serving == 0 || no_more_mine || waiting > serving);
            if let Some(at) = mine.or(change) {
                let ready = queue.tasks.remove(at).expect("a queued task");
                if ready.task.seed != *seed {
                    queue.serving[seed.at()] -= 1;
                    queue.serving[other.at()] += 1;
                    *seed = other;
                }
                if ready.task.seed == Seed::First {
                    queue.firsts_left -= 1;
                }
                self.changed.notify_all();
                return Some(ready);
            }
            if queue.closed && queue.tasks.is_empty() {
                return None;
            }
            queue = self.wait(queue);
        }
    }

    /// The task a runner serving `seed` will run after the one it has,
    /// taken now to be staged; only while every other runner of that seed
    /// would still find one waiting, so that none idles for it.
    fn take_next(&self, seed: Seed) -> Option<Ready> {
        let mut queue = self.lock();
        let mine = queue.tasks.iter().filter(|r| r.task.seed == seed).count();
        if mine < queue.serving[seed.at()].max(1) {
            return None;
        }
        let at = queue.tasks.iter().position(|r| r.task.seed == seed)?;
        let ready = queue.tasks.remove(at)?;
        if seed == Seed::First {
            queue.firsts_left -= 1;
        }
        self.changed.notify_all();
        Some(ready)
    }

    /// Queues a prepared task, once there is room; dropped if the queue
    /// was closed meanwhile (the stream was dropped).
    fn push(&self, ready: Ready) {
        let mut queue = self.lock();
        while queue.tasks.len() >= queue.bound && !queue.closed {
            queue = self.wait(queue);
        }
        if !queue.closed {
            queue.tasks.push_back(ready);
            self.changed.notify_all();
        }
    }

    /// A first run served from the cache is taken too.
    fn taken_from_cache(&self, task: Task) {
        if task.seed == Seed::First {
            self.lock().firsts_left -= 1;
            self.changed.notify_all();
        }
    }

    fn close(&self, drop_waiting: bool) {
        let mut queue = self.lock();
        queue.closed = true;
        if drop_waiting {
            queue.tasks.clear();
        }
        self.changed.notify_all();
    }

    /// The config of `task`.
    fn config(&self, task: Task) -> Config {
        let config = self.jobs.config(task.index);
        match task.seed {
            Seed::First => config.clone(),
            Seed::Second => nondeterminism::varied(config),
        }
    }

    /// Prepares each task asked for, in order: from the cache if it holds
    /// it (straight to the stream), else its job, queued for a runner.
    fn prepare(&self, programs: Option<Programs>, asked: Receiver<Task>, done: Sender<Done>) {
        for task in asked {
            let doc = match self.jobs.get(task.index) {
                Ok(doc) => doc,
                Err(e) => {
                    // No longer readable since the check read it: nothing
                    // to run, and the stream hands the error on.
                    self.taken_from_cache(task);
                    let _ = done.send(Done {
                        task,
                        doc: Err(e),
                        ran: not_run(),
                        took: Duration::ZERO,
                    });
                    continue;
                }
            };
            let config = self.config(task);
            let pool = &self.pools[task.seed.at()];
            let key = programs.as_ref().and_then(|programs| {
                // A key that cannot be made (a fixture file gone) only means
                // no caching: the run reports the problem itself.
                let key = Key::with(programs, &doc, &config, pool).ok()?;
                Some((Cache::for_config(&config), key))
            });
            if let Some(outcome) = key.as_ref().and_then(|(cache, key)| cache.get(*key)) {
                self.taken_from_cache(task);
                let ran = Ran {
                    outcome: Ok(outcome),
                    cached: true,
                };
                let _ = done.send(Done {
                    task,
                    doc: Ok(doc),
                    ran,
                    took: Duration::ZERO,
                });
                continue;
            }
            let prepared = pool.prepare_job(&doc, &config);
            self.push(Ready {
                task,
                doc,
                config,
                prepared,
                key,
            });
        }
        self.close(false);
    }

    /// A runner: takes tasks until none is left, runs each with a worker
    /// of the task's seed, stores what it may, and passes it on.
    fn serve(&self, mut seed: Seed, done: Sender<Done>) {
        let mut slot = self.pools[seed.at()].slot(&self.zygotes[seed.at()]);
        let mut next = None;
        loop {
            let was = seed;
            let Some(ready) = next.take().or_else(|| self.take(&mut seed)) else {
                break;
            };
            if seed != was {
                let fresh = self.pools[seed.at()].slot(&self.zygotes[seed.at()]);
                self.pools[was.at()].release(std::mem::replace(&mut slot, fresh));
            }
            let Ready {
                task,
                doc,
                config,
                prepared,
                key,
            } = ready;
            let started = Instant::now();
            let pool = &self.pools[seed.at()];
            // The next one's child reads its job and fences itself in
            // while this one runs (see `WorkerCommand::Stage`).
            let mut then = || {
                next = next.take().or_else(|| self.take_next(seed));
                next.as_ref()?.prepared.as_ref().ok().map(Prepared::job)
            };
            let outcome =
                pool.run_prepared(&mut slot, &self.preload, &doc, &config, prepared, &mut then);
            if let (Some((cache, key)), Ok(outcome)) = (&key, &outcome) {
                if let Err(e) = cache.put(*key, outcome) {
                    let mut first = self.not_stored.lock().unwrap_or_else(|e| e.into_inner());
                    first.get_or_insert(e);
                }
            }
            let ran = Ran {
                outcome,
                cached: false,
            };
            let took = started.elapsed();
            let doc = Ok(doc);
            if done
                .send(Done {
                    task,
                    doc,
                    ran,
                    took,
                })
                .is_err()
            {
                break;
            }
        }
        self.pools[seed.at()].release(slot);
    }
}

/// The first runs' zygote, started before the documents are read, so that
/// CPython starts while the parent parses them (with two jobs or more:
/// with one, a worker starts once its modules are known; `watch` keeps
/// its workers; with the cache on, nothing may need to run). The default
/// starts nothing.
#[derive(Default)]
pub struct Early(Option<Zygote>);

impl Early {
    pub fn start(pool: &Pool, cache: bool) -> Early {
        // With the cache on, the documents may all come from it: a zygote
        // started for nothing costs a cached check most of its time.
        let worth_it = pool.jobs >= 2 && !pool.keeps_workers() && !cache;
        Early(worth_it.then(|| pool.zygote(&[])).flatten())
    }
}

/// The runs of a check, as one stream (see the module's comment). Dropped
/// before its end, it stops what waits and reaps its workers.
pub struct Schedule {
    shared: Arc<Shared>,
    /// Where [`Schedule::again`] sends; dropped once every document came.
    asked: Option<Sender<Task>>,
    done: Receiver<Done>,
    threads: Vec<JoinHandle<()>>,
    firsts: Vec<Option<Ran>>,
    /// The documents of the first runs in, until handed on.
    docs: Vec<Option<Result<Arc<Document>, Error>>>,
    seconds: Vec<Option<Ran>>,
    /// Documents whose second run was queued with their first.
    ahead: Vec<bool>,
    /// The next document to hand on.
    next: usize,
    /// Second runs asked for and not yet handed on, in the order asked.
    again: VecDeque<usize>,
    second_time: Duration,
}

impl Schedule {
    /// Starts running `jobs` with `pool`'s workers (`pool.jobs` of them),
    /// taking from the result cache what it holds when `cache` is on. Only
    /// with the sandbox: without it an example may read any file, which no
    /// key could cover.
    pub fn start(pool: &Pool, cache: bool, jobs: Arc<Documents>, early: Early) -> Schedule {
        let n = jobs.len();
        let ahead: Vec<bool> = (0..n).map(|i| !jobs.sources(i).is_empty()).collect();
        let ahead_count = ahead.iter().filter(|&&a| a).count();
        let runners = pool.jobs.clamp(1, (n + ahead_count).max(1));
        // Runners shared in proportion to the runs, at least one each, when
        // there are two or more.
        let second_runners = match (ahead_count, runners) {
            (0, _) | (_, 1) => 0,
            _ => ((runners * ahead_count).div_ceil(n + ahead_count)).clamp(1, runners - 1),
        };
        let second = Pool {
            hash_seed: Some(nondeterminism::SECOND_HASH_SEED),
            // Kept workers carry the first run's hash seed: not for this run.
            warm: Default::default(),
            ..pool.clone()
        };
        let preload = jobs.preload().to_vec();
        // A zygote pays for itself from a seed's second worker on, or when
        // it started early.
        let [first_zygote, second_zygote] =
            [runners - second_runners, second_runners].map(|serving| match serving {
                0 | 1 => Zygotes::default(),
                _ => Zygotes::lazy(),
            });
        let first_zygote = match early.0 {
            Some(zygote) => {
                zygote.preload(&preload);
                Zygotes::started(zygote)
            }
            None => first_zygote,
        };
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                tasks: VecDeque::new(),
                closed: false,
                serving: [runners - second_runners, second_runners],
                firsts_left: n,
                bound: 2 * runners,
            }),
            changed: Condvar::new(),
            preload,
            jobs,
            pools: [pool.clone(), second],
            zygotes: [first_zygote, second_zygote],
            not_stored: Mutex::new(None),
        });
        let (asked, tasks) = mpsc::channel();
        // A lone runner takes the second runs last: one worker start, not one per change.
        let mut later = Vec::new();
        for (index, &ahead) in ahead.iter().enumerate() {
            let _ = asked.send(Task {
                index,
                seed: Seed::First,
            });
            let second = Task {
                index,
                seed: Seed::Second,
            };
            match (ahead, second_runners) {
                (false, _) => {}
                (true, 0) => later.push(second),
                (true, _) => drop(asked.send(second)),
            }
        }
        for task in later {
            let _ = asked.send(task);
        }
        let (done_tx, done) = mpsc::channel();
        let programs = (cache && pool.sandbox).then(Programs::current);
        let mut threads = Vec::new();
        let (s, d) = (Arc::clone(&shared), done_tx.clone());
        threads.push(std::thread::spawn(move || s.prepare(programs, tasks, d)));
        for r in 0..runners {
            let seed = if r < runners - second_runners {
                Seed::First
            } else {
                Seed::Second
            };
            let (s, d) = (Arc::clone(&shared), done_tx.clone());
            threads.push(std::thread::spawn(move || s.serve(seed, d)));
        }
        Schedule {
            shared,
            asked: Some(asked),
            done,
            threads,
            firsts: (0..n).map(|_| None).collect(),
            docs: (0..n).map(|_| None).collect(),
            seconds: (0..n).map(|_| None).collect(),
            ahead,
            next: 0,
            again: VecDeque::new(),
            second_time: Duration::ZERO,
        }
    }

    /// Asks for the second run of document `index`, handed on by the
    /// stream: one not already made beside its first. Ask before taking
    /// the next arrival.
    pub fn again(&mut self, index: usize) {
        if self.ahead[index] || self.again.contains(&index) {
            return;
        }
        let Some(asked) = &self.asked else { return };
        self.again.push_back(index);
        let task = Task {
            index,
            seed: Seed::Second,
        };
        if asked.send(task).is_err() {
            self.seconds[index] = Some(not_run());
        }
    }

    /// How long the second runs made (not cached) took, together.
    pub fn second_run_time(&self) -> Duration {
        self.second_time
    }

    /// The arrival due next, if it is in.
    fn due(&mut self) -> Option<Arrival> {
        let i = self.next;
        let complete = |i: usize| {
            self.firsts.get(i).is_some_and(Option::is_some)
                && (!self.ahead[i] || self.seconds[i].is_some())
        };
        if i < self.firsts.len() && complete(i) {
            self.next += 1;
            let first = self.firsts[i].take().expect("complete");
            let second = self.seconds[i].take();
            // A run that never came brought no document: read it again.
            let doc = self.docs[i]
                .take()
                .unwrap_or_else(|| self.shared.jobs.get(i));
            return Some(Arrival::Document(Runs {
                index: i,
                doc,
                first,
                second,
            }));
        }
        let &index = self.again.front()?;
        let ran = self.seconds[index].take()?;
        self.again.pop_front();
        Some(Arrival::Again { index, ran })
    }

    /// Every run still missing, once nothing can bring it: not run.
    fn give_up(&mut self) {
        for i in 0..self.firsts.len() {
            if i >= self.next {
                self.firsts[i].get_or_insert_with(not_run);
                if self.ahead[i] {
                    self.seconds[i].get_or_insert_with(not_run);
                }
            }
        }
        for &i in &self.again {
            self.seconds[i].get_or_insert_with(not_run);
        }
    }
}

impl Iterator for Schedule {
    type Item = Arrival;

    fn next(&mut self) -> Option<Arrival> {
        loop {
            if self.next == self.firsts.len() {
                // Every document came: no second run can be asked for now.
                self.asked = None;
            }
            if let Some(arrival) = self.due() {
                return Some(arrival);
            }
            if self.next == self.firsts.len() && self.again.is_empty() {
                return None;
            }
            match self.done.recv() {
                Ok(Done {
                    task,
                    doc,
                    ran,
                    took,
                }) => {
                    let runs = match task.seed {
                        Seed::First => {
                            self.docs[task.index] = Some(doc);
                            &mut self.firsts
                        }
                        Seed::Second => {
                            self.second_time += took;
                            &mut self.seconds
                        }
                    };
                    runs[task.index] = Some(ran);
                }
                // Every runner is gone (one panicked): nothing more comes.
                Err(_) => self.give_up(),
            }
        }
    }
}

impl Drop for Schedule {
    fn drop(&mut self) {
        self.asked = None;
        self.shared.close(true);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        let not_stored = self.shared.not_stored.lock().map(|mut e| e.take());
        if let Ok(Some(e)) = not_stored {
            // The runs themselves are sound: a cache that cannot be written only costs time.
            eprintln!("snipcheck: warning: results not cached: {e}");
        }
    }
}

/// A run that never came.
fn not_run() -> Ran {
    Ran {
        outcome: Err(Error::Worker("document was not run".into())),
        cached: false,
    }
}
