//! Why a run failed, and what every thread was doing: the verdicts both executors give.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use super::display::DisplayDuration;
use super::object::{ObjectMeta, Op};
use super::trace::ThreadLabel;

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
