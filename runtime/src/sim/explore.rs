//! `explore`: run a program under many schedules and return the first that fails.

use std::panic::Location;

use super::report::{ReplayCheck, Report};
use super::rng::splitmix64;
use super::run::{execute, program_fingerprint};
use super::{Config, Strategy};

/// What a passing exploration covered.
///
/// # Examples
///
/// ```
/// use gort::{go, sim};
///
/// let summary = sim::explore(&sim::Config::default(), 50, || go(|| 1).join().unwrap()).unwrap();
/// assert_eq!(summary.schedules, 50);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Schedules run.
    pub schedules: u32,
    /// Events over all schedules.
    pub steps: u64,
    /// The longest schedule, in events.
    pub longest: u64,
}

/// Runs `body` under `schedules` different schedules and returns the first failing run.
///
/// Schedule `i` uses seed `splitmix64(config.seed + i)` and a strategy from a fixed
/// portfolio: random for half of the schedules, PCT with depth 2 and 3 for the others, the
/// PCT horizon learned from the longest schedule so far. (The config's own strategy is not
/// used.) On a failure the failing token is replayed once more to check the program is
/// deterministic; the report's [`replay_check`](Report::replay_check) says how that went.
///
/// # Errors
///
/// The [`Report`] of the first failing schedule (boxed: reports are large); its token replays it with
/// [`replay`](super::replay) given the same `config` and `body`.
///
/// # Examples
///
/// ```
/// use gort::{go, sim};
/// use std::sync::{Arc, atomic::{AtomicU32, Ordering::SeqCst}};
///
/// let failure = sim::explore(&sim::Config::default(), 100, || {
///     let n = Arc::new(AtomicU32::new(0));
///     let hs: Vec<_> = (0..2).map(|_| {
///         let n = n.clone();
///         go(move || {
///             let v = n.load(SeqCst);
///             gort::sched::yield_now(); // another thread may run between load and store
///             n.store(v + 1, SeqCst);
///         })
///     }).collect();
///     hs.into_iter().for_each(|h| h.join().unwrap());
///     assert_eq!(n.load(SeqCst), 2, "lost update");
/// })
/// .unwrap_err();
/// assert!(failure.to_string().contains("lost update"));
/// assert!(failure.replay_check().unwrap().reproduced());
/// ```
#[track_caller]
pub fn explore<T, F>(config: &Config, schedules: u32, body: F) -> Result<Summary, Box<Report<T>>>
where
    F: Fn() -> T + Sync,
{
    let site = Location::caller();
    let program = program_fingerprint::<F>(config);
    let mut summary = Summary::default();
    let mut horizon = 64u64;
    for i in 0..schedules {
        let seed = splitmix64(config.seed.wrapping_add(u64::from(i)));
        let strategy = match i % 4 {
            1 => Strategy::Pct { depth: 2, horizon },
            3 => Strategy::Pct { depth: 3, horizon },
            _ => Strategy::Random,
        };
        let this = config.clone().with_seed(seed).with_strategy(strategy);
        let report = execute(&this, program, site, &body);
        summary.schedules += 1;
        summary.steps += report.stats.steps;
        summary.longest = summary.longest.max(report.stats.steps);
        horizon = horizon.max(report.stats.steps);
        if !report.is_ok() {
            let again = execute(&this, program, site, &body);
            let mut report = report;
            report.replay = Some(ReplayCheck::compare(&report.token, &again.token));
            return Err(Box::new(report));
        }
    }
    Ok(summary)
}
