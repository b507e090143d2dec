//! `Config`: the seed, strategy and limits of a deterministic run.

use std::os::fd::RawFd;
use std::time::Duration;

use parking_lot::Mutex;

use super::Strategy;
use super::token::{Token, TokenError};
use crate::vocab::MIN_STACK_SIZE;

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
    pub(crate) fatal_record: Option<RawFd>,
}

/// The watchdog limit and fatal record every new `Config` starts with in this process (see
/// [`Config::set_process_watchdog`]); unset, 5 s and none.
static PROCESS_WATCHDOG: Mutex<Option<(Duration, Option<RawFd>)>> = Mutex::new(None);

impl Default for Config {
    fn default() -> Self {
        let (watchdog, fatal_record) =
            PROCESS_WATCHDOG.lock().unwrap_or((Duration::from_secs(5), None));
        Config {
            seed: 0,
            strategy: Strategy::Random,
            processors: 1,
            max_steps: 100_000,
            max_time: Duration::from_secs(3600),
            watchdog,
            stack_size: 256 * 1024,
            trace_limit: 100_000,
            fail_on_leak: true,
            fatal_record,
        }
    }
}

impl Config {
    /// The same as `Config::default()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::Config;
    ///
    /// assert_eq!(Config::new(), Config::default());
    /// assert_eq!(Config::new().max_steps(), 100_000);
    /// ```
    pub fn new() -> Self {
        Config::default()
    }

    /// The seed: with the strategy, it names the schedule.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim::{self, Config}};
    ///
    /// let program = || go(|| ()).join().unwrap();
    /// let a = sim::run(&Config::new().with_seed(9), program);
    /// let b = sim::run(&Config::new().with_seed(9), program);
    /// assert_eq!(a.trace().fingerprint(), b.trace().fingerprint()); // same seed, same schedule
    /// assert_eq!(a.token().seed(), 9);
    /// ```
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The scheduling strategy.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim::{self, Config, Strategy}};
    ///
    /// let config = Config::new().with_strategy(Strategy::Pct { depth: 2, horizon: 50 });
    /// let report = sim::run(&config, || go(|| 1).join().unwrap());
    /// assert_eq!(report.token().strategy(), Strategy::Pct { depth: 2, horizon: 50 });
    /// assert!(report.token().to_string().starts_with("gort1:p2.50:"));
    /// ```
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// How many virtual processors `time::work` can occupy at once (Go's `GOMAXPROCS`).
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim::{self, Config}, time};
    /// use std::time::Duration;
    ///
    /// let elapsed = sim::run(&Config::new().with_processors(2), || {
    ///     let hs: Vec<_> = (0..2).map(|_| go(|| time::work(Duration::from_secs(1)))).collect();
    ///     hs.into_iter().for_each(|h| h.join().unwrap());
    ///     time::now().elapsed_since_start()
    /// });
    /// assert_eq!(elapsed.unwrap(), Duration::from_secs(1)); // two processors: the work overlaps
    /// ```
    pub fn with_processors(mut self, n: usize) -> Self {
        assert!(n > 0, "gort: a run needs at least one processor (with_processors(0))");
        self.processors = n;
        self
    }

    /// The most events a run may record before it ends with a step-limit report (livelock).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{chan, diag::Failure, sched, sim::{self, Config}};
    ///
    /// let report = sim::run(&Config::new().with_max_steps(1_000), || {
    ///     let (_tx, rx) = chan::bounded::<u8>(1);
    ///     while rx.try_recv().is_err() {
    ///         sched::yield_now(); // a livelock: spins on a value nobody sends
    ///     }
    /// });
    /// assert_eq!(report.failure(), Some(&Failure::StepLimit { limit: 1_000 }));
    /// ```
    pub fn with_max_steps(mut self, steps: u64) -> Self {
        self.max_steps = steps;
        self
    }

    /// The latest virtual time a run may reach before it ends with a time-limit report
    /// (a forgotten ticker, a sleep loop that never ends).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Failure, sim::{self, Config}, time};
    /// use std::time::Duration;
    ///
    /// let config = Config::new().with_max_time(Duration::from_secs(60));
    /// let report = sim::run(&config, || loop {
    ///     time::sleep(Duration::from_secs(1)); // a ticker nobody stops
    /// });
    /// assert_eq!(report.failure(), Some(&Failure::TimeLimit { limit: Duration::from_secs(60) }));
    /// ```
    pub fn with_max_time(mut self, limit: Duration) -> Self {
        self.max_time = limit;
        self
    }

    /// How long (wall clock) one green thread may run without reaching a scheduling point
    /// before the watchdog prints a report and aborts the process. The default is 5 s (see
    /// [`Config::set_process_watchdog`] to change it for a whole process).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim::{self, Config}, time};
    /// use std::time::Duration;
    ///
    /// let config = Config::new().with_watchdog(Duration::from_secs(2));
    /// assert_eq!(config.watchdog(), Duration::from_secs(2));
    /// // Wall-clock time: ten minutes of virtual sleep take no real time and do not trip it.
    /// let report = sim::run(&config, || time::sleep(Duration::from_secs(600)));
    /// assert!(report.is_ok());
    /// ```
    pub fn with_watchdog(mut self, limit: Duration) -> Self {
        self.watchdog = limit;
        self
    }

    /// Asks for a machine-readable record for a supervising process: when the watchdog or a
    /// stack overflow ends a run on this config, the runtime writes one to the file
    /// descriptor `fd` (besides its report on stderr), then aborts. The descriptor must stay
    /// open while such runs execute; the runtime never closes it.
    ///
    /// The record is written with write(2) only (it is safe to write from a signal handler)
    /// as lines of `key value`, values never containing a newline (one in a thread's name
    /// becomes a space); lines in brackets are present only when known:
    ///
    /// ```text
    /// gort-fatal 1
    /// kind watchdog|stack-overflow
    /// thread <decimal id>
    /// [name <thread name>]
    /// [spawned <file>:<line>:<col>]
    /// [at <file>:<line>:<col>]     (watchdog: the thread's last scheduling point)
    /// limit_ms <n>                 (watchdog only)
    /// stack_bytes <n>              (stack-overflow only)
    /// [token <replay token>]
    /// end
    /// ```
    ///
    /// Readers must ignore keys they do not know: later versions may add some.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::{self, Config};
    /// use std::os::fd::AsRawFd;
    ///
    /// let log = std::fs::File::create(std::env::temp_dir().join("gort-fatal-doc"))?;
    /// let config = Config::new().with_fatal_record(log.as_raw_fd());
    /// assert_eq!(config.fatal_record(), Some(log.as_raw_fd()));
    /// assert!(sim::run(&config, || ()).is_ok()); // nothing fatal, nothing written
    /// assert_eq!(log.metadata()?.len(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_fatal_record(mut self, fd: RawFd) -> Self {
        self.fatal_record = Some(fd);
        self
    }

    /// Makes this config's watchdog limit and fatal record (and only those) what every
    /// `Config` created afterwards in this process starts with, including the ones code
    /// under supervision creates itself with `Config::default()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::Config;
    /// use std::time::Duration;
    ///
    /// Config::new().with_seed(7).with_watchdog(Duration::from_secs(1)).set_process_watchdog();
    /// assert_eq!(Config::default().watchdog(), Duration::from_secs(1));
    /// assert_eq!(Config::default().seed(), 0); // nothing else carries over
    /// # Config::new().with_watchdog(Duration::from_secs(5)).set_process_watchdog();
    /// ```
    pub fn set_process_watchdog(&self) {
        *PROCESS_WATCHDOG.lock() = Some((self.watchdog, self.fatal_record));
    }

    /// The stack size of threads spawned without [`Builder::stack_size`](crate::sched::Builder::stack_size).
    ///
    /// # Panics
    ///
    /// If `bytes` is under [`MIN_STACK_SIZE`].
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sim::{self, Config}};
    ///
    /// let config = Config::new().with_stack_size(4 << 20);
    /// let sum = sim::run(&config, || {
    ///     let big = || {
    ///         let buf = std::hint::black_box([1u8; 512 * 1024]); // over the default 256 KiB
    ///         buf.iter().map(|&b| u32::from(b)).sum::<u32>()
    ///     };
    ///     go(big).join().unwrap() // no Builder::stack_size: the config's 4 MiB applies
    /// });
    /// assert_eq!(sum.unwrap(), 512 * 1024);
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sched, sim::{self, Config}};
    ///
    /// let report = sim::run(&Config::new().with_trace_limit(2), || {
    ///     (0..5).for_each(|_| sched::yield_now());
    /// });
    /// assert_eq!(report.trace().events().len(), 2); // the 2 most recent events
    /// assert_eq!(report.trace().len(), report.stats().steps); // every event still counted
    /// ```
    pub fn with_trace_limit(mut self, events: usize) -> Self {
        self.trace_limit = events;
        self
    }

    /// Whether threads still alive when main returns fail the run (default) or are only
    /// listed in the report.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Failure, go, sched, sim::{self, Config}};
    ///
    /// let program = || {
    ///     go(|| sched::park()); // never unparked: leaks
    /// };
    /// let strict = sim::run(&Config::new(), program);
    /// assert_eq!(strict.failure(), Some(&Failure::Leak { count: 1 }));
    /// let lenient = sim::run(&Config::new().with_fail_on_leak(false), program);
    /// assert!(lenient.is_ok());
    /// assert_eq!(lenient.leaked().count(), 1);
    /// ```
    pub fn with_fail_on_leak(mut self, fail: bool) -> Self {
        self.fail_on_leak = fail;
        self
    }

    /// The seed.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::Config;
    ///
    /// assert_eq!(Config::new().seed(), 0);
    /// assert_eq!(Config::new().with_seed(5).seed(), 5);
    /// ```
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The strategy.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::{Config, Strategy};
    ///
    /// assert_eq!(Config::new().strategy(), Strategy::Random);
    /// let pct = Strategy::Pct { depth: 3, horizon: 100 };
    /// assert_eq!(Config::new().with_strategy(pct).strategy(), pct);
    /// ```
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }
    /// The number of virtual processors.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::Config;
    ///
    /// assert_eq!(Config::new().processors(), 1);
    /// assert_eq!(Config::new().with_processors(8).processors(), 8);
    /// ```
    pub fn processors(&self) -> usize {
        self.processors
    }
    /// The step limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::Config;
    ///
    /// assert_eq!(Config::new().max_steps(), 100_000);
    /// assert_eq!(Config::new().with_max_steps(500).max_steps(), 500);
    /// ```
    pub fn max_steps(&self) -> u64 {
        self.max_steps
    }
    /// The virtual-time limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::Config;
    /// use std::time::Duration;
    ///
    /// assert_eq!(Config::new().max_time(), Duration::from_secs(3600));
    /// assert_eq!(Config::new().with_max_time(Duration::ZERO).max_time(), Duration::ZERO);
    /// ```
    pub fn max_time(&self) -> Duration {
        self.max_time
    }
    /// The watchdog's wall-clock limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::Config;
    /// use std::time::Duration;
    ///
    /// assert_eq!(Config::new().watchdog(), Duration::from_secs(5));
    /// let patient = Config::new().with_watchdog(Duration::from_secs(30));
    /// assert_eq!(patient.watchdog(), Duration::from_secs(30));
    /// ```
    pub fn watchdog(&self) -> Duration {
        self.watchdog
    }

    /// The file descriptor fatal records go to, if any ([`Config::with_fatal_record`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::Config;
    ///
    /// assert_eq!(Config::new().fatal_record(), None);
    /// assert_eq!(Config::new().with_fatal_record(2).fatal_record(), Some(2));
    /// ```
    pub fn fatal_record(&self) -> Option<RawFd> {
        self.fatal_record
    }
    /// The default stack size.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::sim::Config;
    ///
    /// assert_eq!(Config::new().stack_size(), 256 * 1024);
    /// assert_eq!(Config::new().with_stack_size(1 << 20).stack_size(), 1 << 20);
    /// ```
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
