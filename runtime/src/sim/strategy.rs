//! Scheduling strategies: which runnable thread goes next at each scheduling point.
//!
//! * **Random**: uniform over the runnable threads at every decision. Finds shallow bugs
//!   (a lost update between a load and a store) in a handful of schedules.
//! * **PCT** (Burckhardt, Kothari, Musuvathi, Nagarakatte: "A Randomized Scheduler with
//!   Probabilistic Guarantees of Finding Bugs", ASPLOS 2010): threads get random distinct
//!   priorities and the highest-priority runnable thread always runs; at `depth - 1` randomly
//!   chosen decisions (the change points) the running thread's priority drops below every
//!   initial one. A bug that needs `d` ordering constraints among `n` threads and `k` steps is
//!   found with probability at least `1 / (n * k^(d-1))` per schedule.

use super::rng::Pcg32;

/// How the deterministic executor picks the next thread.
///
/// # Examples
///
/// ```
/// use gort::sim::{Config, Strategy};
///
/// let config = Config::default().with_strategy(Strategy::Pct { depth: 3, horizon: 200 });
/// assert_eq!(config.strategy(), Strategy::Pct { depth: 3, horizon: 200 });
/// assert_eq!(Strategy::Random.to_string(), "random");
/// assert_eq!(Strategy::Pct { depth: 3, horizon: 200 }.to_string(), "pct(depth 3, horizon 200)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Uniformly random choice at every scheduling point.
    Random,
    /// Probabilistic concurrency testing with `depth - 1` priority change points drawn from
    /// the first `horizon` decisions. `depth` 1 never preempts; 2 or 3 find most real bugs.
    Pct {
        /// The bug depth to target: 1 + the number of change points.
        depth: u32,
        /// How many decisions the change points are drawn from (an estimate of the run's
        /// length; [`explore`](super::explore) learns it from earlier schedules).
        horizon: u64,
    },
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Strategy::Random => f.write_str("random"),
            Strategy::Pct { depth, horizon } => write!(f, "pct(depth {depth}, horizon {horizon})"),
        }
    }
}

pub(crate) enum Scheduler {
    Random,
    Pct(Pct),
}

pub(crate) struct Pct {
    depth: u32,
    /// Sorted decision numbers at which the running thread is deprioritised.
    change_points: Vec<u64>,
    next_change: usize,
    decisions: u64,
    /// Priorities handed out by `yield_now`: below every change-point priority.
    yield_floor: i64,
}

impl Scheduler {
    pub(crate) fn new(strategy: Strategy, rng: &mut Pcg32) -> Self {
        match strategy {
            Strategy::Random => Scheduler::Random,
            Strategy::Pct { depth, horizon } => {
                let depth = depth.max(1);
                let horizon = horizon.max(1);
                let wanted = ((depth - 1) as u64).min(horizon) as usize;
                let mut change_points = Vec::with_capacity(wanted);
                while change_points.len() < wanted {
                    let point = u64::from(rng.below(horizon.min(u64::from(u32::MAX)) as u32)) + 1;
                    if !change_points.contains(&point) {
                        change_points.push(point);
                    }
                }
                change_points.sort_unstable();
                Scheduler::Pct(Pct {
                    depth,
                    change_points,
                    next_change: 0,
                    decisions: 0,
                    yield_floor: 0,
                })
            }
        }
    }

    /// The priority a new thread starts with (only PCT uses priorities).
    pub(crate) fn initial_priority(&mut self, rng: &mut Pcg32) -> i64 {
        match self {
            Scheduler::Random => 0,
            Scheduler::Pct(pct) => (rng.next_u64() >> 2) as i64 + i64::from(pct.depth),
        }
    }

    /// Picks the next thread among `runq` (not empty). `current` is the thread that was
    /// running when the decision was made (it may have just blocked).
    pub(crate) fn pick(
        &mut self,
        runq: &[u32],
        threads: &mut [impl Prioritized],
        current: usize,
        rng: &mut Pcg32,
    ) -> usize {
        match self {
            Scheduler::Random => {
                if runq.len() == 1 {
                    runq[0] as usize
                } else {
                    runq[rng.below(runq.len() as u32) as usize] as usize
                }
            }
            Scheduler::Pct(pct) => {
                pct.decisions += 1;
                if pct.change_points.get(pct.next_change) == Some(&pct.decisions) {
                    // The i-th change point lowers the running thread to priority depth - 1 - i.
                    let lowered = i64::from(pct.depth) - 1 - pct.next_change as i64;
                    if let Some(t) = threads.get_mut(current) {
                        t.set_priority(lowered);
                    }
                    pct.next_change += 1;
                }
                let mut best = runq[0] as usize;
                for &t in &runq[1..] {
                    if threads[t as usize].priority() > threads[best].priority() {
                        best = t as usize;
                    }
                }
                best
            }
        }
    }

    /// `yield_now` under PCT drops the caller below everyone, so yield loops make progress.
    pub(crate) fn on_yield(&mut self, thread: &mut impl Prioritized) {
        if let Scheduler::Pct(pct) = self {
            pct.yield_floor -= 1;
            thread.set_priority(pct.yield_floor);
        }
    }
}

/// A thread's record as the scheduler sees it: its PCT priority (higher runs first).
pub(crate) trait Prioritized {
    fn priority(&self) -> i64;
    fn set_priority(&mut self, priority: i64);
}
