//! Go's own channel, select, sync and context tests, ported to gort: one module per Go file,
//! its upstream path (in github.com/golang/go) named at the top of the module.
//!
//! Each port runs its program under many schedules of both strategies (random and PCT) of the
//! deterministic executor, then a few times on the parallel executor (two carriers, then
//! one, real clock), with [`conform`]. Where a Go test relies on something Rust rules out
//! (nil channels, closing a channel twice, sending after close), the module says how the port
//! deviates.
//!
//! Ports that look at the clock use [`conform_timed`]: their program is told which [`Clock`]
//! it runs on, and checks instants exactly on the virtual one and within [`SLACK`] (never
//! early) on the real one, with waits shortened so the parallel runs stay quick. The few
//! tests that read what only the deterministic executor records (its trace, its leak
//! report) call `sim` directly and say so.

mod chan_test;
mod context_test;
mod doubleselect;
mod fifo;
mod goroutines;
mod nonblock;
mod powser1;
mod select2;
mod select3;
mod select4;
mod select5;
mod select6;
mod select7;
mod sendstmt;
mod sieve1;
mod sieve2;
mod waitgroup_test;
mod zerosize;

use std::time::Duration;

use gort::par;
use gort::sim::{self, Config};
use gort::time::Instant;

/// Schedules per Go program: half random, half PCT (depth 2 and 3), as `sim::explore` mixes.
pub const SCHEDULES: u32 = 200;

/// Runs of the parallel executor per Go program, on two carriers (then one more on one).
pub const PARALLEL_RUNS: usize = 3;

/// How late an instant may be on the real clock: timers fire from a monitor thread, and a
/// woken thread waits for a carrier, on a machine shared with the other tests.
pub const SLACK: Duration = Duration::from_secs(1);

/// The clock a program runs on, for ports whose checks depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The deterministic executor's: time moves only when every thread is blocked, so
    /// instants are exact and waiting costs nothing.
    Virtual,
    /// The parallel executor's: waiting takes wall time, and instants are only bounded.
    Real,
}

impl Clock {
    /// Whether instants are exact (the virtual clock).
    pub fn exact(self) -> bool {
        self == Clock::Virtual
    }

    /// `virtual_d` on the virtual clock, `real_d` on the real one: for a wait whose length
    /// matters only relative to the program's other waits, shortened where it costs wall
    /// time.
    pub fn pick(self, virtual_d: Duration, real_d: Duration) -> Duration {
        match self {
            Clock::Virtual => virtual_d,
            Clock::Real => real_d,
        }
    }

    /// Asserts that `got` is the instant `want`: exactly on the virtual clock; on the real
    /// one, not before it and at most [`SLACK`] after.
    #[track_caller]
    pub fn assert_at(self, got: Instant, want: Instant, what: &str) {
        match self {
            Clock::Virtual => assert_eq!(got, want, "{what}"),
            Clock::Real => assert!(
                want <= got && got - want <= SLACK,
                "{what}: at {got:?}, want {want:?} (at most {SLACK:?} late on the real clock)"
            ),
        }
    }
}

/// Runs `program` under [`SCHEDULES`] schedules and panics with the full report (timeline and
/// replay token) of the first that fails; then on the parallel executor ([`on_parallel`]).
#[track_caller]
pub fn conform<T, F>(program: F)
where
    F: Fn() -> T + Sync,
{
    conform_n(SCHEDULES, program)
}

/// [`conform`] with an explicit number of schedules, for long programs.
#[track_caller]
pub fn conform_n<T, F>(schedules: u32, program: F)
where
    F: Fn() -> T + Sync,
{
    conform_timed_n(schedules, |_| program())
}

/// [`conform`] for a program that checks time: it gets [`Clock::Virtual`] under the
/// deterministic executor and [`Clock::Real`] on the parallel one.
#[track_caller]
pub fn conform_timed<T, F>(program: F)
where
    F: Fn(Clock) -> T + Sync,
{
    conform_timed_n(SCHEDULES, program)
}

/// [`conform_timed`] with an explicit number of schedules.
#[track_caller]
pub fn conform_timed_n<T, F>(schedules: u32, program: F)
where
    F: Fn(Clock) -> T + Sync,
{
    if let Err(report) = sim::explore(&Config::default(), schedules, || program(Clock::Virtual)) {
        panic!("{report}");
    }
    on_parallel(|| program(Clock::Real));
}

/// Runs `program` on the parallel executor: [`PARALLEL_RUNS`] times on two carriers (real
/// parallelism even on a 2-core machine), then once on one.
#[track_caller]
pub fn on_parallel<T, F>(program: F)
where
    F: Fn() -> T + Sync,
{
    for processors in [2, 2, 2, 1].into_iter().take(PARALLEL_RUNS + 1) {
        let config = par::Config::default().with_processors(processors);
        if let Err(e) = par::run(&config, || drop(program())) {
            panic!("on the parallel executor with {processors} carriers: {e}");
        }
    }
}
