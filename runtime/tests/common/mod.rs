//! Helpers shared by the integration tests: running one program under both executors.
//!
//! A test whose assertions hold on any executor (values, orderings a program enforces,
//! failures) runs its program with these: under the deterministic executor ([`sim`]), then
//! on the parallel one ([`par`], two carriers, real clock). Tests about virtual instants,
//! traces, seeds and replay tokens call `sim` directly.

#![allow(dead_code)] // each test file uses some of these

use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::mpsc;
use std::time::Duration;

use gort::{par, sim};

/// Carriers for the parallel runs: two gives real parallelism even on a two-core machine.
pub(crate) const CARRIERS: usize = 2;

/// Parallel runs per program in [`seeds_both`] and [`explore_both`]: schedules there are not
/// chosen, so a few runs stand in for the deterministic executor's many seeds.
pub(crate) const PARALLEL_RUNS: usize = 5;

/// The parallel executor's configuration for these tests.
pub(crate) fn par_config() -> par::Config {
    par::Config::default().with_processors(CARRIERS)
}

/// Runs `main` on the parallel executor and returns its value, or fails with the error (what
/// every thread was doing).
#[track_caller]
pub(crate) fn on_par<T: Send>(main: impl FnOnce() -> T + Send) -> T {
    par::run(&par_config(), main).unwrap_or_else(|e| panic!("on the parallel executor: {e}"))
}

/// Runs `main` under the deterministic executor (default config), then on the parallel one,
/// asserts that both returned the same value, and returns it.
#[track_caller]
pub(crate) fn both<T, F>(main: F) -> T
where
    T: Send + PartialEq + Debug,
    F: Fn() -> T + Sync,
{
    let simulated = sim::run(&sim::Config::default(), &main).unwrap();
    let parallel = on_par(&main);
    assert_eq!(simulated, parallel, "the executors disagree (left: sim, right: par)");
    parallel
}

/// Runs `main` under `seeds` seeds of the deterministic executor (half random, half PCT),
/// failing with the first failing report, then [`PARALLEL_RUNS`] times on the parallel one.
#[track_caller]
pub(crate) fn seeds_both<T>(seeds: u64, main: impl Fn() -> T + Sync) {
    for seed in 0..seeds {
        let strategy = if seed % 2 == 0 {
            sim::Strategy::Random
        } else {
            sim::Strategy::Pct { depth: 3, horizon: 200 }
        };
        let config = sim::Config::default().with_seed(seed).with_strategy(strategy);
        let report = sim::run(&config, &main);
        assert!(report.is_ok(), "seed {seed}:\n{report}");
    }
    par_runs(&main);
}

/// [`sim::explore`] with `schedules`, failing with the first failing report, then
/// [`PARALLEL_RUNS`] runs on the parallel executor.
#[track_caller]
pub(crate) fn explore_both<T>(schedules: u32, main: impl Fn() -> T + Sync) {
    if let Err(report) = sim::explore(&sim::Config::default(), schedules, &main) {
        panic!("{report}");
    }
    par_runs(&main);
}

#[track_caller]
fn par_runs<T>(main: &(impl Fn() -> T + Sync)) {
    for run in 0..PARALLEL_RUNS {
        if let Err(e) = par::run(&par_config(), || drop(main())) {
            panic!("parallel run {run}: {e}");
        }
    }
}

/// A duration of `n` milliseconds.
pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The parallel executor with `carriers` carriers.
pub(crate) fn on(carriers: usize) -> par::Config {
    par::Config::default().with_processors(carriers)
}

/// Runs `f` on a fresh OS thread and fails if it has not finished within `limit`: a run
/// that hangs (a starved thread, a missed wake-up) fails the test instead of hanging it.
#[track_caller]
pub(crate) fn within<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => resume_unwind(payload),
        Err(_) => panic!("did not finish within {limit:?}"),
    }
}
