//! The deterministic executor: every green thread on one OS thread, a seeded scheduler at
//! every scheduling point, and a virtual clock (≈ Go's `testing/synctest`, plus a scheduler
//! that explores interleavings).
//!
//! [`run`] executes a program once under one seed. The same [`Config`] always gives the same
//! schedule, the same [`Trace`](crate::diag::Trace) and the same verdict, on every machine.
//! [`explore`] runs it under many seeds and returns the first failing run, and [`replay`]
//! re-runs the schedule named by a replay token.
//!
//! What a run reports instead of hanging or crashing silently: deadlocks, leaked threads,
//! panics, step and virtual-time limits (livelocks, forgotten tickers), a green thread that
//! never reaches a scheduling point (a wall-clock watchdog), and stack overflows.

mod config;
pub(crate) mod exec;
mod explore;
pub(crate) mod report;
mod rng;
mod run;
mod state;
mod strategy;
mod timers;
pub(crate) mod token;

pub use config::Config;
pub use explore::{Summary, explore};
pub use run::{replay, run};
pub use strategy::Strategy;

/// Counters of one run.
///
/// # Examples
///
/// ```
/// use gort::{go, sim};
///
/// let report = sim::run(&sim::Config::default(), || go(|| ()).join().unwrap());
/// assert_eq!(report.stats().threads, 2);
/// assert!(report.stats().steps >= 3);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Events recorded (scheduling points, blocks, wakes, exits).
    pub steps: u64,
    /// Times the executor resumed a different thread than the one it resumed last.
    pub switches: u64,
    /// Green threads created, main included.
    pub threads: u64,
    /// Virtual time when the run ended.
    pub virtual_time: std::time::Duration,
}
