//! The report of a deterministic run: its verdict, the threads, the trace and the replay token.

use std::fmt;

use super::Stats;
use super::token::Token;
use crate::vocab::{DisplayDuration, Failure, ThreadSnapshot, Trace};

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
