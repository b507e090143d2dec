//! Timers and tickers: channels that receive the time when a deadline passes (≈ Go's
//! `time.After`, `time.Tick`, `time.Timer`, `time.Ticker`).
//!
//! A timer is not a green thread: the executor runs its callback when the clock reaches the
//! deadline, and the callback puts the time into a one-slot channel without blocking. So a
//! timer nobody waits on is never a leak, and a timer whose receiver is dropped, or which is
//! stopped, is unregistered and does not move the clock.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use super::{Instant, now};
use crate::chan::{self, Receiver, TimerSender};
use crate::sched::rt::{self, TimerFn, TimerId};

/// Arms a one-shot timer on a fresh channel; the callback sends the time it fires.
fn arm(
    d: Duration,
    period: Option<Duration>,
    kind: &'static str,
    at: &'static Location<'static>,
) -> (Receiver<Instant>, Arc<TimerSender<Instant>>, TimerFn, TimerId) {
    let (tx, rx) = chan::timer_channel::<Instant>(kind, at);
    let tx = Arc::new(tx);
    let sender = tx.clone();
    let f: TimerFn = Arc::new(move || sender.fire(now(), at));
    let id = rt::start_timer(d, period, f.clone(), at, kind);
    tx.stop_with_receivers(id);
    (rx, tx, f, id)
}

/// Returns a channel that receives the current time once, `d` from now: Go's `time.After`.
///
/// Use it as a timeout arm in [`select!`](crate::select). The timer is unregistered when it
/// fires or when the receiver is dropped, whichever comes first; a pending one is not a
/// leak. The channel holds one value and is never closed.
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
///     let t0 = time::now();
///     let fired = time::after(Duration::from_millis(300)).recv().unwrap();
///     assert_eq!(fired - t0, Duration::from_millis(300)); // exactly: the clock is virtual
/// })
/// .unwrap();
/// ```
#[track_caller]
pub fn after(d: Duration) -> Receiver<Instant> {
    arm(d, None, "time.After", Location::caller()).0
}

/// Returns a channel that receives the time every `period`: Go's `time.Tick`.
///
/// Ticks a slow receiver misses are dropped, not queued (the channel holds one). The ticker
/// runs until its receiver is dropped; use a [`Ticker`] to stop it earlier.
///
/// # Panics
///
/// If `period` is zero ("non-positive interval for Tick"), or outside a run.
///
/// # Examples
///
/// ```
/// use gort::{sim, time};
/// use std::time::Duration;
///
/// sim::run(&sim::Config::default(), || {
///     let ticks = time::tick(Duration::from_secs(1));
///     let at: Vec<Duration> =
///         (0..3).map(|_| ticks.recv().unwrap().elapsed_since_start()).collect();
///     assert_eq!(at, [1, 2, 3].map(Duration::from_secs));
/// })
/// .unwrap();
/// ```
#[track_caller]
pub fn tick(period: Duration) -> Receiver<Instant> {
    assert!(!period.is_zero(), "time: non-positive interval for Tick");
    arm(period, Some(period), "time.Tick", Location::caller()).0
}

/// A single event in the future, delivered on a channel: Go's `time.Timer`.
///
/// Create one with [`Timer::new`]; receive from [`Timer::receiver`] (Go's `t.C`). `Send` and
/// `Sync`. Dropping the timer stops it.
///
/// Like Go since 1.23: after [`stop`](Timer::stop) or [`reset`](Timer::reset) returns, no
/// stale time from the earlier setting can be received.
///
/// # Examples
///
/// ```
/// use gort::{sim, time::{self, Timer}};
/// use std::time::Duration;
///
/// sim::run(&sim::Config::default(), || {
///     let t = Timer::new(Duration::from_secs(5));
///     assert!(t.reset(Duration::from_secs(1))); // it was still pending
///     let fired = t.receiver().recv().unwrap();
///     assert_eq!(fired.elapsed_since_start(), Duration::from_secs(1));
///     assert!(!t.stop()); // already fired
/// })
/// .unwrap();
/// ```
pub struct Timer {
    rx: Receiver<Instant>,
    tx: Arc<TimerSender<Instant>>,
    f: TimerFn,
    id: TimerId,
    at: &'static Location<'static>,
}

impl Timer {
    /// A timer that fires once, `d` from now: Go's `time.NewTimer`.
    ///
    /// # Panics
    ///
    /// Outside a run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, time::{self, Timer}};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let t = Timer::new(Duration::from_millis(10));
    ///     let fired = t.receiver().recv().unwrap();
    ///     assert_eq!(fired, time::Instant::default() + Duration::from_millis(10));
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn new(d: Duration) -> Timer {
        let at = Location::caller();
        let (rx, tx, f, id) = arm(d, None, "time.Timer", at);
        Timer { rx, tx, f, id, at }
    }

    /// The channel the time is delivered on: Go's `t.C`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{select, sim, time::Timer};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let t = Timer::new(Duration::from_secs(1));
    ///     let timed_out = select! {
    ///         recv(t.receiver()) => true,
    ///     };
    ///     assert!(timed_out);
    /// })
    /// .unwrap();
    /// ```
    pub fn receiver(&self) -> &Receiver<Instant> {
        &self.rx
    }

    /// Stops the timer. Returns true if this call stopped it, false if it had already fired
    /// or been stopped. Never blocks; not a scheduling point.
    ///
    /// A time that fired but was not received yet is discarded, so a receive after `stop`
    /// blocks (until a `reset`).
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, time::Timer};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let t = Timer::new(Duration::from_secs(1));
    ///     assert!(t.stop());
    ///     assert!(!t.stop()); // idempotent
    ///     assert!(t.receiver().try_recv().is_err()); // nothing will come
    /// })
    /// .unwrap();
    /// ```
    pub fn stop(&self) -> bool {
        let was_pending = rt::stop_timer(self.id);
        self.tx.clear();
        was_pending
    }

    /// Re-arms the timer to fire `d` from now, whether or not it had fired or been stopped.
    /// Returns true if it was still pending. Discards a time fired but not yet received.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, time::{self, Timer}};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let t = Timer::new(Duration::from_secs(1));
    ///     time::sleep(Duration::from_secs(2)); // it fires, unreceived
    ///     assert!(!t.reset(Duration::from_secs(3))); // the stale time is dropped
    ///     let fired = t.receiver().recv().unwrap();
    ///     assert_eq!(fired.elapsed_since_start(), Duration::from_secs(5));
    /// })
    /// .unwrap();
    /// ```
    pub fn reset(&self, d: Duration) -> bool {
        let was_pending = rt::reset_timer(self.id, d, None, &self.f, self.at);
        self.tx.clear();
        was_pending
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        rt::stop_timer(self.id);
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").field("created", &format_args!("{}", self.at)).finish()
    }
}

/// Delivers the time on a channel every period: Go's `time.Ticker`.
///
/// Like Go, a ticker drops ticks for a slow receiver instead of queueing them: the channel
/// holds at most one. Ticks come at exact multiples of the period from the start (or the last
/// [`reset`](Ticker::reset)), whatever the receiver does. Dropping the ticker stops it.
/// `Send` and `Sync`.
///
/// # Examples
///
/// ```
/// use gort::{sim, time::{self, Ticker}};
/// use std::time::Duration;
///
/// sim::run(&sim::Config::default(), || {
///     let t = Ticker::new(Duration::from_millis(100));
///     t.receiver().recv().unwrap(); // t = 100ms
///     time::sleep(Duration::from_millis(350)); // ticks at 200, 300, 400 come; two are dropped
///     let late = t.receiver().recv().unwrap();
///     assert_eq!(late.elapsed_since_start(), Duration::from_millis(200));
///     let next = t.receiver().recv().unwrap();
///     assert_eq!(next.elapsed_since_start(), Duration::from_millis(500));
///     t.stop();
/// })
/// .unwrap();
/// ```
pub struct Ticker {
    timer: Timer,
}

impl Ticker {
    /// A ticker with the given period: Go's `time.NewTicker`.
    ///
    /// # Panics
    ///
    /// If `period` is zero ("non-positive interval for NewTicker"), or outside a run.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, time::Ticker};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let t = Ticker::new(Duration::from_secs(2));
    ///     let first = t.receiver().recv().unwrap();
    ///     assert_eq!(first.elapsed_since_start(), Duration::from_secs(2));
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn new(period: Duration) -> Ticker {
        assert!(!period.is_zero(), "time: non-positive interval for NewTicker");
        let at = Location::caller();
        let (rx, tx, f, id) = arm(period, Some(period), "time.Ticker", at);
        Ticker { timer: Timer { rx, tx, f, id, at } }
    }

    /// The channel ticks are delivered on: Go's `t.C`.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{select, sim, time::Ticker};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let t = Ticker::new(Duration::from_secs(1));
    ///     let mut ticks = 0;
    ///     while ticks < 3 {
    ///         select! { recv(t.receiver()) => ticks += 1 }
    ///     }
    /// })
    /// .unwrap();
    /// ```
    pub fn receiver(&self) -> &Receiver<Instant> {
        self.timer.receiver()
    }

    /// Stops the ticker: no more ticks are sent, and one sent but not received is discarded.
    /// Never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, time::{self, Ticker}};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let t = Ticker::new(Duration::from_secs(1));
    ///     time::sleep(Duration::from_secs(3));
    ///     t.stop();
    ///     assert!(t.receiver().try_recv().is_err());
    /// })
    /// .unwrap();
    /// ```
    pub fn stop(&self) {
        self.timer.stop();
    }

    /// Restarts the ticker with a new period, the first tick one period from now.
    ///
    /// # Panics
    ///
    /// If `period` is zero ("non-positive interval for Ticker.Reset").
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{sim, time::{self, Ticker}};
    /// use std::time::Duration;
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let t = Ticker::new(Duration::from_secs(10));
    ///     t.reset(Duration::from_secs(1));
    ///     let first = t.receiver().recv().unwrap();
    ///     assert_eq!(first.elapsed_since_start(), Duration::from_secs(1));
    /// })
    /// .unwrap();
    /// ```
    pub fn reset(&self, period: Duration) {
        assert!(!period.is_zero(), "time: non-positive interval for Ticker.Reset");
        let t = &self.timer;
        rt::reset_timer(t.id, period, Some(period), &t.f, t.at);
        t.tx.clear();
    }
}

impl fmt::Debug for Ticker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticker").field("created", &format_args!("{}", self.timer.at)).finish()
    }
}
