//! Park and unpark: the one way a green thread blocks and the one way it is woken.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use super::{ThreadId, rt};
use crate::vocab::Op;

/// A handle to a green thread: its id and name, and the way to wake it ([`Thread::unpark`]).
///
/// Cloning is cheap. A `Thread` is `Send` and `Sync`; it belongs to the run it came from and
/// waking it from another run panics.
///
/// # Examples
///
/// ```
/// use gort::{go, sched, sim};
///
/// sim::run(&sim::Config::default(), || {
///     let me = sched::current();
///     assert_eq!(me.name(), Some("main"));
///     let h = go(move || me.unpark());
///     sched::park(); // returns once the child has called unpark
///     h.join().unwrap();
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct Thread {
    pub(crate) run: u64,
    pub(crate) id: ThreadId,
    /// The parallel executor's record slot (see [`rt::Waker`]).
    pub(crate) slot: u32,
    pub(crate) name: Option<Arc<str>>,
}

impl Thread {
    /// The thread's id.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sched, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     let h = go(|| sched::current().id());
    ///     let id = h.thread().id();
    ///     assert_eq!(h.join().unwrap(), id); // the same thread, seen from inside
    /// })
    /// .unwrap();
    /// ```
    pub fn id(&self) -> ThreadId {
        self.id
    }

    /// The thread's name: "main" for the root thread, the [`Builder`](super::Builder) name
    /// for others, `None` if it has none.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{go, sched, sim};
    ///
    /// sim::run(&sim::Config::default(), || {
    ///     assert_eq!(sched::current().name(), Some("main"));
    ///     let named = sched::Builder::new().name("io").spawn(|| ()).unwrap();
    ///     assert_eq!(named.thread().name(), Some("io"));
    ///     assert_eq!(go(|| ()).thread().name(), None);
    /// })
    /// .unwrap();
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Wakes the thread if it is parked, or else makes its next [`park`] return at once.
    ///
    /// Like [`std::thread::Thread::unpark`], a wake-up is a single permit: several unparks
    /// before a park still let only one park through. Not a scheduling point: the woken
    /// thread becomes runnable and the scheduler decides when it runs.
    ///
    /// After its run has ended it does nothing (the thread is gone; a destructor may still
    /// hold the handle).
    ///
    /// # Panics
    ///
    /// Inside another run than the thread's.
    ///
    /// # Examples
    ///
    /// ```
    /// use gort::{diag::Failure, sched, sim};
    ///
    /// let report = sim::run(&sim::Config::default(), || {
    ///     let me = sched::current();
    ///     me.unpark();
    ///     me.unpark(); // permits do not add up: still one
    ///     sched::park(); // returns at once, consuming the permit
    ///     sched::park(); // no permit left: blocks forever
    /// });
    /// assert_eq!(report.failure(), Some(&Failure::Deadlock));
    /// ```
    #[track_caller]
    pub fn unpark(&self) {
        rt::unpark(self, Location::caller());
    }
}

impl fmt::Debug for Thread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Thread").field("id", &self.id).field("name", &self.name).finish()
    }
}

/// The calling green thread.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::{sched, sim};
///
/// let id = sim::run(&sim::Config::default(), || sched::current().id()).unwrap();
/// assert_eq!(id.as_u64(), 1);
/// ```
#[track_caller]
pub fn current() -> Thread {
    rt::current_thread("sched::current")
}

/// Blocks the calling green thread until [`Thread::unpark`] is called on it.
///
/// A scheduling point. If an unpark already happened since the last park, returns at once
/// and consumes it.
/// While parked the thread is not runnable: if every thread is parked or blocked and no timer
/// is pending, the run ends with a deadlock report that shows this thread parked at this call.
///
/// # Panics
///
/// Outside a run.
///
/// # Examples
///
/// ```
/// use gort::{go, sched, sim};
///
/// let report = sim::run(&sim::Config::default(), || sched::park());
/// // Nobody will ever unpark main: the runtime reports it instead of hanging.
/// assert!(report.to_string().contains("all green threads are asleep - deadlock!"));
/// ```
#[track_caller]
pub fn park() {
    let at = Location::caller();
    rt::point(Op::Park, None, at);
    rt::park(Op::Park, None, at);
}
