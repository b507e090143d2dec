//! Time: the clock, sleeping, and simulated CPU work (≈ Go's `time`).
//!
//! Under the deterministic executor time is virtual. It starts at zero, and it moves only
//! when no green thread can run, jumping straight to the earliest deadline; computation
//! between scheduling points takes no virtual time at all. So three concurrent
//! `sleep(200ms)` end at exactly 200 ms, three sequential ones at exactly 600 ms, instantly
//! and identically on every machine.
//!
//! [`sleep`] waits without occupying a processor (like waiting for I/O). [`work`] occupies
//! one of the run's virtual processors for its duration (like computing), so with one
//! processor two `work(1s)` calls take 2 s even on two threads: concurrency is not
//! parallelism.
//!
//! [`after`], [`tick`], [`Timer`] and [`Ticker`] deliver the time on channels, for use in
//! [`select!`](crate::select); they are callbacks of the executor, not green threads.
//!
//! | Go | gort |
//! |---|---|
//! | `time.Now()`, `time.Since(t)` | [`now()`], [`Instant::elapsed`] |
//! | `time.Sleep(d)` | [`sleep(d)`](sleep) |
//! | `<-time.After(d)` | [`after(d)`](after)`.recv()` |
//! | `time.Tick(d)` | [`tick(d)`](tick) |
//! | `t := time.NewTimer(d)`; `t.C`; `t.Stop()`; `t.Reset(d)` | [`Timer::new`], [`Timer::receiver`], [`Timer::stop`], [`Timer::reset`] |
//! | `time.NewTicker(d)` | [`Ticker::new`] |

mod timer;

pub use timer::{Ticker, Timer, after, tick};

use std::fmt;
use std::ops::{Add, Sub};
use std::panic::Location;
use std::time::Duration;

use crate::sched::rt;

/// A point in a run's time, measured from the run's start (the virtual epoch).
///
/// `Copy`, ordered, `Send` and `Sync`. Subtracting two instants gives a `Duration`; adding a
/// `Duration` gives an instant.
///
/// # Examples
///
/// ```
/// use gort::{sim, time};
/// use std::time::Duration;
///
/// sim::run(&sim::Config::default(), || {
///     let t0 = time::now();
///     time::sleep(Duration::from_millis(1500));
///     assert_eq!(time::now() - t0, Duration::from_millis(1500));
///     assert_eq!(time::now(), t0 + Duration::from_millis(1500));
/// })
/// .unwrap();
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(Duration);

impl Instant {
    /// The time since the run started.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, time};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     assert_eq!(time::now().elapsed_since_start(), Duration::ZERO);
    ///     time::sleep(Duration::from_millis(250));
    ///     assert_eq!(time::now().elapsed_since_start(), Duration::from_millis(250));
    /// })
    /// .unwrap();
    /// ```
    pub fn elapsed_since_start(self) -> Duration {
        self.0
    }

    /// The time from `earlier` to `self` (zero if `earlier` is later).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, time};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let t0 = time::now();
    ///     time::sleep(Duration::from_secs(2));
    ///     let t1 = time::now();
    ///     assert_eq!(t1.duration_since(t0), Duration::from_secs(2));
    ///     assert_eq!(t0.duration_since(t1), Duration::ZERO); // saturates instead of panicking
    /// })
    /// .unwrap();
    /// ```
    pub fn duration_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// The time since `self`.
    ///
    /// # Panics
    ///
    /// Outside a run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, time};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let start = time::now();
    ///     time::work(Duration::from_millis(30));
    ///     assert_eq!(start.elapsed(), Duration::from_millis(30));
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn elapsed(self) -> Duration {
        now().duration_since(self)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0 + d)
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", crate::vocab::DisplayDuration(self.0))
    }
}

/// The current time: Go's `time.Now()`. Not a scheduling point.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::{sim, time};
///
/// let t = sim::run(&sim::Config::default(), || time::now()).unwrap();
/// assert_eq!(t.elapsed_since_start(), std::time::Duration::ZERO);
/// ```
#[track_caller]
pub fn now() -> Instant {
    Instant(rt::now("time::now"))
}

/// Blocks the calling green thread for `d`: Go's `time.Sleep(d)`.
///
/// A scheduling point. The thread wakes at exactly `now() + d`; it occupies no processor
/// while it sleeps. `sleep(Duration::ZERO)` is a [`yield_now`](crate::sched::yield_now).
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::{go, sim, time};
/// use std::time::Duration;
///
/// // Three concurrent 200 ms sleeps take 200 ms, not 600 ms.
/// let elapsed = sim::run(&sim::Config::default(), || {
///     let hs: Vec<_> = (0..3).map(|_| go(|| time::sleep(Duration::from_millis(200)))).collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
///     time::now().elapsed_since_start()
/// });
/// assert_eq!(elapsed.unwrap(), Duration::from_millis(200));
/// ```
#[track_caller]
pub fn sleep(d: Duration) {
    rt::sleep(d, Location::caller());
}

/// Occupies one of the run's virtual processors for `d` of virtual time: simulated CPU work.
///
/// A scheduling point. If every processor is busy, waits (first come, first served) for one
/// to free up, then holds it for `d`. Compare [`sleep`], which needs no processor: with
/// [`Config::with_processors(1)`](crate::sim::Config::with_processors), sleeping threads
/// overlap while working threads take turns.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::{go, sim, time};
/// use std::time::Duration;
///
/// let one_cpu = sim::Config::default().with_processors(1);
/// let elapsed = sim::run(&one_cpu, || {
///     let hs: Vec<_> = (0..3).map(|_| go(|| time::work(Duration::from_millis(200)))).collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
///     time::now().elapsed_since_start()
/// });
/// assert_eq!(elapsed.unwrap(), Duration::from_millis(600)); // one processor: no overlap
/// ```
#[track_caller]
pub fn work(d: Duration) {
    rt::work(d, Location::caller());
}
