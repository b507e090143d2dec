//! Who a green thread is: its id, the handle that wakes it, and why it could not be spawned.

use std::fmt;

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

/// The part of a `sched::Thread` that wakes it: `Copy`, so blocking costs no reference counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Waker {
    pub(crate) run: u64,
    pub(crate) id: ThreadId,
    /// Where the parallel executor keeps the thread's record (0 under the deterministic
    /// executor, which indexes threads by id).
    pub(crate) slot: u32,
}

/// The smallest stack a green thread may ask for: 16 KiB.
///
/// Smaller stacks overflow inside the runtime's own bookkeeping (panic handling, formatting).
///
/// # Examples
///
/// ```
/// use gort::{sched::{Builder, MIN_STACK_SIZE, SpawnError}, sim};
///
/// sim::run(&sim::Config::default(), || {
///     Builder::new().stack_size(MIN_STACK_SIZE).spawn(|| ()).unwrap().join().unwrap();
///     let err = Builder::new().stack_size(MIN_STACK_SIZE - 1).spawn(|| ()).unwrap_err();
///     assert_eq!(err, SpawnError::StackTooSmall { requested: MIN_STACK_SIZE - 1 });
/// })
/// .unwrap();
/// ```
pub const MIN_STACK_SIZE: usize = 16 * 1024;

/// Why a thread could not be spawned.
///
/// # Examples
///
/// ```
/// use gort::{sched::{Builder, SpawnError}, sim};
///
/// let err = sim::run(&sim::Config::default(), || {
///     Builder::new().stack_size(0).spawn(|| ()).unwrap_err()
/// })
/// .unwrap();
/// assert_eq!(err, SpawnError::StackTooSmall { requested: 0 });
/// assert!(err.to_string().contains("at least 16384 bytes"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// The requested stack is smaller than [`MIN_STACK_SIZE`].
    StackTooSmall {
        /// The size that was asked for.
        requested: usize,
    },
    /// `go` or `Builder::spawn` was called outside a run.
    OutsideRun,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::StackTooSmall { requested } => write!(
                f,
                "gort: a green thread's stack must be at least {MIN_STACK_SIZE} bytes \
                 (Builder::stack_size was given {requested})"
            ),
            SpawnError::OutsideRun => f.write_str(&outside_run_message("go")),
        }
    }
}

impl std::error::Error for SpawnError {}

/// The message every primitive panics with when used outside a run.
pub(crate) fn outside_run_message(what: &str) -> String {
    format!(
        "gort: {what} was called outside a run: green threads, channels and virtual time only \
         exist inside gort::sim::run (or sim::explore); move this code into the closure you \
         pass to it"
    )
}
