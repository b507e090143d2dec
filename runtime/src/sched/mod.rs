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

pub use park::{Thread, current, park};
pub use spawn::{Builder, JoinHandle, PanicError, go};

pub use crate::vocab::{MIN_STACK_SIZE, SpawnError, ThreadId};

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
