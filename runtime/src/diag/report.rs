//! The report of a run: its verdict, the threads, the trace and the replay token.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use super::Token;
use super::trace::{DisplayDuration, ObjectMeta, Op, ThreadLabel, Trace};
use crate::sim::Stats;

/// Why a run failed.
///
/// `Display` gives the one-line headline (the report adds threads, timeline and token).
///
/// # Examples
///
/// ```
/// use gort::{chan, diag::Failure, sim};
///
/// let report = sim::run(&sim::Config::default(), || {
///     let (tx, _rx) = chan::bounded::<u8>(0);
///     tx.send(1).unwrap(); // nobody receives
/// });
/// assert_eq!(report.failure(), Some(&Failure::Deadlock));
/// assert_eq!(
///     Failure::Deadlock.to_string(),
///     "fatal error: all green threads are asleep - deadlock!"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// Every thread was blocked and no timer was pending: nothing could ever run again.
    Deadlock,
    /// Green threads wait for each other's locks in a cycle (or one thread locks a mutex it
    /// already holds): none of them can ever proceed, whatever the others do. Reported as
    /// soon as the cycle closes. Each entry waits for the next; the last waits for the first.
    LockCycle(Vec<LockWait>),
    /// Main returned while `count` other threads were still alive.
    Leak {
        /// How many threads were alive.
        count: usize,
    },
    /// A thread panicked and nobody handled it (main, a detached thread, or a thread whose
    /// handle was never joined).
    Panic(PanicReport),
    /// The run recorded more events than [`Config::with_max_steps`](crate::sim::Config::with_max_steps) allows.
    StepLimit {
        /// The limit.
        limit: u64,
    },
    /// Virtual time passed [`Config::with_max_time`](crate::sim::Config::with_max_time).
    TimeLimit {
        /// The limit.
        limit: Duration,
    },
    /// The runtime could not get memory for a stack.
    Resource {
        /// What failed.
        message: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Deadlock => {
                f.write_str("fatal error: all green threads are asleep - deadlock!")
            }
            Failure::LockCycle(cycle) if cycle.len() == 1 => {
                let w = &cycle[0];
                write!(
                    f,
                    "fatal error: deadlock: green thread {} locks {} at {}, which it already holds",
                    Quoted(&w.thread),
                    w.object,
                    w.at
                )
            }
            Failure::LockCycle(cycle) => {
                f.write_str(
                    "fatal error: deadlock: these green threads wait for each other's locks in a \
                     cycle",
                )?;
                for w in cycle {
                    write!(f, "\n    {w}")?;
                }
                Ok(())
            }
            Failure::Leak { count: 1 } => {
                f.write_str("leak: main returned while 1 green thread was still alive")
            }
            Failure::Leak { count } => {
                write!(f, "leak: main returned while {count} green threads were still alive")
            }
            Failure::Panic(p) => write!(f, "panic: {p}"),
            Failure::StepLimit { limit } => {
                write!(f, "step limit: the run took more than {limit} steps without main returning")
            }
            Failure::TimeLimit { limit } => write!(
                f,
                "time limit: virtual time passed {} without main returning",
                DisplayDuration(*limit)
            ),
            Failure::Resource { message } => write!(f, "out of resources: {message}"),
        }
    }
}

impl Failure {
    /// What a learner can do about it: one paragraph, the same one the report prints.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::diag::Failure;
    ///
    /// assert!(Failure::Deadlock.hint().contains("no timer is pending"));
    /// ```
    pub fn hint(&self) -> &'static str {
        match self {
            Failure::Deadlock => {
                "Every green thread is blocked and no timer is pending, so none of them can \
                 ever wake up. Look for a send that no receive will match, a receive on a \
                 channel whose Senders are never dropped (dropping the last Sender closes \
                 it), or a join on a thread that is itself waiting."
            }
            Failure::LockCycle(cycle) if cycle.len() == 1 => {
                "A Mutex is not reentrant, in Go or here: a thread that locks one it already \
                 holds waits for itself forever. Drop the guard first (end its scope), or pass \
                 the guarded data down instead of locking again. The same goes for an RwLock \
                 read-locked twice while a writer waits."
            }
            Failure::LockCycle(_) => {
                "Each thread holds a lock the next one wants. Take locks in one global order \
                 everywhere (always a before b), hold them for less time, or use one lock for \
                 the data they protect together. An RwLock reader also waits for a writer \
                 that is queued, which waits for the readers: never read-lock recursively."
            }
            Failure::Leak { .. } => {
                "In Go these threads would be killed silently when main returns; here that \
                 fails the run. Wait for them before returning (JoinHandle::join, or a \
                 WaitGroup), and make sure they can finish: close the channels they receive \
                 from by dropping every Sender."
            }
            Failure::Panic(p) if p.thread.parent.is_none() => {
                "Main panicked: if it was a failed check, the message says what was expected \
                 and what happened, the timeline shows the schedule that led there, and the \
                 replay token runs exactly that schedule again."
            }
            Failure::Panic(_) => {
                "An unrecovered panic ends a Go program. Join the thread and handle the \
                 Err that join returns, or fix the cause shown above."
            }
            Failure::StepLimit { .. } => {
                "Threads keep running without main finishing: a livelock (spinning on \
                 try_recv or yield_now while waiting for something that never comes), or a \
                 program larger than the limit (Config::with_max_steps)."
            }
            Failure::TimeLimit { .. } => {
                "Something keeps the clock moving forever: a ticker or a sleep loop that \
                 never stops. Give every loop a way out (a done channel, a context), or \
                 raise Config::with_max_time."
            }
            Failure::Resource { .. } => {
                "Too many green threads are alive at once for the kernel's mapping limit; \
                 join threads sooner or spawn fewer."
            }
        }
    }
}

/// One link of a [`Failure::LockCycle`]: a thread waiting for a lock, and the thread it
/// waits for.
///
/// # Examples
///
/// ```
/// use gort::diag::Failure;
/// use gort::{sim, sync::Mutex};
///
/// let report = sim::run(&sim::Config::default(), || {
///     let m = Mutex::new(0);
///     let _first = m.lock();
///     let _second = m.lock(); // never returns: main holds it
/// });
/// let Some(Failure::LockCycle(cycle)) = report.failure() else { panic!("{report}") };
/// assert_eq!(cycle.len(), 1);
/// assert_eq!(cycle[0].thread().id(), cycle[0].blocked_by().id());
/// assert!(report.to_string().contains("which it already holds"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockWait {
    pub(crate) thread: ThreadLabel,
    pub(crate) op: Op,
    pub(crate) object: ObjectMeta,
    pub(crate) at: &'static Location<'static>,
    pub(crate) blocked_by: ThreadLabel,
    /// True if `blocked_by` holds the lock; false if it is a writer queued for it.
    pub(crate) holds: bool,
}

impl LockWait {
    /// The waiting thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::diag::Failure;
    /// use gort::{sim, sync::Mutex};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let m = Mutex::new(0);
    ///     let _held = m.lock();
    ///     let _again = m.lock();
    /// });
    /// let Some(Failure::LockCycle(cycle)) = report.failure() else { panic!("{report}") };
    /// assert_eq!(cycle[0].thread().name(), Some("main"));
    /// ```
    pub fn thread(&self) -> &ThreadLabel {
        &self.thread
    }

    /// The lock it waits for.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::diag::Failure;
    /// use gort::{sim, sync::Mutex};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let m = Mutex::new(0);
    ///     let _held = m.lock();
    ///     let _again = m.lock();
    /// });
    /// let Some(Failure::LockCycle(cycle)) = report.failure() else { panic!("{report}") };
    /// assert_eq!(cycle[0].object().kind().to_string(), "sync.Mutex");
    /// ```
    pub fn object(&self) -> &ObjectMeta {
        &self.object
    }

    /// Where it waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::diag::Failure;
    /// use gort::{sim, sync::Mutex};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let m = Mutex::new(0);
    ///     let _held = m.lock();
    ///     let _again = m.lock();
    /// });
    /// let Some(Failure::LockCycle(cycle)) = report.failure() else { panic!("{report}") };
    /// assert_eq!(cycle[0].at().file(), file!());
    /// ```
    pub fn at(&self) -> &'static Location<'static> {
        self.at
    }

    /// The thread it waits for: one holding the lock, or a writer queued ahead of it.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::diag::Failure;
    /// use gort::{sim, sync::Mutex};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let m = Mutex::new(0);
    ///     let _held = m.lock();
    ///     let _again = m.lock();
    /// });
    /// let Some(Failure::LockCycle(cycle)) = report.failure() else { panic!("{report}") };
    /// assert_eq!(cycle[0].blocked_by().id().as_u64(), 1); // main waits for itself
    /// ```
    pub fn blocked_by(&self) -> &ThreadLabel {
        &self.blocked_by
    }
}

impl fmt::Display for LockWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.op == Op::RLock { "read-lock" } else { "lock" };
        let (me, them) = (Quoted(&self.thread), Quoted(&self.blocked_by));
        write!(f, "green thread {me} wants to {verb} {} at {}, ", self.object, self.at)?;
        if self.holds {
            write!(f, "held by green thread {them}")
        } else {
            write!(f, "behind green thread {them}, a writer waiting for it")
        }
    }
}

/// A thread as reports name it: `#2 "worker"`, or `#2` if unnamed.
struct Quoted<'a>(&'a ThreadLabel);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.name {
            Some(name) => write!(f, "{} {name:?}", self.0.id),
            None => write!(f, "{}", self.0.id),
        }
    }
}

/// A panic in a green thread: who, where, and the message.
///
/// # Examples
///
/// ```
/// use gort::{go, sim};
///
/// let report = sim::run(&sim::Config::default(), || {
///     go(|| panic!("boom")); // detached: an unhandled panic ends the run
///     gort::sched::yield_now();
/// });
/// let gort::diag::Failure::Panic(p) = report.failure().unwrap() else { panic!() };
/// assert_eq!(p.message, "boom");
/// assert!(p.location.as_deref().unwrap().contains(".rs:"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanicReport {
    /// The thread that panicked.
    pub thread: ThreadLabel,
    /// The panic message.
    pub message: String,
    /// `file:line:column` of the panic, if known.
    pub location: Option<String>,
}

impl fmt::Display for PanicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "green thread {}", self.thread.id)?;
        if let Some(name) = &self.thread.name {
            write!(f, " {name:?}")?;
        }
        f.write_str(" panicked")?;
        if let Some(at) = &self.location {
            write!(f, " at {at}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// One thread as the run left it.
///
/// # Examples
///
/// ```
/// use gort::{diag::ThreadState, sim};
///
/// let report = sim::run(&sim::Config::default(), || gort::sched::park());
/// let main = &report.threads()[0];
/// assert!(matches!(main.state, ThreadState::Blocked { .. }));
/// assert!(main.to_string().starts_with("green thread #1 \"main\" [park]"));
/// ```
#[derive(Clone, Debug)]
pub struct ThreadSnapshot {
    /// Id, name, spawn site, parent.
    pub label: ThreadLabel,
    /// What it was doing.
    pub state: ThreadState,
}

/// What a thread was doing when the run ended.
///
/// # Examples
///
/// ```
/// use gort::{diag::{Op, ThreadState}, go, sched, sim};
///
/// let config = sim::Config::default().with_fail_on_leak(false);
/// let report = sim::run(&config, || {
///     go(|| sched::park()); // nobody unparks it
/// });
/// assert!(matches!(report.threads()[0].state, ThreadState::Finished)); // main returned
/// assert!(matches!(report.threads()[1].state, ThreadState::Blocked { op: Op::Park, .. }));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ThreadState {
    /// Ready to run (or running).
    Runnable {
        /// Its last scheduling point.
        last_point: &'static Location<'static>,
    },
    /// Blocked in an operation.
    Blocked {
        /// The operation.
        op: Op,
        /// The object it waits on, if any.
        object: Option<ObjectMeta>,
        /// Where the operation was called.
        at: &'static Location<'static>,
        /// The step at which it blocked.
        since_step: u64,
        /// The virtual time at which it blocked.
        since: Duration,
    },
    /// Returned or panicked.
    Finished,
}

impl ThreadSnapshot {
    /// True unless the thread has finished.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sched, sim};
    ///
    /// let config = sim::Config::default().with_fail_on_leak(false);
    /// let report = sim::run(&config, || {
    ///     go(|| ()).join().unwrap();
    ///     go(|| sched::park()); // never unparked: still alive when main returns
    /// });
    /// let alive: Vec<bool> = report.threads().iter().map(|t| t.is_alive()).collect();
    /// assert_eq!(alive, [false, false, true]);
    /// ```
    pub fn is_alive(&self) -> bool {
        !matches!(self.state, ThreadState::Finished)
    }

    fn tag(&self) -> &'static str {
        match &self.state {
            ThreadState::Runnable { .. } => "runnable",
            ThreadState::Finished => "finished",
            ThreadState::Blocked { op, .. } => match op {
                Op::Send => "chan send",
                Op::Recv => "chan receive",
                Op::Join(_) => "join",
                Op::Park => "park",
                Op::Sleep(_) => "sleep",
                Op::Work(_) => "work",
                Op::WaitProcessor => "waiting for a processor",
                Op::Select => "select",
                Op::Lock => "sync.Mutex.Lock",
                Op::RLock => "sync.RWMutex.RLock",
                Op::WaitGroup => "sync.WaitGroup.Wait",
                Op::Once => "sync.Once.Do",
                Op::Other(name) => name,
                _ => "blocked",
            },
        }
    }
}

impl fmt::Display for ThreadSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "green thread {}", self.label.id)?;
        if let Some(name) = &self.label.name {
            write!(f, " {name:?}")?;
        }
        writeln!(f, " [{}]:", self.tag())?;
        match &self.state {
            ThreadState::Blocked { op, object, at, since_step, since, .. } => {
                let what = match (op, object) {
                    (Op::Send, Some(o)) => format!("sending on {o}"),
                    (Op::Recv, Some(o)) => format!("receiving from {o}"),
                    (Op::Join(t), _) => format!("waiting for green thread {t} to finish"),
                    (Op::Park, _) => "parked, waiting for an unpark".to_string(),
                    (Op::Sleep(d), _) => format!(
                        "sleeping {}, until {}",
                        DisplayDuration(*d),
                        DisplayDuration(*since + *d)
                    ),
                    (Op::Work(d), _) => {
                        format!("working for {} on a processor", DisplayDuration(*d))
                    }
                    (Op::WaitProcessor, _) => "waiting for a free processor".to_string(),
                    (Op::Select, _) => "in a select! with no arm ready".to_string(),
                    (Op::Lock, Some(o)) => format!("waiting to lock {o}"),
                    (Op::RLock, Some(o)) => format!("waiting to read-lock {o}"),
                    (Op::WaitGroup, Some(o)) => format!("waiting for {o} to reach zero"),
                    (Op::Once, Some(o)) => format!("waiting for another thread's call of {o}"),
                    (op, Some(o)) => format!("{op} on {o}"),
                    (op, None) => op.to_string(),
                };
                writeln!(f, "    {what}")?;
                writeln!(f, "    at {at}, since {} (step {since_step})", DisplayDuration(*since))?;
            }
            ThreadState::Runnable { last_point } => {
                writeln!(f, "    ready to run; last scheduling point at {last_point}")?;
            }
            ThreadState::Finished => {}
        }
        match self.label.parent {
            Some(parent) => {
                writeln!(f, "    spawned at {} by green thread {parent}", self.label.spawn_site)
            }
            None => writeln!(f, "    started by sim::run at {}", self.label.spawn_site),
        }
    }
}

/// How a replay compared with the run its token recorded.
///
/// # Examples
///
/// ```
/// use gort::sim;
///
/// let config = sim::Config::default();
/// let program = || gort::go(|| 1 + 1).join().unwrap();
/// let first = sim::run(&config, program);
/// let again = sim::replay(&config, &first.token().to_string(), program).unwrap();
/// assert!(again.replay_check().unwrap().reproduced());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayCheck {
    /// Same number of steps and same trace fingerprint: the same schedule.
    Reproduced,
    /// The replay took another path.
    Diverged {
        /// Steps recorded in the token.
        expected_steps: Option<u64>,
        /// Fingerprint recorded in the token.
        expected_fingerprint: Option<u64>,
        /// Steps of this run.
        steps: u64,
        /// Fingerprint of this run.
        fingerprint: u64,
    },
}

impl ReplayCheck {
    pub(crate) fn compare(recorded: &Token, this: &Token) -> ReplayCheck {
        let steps = this.steps.unwrap_or(0);
        let fingerprint = this.fingerprint.unwrap_or(0);
        let same_steps = recorded.steps.is_none_or(|s| s == steps);
        let same_print = recorded.fingerprint.is_none_or(|h| h == fingerprint);
        if same_steps && same_print {
            ReplayCheck::Reproduced
        } else {
            ReplayCheck::Diverged {
                expected_steps: recorded.steps,
                expected_fingerprint: recorded.fingerprint,
                steps,
                fingerprint,
            }
        }
    }

    /// True if the replay took the recorded schedule.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim;
    ///
    /// let config = sim::Config::default();
    /// let program = || gort::go(|| 6 * 7).join().unwrap();
    /// let first = sim::run(&config, program);
    /// let same = sim::replay(&config, &first.token().to_string(), program).unwrap();
    /// assert!(same.replay_check().unwrap().reproduced());
    /// // A token for any program (`0`) that recorded 1 step and fingerprint 1: not this run.
    /// let other = sim::replay(&config, "gort1:r:0:0:1:1", program).unwrap();
    /// assert!(!other.replay_check().unwrap().reproduced());
    /// ```
    pub fn reproduced(&self) -> bool {
        matches!(self, ReplayCheck::Reproduced)
    }
}

impl fmt::Display for ReplayCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayCheck::Reproduced => f.write_str("replay: reproduced the recorded schedule"),
            ReplayCheck::Diverged { expected_steps, expected_fingerprint, steps, fingerprint } => {
                let show = |s: Option<u64>| s.map_or("?".to_string(), |s| s.to_string());
                let hex = |h: Option<u64>| h.map_or("?".to_string(), |h| format!("{h:x}"));
                write!(
                    f,
                    "replay diverged: the token recorded {} steps with fingerprint {}, this run \
                     took {steps} steps with fingerprint {fingerprint:x}. The program, its input \
                     or its configuration changed since the token was printed, or it depends on \
                     something the scheduler does not control (HashMap iteration order, \
                     std::time, OS randomness, real threads).",
                    show(*expected_steps),
                    hex(*expected_fingerprint)
                )
            }
        }
    }
}

/// Everything a run produced: the outcome, the threads as they ended, the trace, the replay
/// token and counters.
///
/// `Display` prints a report a learner can act on: the verdict, each thread that matters
/// with what it waits on and where it was spawned, a hint, the tail of the timeline and the
/// token. For a passing run it prints one line.
///
/// # Examples
///
/// ```
/// use gort::sim;
///
/// let report = sim::run(&sim::Config::default(), || 6 * 7);
/// assert!(report.is_ok());
/// assert_eq!(report.value(), Some(&42));
/// assert!(report.to_string().starts_with("ok:"));
/// assert_eq!(report.unwrap(), 42);
/// ```
pub struct Report<T> {
    pub(crate) outcome: Result<T, Failure>,
    pub(crate) threads: Vec<ThreadSnapshot>,
    pub(crate) trace: Trace,
    pub(crate) token: Token,
    pub(crate) stats: Stats,
    pub(crate) replay: Option<ReplayCheck>,
}

impl<T> Report<T> {
    /// True if main returned and nothing failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sched, sim};
    ///
    /// let config = sim::Config::default();
    /// assert!(sim::run(&config, || 1).is_ok());
    /// assert!(!sim::run(&config, || sched::park()).is_ok()); // deadlock
    /// ```
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }
    /// The outcome: main's value, or the failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Failure, sched, sim};
    ///
    /// let config = sim::Config::default();
    /// assert_eq!(sim::run(&config, || 42).outcome(), Ok(&42));
    /// assert_eq!(sim::run(&config, || sched::park()).outcome(), Err(&Failure::Deadlock));
    /// ```
    pub fn outcome(&self) -> Result<&T, &Failure> {
        self.outcome.as_ref()
    }
    /// Main's value, if the run passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sched, sim};
    ///
    /// let config = sim::Config::default();
    /// assert_eq!(sim::run(&config, || "done").value(), Some(&"done"));
    /// assert_eq!(sim::run(&config, || sched::park()).value(), None);
    /// ```
    pub fn value(&self) -> Option<&T> {
        self.outcome.as_ref().ok()
    }
    /// The failure, if the run failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Failure, go, sched, sim};
    ///
    /// let config = sim::Config::default();
    /// assert_eq!(sim::run(&config, || ()).failure(), None);
    /// let leaky = sim::run(&config, || {
    ///     go(|| sched::park()); // still parked when main returns
    /// });
    /// assert_eq!(leaky.failure(), Some(&Failure::Leak { count: 1 }));
    /// ```
    pub fn failure(&self) -> Option<&Failure> {
        self.outcome.as_ref().err()
    }
    /// Main's value, or the failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Failure, sim};
    ///
    /// let config = sim::Config::default();
    /// assert_eq!(sim::run(&config, || 7).into_result(), Ok(7));
    /// let err = sim::run(&config, || -> u32 { panic!("bad input") }).into_result().unwrap_err();
    /// assert!(matches!(err, Failure::Panic(p) if p.message == "bad input"));
    /// ```
    pub fn into_result(self) -> Result<T, Failure> {
        self.outcome
    }
    /// Main's value.
    ///
    /// # Panics
    ///
    /// If the run failed, with the whole report as the message.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sched, sim};
    /// use std::panic::{AssertUnwindSafe, catch_unwind};
    ///
    /// let config = sim::Config::default();
    /// assert_eq!(sim::run(&config, || 6 * 7).unwrap(), 42);
    /// let stuck = sim::run(&config, || sched::park());
    /// let payload = catch_unwind(AssertUnwindSafe(move || stuck.unwrap())).unwrap_err();
    /// assert!(payload.downcast_ref::<String>().unwrap().contains("deadlock!"));
    /// ```
    #[track_caller]
    pub fn unwrap(self) -> T {
        if self.outcome.is_err() {
            panic!("{self}");
        }
        self.outcome.unwrap_or_else(|_| unreachable!())
    }
    /// Every thread of the run as it ended, main first.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || go(|| ()).join().unwrap());
    /// let names: Vec<Option<&str>> = report.threads().iter().map(|t| t.label.name()).collect();
    /// assert_eq!(names, [Some("main"), None]);
    /// ```
    pub fn threads(&self) -> &[ThreadSnapshot] {
        &self.threads
    }
    /// Threads other than main that were still alive at the end.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sched, sim};
    ///
    /// let config = sim::Config::default().with_fail_on_leak(false);
    /// let report = sim::run(&config, || {
    ///     go(|| ()).join().unwrap(); // finished: not a leak
    ///     sched::Builder::new().name("stuck").spawn(|| sched::park()).unwrap();
    /// });
    /// let leaked: Vec<Option<&str>> = report.leaked().map(|t| t.label.name()).collect();
    /// assert_eq!(leaked, [Some("stuck")]);
    /// ```
    pub fn leaked(&self) -> impl Iterator<Item = &ThreadSnapshot> {
        self.threads.iter().skip(1).filter(|t| t.is_alive())
    }
    /// The trace.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Op, sim, time};
    /// use std::time::Duration;
    ///
    /// let report = sim::run(&sim::Config::default(), || time::sleep(Duration::from_secs(1)));
    /// assert!(report.trace().events().any(|e| e.op == Op::Sleep(Duration::from_secs(1))));
    /// assert_eq!(report.trace().len(), report.stats().steps);
    /// ```
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    /// The token that replays this run with [`sim::replay`](crate::sim::replay).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim;
    ///
    /// let report = sim::run(&sim::Config::default().with_seed(7), || ());
    /// assert_eq!(report.token().seed(), 7);
    /// assert_eq!(report.token().steps(), Some(report.stats().steps));
    /// assert!(report.token().to_string().starts_with("gort1:r:7:"));
    /// ```
    pub fn token(&self) -> &Token {
        &self.token
    }
    /// Counters.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim, time};
    /// use std::time::Duration;
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     go(|| ()).join().unwrap();
    ///     time::sleep(Duration::from_millis(5));
    /// });
    /// assert_eq!(report.stats().threads, 2);
    /// assert_eq!(report.stats().virtual_time, Duration::from_millis(5));
    /// ```
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// For a replay, whether it reproduced the recorded run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::ReplayCheck, sim};
    ///
    /// let config = sim::Config::default();
    /// let program = || gort::go(|| 1).join().unwrap();
    /// let first = sim::run(&config, program);
    /// assert_eq!(first.replay_check(), None); // not a replay
    /// let again = sim::replay(&config, &first.token().to_string(), program).unwrap();
    /// assert_eq!(again.replay_check(), Some(&ReplayCheck::Reproduced));
    /// ```
    pub fn replay_check(&self) -> Option<&ReplayCheck> {
        self.replay.as_ref()
    }
    /// Maps main's value with `f`, keeping everything else (the trace, token, threads).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Failure, sched, sim};
    ///
    /// let config = sim::Config::default();
    /// let report = sim::run(&config, || vec!["a", "b"]).map(|v| v.len());
    /// assert_eq!(report.value(), Some(&2));
    /// let stuck = sim::run(&config, || sched::park()).map(|()| 0);
    /// assert_eq!(stuck.failure(), Some(&Failure::Deadlock)); // failure and trace are kept
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Report<U> {
        Report {
            outcome: self.outcome.map(f),
            threads: self.threads,
            trace: self.trace,
            token: self.token,
            stats: self.stats,
            replay: self.replay,
        }
    }
}

/// Events of the timeline shown in a failure report.
const TIMELINE_TAIL: usize = 16;

impl<T> fmt::Display for Report<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failure = match &self.outcome {
            Ok(_) => {
                write!(
                    f,
                    "ok: main returned at {} after {} steps ({} green thread{}); token {}",
                    DisplayDuration(self.stats.virtual_time),
                    self.stats.steps,
                    self.stats.threads,
                    if self.stats.threads == 1 { "" } else { "s" },
                    self.token
                )?;
                for t in self.leaked() {
                    write!(
                        f,
                        "\nstill alive when main returned (leaks are not failing this run):\n{t}"
                    )?;
                }
                if let Some(check) = &self.replay {
                    write!(f, "\n{check}")?;
                }
                return Ok(());
            }
            Err(failure) => failure,
        };
        writeln!(f, "{failure}")?;
        writeln!(f)?;
        let shown: Vec<&ThreadSnapshot> = match failure {
            Failure::Leak { .. } => self.leaked().collect(),
            _ => self.threads.iter().filter(|t| t.is_alive()).collect(),
        };
        for t in &shown {
            writeln!(f, "{t}")?;
        }
        let finished = self.threads.len() - self.threads.iter().filter(|t| t.is_alive()).count();
        if finished > 0 && !matches!(failure, Failure::Leak { .. }) {
            writeln!(f, "({finished} finished green threads not shown)\n")?;
        }
        writeln!(f, "hint: {}\n", failure.hint())?;
        let tail = TIMELINE_TAIL.min(self.trace.events.len());
        if tail > 0 {
            writeln!(f, "timeline (last {tail} of {} events):", self.trace.len())?;
            write!(f, "{}", self.trace.timeline(tail))?;
            writeln!(f)?;
        }
        if let Some(check) = &self.replay {
            writeln!(f, "{check}")?;
        }
        writeln!(f, "replay token: {}", self.token)?;
        write!(
            f,
            "(seed {}, {}; {} steps, {} green threads, virtual time {})",
            self.token.seed,
            self.token.strategy,
            self.stats.steps,
            self.stats.threads,
            DisplayDuration(self.stats.virtual_time)
        )
    }
}

impl<T: fmt::Debug> fmt::Debug for Report<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("outcome", &self.outcome)
            .field("token", &self.token.to_string())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}
