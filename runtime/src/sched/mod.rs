//! Green threads: spawning, identity, yielding, and park/ready (≈ Go's `runtime/proc.go`).
//!
//! A green thread is a function running on its own small, guard-paged stack. It gives up its
//! processor only at a *scheduling point*: a runtime operation such as a channel send, a
//! `sleep`, a `join` or [`yield_now`]. Park and unpark are the only way a green thread blocks
//! and wakes (Go's `gopark`/`goready`); channels, `JoinHandle` and time are written on them.
//!
//! Every function here must be called from inside a run
//! ([`sim::run`](crate::sim::run)); called anywhere else it panics with a message that says
//! so.

mod packet;
mod park;
pub(crate) mod rt;
mod spawn;

use std::fmt;

pub use park::{Thread, current, park};
pub use spawn::{Builder, JoinHandle, MIN_STACK_SIZE, PanicError, SpawnError, go};

/// A green thread's id: 1 for main, then 2, 3, ... in spawn order, as Go numbers goroutines.
///
/// Ids are unique within one run and the same in every replay of it. On the parallel
/// executor each carrier takes ids in blocks of 16 (as Go's Ps take goroutine ids), so ids
/// are unique but threads spawned on different carriers are not numbered in spawn order.
///
/// # Examples
///
/// ```
/// use gort::{go, sched, sim};
///
/// sim::run(&sim::Config::default(), || {
///     assert_eq!(sched::current().id().as_u64(), 1);
///     let child = go(|| sched::current().id());
///     assert_eq!(child.thread().id().to_string(), "#2");
///     assert_eq!(child.join().unwrap().as_u64(), 2);
/// })
/// .unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThreadId(pub(crate) u64);

impl ThreadId {
    /// The id as a number.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sched, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     assert_eq!(sched::current().id().as_u64(), 1); // main
    ///     let hs: Vec<_> = (0..2).map(|_| go(|| ())).collect();
    ///     let ids: Vec<u64> = hs.iter().map(|h| h.thread().id().as_u64()).collect();
    ///     assert_eq!(ids, [2, 3]); // in spawn order
    /// })
    /// .unwrap();
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0
    }

    pub(crate) fn index(self) -> usize {
        (self.0 - 1) as usize
    }

    pub(crate) fn from_index(index: usize) -> Self {
        ThreadId(index as u64 + 1)
    }
}

impl fmt::Display for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("#{}", self.0))
    }
}

/// Gives other green threads a chance to run, then continues (Go's `runtime.Gosched`).
///
/// It is a scheduling point: the scheduler may pick any runnable thread, including this one.
/// Under the PCT strategy it also lowers this thread's priority, so a thread that yields in a
/// loop cannot starve the others.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::{go, sched, sim};
/// use std::sync::{Arc, atomic::{AtomicU32, Ordering}};
///
/// let report = sim::run(&sim::Config::default(), || {
///     let n = Arc::new(AtomicU32::new(0));
///     let m = n.clone();
///     let h = go(move || m.store(1, Ordering::SeqCst));
///     while n.load(Ordering::SeqCst) == 0 {
///         sched::yield_now(); // without it this loop would never let the child run
///     }
///     h.join().unwrap();
/// });
/// assert!(report.is_ok());
/// ```
#[track_caller]
pub fn yield_now() {
    rt::yield_now(std::panic::Location::caller());
}
