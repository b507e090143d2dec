//! The parallel executor: green threads on several OS threads, with work stealing and a
//! real clock (≈ Go's runtime scheduler, G-M-P).
//!
//! [`run`] starts `processors` *carrier* OS threads (Go's Ms, each with its own run queue,
//! Go's Ps) and runs `main` as green thread #1 on them. The channels, `select!`, `sync`,
//! `context` and `time` of this crate work here exactly as under [`sim`](crate::sim): they
//! are written once against park and unpark, and each executor implements those.
//!
//! What differs from the deterministic executor:
//!
//! * **Time is real.** `time::sleep(100ms)` takes 100 ms of wall time; timers fire from a
//!   monitor thread, and an idle carrier sleeps instead of spinning.
//! * **Schedules are not reproducible** and there is no trace or replay token: this is the
//!   executor programs run on, `sim` is the one that tests them.
//! * **Scheduling points are cheap.** A channel operation that does not block does not
//!   switch threads; a thread that runs for more than about 10 ms is asked to yield at its
//!   next scheduling point (Go's preemption request, made cooperatively).
//! * **When main returns the run is over**, as a Go program exits: threads still alive are
//!   unwound (their destructors run), not reported as leaks.
//! * **Blocking the carrier.** A green thread that calls a blocking std function
//!   (`std::thread::sleep`, blocking I/O, waiting on a `std::sync::Mutex` held by another
//!   green thread, a long computation without [`sched::yield_now`](crate::sched::yield_now))
//!   holds its carrier: no other green thread runs on it meanwhile, and the threads queued
//!   there wait to be stolen by another carrier. With every carrier held, the program
//!   stops. The monitor notices a carrier that has not switched threads for
//!   [`Config::with_blocking_warning`] (1 s by default) and prints a warning naming the
//!   thread; [`Report::warnings`] keeps them.
//! * **A deadlock** (every thread parked and no timer pending) ends the run with the same
//!   "all green threads are asleep - deadlock!" as the deterministic executor, listing what
//!   each thread waits on. Lock cycles are not detected separately.
//!
//! Stacks come from a pool of guarded stacks: with guard markers (Linux 6.13+,
//! [`guard_kind`]) a million parked threads each keep a guard page.
//!
//! Thread-locals (`thread_local!`) belong to carriers, not green threads: a green thread
//! may resume on another carrier after any scheduling point.

mod blocks;
mod carrier;
mod ops;
mod thread;
mod timer;

use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub(crate) use blocks::{free_off_carrier, take_off_carrier};
use carrier::Shared;
pub(crate) use carrier::{Carrier, current};
use timer::Action;

use crate::exec::{Claim, Executor, overflow, panic_hook};
use crate::vocab::{
    Failure, Fired, MIN_STACK_SIZE, ThreadId, ThreadLabel, ThreadSnapshot, ThreadState,
};

/// How to run a program on the parallel executor.
///
/// The default: one carrier per available CPU (Go's `GOMAXPROCS` default), 64 KiB stacks,
/// a warning after a carrier is held for 1 s. `Config` is `Send`, `Sync` and cheap to clone.
///
/// # Examples
///
/// ```
/// use gort::par;
///
/// let config = par::Config::default().with_processors(2);
/// assert_eq!(config.processors(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    processors: usize,
    stack_size: usize,
    blocking_warning: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            processors: std::thread::available_parallelism().map_or(1, |n| n.get()),
            stack_size: 64 * 1024,
            blocking_warning: Duration::from_secs(1),
        }
    }
}

impl Config {
    /// Sets how many carrier OS threads run green threads (Go's `GOMAXPROCS`; at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::par;
    ///
    /// assert_eq!(par::Config::default().with_processors(0).processors(), 1);
    /// ```
    #[must_use]
    pub fn with_processors(mut self, processors: usize) -> Self {
        self.processors = processors.max(1);
        self
    }

    /// The number of carriers.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::par;
    ///
    /// assert!(par::Config::default().processors() >= 1);
    /// ```
    pub fn processors(&self) -> usize {
        self.processors
    }

    /// Sets the usable stack size of green threads that do not ask for one with
    /// [`Builder::stack_size`](crate::sched::Builder::stack_size). Only touched pages cost
    /// memory; the size costs address space.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, par};
    ///
    /// let config = par::Config::default().with_stack_size(256 * 1024);
    /// let n = par::run(&config, || go(|| 1 + 1).join().unwrap()).unwrap();
    /// assert_eq!(n, 2);
    /// ```
    #[must_use]
    pub fn with_stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = bytes.max(MIN_STACK_SIZE);
        self
    }

    /// Sets how long a carrier may run one green thread without a switch before the
    /// monitor warns that something blocks it.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, par};
    /// use std::time::Duration;
    ///
    /// let config = par::Config::default().with_blocking_warning(Duration::from_millis(50));
    /// let report = par::run_report(&config, || {
    ///     std::thread::sleep(Duration::from_millis(300)); // blocks the carrier: don't
    /// });
    /// assert!(report.warnings()[0].contains("green thread #1 \"main\""));
    /// ```
    #[must_use]
    pub fn with_blocking_warning(mut self, after: Duration) -> Self {
        self.blocking_warning = after;
        self
    }
}

/// Why a run failed, with what every thread was doing.
///
/// # Examples
///
/// ```
/// use gort::{chan, par};
///
/// let err = par::run(&par::Config::default(), || {
///     let (_tx, rx) = chan::bounded::<u32>(0);
///     rx.recv().ok() // nobody will ever send
/// })
/// .unwrap_err();
/// assert!(err.to_string().starts_with("fatal error: all green threads are asleep - deadlock!"));
/// ```
#[derive(Debug)]
pub struct Error {
    failure: Failure,
    threads: Vec<ThreadSnapshot>,
}

impl Error {
    /// What went wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Failure, go, par};
    ///
    /// let err = par::run(&par::Config::default(), || {
    ///     let h = go(|| panic!("boom"));
    ///     drop(h); // detached: its panic ends the program
    ///     gort::time::sleep(std::time::Duration::from_secs(1));
    /// })
    /// .unwrap_err();
    /// assert!(matches!(err.failure(), Failure::Panic(p) if p.message == "boom"));
    /// ```
    pub fn failure(&self) -> &Failure {
        &self.failure
    }

    /// The threads alive when the run failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, par};
    ///
    /// let err = par::run(&par::Config::default(), || {
    ///     let (tx, rx) = chan::bounded::<u8>(0);
    ///     let h = gort::go(move || { let _keep = tx; gort::sched::park() });
    ///     let _ = rx.recv();
    ///     h.join().unwrap();
    /// })
    /// .unwrap_err();
    /// assert_eq!(err.threads().len(), 2);
    /// ```
    pub fn threads(&self) -> &[ThreadSnapshot] {
        &self.threads
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.failure)?;
        for t in &self.threads {
            write!(f, "\n\n{t}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// What a run did: its outcome, the monitor's warnings, and counters.
///
/// # Examples
///
/// ```
/// use gort::{go, par};
///
/// let report = par::run_report(&par::Config::default(), || go(|| 7).join().unwrap());
/// assert_eq!(report.threads_spawned(), 1);
/// assert_eq!(report.into_result().unwrap(), 7);
/// ```
#[derive(Debug)]
pub struct Report<T> {
    outcome: Result<T, Error>,
    warnings: Vec<String>,
    spawned: u64,
    steals: u64,
}

impl<T> Report<T> {
    /// The warnings the monitor printed (carriers held by one thread too long).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::par;
    ///
    /// let report = par::run_report(&par::Config::default(), || ());
    /// assert!(report.warnings().is_empty());
    /// ```
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Green threads spawned (main not counted).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, par};
    ///
    /// let report = par::run_report(&par::Config::default(), || {
    ///     (0..3).map(|_| go(|| ())).for_each(|h| h.join().unwrap())
    /// });
    /// assert_eq!(report.threads_spawned(), 3);
    /// ```
    pub fn threads_spawned(&self) -> u64 {
        self.spawned
    }

    /// Successful steals from other carriers' queues.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::par;
    ///
    /// let report = par::run_report(&par::Config::default().with_processors(1), || ());
    /// assert_eq!(report.steals(), 0); // nobody to steal from
    /// ```
    pub fn steals(&self) -> u64 {
        self.steals
    }

    /// The value main returned, or why the run failed.
    ///
    /// # Errors
    ///
    /// [`Error`]: a deadlock, an unhandled panic, or no memory for a stack.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::par;
    ///
    /// assert_eq!(par::run_report(&par::Config::default(), || 5).into_result().unwrap(), 5);
    /// ```
    pub fn into_result(self) -> Result<T, Error> {
        self.outcome
    }
}

/// How this process makes guard pages, once a stack exists: "guard marker
/// (MADV_GUARD_INSTALL)" (no kernel mapping per stack) or "mprotect(PROT_NONE)" (two per
/// stack, which caps a process near 32,700 live green threads).
///
/// # Examples
///
/// ```
/// use gort::par;
///
/// par::run(&par::Config::default(), || ()).unwrap();
/// assert!(par::guard_kind().is_some());
/// ```
pub fn guard_kind() -> Option<&'static str> {
    crate::stack::guard_kind()
}

/// Runs `main` as green thread #1 on `config.processors()` carriers and returns its value.
///
/// Blocks the calling OS thread until main returns (threads still alive are then unwound,
/// as a Go program's goroutines end with it), or the run fails. `main` may borrow from the
/// caller; spawned threads must own what they use.
///
/// # Errors
///
/// [`Error`] for a deadlock (every thread parked, no timer pending), a panic nobody
/// handled (main's, a detached thread's, or one whose handle was dropped unjoined), or a
/// stack that could not be allocated.
///
/// # Panics
///
/// Inside another run (runs do not nest).
///
/// # Examples
///
/// ```
/// use gort::{chan, go, par};
///
/// let total = par::run(&par::Config::default(), || {
///     let (tx, rx) = chan::bounded(16);
///     for i in 0..100u64 {
///         let tx = tx.clone();
///         go(move || tx.send(i).unwrap());
///     }
///     drop(tx);
///     rx.into_iter().sum::<u64>()
/// })
/// .unwrap();
/// assert_eq!(total, 4950);
/// ```
#[track_caller]
pub fn run<T, F>(config: &Config, main: F) -> Result<T, Error>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    run_report(config, main).into_result()
}

/// Like [`run`], with the monitor's warnings and counters.
///
/// # Panics
///
/// Inside another run (runs do not nest).
///
/// # Examples
///
/// ```
/// use gort::{go, par, time};
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let report = par::run_report(&par::Config::default(), || {
///     let hs: Vec<_> = (0..1000).map(|_| go(|| time::sleep(Duration::from_millis(50)))).collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
/// });
/// assert!(report.into_result().is_ok());
/// assert!(start.elapsed() >= Duration::from_millis(50)); // the sleeps overlap
/// ```
#[track_caller]
pub fn run_report<T, F>(config: &Config, main: F) -> Report<T>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    let _claim = Claim::new(NESTED);
    panic_hook::install(capture_panic);
    overflow::install();
    let run_id = crate::exec::next_run_id();
    let (shared, workers) = Shared::new(run_id, config.processors, config.stack_size);
    let result: Mutex<Option<T>> = Mutex::new(None);

    // Main: green thread #1, its body borrowing `main` and `result` from this frame.
    {
        let result = &result;
        let done = shared.clone();
        let body = move || {
            match panic::catch_unwind(AssertUnwindSafe(main)) {
                Ok(value) => *result.lock() = Some(value),
                Err(payload) => {
                    if done.teardown.load(SeqCst) {
                        panic::resume_unwind(payload);
                    }
                    let report = current().expect("on a carrier").panic_report(&payload);
                    done.fail(Failure::Panic(report));
                }
            }
            done.main_done.store(true, SeqCst);
            done.stop();
        };
        let body: Box<dyn FnOnce() + Send + '_> = Box::new(body);
        // SAFETY: the body borrows `main`, `result` and `shared`'s clone from this frame;
        // `run_report` returns only after every carrier has exited and every green thread
        // (main included) has finished or been unwound below, so the borrows end first.
        let body: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(body) };
        let id = ThreadId(shared.next_thread_id());
        let label = ThreadLabel {
            id,
            name: Some("main".into()),
            spawn_site: Location::caller(),
            parent: None,
        };
        let mut slots = Vec::new();
        shared.slab.refill(&mut slots);
        let t = shared.slab.get(slots.pop().expect("a fresh chunk")).expect("a record");
        shared.slab.give_back(slots.into_iter());
        if let Err(e) = t.init(label, config.stack_size, body) {
            return Report {
                outcome: Err(Error {
                    failure: Failure::Resource {
                        message: format!(
                            "could not allocate a {}-byte stack for the main green thread: {e}",
                            config.stack_size
                        ),
                    },
                    threads: Vec::new(),
                }),
                warnings: Vec::new(),
                spawned: 0,
                steals: 0,
            };
        }
        shared.injector.push(t);
    }

    let warnings = std::thread::scope(|scope| {
        for (index, worker) in workers.into_iter().enumerate() {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("gort-carrier-{index}"))
                .spawn_scoped(scope, move || {
                    let _claim = Claim::new(NESTED);
                    overflow::install();
                    let carrier = Carrier::new(shared, Some(index), Some(worker));
                    let _installed = carrier.install();
                    carrier.run();
                })
                .expect("could not start a carrier OS thread");
        }
        monitor(&shared, config)
    });

    // Every carrier has exited. Unwind what is left, with primitives switched off.
    let threads = snapshot(&shared);
    shared.teardown.store(true, SeqCst);
    {
        let carrier = Carrier::new(shared.clone(), None, None);
        let _installed = carrier.install();
        for t in shared.slab.live() {
            // SAFETY: no carrier runs any more, so nobody else owns `t`.
            if let Some(mut co) = unsafe { t.co() }.take() {
                if !co.done() {
                    // Its destructors (a lock guard's unlock) ask who is running: this thread.
                    // (A thread that never ran only drops its closure.)
                    carrier.current.set(Some(t));
                    co.force_unwind();
                    carrier.current.set(None);
                }
                drop(co.into_stack());
            }
            t.release();
        }
        while shared.injector.steal().is_success() {}
    }

    let failure = shared.failure.lock().take().or_else(|| {
        let mut unobserved = shared.unobserved.lock();
        (!unobserved.is_empty()).then(|| Failure::Panic(unobserved.remove(0)))
    });
    let outcome = match failure {
        Some(failure) => Err(Error { failure, threads }),
        None => Ok(result.into_inner().expect("main finished without a failure")),
    };
    Report {
        outcome,
        warnings,
        spawned: shared.spawned.load(Relaxed),
        steals: shared.steals.load(Relaxed),
    }
}

/// The message of a nested `par::run`.
const NESTED: &str = "gort: par::run was called inside a run; runs do not nest (use go() instead)";

/// The panic hook's capture ([`panic_hook::Capture`]) for a green thread on this carrier.
fn capture_panic(message: &str, location: Option<String>) -> bool {
    current().is_some_and(|c| c.capture_panic(message.to_string(), location))
}

/// What the threads still alive were doing (after a failure, for the report).
fn snapshot(shared: &Shared) -> Vec<ThreadSnapshot> {
    if shared.failure.lock().is_none() {
        return Vec::new();
    }
    shared
        .slab
        .live()
        .into_iter()
        .map(|t| {
            let state = match t.waiting_for() {
                Some(w) => ThreadState::Blocked {
                    op: w.op,
                    object: None,
                    at: w.at,
                    since_step: 0,
                    since: Duration::ZERO,
                },
                None => ThreadState::Runnable { last_point: t.site() },
            };
            ThreadSnapshot { label: t.label(), state }
        })
        .collect()
}

/// `green thread #3 "name" (spawned at file:line:col)`.
fn describe(label: &ThreadLabel) -> String {
    let name = label.name.as_deref().map(|n| format!(" {n:?}")).unwrap_or_default();
    format!("green thread {}{name} (spawned at {})", label.id, label.spawn_site)
}

/// How often the monitor looks at the carriers.
const TICK: Duration = Duration::from_millis(5);
/// How long a thread may run before it is asked to yield.
const SLICE: Duration = Duration::from_millis(10);

/// The monitor (≈ Go's sysmon), on the thread that called `run`: fires timers, asks
/// threads that ran too long to yield, warns about held carriers, and detects deadlocks.
/// Returns the warnings once the run has stopped.
fn monitor(shared: &Arc<Shared>, config: &Config) -> Vec<String> {
    let carrier = Carrier::new(shared.clone(), None, None);
    let _installed = carrier.install();
    let mut warnings = Vec::new();
    // Per carrier: the resume count last seen, since when, and whether we warned for it.
    let mut seen: Vec<(u64, Instant, bool)> =
        shared.status.iter().map(|_| (0, Instant::now(), false)).collect();
    loop {
        let now = Instant::now();
        // 1. Fire due timers, outside the lock.
        let due = shared.timers.lock().due(now);
        for action in due {
            match action {
                Action::Wake(waker) => carrier.unpark(waker, Location::caller()),
                Action::Callback { id, f, period, at } => {
                    let fired = carrier.fire(&f, at);
                    if let (Some(period), false) = (period, fired == Fired::Done) {
                        shared.timers.lock().rearm(id, f, period, at, now);
                    }
                }
            }
        }
        if shared.shutdown.load(SeqCst) {
            return warnings;
        }
        // 2. Threads that hold their carrier: ask them to yield; warn when it lasts.
        for (i, status) in shared.status.iter().enumerate() {
            let resumes = status.resumes.load(Relaxed);
            let running = status.running.load(Relaxed);
            let (last, since, warned) = &mut seen[i];
            if resumes != *last || running == 0 {
                *seen.get_mut(i).expect("in range") = (resumes, now, false);
                continue;
            }
            let held = now - *since;
            if held >= SLICE {
                status.preempt.store(true, Relaxed);
            }
            if held >= config.blocking_warning && !*warned {
                *warned = true;
                let label = shared
                    .slab
                    .get(status.slot.load(Relaxed))
                    .and_then(|t| t.label_if(ThreadId(running)));
                let who = match label {
                    Some(label) => describe(&label),
                    None => format!("green thread #{running}"),
                };
                let message = format!(
                    "gort: carrier {i} has run {who} for {:.1} s without a scheduling point: \
                     a blocking call (std::thread::sleep, blocking I/O, a std::sync lock) or a \
                     loop that never yields holds the carrier, and threads queued on it must \
                     wait; use gort's time, channels and sync, or call sched::yield_now() in \
                     long loops",
                    held.as_secs_f64()
                );
                eprintln!("{message}");
                warnings.push(message);
            }
        }
        // 3. Deadlock: nothing runs or is queued, and no timer can change that.
        let mut heap = shared.timers.lock();
        if heap.is_empty() && !shared.main_done.load(SeqCst) && shared.all_idle() {
            drop(heap);
            shared.fail(Failure::Deadlock);
            continue;
        }
        let next = heap.next_deadline().map_or(now + TICK, |d| d.min(now + TICK));
        shared.timers.wait(&mut heap, next);
    }
}
