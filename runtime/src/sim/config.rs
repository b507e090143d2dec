//! `Config`: the seed, strategy and limits of a deterministic run.

use std::time::Duration;

use super::Strategy;
use crate::diag::{Token, TokenError};
use crate::sched::MIN_STACK_SIZE;

/// How to run a program deterministically: the seed and strategy that pick the schedule, the
/// simulated processors, and the limits that turn a hang into a report.
///
/// `Config::default()` is seed 0, random scheduling, one processor, 100,000 steps, one hour of
/// virtual time, a 5 s watchdog and 256 KiB stacks. Every setter returns the config, so they
/// chain. A `Config` is plain data: `Clone`, `Send`, `Sync`.
///
/// # Examples
///
/// ```
/// use gort::sim::{Config, Strategy};
/// use std::time::Duration;
///
/// let config = Config::default()
///     .with_seed(42)
///     .with_strategy(Strategy::Pct { depth: 2, horizon: 100 })
///     .with_processors(4)
///     .with_max_time(Duration::from_secs(60));
/// assert_eq!(config.seed(), 42);
/// assert_eq!(config.processors(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub(crate) seed: u64,
    pub(crate) strategy: Strategy,
    pub(crate) processors: usize,
    pub(crate) max_steps: u64,
    pub(crate) max_time: Duration,
    pub(crate) watchdog: Duration,
    pub(crate) stack_size: usize,
    pub(crate) trace_limit: usize,
    pub(crate) fail_on_leak: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 0,
            strategy: Strategy::Random,
            processors: 1,
            max_steps: 100_000,
            max_time: Duration::from_secs(3600),
            watchdog: Duration::from_secs(5),
            stack_size: 256 * 1024,
            trace_limit: 100_000,
            fail_on_leak: true,
        }
    }
}

impl Config {
    /// The same as `Config::default()`.
    pub fn new() -> Self {
        Config::default()
    }

    /// The seed: with the strategy, it names the schedule.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The scheduling strategy.
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// How many virtual processors `time::work` can occupy at once (Go's `GOMAXPROCS`).
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    pub fn with_processors(mut self, n: usize) -> Self {
        assert!(n > 0, "gort: a run needs at least one processor (with_processors(0))");
        self.processors = n;
        self
    }

    /// The most events a run may record before it ends with a step-limit report (livelock).
    pub fn with_max_steps(mut self, steps: u64) -> Self {
        self.max_steps = steps;
        self
    }

    /// The latest virtual time a run may reach before it ends with a time-limit report
    /// (a forgotten ticker, a sleep loop that never ends).
    pub fn with_max_time(mut self, limit: Duration) -> Self {
        self.max_time = limit;
        self
    }

    /// How long (wall clock) one green thread may run without reaching a scheduling point
    /// before the watchdog prints a report and aborts the process.
    pub fn with_watchdog(mut self, limit: Duration) -> Self {
        self.watchdog = limit;
        self
    }

    /// The stack size of threads spawned without [`Builder::stack_size`](crate::sched::Builder::stack_size).
    ///
    /// # Panics
    ///
    /// If `bytes` is under [`MIN_STACK_SIZE`].
    pub fn with_stack_size(mut self, bytes: usize) -> Self {
        assert!(
            bytes >= MIN_STACK_SIZE,
            "gort: a green thread's stack must be at least {MIN_STACK_SIZE} bytes \
             (Config::with_stack_size was given {bytes})"
        );
        self.stack_size = bytes;
        self
    }

    /// How many of the most recent events the trace keeps (0 keeps none; the fingerprint
    /// still covers all of them).
    pub fn with_trace_limit(mut self, events: usize) -> Self {
        self.trace_limit = events;
        self
    }

    /// Whether threads still alive when main returns fail the run (default) or are only
    /// listed in the report.
    pub fn with_fail_on_leak(mut self, fail: bool) -> Self {
        self.fail_on_leak = fail;
        self
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The strategy.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }
    /// The number of virtual processors.
    pub fn processors(&self) -> usize {
        self.processors
    }
    /// The step limit.
    pub fn max_steps(&self) -> u64 {
        self.max_steps
    }
    /// The virtual-time limit.
    pub fn max_time(&self) -> Duration {
        self.max_time
    }
    /// The watchdog's wall-clock limit.
    pub fn watchdog(&self) -> Duration {
        self.watchdog
    }
    /// The default stack size.
    pub fn stack_size(&self) -> usize {
        self.stack_size
    }

    /// This config with the seed and strategy of `token`.
    ///
    /// # Errors
    ///
    /// [`TokenError`] if the token is malformed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::{Config, Strategy};
    ///
    /// let config = Config::default().replaying("gort1:r:2a:0:-:-").unwrap();
    /// assert_eq!(config.seed(), 42);
    /// assert!(Config::default().replaying("not a token").is_err());
    /// ```
    pub fn replaying(&self, token: &str) -> Result<Config, TokenError> {
        let token: Token = token.parse()?;
        Ok(self.clone().with_seed(token.seed).with_strategy(token.strategy))
    }

    /// What a token's program fingerprint covers besides the program: settings that change
    /// the schedule.
    pub(crate) fn schedule_affecting(&self) -> [u64; 2] {
        [self.processors as u64, self.max_steps]
    }
}
